/// Moves and views: reshape, permute, expand, squeeze, slice, pad, concatenate, stack, split,
/// select (where), and gathers by integer indices. Each primitive's pullback is another
/// movement op, so all of them can be differentiated any number of times.

extension Tensor {
  // MARK: - Reshape family

  /// The same values viewed with a new shape (one size may be `-1`, inferred). Shares storage.
  /// - Precondition: the element counts match.
  public func reshaped(_ newShape: [Int]) -> Tensor {
    let target = checked { () throws(ShapeError) in try resolveReshape(newShape) }
    if target == shape { return self }
    let from = shape
    return Tensor.record(.reshape, shape: target, storage: storage, inputs: [self]) { g, _, _ in
      [g.reshaped(from)]
    }
  }

  func resolveReshape(_ newShape: [Int]) throws(ShapeError) -> [Int] {
    let unknown = newShape.indices.filter { newShape[$0] == -1 }
    guard unknown.count <= 1, !newShape.contains(where: { $0 < -1 }) else {
      throw ShapeError(op: "reshape", "shape \(shapeString(newShape)) may hold at most one -1 and no other negative size")
    }
    var target = newShape
    let known = newShape.filter { $0 != -1 }.reduce(1, *)
    if let u = unknown.first {
      guard known > 0, count % known == 0 else {
        throw ShapeError(op: "reshape", "cannot view \(shapeString(shape)) (\(count) elements) as \(shapeString(newShape))")
      }
      target[u] = count / known
    }
    guard elementCount(target) == count else {
      throw ShapeError(op: "reshape", "cannot view \(shapeString(shape)) (\(count) elements) as \(shapeString(newShape))")
    }
    return target
  }

  /// A 1-D view of all elements, `[count]`.
  public func flattened() -> Tensor { reshaped([count]) }

  /// Inserts an axis of size 1 at `axis` (negative counts from the end of the result).
  public func unsqueezed(axis: Int) -> Tensor {
    let a = checked { () throws(ShapeError) in try normalizedAxis(axis, rank: rank + 1, op: "unsqueeze") }
    var s = shape
    s.insert(1, at: a)
    return reshaped(s)
  }

  /// Removes axes of size 1: the given ones, or all of them when `axes` is `nil`.
  /// - Precondition: each given axis has size 1.
  public func squeezed(axes: [Int]? = nil) -> Tensor {
    guard let axes else { return reshaped(shape.filter { $0 != 1 }) }
    let norm = checked { () throws(ShapeError) in try axes.map { a throws(ShapeError) in try normalizedAxis(a, rank: rank, op: "squeeze") } }
    for a in norm {
      require(shape[a] == 1, "[squeeze] axis \(a) of shape \(shapeString(shape)) has size \(shape[a]), not 1")
    }
    return reshaped(shape.enumerated().filter { !norm.contains($0.offset) }.map(\.element))
  }

  // MARK: - Permute, transpose, expand

  /// Reorders the axes: result axis `i` is this tensor's axis `axes[i]`. Copies.
  /// - Precondition: `axes` is a permutation of `0..<rank`.
  public func permuted(_ axes: [Int]) -> Tensor {
    let norm = axes.map { $0 < 0 ? $0 + rank : $0 }
    require(norm.sorted() == Array(0..<rank),
      "[permute] \(axes) is not a permutation of the axes of a rank-\(rank) tensor \(shapeString(shape))")
    if norm == Array(0..<rank) { return self }
    let strides = contiguousStrides(shape)
    let outShape = norm.map { shape[$0] }
    let s: Storage
    if let (batch, rows, cols) = Self.batchedTranspose(norm, shape) {
      s = Kernels.transposeBatch(storage.base, batch: batch, rows: rows, cols: cols)
    } else {
      s = Kernels.stridedGather(storage.base, offset: 0, shape: outShape, strides: norm.map { strides[$0] })
    }
    var inverse = [Int](repeating: 0, count: rank)
    for (i, a) in norm.enumerated() { inverse[a] = i }
    return Tensor.record(.permute, shape: outShape, storage: s, inputs: [self]) { g, _, _ in [g.permuted(inverse)] }
  }

  /// `(batch, rows, cols)` where `axes` keeps some leading axes and swaps the two groups of axes
  /// after them (`[0, 2, 3, 1]`: NCHW to NHWC, `[0, 3, 1, 2]` back, `[1, 0]`): per batch element,
  /// a `[rows, cols]` matrix transposed. nil for any other permutation.
  static func batchedTranspose(_ axes: [Int], _ shape: [Int]) -> (Int, Int, Int)? {
    let r = axes.count
    var p = 0
    while p < r && axes[p] == p { p += 1 }
    guard p < r else { return nil }
    // After the kept prefix: axes j..<r, then p..<j.
    let j = axes[p]
    guard j > p, axes[p...] == ArraySlice(Array(j..<r) + Array(p..<j)) else { return nil }
    return (shape[..<p].reduce(1, *), shape[p..<j].reduce(1, *), shape[j...].reduce(1, *))
  }

