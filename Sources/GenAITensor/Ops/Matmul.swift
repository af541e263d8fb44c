/// Matrix products through `BLAS.sgemm`, with transposes passed to BLAS rather than copied.

extension Tensor {
  /// Matrix product of the last two axes, batch axes broadcast: `[..., M, K] @ [..., K, N]` →
  /// `[..., M, N]`. With `transposeA` this tensor is read as `[..., K, M]` transposed; with
  /// `transposeB` the other as `[..., N, K]` transposed. A 1-D operand is a vector
  /// (`[K] @ [K, N]` → `[N]`, `[M, K] @ [K]` → `[M]`, `[K] @ [K]` → `[]`).
  /// - Precondition: inner sizes agree and batch axes broadcast.
  public func matmul(_ other: Tensor, transposeA: Bool = false, transposeB: Bool = false) -> Tensor {
    if rank == 1 && other.rank == 1 {
      return unsqueezed(axis: 0).matmul(other.unsqueezed(axis: 1)).reshaped([])
    }
    if rank == 1 {
      return unsqueezed(axis: 0).matmul(other, transposeB: transposeB).squeezed(axes: [-2])
    }
    if other.rank == 1 {
      return matmul(other.unsqueezed(axis: 1), transposeA: transposeA).squeezed(axes: [-1])
    }
    require(rank >= 2 && other.rank >= 2, "[matmul] needs operands of rank >= 1")
    let m = transposeA ? shape[rank - 1] : shape[rank - 2]
    let k = transposeA ? shape[rank - 2] : shape[rank - 1]
    let k2 = transposeB ? other.shape[other.rank - 1] : other.shape[other.rank - 2]
    let n = transposeB ? other.shape[other.rank - 2] : other.shape[other.rank - 1]
    require(k == k2,
      "[matmul] inner dimensions differ: \(shapeString(shape))\(transposeA ? "ᵀ" : "") × \(shapeString(other.shape))\(transposeB ? "ᵀ" : "") (\(k) vs \(k2))")
    // A batch of matrices times one matrix is a single taller product: one BLAS call, and a
    // weight gradient with no per-batch copies to sum.
    if rank > 2 && other.rank == 2 && !transposeA {
      let batch = Array(shape.dropLast(2))
      return reshaped([-1, k]).matmul(other, transposeB: transposeB).reshaped(batch + [m, n])
    }
    let batch = checked { () throws(ShapeError) in
      try broadcastShapes(Array(shape.dropLast(2)), Array(other.shape.dropLast(2)), op: "matmul")
    }
    let outShape = batch + [m, n]
    let out = Storage(uninitializedCount: elementCount(outShape))
    let sa = broadcastStrides(Array(shape.dropLast(2)), to: batch)
    let sb = broadcastStrides(Array(other.shape.dropLast(2)), to: batch)
    let batchCount = elementCount(batch)
    let (lda, ldb) = (shape[rank - 1], other.shape[other.rank - 1])
    let (matA, matB) = (m * k, k * n)
    for bi in 0..<batchCount {
      var rem = bi, oa = 0, ob = 0
      for d in stride(from: batch.count - 1, through: 0, by: -1) {
        let i = rem % batch[d]
        rem /= batch[d]
        oa += i * sa[d]
        ob += i * sb[d]
      }
      BLAS.sgemm(
        transA: transposeA, transB: transposeB, m: m, n: n, k: k,
        a: storage.base + oa * matA, lda: lda, b: other.storage.base + ob * matB, ldb: ldb,
        c: out.base + bi * m * n, ldc: n)
    }
    return Tensor.record(.matmul, shape: outShape, storage: out, inputs: [self, other]) { g, _, x in
      let (a, b) = (x[0], x[1])
      // Each gradient is a product as large as the forward one: skip the one nobody needs (a
      // frozen weight, an input image).
      let ga = !a.requiresGrad ? nil
        : transposeA ? b.matmul(g, transposeA: transposeB, transposeB: true) : g.matmul(b, transposeB: !transposeB)
      let gb = !b.requiresGrad ? nil
        : transposeB ? g.matmul(a, transposeA: true, transposeB: transposeA) : a.matmul(g, transposeA: !transposeA)
      return [ga, gb]
    }
  }
}
