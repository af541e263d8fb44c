/// Reductions over any set of axes, with `keepDims`: sum, mean, max, min, variance, logsumexp,
/// argmax; and softmax / log-softmax along one axis (fused, numerically stable).

extension Tensor {
  /// Validated, sorted, de-duplicated axes; `nil` means all axes.
  func reductionAxes(_ axes: [Int]?, op: String) -> [Int] {
    guard let axes else { return Array(0..<rank) }
    return checked { () throws(ShapeError) in
      try Set(axes.map { a throws(ShapeError) in try normalizedAxis(a, rank: rank, op: op) }).sorted()
    }
  }

  /// The shape after reducing `axes` with `keepDims`.
  func reducedShape(_ axes: [Int], keepDims: Bool) -> [Int] {
    keepDims ? shape.enumerated().map { axes.contains($0.offset) ? 1 : $0.element }
      : shape.enumerated().filter { !axes.contains($0.offset) }.map(\.element)
  }

  /// Reduces runs of adjacent axes one run at a time, last run first, with a kernel that sees the
  /// tensor as `[outer, n, inner]` and reduces the middle axis.
  func reduceStorage(_ axes: [Int], initial: Float, _ combine: (Float, Float) -> Float, isSum: Bool) -> Storage {
    var runs: [Range<Int>] = []
    for a in axes {
      if let last = runs.last, last.upperBound == a { runs[runs.count - 1] = last.lowerBound..<(a + 1) } else { runs.append(a..<(a + 1)) }
    }
    var current = storage
    var currentShape = shape
    for run in runs.reversed() {
      let outer = currentShape[..<run.lowerBound].reduce(1, *)
      let n = currentShape[run].reduce(1, *)
      let inner = currentShape[run.upperBound...].reduce(1, *)
      current = Kernels.reduceMiddle(current.base, outer: outer, n: n, inner: inner, initial: initial, isSum: isSum, combine)
      currentShape.replaceSubrange(run, with: [1])
    }
    if runs.isEmpty {
      let copy = Storage(uninitializedCount: count)
      copy.base.update(from: storage.base, count: count)
      return copy
    }
    return current
  }

  /// Sum over `axes` (all axes when `nil`).
  public func sum(axes: [Int]? = nil, keepDims: Bool = false) -> Tensor {
    let ax = reductionAxes(axes, op: "sum")
    let outShape = reducedShape(ax, keepDims: keepDims)
    let kept = reducedShape(ax, keepDims: true)
    let from = shape
    let s = reduceStorage(ax, initial: 0, +, isSum: true)
    return Tensor.record(.sum, shape: outShape, storage: s, inputs: [self]) { g, _, _ in
      [g.reshaped(kept).expanded(to: from)]
    }
  }

  /// Sum over one axis.
  public func sum(axis: Int, keepDims: Bool = false) -> Tensor { sum(axes: [axis], keepDims: keepDims) }

  /// Mean over `axes` (all axes when `nil`).
  public func mean(axes: [Int]? = nil, keepDims: Bool = false) -> Tensor {
    let ax = reductionAxes(axes, op: "mean")
    let n = ax.map { shape[$0] }.reduce(1, *)
    return sum(axes: ax, keepDims: keepDims) * (1 / Float(Swift.max(n, 1)))
  }

  /// Mean over one axis.
  public func mean(axis: Int, keepDims: Bool = false) -> Tensor { mean(axes: [axis], keepDims: keepDims) }

  /// Variance over `axes`, dividing by `n - correction` (0: population, 1: unbiased).
  public func variance(axes: [Int]? = nil, correction: Int = 0, keepDims: Bool = false) -> Tensor {
    let ax = reductionAxes(axes, op: "variance")
    let n = ax.map { shape[$0] }.reduce(1, *)
    let centered = self - mean(axes: ax, keepDims: true)
    return (centered * centered).sum(axes: ax, keepDims: keepDims) * (1 / Float(Swift.max(n - correction, 1)))
  }