  /// Swaps two axes (by default the last two: a matrix transpose).
  public func transposed(_ a: Int = -2, _ b: Int = -1) -> Tensor {
    let (x, y) = checked { () throws(ShapeError) in
      (try normalizedAxis(a, rank: rank, op: "transpose"), try normalizedAxis(b, rank: rank, op: "transpose"))
    }
    var axes = Array(0..<rank)
    axes.swapAt(x, y)
    return permuted(axes)
  }

  /// Broadcasts to `newShape` by NumPy rules, materialising the copies.
  /// - Precondition: this shape broadcasts to `newShape`.
  public func expanded(to newShape: [Int]) -> Tensor {
    if newShape == shape { return self }
    let ok = (try? broadcastShapes(shape, newShape)) == newShape
    require(ok, "[expand] cannot broadcast \(shapeString(shape)) to \(shapeString(newShape))")
    let s = Kernels.stridedGather(storage.base, offset: 0, shape: newShape, strides: broadcastStrides(shape, to: newShape))
    // The engine sums the gradient back over the broadcast axes.
    return Tensor.record(.expand, shape: newShape, storage: s, inputs: [self]) { g, _, _ in [g] }
  }

  // MARK: - Slice and pad

  /// Elements `range` along `axis` (a contiguous range; step 1).
  /// - Precondition: the range lies within the axis.
  public func slice(axis: Int, _ range: Range<Int>) -> Tensor {
    let a = checked { () throws(ShapeError) in try normalizedAxis(axis, rank: rank, op: "slice") }
    require(range.lowerBound >= 0 && range.upperBound <= shape[a],
      "[slice] range \(range) is outside axis \(axis) of size \(shape[a]) in shape \(shapeString(shape))")
    if range.count == shape[a] { return self }
    var outShape = shape
    outShape[a] = range.count
    let strides = contiguousStrides(shape)
    let s = Kernels.stridedGather(storage.base, offset: range.lowerBound * strides[a], shape: outShape, strides: strides)
    let size = shape[a]
    let offset = range.lowerBound * strides[a]
    return Tensor.record(.slice, shape: outShape, storage: s, inputs: [self]) { g, _, _ in
      var widths = [(Int, Int)](repeating: (0, 0), count: g.rank)
      widths[a] = (range.lowerBound, size - range.upperBound)
      return [g.padded(widths)]
    } accumulate: { g, acc in
      Kernels.stridedAccumulate(g.storage.base, shape: outShape, into: acc.storage.base, offset: offset, strides: strides)
    }
  }

  /// Pads each axis with `widths[axis] = (before, after)` elements of `value`.
  /// - Precondition: one pair per axis, none negative.
  public func padded(_ widths: [(Int, Int)], value: Float = 0) -> Tensor {
    require(widths.count == rank, "[pad] needs \(rank) (before, after) pairs for shape \(shapeString(shape)), got \(widths.count)")
    require(widths.allSatisfy { $0.0 >= 0 && $0.1 >= 0 }, "[pad] widths must not be negative: \(widths)")
    if widths.allSatisfy({ $0 == (0, 0) }) { return self }
    let outShape = zip(shape, widths).map { $0 + $1.0 + $1.1 }
    let out = Storage(uninitializedCount: elementCount(outShape))
    out.base.update(repeating: value, count: out.count)
    let strides = contiguousStrides(outShape)
    let offset = zip(strides, widths).map { $0 * $1.0 }.reduce(0, +)
    Kernels.stridedScatter(storage.base, shape: shape, into: out.base, offset: offset, strides: strides)
    let from = shape
    return Tensor.record(.pad, shape: outShape, storage: out, inputs: [self]) { g, _, _ in
      var r = g
      for (axis, w) in widths.enumerated() where w != (0, 0) { r = r.slice(axis: axis, w.0..<(w.0 + from[axis])) }
      return [r]
    }
  }

  // MARK: - Concatenate, stack, split

