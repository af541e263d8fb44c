import GenAIData
import GenAITensor

/// The decoder's pixel likelihood `p(x|z)`, which fixes the reconstruction term of the ELBO and
/// how decoder outputs become images.
public enum VAELikelihood: String, Sendable, CaseIterable {
  /// Bernoulli: the decoder gives logits; the term is binary cross-entropy with logits summed
  /// over pixels. Data must be in `[0, 1]` (`PixelRange.zeroToOne`); images are `sigmoid(logits)`.
  case bernoulli
  /// Gaussian with unit variance: the decoder gives the mean; the term is `½‖x − x̂‖²` summed
  /// over pixels (the negative log-likelihood up to a constant). Data in `[0, 1]` or `[-1, 1]`;
  /// images are the means.
  case gaussian
  /// Laplace with unit scale (L1): the decoder gives the location; the term is `‖x − x̂‖₁`
  /// summed over pixels. Data in `[0, 1]` or `[-1, 1]`; images are the locations.
  case l1

  /// The reconstruction term for each image summed over its pixels, then averaged over the batch:
  /// `outputs` and `targets` are `[N, C, H, W]`; returns a scalar.
  public func reconstructionLoss(_ outputs: Tensor, _ targets: Tensor) -> Tensor {
    let n = Float(max(outputs.shape.first ?? 1, 1))
    switch self {
    case .bernoulli: return outputs.binaryCrossEntropy(withLogitsTargets: targets, reduction: .sum) * (1 / n)
    case .gaussian: return outputs.meanSquaredError(targets, reduction: .sum) * (0.5 / n)
    case .l1: return outputs.l1Loss(targets, reduction: .sum) * (1 / n)
    }
  }

  /// Decoder outputs as images: `sigmoid` for Bernoulli, unchanged otherwise.
  public func images(from outputs: Tensor) -> Tensor {
    self == .bernoulli ? outputs.sigmoid() : outputs
  }
}
