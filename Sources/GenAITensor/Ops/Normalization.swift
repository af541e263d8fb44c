/// Normalisation for batch norm, layer norm and group norm (fused, with the affine transform),
/// and dropout.

extension Tensor {
  /// `(x − mean) / √(var + ε) · scale + offset` with statistics over `axes` of this batch.
  ///
  /// Batch norm over `[N, C, H, W]` normalises over `[0, 2, 3]` with `scale` and `offset` of `[C]`:
  /// they hold one value per *kept* position (per channel). Layer norm over `[B, T, C]`
  /// normalises over `[2]` with no `scale` here and applies its `[C]` affine afterwards, since
  /// its parameters run along the normalised axis. Variance is the population variance (divide by
  /// n), accumulated in two passes with float64 totals.
  ///
  /// When the kept axes are contiguous (always so for batch and layer norm) forward and backward
  /// are fused kernels: one statistics pass and one output pass each way. Under `createGraph`
  /// the pullback is the same formula in recorded ops, `rstd · (ĝ − mean(ĝ) − x̂ · mean(ĝ · x̂))`
  /// with `ĝ = g · scale`, so it can be differentiated again.
  /// - Parameters:
  ///   - axes: the axes to normalise over.
  ///   - epsilon: added to the variance.
  ///   - scale: per-kept-position scale (γ), any shape with that many elements; `nil` for 1.
  ///   - offset: per-kept-position offset (β), likewise; `nil` for 0.
  /// - Returns: the result (shape of `self`), and the batch mean and population variance with
  ///   `keepDims` shape as constants (for running statistics).
  public func normalized(
    overAxes axes: [Int], epsilon: Float = 1e-5, scale: Tensor? = nil, offset: Tensor? = nil
  ) -> (normalized: Tensor, mean: Tensor, variance: Tensor) {
    let ax = reductionAxes(axes, op: "normalize")
    let kept = (0..<rank).filter { !ax.contains($0) }
    let keptShape = reducedShape(ax, keepDims: true)
    let channels = elementCount(keptShape)
    for (name, t) in [("scale", scale), ("offset", offset)] {
      if let t {
        require(t.count == channels,
          "[normalize] \(name) has shape \(shapeString(t.shape)); expected \(channels) elements, one per kept position of \(shapeString(shape)) over axes \(ax)")
      }
    }
    let lo = kept.first ?? 0
    let hi = (kept.last ?? -1) + 1
    guard kept.isEmpty || kept == Array(lo..<hi) else {
      return composedNormalization(ax, epsilon: epsilon, scale: scale, offset: offset)
    }
    let layout = NormLayout(outer: shape[..<lo].reduce(1, *), channels: channels, inner: shape[hi...].reduce(1, *))
    let stats = Kernels.channelStatistics(storage.base, layout)
    let mean = Tensor(shape: keptShape, storage: stats.mean)
    let variance = Tensor(shape: keptShape, storage: stats.variance)
    let rstd = Storage(uninitializedCount: channels)
    for c in 0..<channels { rstd.base[c] = 1 / (variance.storage.base[c] + epsilon).squareRoot() }
    let y = Kernels.normalizeForward(storage.base, layout, mean: mean.storage.base, rstd: rstd.base,
                                     scale: scale?.storage.base, offset: offset?.storage.base)
    var inputs = [self]
    if let scale { inputs.append(scale) }
    if let offset { inputs.append(offset) }
    let hasScale = scale != nil, hasOffset = offset != nil
    let out = Tensor.record(.normalize, shape: shape, storage: y, inputs: inputs) { g, _, x in
      if GradMode.isEnabled {
        return Tensor.normalizationPullback(g, x: x[0], axes: ax, keptShape: keptShape, epsilon: epsilon,
                                            scale: hasScale ? x[1] : nil,
                                            offsetShape: hasOffset ? x[x.count - 1].shape : nil)
      }
      let grads = Kernels.normalizeBackward(g.storage.base, x[0].storage.base, layout, mean: mean.storage.base,
                                            rstd: rstd.base, scale: hasScale ? x[1].storage.base : nil)
      var result: [Tensor?] = [Tensor(shape: x[0].shape, storage: grads.dx)]
      if hasScale { result.append(Tensor(shape: x[1].shape, storage: grads.dScale)) }
      if hasOffset { result.append(Tensor(shape: x[x.count - 1].shape, storage: grads.dOffset)) }
      return result
    }
    return (out, mean, variance)
  }