  func extremum(_ kind: OpKind, _ axes: [Int]?, keepDims: Bool, _ pick: @escaping (Float, Float) -> Float) -> Tensor {
    let ax = reductionAxes(axes, op: kind.rawValue)
    require(ax.allSatisfy { shape[$0] > 0 }, "[\(kind.rawValue)] cannot reduce an empty axis of \(shapeString(shape))")
    let outShape = reducedShape(ax, keepDims: keepDims)
    let kept = reducedShape(ax, keepDims: true)
    let initial: Float = kind == .reduceMax ? -.infinity : .infinity
    let s = reduceStorage(ax, initial: initial, pick, isSum: false)
    return Tensor.record(kind, shape: outShape, storage: s, inputs: [self]) { g, out, x in
      // Ties share the gradient equally.
      let hit = x[0] .== out.detached().reshaped(kept)
      let share = hit / hit.sum(axes: ax, keepDims: true)
      return [g.reshaped(kept) * share]
    }
  }

  /// Maximum over `axes` (all when `nil`); tied maxima share the gradient.
  public func max(axes: [Int]? = nil, keepDims: Bool = false) -> Tensor {
    extremum(.reduceMax, axes, keepDims: keepDims) { Swift.max($0, $1) }
  }

  /// Minimum over `axes` (all when `nil`); tied minima share the gradient.
  public func min(axes: [Int]? = nil, keepDims: Bool = false) -> Tensor {
    extremum(.reduceMin, axes, keepDims: keepDims) { Swift.min($0, $1) }
  }

  /// `log(Σ exp(x))` over `axes`, computed stably by shifting by the maximum.
  public func logSumExp(axes: [Int]? = nil, keepDims: Bool = false) -> Tensor {
    let ax = reductionAxes(axes, op: "logSumExp")
    // The shift is a constant: it cancels in the value and in the gradient.
    let m = withNoGrad { max(axes: ax, keepDims: true) }
    let safe = withNoGrad { Tensor.select(Tensor.compare(m, m, "isFinite") { a, _ in a.isFinite }, m, Tensor(0)) }
    let lse = (self - safe).exp().sum(axes: ax, keepDims: true).log() + safe
    return keepDims ? lse : lse.reshaped(reducedShape(ax, keepDims: false))
  }

  /// Index of the largest element along `axis` (the first on ties), shape without `axis`.
  public func argmax(axis: Int) -> IndexTensor {
    let a = checked { () throws(ShapeError) in try normalizedAxis(axis, rank: rank, op: "argmax") }
    let outer = shape[..<a].reduce(1, *), n = shape[a], inner = shape[(a + 1)...].reduce(1, *)
    require(n > 0, "[argmax] axis \(axis) of \(shapeString(shape)) is empty")
    var out = [Int](repeating: 0, count: outer * inner)
    let p = storage.base
    for o in 0..<outer {
      for i in 0..<inner {
        var best = p[o * n * inner + i]
        var bestK = 0
        for k in 1..<n where p[(o * n + k) * inner + i] > best {
          best = p[(o * n + k) * inner + i]
          bestK = k
        }
        out[o * inner + i] = bestK
      }
    }
    return (try? IndexTensor(shape: reducedShape([a], keepDims: false), out)) ?? IndexTensor(out)
  }

  // MARK: - Softmax

  /// Softmax along `axis`, stable (shifted by the maximum).
  public func softmax(axis: Int = -1) -> Tensor {
    let a = checked { () throws(ShapeError) in try normalizedAxis(axis, rank: rank, op: "softmax") }
    let s = Kernels.softmax(self, axis: a, log: false)
    return Tensor.record(.softmax, shape: shape, storage: s, inputs: [self]) { g, out, _ in
      [out * (g - (g * out).sum(axes: [a], keepDims: true))]
    }
  }

  /// Log-softmax along `axis`, stable.
  public func logSoftmax(axis: Int = -1) -> Tensor {
    let a = checked { () throws(ShapeError) in try normalizedAxis(axis, rank: rank, op: "logSoftmax") }
    let s = Kernels.softmax(self, axis: a, log: true)
    return Tensor.record(.logSoftmax, shape: shape, storage: s, inputs: [self]) { g, out, _ in
      [g - out.exp() * g.sum(axes: [a], keepDims: true)]
    }
  }
}