  /// Joins tensors along `axis`; all other sizes must match.
  /// - Precondition: at least one tensor, equal ranks and equal sizes off `axis`.
  public static func concatenate(_ tensors: [Tensor], axis: Int = 0) -> Tensor {
    require(!tensors.isEmpty, "[concat] needs at least one tensor")
    let first = tensors[0]
    let a = checked { () throws(ShapeError) in try normalizedAxis(axis, rank: first.rank, op: "concat") }
    for t in tensors {
      var s1 = t.shape, s0 = first.shape
      require(s1.count == s0.count,
        "[concat] ranks differ: \(shapeString(first.shape)) and \(shapeString(t.shape))")
      s1[a] = 0
      s0[a] = 0
      require(s1 == s0,
        "[concat] shapes \(shapeString(first.shape)) and \(shapeString(t.shape)) differ off axis \(axis)")
    }
    if tensors.count == 1 { return first }
    var outShape = first.shape
    outShape[a] = tensors.map { $0.shape[a] }.reduce(0, +)
    let out = Storage(uninitializedCount: elementCount(outShape))
    let strides = contiguousStrides(outShape)
    var start = 0
    var bounds: [Range<Int>] = []
    for t in tensors {
      Kernels.stridedScatter(t.storage.base, shape: t.shape, into: out.base, offset: start * strides[a], strides: strides)
      bounds.append(start..<(start + t.shape[a]))
      start += t.shape[a]
    }
    return record(.concat, shape: outShape, storage: out, inputs: tensors) { g, _, _ in
      bounds.map { g.slice(axis: a, $0) }
    }
  }

  /// Stacks equally shaped tensors along a new axis.
  public static func stack(_ tensors: [Tensor], axis: Int = 0) -> Tensor {
    require(!tensors.isEmpty, "[stack] needs at least one tensor")
    return concatenate(tensors.map { $0.unsqueezed(axis: axis) }, axis: axis)
  }

  /// Splits along `axis` into pieces of the given sizes.
  /// - Precondition: the sizes add up to the axis length.
  public func split(sizes: [Int], axis: Int = 0) -> [Tensor] {
    let a = checked { () throws(ShapeError) in try normalizedAxis(axis, rank: rank, op: "split") }
    require(sizes.reduce(0, +) == shape[a] && sizes.allSatisfy { $0 >= 0 },
      "[split] sizes \(sizes) do not add up to axis \(axis) of size \(shape[a])")
    var start = 0
    return sizes.map { n in
      defer { start += n }
      return slice(axis: a, start..<(start + n))
    }
  }

  /// Splits along `axis` into `parts` equal pieces.
  public func split(parts: Int, axis: Int = 0) -> [Tensor] {
    let a = checked { () throws(ShapeError) in try normalizedAxis(axis, rank: rank, op: "split") }
    require(parts > 0 && shape[a] % parts == 0, "[split] axis \(axis) of size \(shape[a]) does not split into \(parts) equal parts")
    return split(sizes: Array(repeating: shape[a] / parts, count: parts), axis: a)
  }

  // MARK: - Select

  /// Picks `a` where `mask` is non-zero and `b` elsewhere, broadcasting all three.
  public static func select(_ mask: Tensor, _ a: Tensor, _ b: Tensor) -> Tensor {
    let shape = checked { () throws(ShapeError) in
      try broadcastShapes(broadcastShapes(mask.shape, a.shape, op: "select"), b.shape, op: "select")
    }
    let (m, x, y) = withNoGrad { (mask.expanded(to: shape), a.expanded(to: shape), b.expanded(to: shape)) }
    let out = Storage(uninitializedCount: elementCount(shape))
    let pm = m.storage.base, pa = x.storage.base, pb = y.storage.base, d = out.base
    parallelFor(out.count, grain: Kernels.grain) { r in for i in r { d[i] = pm[i] != 0 ? pa[i] : pb[i] } }
    let constantMask = mask.detached()
    return record(.select, shape: shape, storage: out, inputs: [a, b]) { g, _, _ in
      let zero = Tensor(0)
      return [select(constantMask, g, zero), select(constantMask, zero, g)]
    }
  }

  // MARK: - Gathers by integer index

  /// Picks entries along `axis` by index: the embedding look-up.
  /// `[A..., n, B...]` with indices `[I...]` gives `[A..., I..., B...]`.
  /// - Precondition: every index is in `0..<shape[axis]`.
  public func indexSelect(_ indices: IndexTensor, axis: Int = 0) -> Tensor {
    let a = checked { () throws(ShapeError) in try normalizedAxis(axis, rank: rank, op: "indexSelect") }
    let n = shape[a]
    if let bad = indices.values.first(where: { $0 < 0 || $0 >= n }) {
      fatalError("[indexSelect] index \(bad) is out of range 0..<\(n) for axis \(axis) of shape \(shapeString(shape))")
    }
    let outer = shape[..<a].reduce(1, *)
    let inner = shape[(a + 1)...].reduce(1, *)
    let outShape = Array(shape[..<a]) + indices.shape + Array(shape[(a + 1)...])
    let out = Storage(uninitializedCount: elementCount(outShape))
    let src = storage.base, dst = out.base
    let idx = indices.values
    for o in 0..<outer {
      for (k, i) in idx.enumerated() {
        (dst + (o * idx.count + k) * inner).update(from: src + (o * n + i) * inner, count: inner)
      }
    }
    return Tensor.record(.indexSelect, shape: outShape, storage: out, inputs: [self]) { g, _, _ in
      [g.indexAdd(indices, axis: a, size: n)]
    }
  }