  /// The normalisation pullback in recorded ops (statistics rebuilt from `x`), for higher-order
  /// gradients.
  static func normalizationPullback(
    _ g: Tensor, x: Tensor, axes: [Int], keptShape: [Int], epsilon: Float, scale: Tensor?, offsetShape: [Int]?
  ) -> [Tensor?] {
    let centered = x - x.mean(axes: axes, keepDims: true)
    let r = ((centered * centered).mean(axes: axes, keepDims: true) + epsilon).pow(-0.5)
    let xhat = centered * r
    let gh = scale.map { g * $0.reshaped(keptShape) } ?? g
    let dx = r * (gh - gh.mean(axes: axes, keepDims: true) - xhat * (gh * xhat).mean(axes: axes, keepDims: true))
    var result: [Tensor?] = [dx]
    if let scale { result.append((g * xhat).sum(axes: axes, keepDims: true).reshaped(scale.shape)) }
    if let offsetShape { result.append(g.sum(axes: axes, keepDims: true).reshaped(offsetShape)) }
    return result
  }

  /// The same normalisation from recorded ops, for kept axes that are not contiguous.
  func composedNormalization(_ axes: [Int], epsilon: Float, scale: Tensor?, offset: Tensor?)
    -> (normalized: Tensor, mean: Tensor, variance: Tensor)
  {
    let keptShape = reducedShape(axes, keepDims: true)
    let mean = self.mean(axes: axes, keepDims: true)
    let centered = self - mean
    let variance = (centered * centered).mean(axes: axes, keepDims: true)
    var y = centered * (variance + epsilon).pow(-0.5)
    if let scale { y = y * scale.reshaped(keptShape) }
    if let offset { y = y + offset.reshaped(keptShape) }
    return (y, mean.detached(), variance.detached())
  }

  /// Inverted dropout: zeroes each element with probability `p` and scales the rest by `1/(1−p)`.
  /// Identity when `p == 0`.
  public func dropout(p: Float, using generator: inout some RandomNumberGenerator) -> Tensor {
    require(p >= 0 && p < 1, "[dropout] p must be in [0, 1), got \(p)")
    if p == 0 { return self }
    return self * Tensor.bernoulli(shape, p: 1 - p, value: 1 / (1 - p), using: &generator)
  }
}

/// A tensor seen as `[outer, channels, inner]` with statistics per channel.
struct NormLayout {
  let outer: Int
  let channels: Int
  let inner: Int
  var perChannel: Int { outer * inner }
}

extension Kernels {
  /// Visits each channel's elements: `body(c, pointerToRun, runLength)` for every contiguous run.
  /// Channels are split across cores.
  @inline(__always)
  static func forEachChannel(_ l: NormLayout, _ body: (Int, Int) -> Void) {
    parallelFor(l.channels, grain: Swift.max(1, grain / Swift.max(l.perChannel, 1))) { cs in
      for c in cs { body(c, 0) }
    }
  }