extension Kernels {
  /// Reduces the middle axis of `[outer, n, inner]` with `combine`.
  static func reduceMiddle(
    _ src: UnsafePointer<Float>, outer: Int, n: Int, inner: Int, initial: Float, isSum: Bool,
    _ combine: (Float, Float) -> Float
  ) -> Storage {
    let out = Storage(uninitializedCount: outer * inner)
    let dst = out.base
    if inner == 1 {
      parallelFor(outer, grain: max(1, grain / max(n, 1))) { rows in
        for o in rows {
          let row = src + o * n
          if isSum {
            // Eight partial sums: vectorises and keeps float32 rounding error small.
            var acc = SIMD8<Float>()
            var k = 0
            while k + 8 <= n {
              acc += UnsafeRawPointer(row + k).loadUnaligned(as: SIMD8<Float>.self)
              k += 8
            }
            var total = acc.sum()
            while k < n {
              total += row[k]
              k += 1
            }
            dst[o] = total
          } else {
            var v = initial
            for k in 0..<n { v = combine(v, row[k]) }
            dst[o] = v
          }
        }
      }
    } else {
      // Sums of long columns (a channels-last bias gradient: [N·H·W, C] → [C]) split their
      // columns 16 at a time, so both threads share even a 32-column reduction.
      let columnGrain = isSum ? Swift.max(16, grain / Swift.max(n, 1)) : grain
      parallelFor(outer * inner, grain: columnGrain) { r in
        // Split on whole outer rows where possible; a partial row is fine too.
        var idx = r.lowerBound
        while idx < r.upperBound {
          let o = idx / inner
          let i0 = idx % inner
          let i1 = Swift.min(inner, i0 + (r.upperBound - idx))
          let d = dst + o * inner
          let base = src + o * n * inner
          var i = i0
          if isSum {
            // Sixteen columns in a vector, each summed in row order from 0 as below.
            while i + 16 <= i1 {
              var acc = SIMD16<Float>(repeating: initial)
              for k in 0..<n { acc += UnsafeRawPointer(base + k * inner + i).loadUnaligned(as: SIMD16<Float>.self) }
              UnsafeMutableRawPointer(d + i).storeBytes(of: acc, as: SIMD16<Float>.self)
              i += 16
            }
          }
          for j in i..<i1 { d[j] = initial }
          for k in 0..<n {
            let row = base + k * inner
            for j in i..<i1 { d[j] = combine(d[j], row[j]) }
          }
          idx += i1 - i0
        }
      }
    }
    return out
  }

  /// Softmax or log-softmax along `axis`: max, sum of shifted exponentials, normalise. The last
  /// axis (attention, logits) goes to the vectorised row kernel.
  static func softmax(_ x: Tensor, axis: Int, log: Bool) -> Storage {
    let outer = x.shape[..<axis].reduce(1, *), n = x.shape[axis], inner = x.shape[(axis + 1)...].reduce(1, *)
    let out = Storage(uninitializedCount: x.count)
    let src = x.storage.base, dst = out.base
    if inner == 1 {
      softmaxRows(src, dst, rows: outer, n: n, log: log)
      return out
    }
    parallelFor(outer * inner, grain: max(1, grain / max(n, 1))) { r in
      for line in r {
        let o = line / inner, i = line % inner
        let s = src + o * n * inner + i
        let d = dst + o * n * inner + i
        var m = -Float.infinity
        for k in 0..<n { m = Swift.max(m, s[k * inner]) }
        if !m.isFinite { m = 0 }
        var total: Float = 0
        for k in 0..<n {
          let e = _exp(s[k * inner] - m)
          d[k * inner] = e
          total += e
        }
        if log {
          let lse = _log(total) + m
          for k in 0..<n { d[k * inner] = s[k * inner] - lse }
        } else {
          let inv = 1 / total
          for k in 0..<n { d[k * inner] *= inv }
        }
      }
    }
    return out
  }
}