  /// The adjoint of `indexSelect`: a tensor with `size` entries along `axis`, zero except that each
  /// slice of this tensor is added at its index (repeated indices accumulate).
  /// This tensor has shape `[A..., I..., B...]` for indices `[I...]`; the result `[A..., size, B...]`.
  public func indexAdd(_ indices: IndexTensor, axis: Int, size: Int) -> Tensor {
    let outer = shape[..<axis].reduce(1, *)
    let inner = shape[(axis + indices.shape.count)...].reduce(1, *)
    require(outer * indices.count * inner == count,
      "[indexAdd] shape \(shapeString(shape)) does not hold indices \(shapeString(indices.shape)) at axis \(axis)")
    if let bad = indices.values.first(where: { $0 < 0 || $0 >= size }) {
      fatalError("[indexAdd] index \(bad) is out of range 0..<\(size)")
    }
    let outShape = Array(shape[..<axis]) + [size] + Array(shape[(axis + indices.shape.count)...])
    let out = Storage(zeros: elementCount(outShape))
    let src = storage.base, dst = out.base
    let idx = indices.values
    for o in 0..<outer {
      for (k, i) in idx.enumerated() {
        let d = dst + (o * size + i) * inner
        let s = src + (o * idx.count + k) * inner
        for j in 0..<inner { d[j] += s[j] }
      }
    }
    return Tensor.record(.indexAdd, shape: outShape, storage: out, inputs: [self]) { g, _, _ in
      [g.indexSelect(indices, axis: axis)]
    }
  }

  /// PyTorch's `gather`: `out[i][j] = self[i][indices[i][j]]` for `axis == 1`, and likewise for
  /// other axes. `indices` has this tensor's rank; the result has the shape of `indices`.
  /// Class targets `[N]` pick from logits `[N, C]` as `gather(targets.reshaped([N, 1]), alongAxis: 1)`.
  /// - Precondition: equal ranks, index sizes no larger off `axis`, indices in range.
  public func gather(_ indices: IndexTensor, alongAxis axis: Int) -> Tensor {
    let a = checked { () throws(ShapeError) in try normalizedAxis(axis, rank: rank, op: "gather") }
    require(indices.shape.count == rank,
      "[gather] indices of shape \(shapeString(indices.shape)) need rank \(rank) to index \(shapeString(shape))")
    for d in 0..<rank where d != a {
      require(indices.shape[d] <= shape[d],
        "[gather] indices \(shapeString(indices.shape)) exceed \(shapeString(shape)) on axis \(d)")
    }
    let strides = contiguousStrides(shape)
    let istrides = contiguousStrides(indices.shape)
    var flat = [Int](repeating: 0, count: indices.count)
    for (p, v) in indices.values.enumerated() {
      require(v >= 0 && v < shape[a], "[gather] index \(v) is out of range 0..<\(shape[a]) on axis \(axis)")
      var rem = p
      var off = 0
      for d in 0..<rank {
        let i = rem / istrides[d]
        rem %= istrides[d]
        off += (d == a ? v : i) * strides[d]
      }
      flat[p] = off
    }
    return gatherFlat(flat, shape: indices.shape)
  }

  /// `out[p] = self.flat[offsets[p]]`, shaped `shape`; its adjoint is `scatterFlat`.
  func gatherFlat(_ offsets: [Int], shape outShape: [Int]) -> Tensor {
    let out = Storage(uninitializedCount: offsets.count)
    let src = storage.base, dst = out.base
    for (p, o) in offsets.enumerated() { dst[p] = src[o] }
    let from = shape
    return Tensor.record(.gatherFlat, shape: outShape, storage: out, inputs: [self]) { g, _, _ in
      [g.scatterFlat(offsets, shape: from)]
    }
  }

  /// Zeros of `shape` with this tensor's elements added at flat `offsets`; adjoint of `gatherFlat`.
  func scatterFlat(_ offsets: [Int], shape outShape: [Int]) -> Tensor {
    let out = Storage(zeros: elementCount(outShape))
    let src = storage.base, dst = out.base
    for (p, o) in offsets.enumerated() { dst[o] += src[p] }
    let from = shape
    return Tensor.record(.scatterFlat, shape: outShape, storage: out, inputs: [self]) { g, _, _ in
      [g.gatherFlat(offsets, shape: from)]
    }
  }
}