  /// Per-channel mean and population variance, two passes in float64.
  static func channelStatistics(_ x: UnsafePointer<Float>, _ l: NormLayout) -> (mean: Storage, variance: Storage) {
    let mean = Storage(uninitializedCount: l.channels)
    let variance = Storage(uninitializedCount: l.channels)
    let n = Double(Swift.max(l.perChannel, 1))
    let m = mean.base, v = variance.base
    if l.inner == 1 {
      // Channels are contiguous within each row: accumulate rows into per-channel sums, in
      // float32 over blocks of rows (a loop the compiler vectorises) flushed into float64 totals.
      parallelFor(l.channels, grain: Swift.max(1, grain / Swift.max(l.outer, 1))) { cs in
        let width = cs.count, c0 = cs.lowerBound
        let block = UnsafeMutablePointer<Float>.allocate(capacity: width)
        let total = UnsafeMutablePointer<Double>.allocate(capacity: width)
        defer {
          block.deallocate()
          total.deallocate()
        }
        // Pass 1: sums. Pass 2: squared deviations from the mean.
        for pass in 0..<2 {
          total.update(repeating: 0, count: width)
          let mc = m + c0
          var a = 0
          while a < l.outer {
            block.update(repeating: 0, count: width)
            for r in a..<Swift.min(l.outer, a + 256) {
              let row = x + r * l.channels + c0
              if pass == 0 {
                for j in 0..<width { block[j] += row[j] }
              } else {
                for j in 0..<width {
                  let d = row[j] - mc[j]
                  block[j] += d * d
                }
              }
            }
            for j in 0..<width { total[j] += Double(block[j]) }
            a += 256
          }
          if pass == 0 { for j in 0..<width { mc[j] = Float(total[j] / n) } }
        }
        for j in 0..<width { v[c0 + j] = Float(total[j] / n) }
      }
    } else {
      forEachChannel(l) { c, _ in
        var s = 0.0
        for a in 0..<l.outer {
          let run = x + (a * l.channels + c) * l.inner
          var acc: Float = 0
          for b in 0..<l.inner { acc += run[b] }
          s += Double(acc)
        }
        let mu = s / n
        var q = 0.0
        let muf = Float(mu)
        for a in 0..<l.outer {
          let run = x + (a * l.channels + c) * l.inner
          var acc: Float = 0
          for b in 0..<l.inner {
            let d = run[b] - muf
            acc += d * d
          }
          q += Double(acc)
        }
        m[c] = muf
        v[c] = Float(q / n)
      }
    }
    return (mean, variance)
  }

  /// `y = (x − mean)·rstd·scale + offset` per channel.
  static func normalizeForward(
    _ x: UnsafePointer<Float>, _ l: NormLayout, mean: UnsafePointer<Float>, rstd: UnsafePointer<Float>,
    scale: UnsafePointer<Float>?, offset: UnsafePointer<Float>?
  ) -> Storage {
    let out = Storage(uninitializedCount: l.outer * l.channels * l.inner)
    let y = out.base
    // Per channel: y = x·k + b with k = rstd·scale, b = offset − mean·k.
    let k = UnsafeMutablePointer<Float>.allocate(capacity: l.channels)
    let b = UnsafeMutablePointer<Float>.allocate(capacity: l.channels)
    defer {
      k.deallocate()
      b.deallocate()
    }
    for c in 0..<l.channels {
      k[c] = rstd[c] * (scale?[c] ?? 1)
      b[c] = (offset?[c] ?? 0) - mean[c] * k[c]
    }
    parallelFor(l.outer * l.channels, grain: Swift.max(1, grain / Swift.max(l.inner, 1))) { rows in
      if l.inner == 1 {
        // Rows here are single elements; walk whole rows of channels without a modulo each.
        var r = rows.lowerBound
        while r < rows.upperBound {
          let c0 = r % l.channels
          let run = Swift.min(l.channels - c0, rows.upperBound - r)
          let src = x + r, dst = y + r, kc = k + c0, bc = b + c0
          for j in 0..<run { dst[j] = src[j] * kc[j] + bc[j] }
          r += run
        }
      } else {
        for r in rows {
          let c = r % l.channels
          let (kc, bc) = (k[c], b[c])
          let src = x + r * l.inner, dst = y + r * l.inner
          for j in 0..<l.inner { dst[j] = src[j] * kc + bc }
        }
      }
    }
    return out
  }

