/// Normalisation statistics for batch norm, layer norm and group norm, and dropout.

extension Tensor {
  /// `(x − mean) / √(var + ε)` over `axes`, with the batch statistics used.
  ///
  /// Batch norm over `[N, C, H, W]` normalises over `[0, 2, 3]`; layer norm over `[B, T, C]` over
  /// `[2]`. Variance is the population variance (divide by n), computed in two passes for
  /// stability. The pullback is the fused `rstd · (g − mean(g) − x̂ · mean(g · x̂))`, written in
  /// tensor ops so it can itself be differentiated.
  /// - Returns: the normalised tensor (shape of `self`), and the mean and population variance
  ///   with `keepDims` shape as constants (for running statistics).
  public func normalized(overAxes axes: [Int], epsilon: Float = 1e-5) -> (normalized: Tensor, mean: Tensor, variance: Tensor) {
    let ax = reductionAxes(axes, op: "normalize")
    let (mean, variance, rstd, y) = withNoGrad { () -> (Tensor, Tensor, Tensor, Tensor) in
      let mean = self.mean(axes: ax, keepDims: true)
      let centered = self - mean
      let variance = (centered * centered).mean(axes: ax, keepDims: true)
      let rstd = Tensor(shape: variance.shape, storage: Kernels.map(variance) { 1 / ($0 + epsilon).squareRoot() })
      return (mean, variance, rstd, centered * rstd)
    }
    let out = Tensor.record(.normalize, shape: shape, storage: y.storage, inputs: [self]) { g, xhat, x in
      // Under create-graph, rebuild rstd from x so second derivatives see its dependence on x.
      let r = GradMode.isEnabled ? (x[0].variance(axes: ax, keepDims: true) + epsilon).pow(-0.5) : rstd
      return [r * (g - g.mean(axes: ax, keepDims: true) - xhat * (g * xhat).mean(axes: ax, keepDims: true))]
    }
    return (out, mean, variance)
  }

  /// Inverted dropout: zeroes each element with probability `p` and scales the rest by `1/(1−p)`.
  /// Identity when `p == 0`.
  public func dropout(p: Float, using generator: inout some RandomNumberGenerator) -> Tensor {
    precondition(p >= 0 && p < 1, "[dropout] p must be in [0, 1), got \(p)")
    if p == 0 { return self }
    let keep = Tensor.bernoulli(shape, p: 1 - p, using: &generator)
    return self * (keep * (1 / (1 - p)))
  }
}
