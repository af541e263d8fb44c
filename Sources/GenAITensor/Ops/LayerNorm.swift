import CGenAIKernels

/// Layer normalisation with its affine transform, as one op.
///
/// `normalized(overAxes:)` followed by `* weight + bias` gives the same values, but as four ops
/// whose pullbacks walk the activation nine times (two of them reductions over every row for the
/// weight and bias gradients). A transformer block normalises twice, so in the char-gpt step
/// those walks were about a tenth of the time. This op reads each row three times forward and
/// twice backward (`CGenAIKernels`' `genai_layernorm_*`).
extension Tensor {
  /// `(x − mean) / √(var + ε) · weight + bias` with the statistics of each row of the last
  /// `axisCount` axes: `x` `[..., D...]` is seen as rows of `n = ∏ D` values (e.g. `[B, T, C]`
  /// with `axisCount == 1`: one row per token). Population variance, as PyTorch's `LayerNorm`.
  ///
  /// Under `createGraph` the pullback is the formula in recorded ops (statistics rebuilt from
  /// `x`), so it can be differentiated again. Weight and bias gradients are summed over blocks of
  /// 32 rows in a fixed order: the same for any thread count.
  /// - Parameters:
  ///   - axisCount: how many trailing axes form a row (at least 1, at most the rank).
  ///   - epsilon: added to the variance.
  ///   - weight: `n` elements (any shape), or `nil` for 1.
  ///   - bias: `n` elements (any shape), or `nil` for 0.
  /// - Returns: a tensor of `self`'s shape.
  public func layerNormalized(overLast axisCount: Int = 1, epsilon: Float = 1e-5, weight: Tensor? = nil, bias: Tensor? = nil)
    -> Tensor
  {
    require(axisCount >= 1 && axisCount <= rank,
      "[layerNorm] axisCount must be in 1...\(rank) for a tensor of shape \(shapeString(shape)), got \(axisCount)")
    let n = shape.suffix(axisCount).reduce(1, *)
    for (name, t) in [("weight", weight), ("bias", bias)] {
      if let t {
        require(t.count == n,
          "[layerNorm] \(name) has shape \(shapeString(t.shape)); expected \(n) elements, one per value of a row of \(shapeString(shape))")
      }
    }
    guard n > 0 && count > 0 else {
      var y = normalized(overAxes: Array((rank - axisCount)..<rank), epsilon: epsilon).normalized
      if let weight { y = y * weight.reshaped(Array(shape.suffix(axisCount))) }
      if let bias { y = y + bias.reshaped(Array(shape.suffix(axisCount))) }
      return y
    }
    let rows = count / n
    let mean = Storage(uninitializedCount: rows), rstd = Storage(uninitializedCount: rows)
    let y = Storage(uninitializedCount: count)
    let path = genai_path_active()
    let (xp, yp, mp, rp) = (storage.base, y.base, mean.base, rstd.base)
    let (wp, bp) = (weight?.storage.base, bias?.storage.base)
    parallelFor(rows, grain: Swift.max(1, Kernels.grain / n)) { r in
      genai_layernorm_forward(path, xp + r.lowerBound * n, yp + r.lowerBound * n, r.count, n, wp, bp, epsilon,
                              mp + r.lowerBound, rp + r.lowerBound)
    }
    var inputs = [self]
    if let weight { inputs.append(weight) }
    if let bias { inputs.append(bias) }
    let hasWeight = weight != nil, hasBias = bias != nil
    return Tensor.record(.layerNorm, shape: shape, storage: y, inputs: inputs) { g, _, x in
      let weight = hasWeight ? x[1] : nil
      if GradMode.isEnabled {
        return Tensor.layerNormPullback(g, x: x[0], rows: rows, n: n, epsilon: epsilon, weight: weight,
                                        biasShape: hasBias ? x[x.count - 1].shape : nil)
      }
      let grads = Kernels.layerNormBackward(g.storage.base, x[0].storage.base, rows: rows, n: n,
                                            weight: weight?.storage.base, mean: mean.base, rstd: rstd.base,
                                            weightGradient: hasWeight, biasGradient: hasBias)
      var result: [Tensor?] = [Tensor(shape: x[0].shape, storage: grads.dx)]
      if let weight, let dw = grads.dw { result.append(Tensor(shape: weight.shape, storage: dw)) }
      if hasBias, let db = grads.db { result.append(Tensor(shape: x[x.count - 1].shape, storage: db)) }
      return result
    }
  }

  /// The layer-norm pullback in recorded ops, for higher-order gradients: `dx` from
  /// `normalizationPullback` with `ĝ = g·weight`, `dweight = Σ_rows g·x̂`, `dbias = Σ_rows g`.
  static func layerNormPullback(
    _ g: Tensor, x: Tensor, rows: Int, n: Int, epsilon: Float, weight: Tensor?, biasShape: [Int]?
  ) -> [Tensor?] {
    let x2 = x.reshaped([rows, n]), g2 = g.reshaped([rows, n])
    let gh = weight.map { g2 * $0.reshaped([1, n]) } ?? g2
    let dx = normalizationPullback(gh, x: x2, axes: [1], keptShape: [rows, 1], epsilon: epsilon, scale: nil,
                                   offsetShape: nil)[0]!
    var result: [Tensor?] = [dx.reshaped(x.shape)]
    if let weight {
      let centered = x2 - x2.mean(axes: [1], keepDims: true)
      let xhat = centered * ((centered * centered).mean(axes: [1], keepDims: true) + epsilon).pow(-0.5)
      result.append((g2 * xhat).sum(axes: [0]).reshaped(weight.shape))
    }
    if let biasShape { result.append(g2.sum(axes: [0]).reshaped(biasShape)) }
    return result
  }
}

extension Kernels {
  /// Rows per block of the weight and bias gradients: each block's sums go to its own row of
  /// partial sums, added up in block order, so threads never change the result.
  static let layerNormBlock = 32

  /// `dx` `[rows, n]` of the layer norm, and the weight and bias gradients `[n]` when asked for.
  static func layerNormBackward(
    _ g: UnsafePointer<Float>, _ x: UnsafePointer<Float>, rows: Int, n: Int, weight: UnsafePointer<Float>?,
    mean: UnsafePointer<Float>, rstd: UnsafePointer<Float>, weightGradient: Bool, biasGradient: Bool
  ) -> (dx: Storage, dw: Storage?, db: Storage?) {
    let dx = Storage(uninitializedCount: rows * n)
    let block = layerNormBlock
    let blocks = (rows + block - 1) / block
    let partialW = weightGradient ? Storage(zeros: blocks * n) : nil
    let partialB = biasGradient ? Storage(zeros: blocks * n) : nil
    let path = genai_path_active()
    let (d, pw, pb) = (dx.base, partialW?.base, partialB?.base)
    parallelFor(blocks, grain: Swift.max(1, grain / (block * n))) { bs in
      for b in bs {
        let r0 = b * block, rc = Swift.min(block, rows - r0)
        genai_layernorm_backward(path, g + r0 * n, x + r0 * n, rc, n, weight, mean + r0, rstd + r0, d + r0 * n,
                                 pw.map { $0 + b * n }, pb.map { $0 + b * n })
      }
    }
    func total(_ partial: Storage?) -> Storage? {
      guard let partial else { return nil }
      let out = Storage(zeros: n)
      for b in 0..<blocks {
        let row = partial.base + b * n
        for j in 0..<n { out.base[j] += row[j] }
      }
      return out
    }
    return (dx, total(partialW), total(partialB))
  }
}