  /// Gradients of `normalizeForward`: per channel `Σg` and `Σg·x̂` in one pass, then
  /// `dx = rstd·scale·(g − Σg/n − x̂·Σg·x̂/n)` in another.
  static func normalizeBackward(
    _ g: UnsafePointer<Float>, _ x: UnsafePointer<Float>, _ l: NormLayout, mean: UnsafePointer<Float>,
    rstd: UnsafePointer<Float>, scale: UnsafePointer<Float>?
  ) -> (dx: Storage, dScale: Storage, dOffset: Storage) {
    let dScale = Storage(zeros: l.channels), dOffset = Storage(zeros: l.channels)
    let sg = dOffset.base, sgx = dScale.base
    if l.inner == 1 {
      // As in `channelStatistics`: float32 blocks of rows, flushed into float64 totals.
      parallelFor(l.channels, grain: Swift.max(1, grain / Swift.max(l.outer, 1))) { cs in
        let width = cs.count, c0 = cs.lowerBound
        let b1 = UnsafeMutablePointer<Float>.allocate(capacity: width)
        let b2 = UnsafeMutablePointer<Float>.allocate(capacity: width)
        let t1 = UnsafeMutablePointer<Double>.allocate(capacity: width)
        let t2 = UnsafeMutablePointer<Double>.allocate(capacity: width)
        defer {
          b1.deallocate()
          b2.deallocate()
          t1.deallocate()
          t2.deallocate()
        }
        t1.update(repeating: 0, count: width)
        t2.update(repeating: 0, count: width)
        let mc = mean + c0, rc = rstd + c0
        var a = 0
        while a < l.outer {
          b1.update(repeating: 0, count: width)
          b2.update(repeating: 0, count: width)
          for r in a..<Swift.min(l.outer, a + 256) {
            let gr = g + r * l.channels + c0, xr = x + r * l.channels + c0
            for j in 0..<width {
              b1[j] += gr[j]
              b2[j] += gr[j] * (xr[j] - mc[j]) * rc[j]
            }
          }
          for j in 0..<width {
            t1[j] += Double(b1[j])
            t2[j] += Double(b2[j])
          }
          a += 256
        }
        for j in 0..<width {
          sg[c0 + j] = Float(t1[j])
          sgx[c0 + j] = Float(t2[j])
        }
      }
    } else {
      forEachChannel(l) { c, _ in
        var s1 = 0.0, s2 = 0.0
        let (mu, r) = (mean[c], rstd[c])
        for a in 0..<l.outer {
          let off = (a * l.channels + c) * l.inner
          var t1: Float = 0, t2: Float = 0
          for j in 0..<l.inner {
            t1 += g[off + j]
            t2 += g[off + j] * (x[off + j] - mu)
          }
          s1 += Double(t1)
          s2 += Double(t2) * Double(r)
        }
        sg[c] = Float(s1)
        sgx[c] = Float(s2)
      }
    }
    let dx = Storage(uninitializedCount: l.outer * l.channels * l.inner)
    let d = dx.base
    let n = Float(Swift.max(l.perChannel, 1))
    // Per channel: dx = k·(g − mg − x̂·mgx) with x̂ = (x − mean)·rstd.
    let k = UnsafeMutablePointer<Float>.allocate(capacity: l.channels)
    let mg = UnsafeMutablePointer<Float>.allocate(capacity: l.channels)
    let mgx = UnsafeMutablePointer<Float>.allocate(capacity: l.channels)
    defer {
      k.deallocate()
      mg.deallocate()
      mgx.deallocate()
    }
    for c in 0..<l.channels {
      k[c] = rstd[c] * (scale?[c] ?? 1)
      mg[c] = sg[c] / n
      mgx[c] = sgx[c] / n
    }
    parallelFor(l.outer * l.channels, grain: Swift.max(1, grain / Swift.max(l.inner, 1))) { rows in
      if l.inner == 1 {
        var r = rows.lowerBound
        while r < rows.upperBound {
          let c0 = r % l.channels
          let run = Swift.min(l.channels - c0, rows.upperBound - r)
          let gp = g + r, xp = x + r, dp = d + r
          let kc = k + c0, mc = mean + c0, rc = rstd + c0, mgc = mg + c0, mgxc = mgx + c0
          for j in 0..<run { dp[j] = kc[j] * (gp[j] - mgc[j] - (xp[j] - mc[j]) * rc[j] * mgxc[j]) }
          r += run
        }
      } else {
        for row in rows {
          let c = row % l.channels
          let (r, mu, kc, mgc, mgxc) = (rstd[c], mean[c], k[c], mg[c], mgx[c])
          let off = row * l.inner
          for j in 0..<l.inner { d[off + j] = kc * (g[off + j] - mgc - (x[off + j] - mu) * r * mgxc) }
        }
      }
    }
    return (dx, dScale, dOffset)
  }
}
