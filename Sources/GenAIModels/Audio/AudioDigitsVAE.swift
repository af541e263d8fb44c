import GenAINN
import GenAITensor

/// The audio recipe's network: a class-conditional convolutional VAE over 128 × 128
/// log-magnitude spectrograms (`DigitSpectrogram`), with base width `w` (default 16):
///
/// ```
/// encoder  x [N, 1, 128, 128]
///   → Conv2d 1→w,    4x4, s2, p1 → LeakyReLU 0.2                   [N, w, 64, 64]
///   → Conv2d w→2w,   4x4, s2, p1 → BatchNorm2d → LeakyReLU         [N, 2w, 32, 32]
///   → Conv2d 2w→4w,  4x4, s2, p1 → BatchNorm2d → LeakyReLU         [N, 4w, 16, 16]
///   → Conv2d 4w→8w,  4x4, s2, p1 → BatchNorm2d → LeakyReLU         [N, 8w, 8, 8]
///   → Conv2d 8w→8w,  4x4, s2, p1 → BatchNorm2d → LeakyReLU         [N, 8w, 4, 4]
///   → flatten + encoderLabel(y)                                    [N, 128w]
///   → Linear → mean, Linear → logVariance                         [N, D] each
/// decoder  z [N, D] ⧺ decoderLabel(y) [N, E]
///   → Linear → BatchNorm1d → LeakyReLU → reshape                   [N, 8w, 4, 4]
///   → ConvTranspose2d 8w→8w, 4x4, s2, p1 → BatchNorm2d → LeakyReLU [N, 8w, 8, 8]
///   → ConvTranspose2d 8w→4w  … → 2w … → w (each BN + LeakyReLU)    [N, w, 64, 64]
///   → ConvTranspose2d w→1, 4x4, s2, p1 (linear)                    [N, 1, 128, 128]
/// ```
///
/// Convolutions without batch norm have biases; the others do not. Weights use PyTorch's default
/// initialisation. The network also holds `noise`, the `RandomSource` of the reparameterisation
/// noise, so a `TrainingCheckpoint` of the network restores the stream exactly.
public final class AudioDigitsVAE: Module {
  /// Grid height (frequency bins) and width (frames) the network is built for.
  public static let gridSize = 128

  /// The encoder's convolutions, `[1→w, w→2w, 2w→4w, 4w→8w, 8w→8w]`.
  public let encoderConvs: [Conv2d]
  /// Batch norms after encoder convolutions 2…5.
  public let encoderNorms: [BatchNorm2d]
  /// `[classes, 128w]`, added to the flattened encoder features.
  public let encoderLabel: Embedding
  /// `[D, 128w]` → posterior mean.
  public let fcMean: Linear
  /// `[D, 128w]` → posterior log-variance.
  public let fcLogVariance: Linear
  /// `[classes, E]`, concatenated to z.
  public let decoderLabel: Embedding
  /// `[128w, D + E]`, no bias.
  public let fc: Linear
  /// Over the `128w` features of `fc`.
  public let fcNorm: BatchNorm1d
  /// The decoder's transposed convolutions, `[8w→8w, 8w→4w, 4w→2w, 2w→w, w→1]`.
  public let decoderConvs: [ConvTranspose2d]
  /// Batch norms after decoder convolutions 1…4.
  public let decoderNorms: [BatchNorm2d]
  /// Where the reparameterisation noise `ε` is drawn from (saved with the model by checkpoints).
  public let noise: RandomSource

  /// Base channel count `w`.
  public let width: Int
  /// Latent size `D`.
  public let latentSize: Int

  /// A network for `classCount` classes.
  /// - Parameters:
  ///   - width: base channel count `w`.
  ///   - latentSize: `D`.
  ///   - labelSize: `E`, the size of the decoder's label vector.
  ///   - generator: draws the initial weights and the seed of `noise`.
  public init(classCount: Int, width: Int = 16, latentSize: Int = 32, labelSize: Int = 16, using generator: inout SeededGenerator) {
    let w = width
    let channels = [1, w, 2 * w, 4 * w, 8 * w, 8 * w]
    let flat = 8 * w * 4 * 4
    encoderConvs = (0..<5).map { i in
      Conv2d(
        inputChannels: channels[i], outputChannels: channels[i + 1], kernelSize: 4, stride: 2, padding: .symmetric(1),
        bias: i == 0, using: &generator)
    }
    encoderNorms = (1..<5).map { BatchNorm2d(featureCount: channels[$0 + 1]) }
    encoderLabel = Embedding(count: classCount, dimension: flat, weightInit: .normal(mean: 0, std: 0.1), using: &generator)
    fcMean = Linear(inputSize: flat, outputSize: latentSize, using: &generator)
    fcLogVariance = Linear(inputSize: flat, outputSize: latentSize, using: &generator)
    decoderLabel = Embedding(count: classCount, dimension: labelSize, using: &generator)
    fc = Linear(inputSize: latentSize + labelSize, outputSize: flat, bias: false, using: &generator)
    fcNorm = BatchNorm1d(featureCount: flat)
    let up = Array(channels.reversed())  // [8w, 8w, 4w, 2w, w, 1]
    decoderConvs = (0..<5).map { i in
      ConvTranspose2d(
        inputChannels: up[i], outputChannels: up[i + 1], kernelSize: 4, stride: 2, padding: .symmetric(1),
        bias: i == 4, using: &generator)
    }
    decoderNorms = (0..<4).map { BatchNorm2d(featureCount: up[$0 + 1]) }
    noise = RandomSource(seed: generator.next())
    self.width = width
    self.latentSize = latentSize
    super.init()
  }

  /// Number of classes.
  public var classCount: Int { decoderLabel.count }

  /// Posterior `(mean [N, D], logVariance [N, D])` of grids `x` `[N, 1, 128, 128]` with labels `[N]`.
  public func encode(_ x: Tensor, labels: IndexTensor) -> (mean: Tensor, logVariance: Tensor) {
    var h = encoderConvs[0](x).leakyRelu(slope: 0.2)
    for i in 1..<5 { h = encoderNorms[i - 1](encoderConvs[i](h)).leakyRelu(slope: 0.2) }
    h = h.reshaped([x.shape[0], 8 * width * 16]) + encoderLabel(labels)
    return (fcMean(h), fcLogVariance(h))
  }

  /// Grids `[N, 1, 128, 128]` (normalised log magnitudes, unbounded) from codes `z` `[N, D]` and
  /// labels `[N]`.
  public func decode(_ z: Tensor, labels: IndexTensor) -> Tensor {
    let n = z.shape[0]
    var h = Tensor.concatenate([z, decoderLabel(labels)], axis: 1)
    h = fcNorm(fc(h)).leakyRelu(slope: 0.2).reshaped([n, 8 * width, 4, 4])
    for i in 0..<4 { h = decoderNorms[i](decoderConvs[i](h)).leakyRelu(slope: 0.2) }
    return decoderConvs[4](h)
  }

  /// `z = mean + e^{½ logVariance} · ε`, `ε ~ N(0, I)` `[N, D]` drawn from `noise`.
  public func reparameterize(mean: Tensor, logVariance: Tensor) -> Tensor {
    let eps = noise.normal(batchShape: mean.shape)
    return mean + (logVariance * 0.5).exp() * eps
  }
}
