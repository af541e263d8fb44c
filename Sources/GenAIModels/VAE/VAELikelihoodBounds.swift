import Foundation
import GenAIData
import GenAINN
import GenAITensor

/// Per-image lower bounds on `log p(x)` of a trained VAE, in nats, from `k` posterior draws
/// `z_j ~ q(z|x)` and their log weights `log w_j = log p(x|z_j) + log p(z_j) − log q(z_j|x)`:
/// - `elbo`: the Monte-Carlo ELBO `mean_j log w_j`;
/// - `importanceWeighted`: the IWAE bound `log mean_j exp(log w_j)` (Burda et al. 2016), which is
///   never below the ELBO of the same draws (Jensen) and tightens as `k` grows, so
///   `−importanceWeighted` is the usual "IW-NLL" estimate of the negative log-likelihood.
public struct VAELogLikelihood: Equatable, Sendable {
  /// The ELBO of each image `[N]`, nats.
  public var elbo: [Double]
  /// The importance-weighted bound of each image `[N]`, nats.
  public var importanceWeighted: [Double]
  /// Draws per image.
  public var samples: Int
  /// Values per image (`C·H·W`), for bits per dimension.
  public var dimensions: Int

  /// The mean ELBO, nats per image.
  public var meanELBO: Double { elbo.reduce(0, +) / Double(max(elbo.count, 1)) }
  /// The mean importance-weighted bound, nats per image.
  public var meanImportanceWeighted: Double { importanceWeighted.reduce(0, +) / Double(max(importanceWeighted.count, 1)) }
  /// `nats` per image as bits per dimension: `nats / (D · ln 2)`.
  public func bitsPerDimension(_ nats: Double) -> Double { nats / (Double(dimensions) * log(2)) }
}

extension VAELikelihood {
  /// `log p(x|output)` of each image, summed over its pixels, with every constant included
  /// (unlike the training loss): Bernoulli `Σ x·l − softplus(l)`; unit Gaussian
  /// `−½Σ(x−μ)² − ½D·log 2π`; unit Laplace `−Σ|x−μ| − D·log 2`. `outputs`, `targets` `[N, ...]`.
  func logProbability(_ outputs: Tensor, _ targets: Tensor) -> [Double] {
    let n = outputs.shape[0]
    let d = outputs.count / max(n, 1)
    let o = outputs.scalars
    let x = targets.scalars
    return (0..<n).map { i in
      var sum = 0.0
      for j in (i * d)..<((i + 1) * d) {
        let l = Double(o[j])
        let t = Double(x[j])
        switch self {
        case .bernoulli: sum += t * l - (Swift.max(l, 0) + log1p(exp(-Swift.abs(l))))
        case .gaussian: sum += -0.5 * (t - l) * (t - l)
        case .l1: sum += -Swift.abs(t - l)
        }
      }
      switch self {
      case .bernoulli: return sum
      case .gaussian: return sum - 0.5 * Double(d) * log(2 * Double.pi)
      case .l1: return sum - Double(d) * log(2.0)
      }
    }
  }
}

extension VAE {
  /// The ELBO and importance-weighted bound of each image in `images` `[N, C, H, W]`, with
  /// `samples` posterior draws per image taken from `generator` (not the training noise stream,
  /// so evaluating does not change training). Runs in evaluation mode in chunks of `chunk` images.
  /// - Throws: `RecipeError` for images of the wrong shape or `samples < 1`.
  public func logLikelihood(
    _ images: Tensor, samples: Int, chunk: Int = 100, using generator: inout SeededGenerator
  ) throws -> VAELogLikelihood {
    try checkImages(images)
    guard samples >= 1 else { throw RecipeError(recipe: Self.name, "importance samples must be >= 1, got \(samples)") }
    let n = images.shape[0]
    var elbo = [Double]()
    var iw = [Double]()
    elbo.reserveCapacity(n)
    iw.reserveCapacity(n)
    try evaluating {
      for start in stride(from: 0, to: n, by: max(chunk, 1)) {
        let x = images.slice(axis: 0, start..<Swift.min(start + chunk, n))
        let (mean, logVariance) = network.encode(x)
        let m = x.shape[0]
        var logWeights = [[Double]](repeating: [], count: m)
        for _ in 0..<samples {
          let eps = Tensor.randn(mean.shape, using: &generator)
          let z = mean + (logVariance * 0.5).exp() * eps
          let logPx = likelihood.logProbability(network.decode(z), x)
          let logPz = Self.standardNormalLogDensity(z)
          let logQz = Self.diagonalNormalLogDensity(eps: eps, logVariance: logVariance)
          for i in 0..<m { logWeights[i].append(logPx[i] + logPz[i] - logQz[i]) }
        }
        for w in logWeights {
          elbo.append(w.reduce(0, +) / Double(samples))
          let top = w.max()!
          iw.append(top + log(w.reduce(0) { $0 + exp($1 - top) } / Double(samples)))
        }
      }
    }
    return VAELogLikelihood(elbo: elbo, importanceWeighted: iw, samples: samples, dimensions: network.imageShape.reduce(1, *))
  }

  /// `log N(z; 0, I)` of each row of `z` `[N, D]`.
  static func standardNormalLogDensity(_ z: Tensor) -> [Double] {
    let d = z.shape[1]
    let s = z.scalars
    return (0..<z.shape[0]).map { i in
      var sum = 0.0
      for j in (i * d)..<((i + 1) * d) { sum += Double(s[j]) * Double(s[j]) }
      return -0.5 * sum - 0.5 * Double(d) * log(2 * Double.pi)
    }
  }

  /// `log N(z; μ, σ²)` of `z = μ + σ·ε`, from `ε` and `log σ²` (both `[N, D]`):
  /// `−½Σ(ε² + log σ² + log 2π)`.
  static func diagonalNormalLogDensity(eps: Tensor, logVariance: Tensor) -> [Double] {
    let d = eps.shape[1]
    let e = eps.scalars
    let lv = logVariance.scalars
    return (0..<eps.shape[0]).map { i in
      var sum = 0.0
      for j in (i * d)..<((i + 1) * d) { sum += Double(e[j]) * Double(e[j]) + Double(lv[j]) }
      return -0.5 * sum - 0.5 * Double(d) * log(2 * Double.pi)
    }
  }
}
