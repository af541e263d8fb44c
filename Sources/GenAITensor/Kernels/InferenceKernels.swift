import CGenAIKernels

/// Kernels for decoding one token at a time: each reads and writes buffers its caller owns,
/// records nothing and allocates nothing, so a sampling loop that preallocates its buffers
/// runs without the allocator, the graph or a `Tensor` per op.
///
/// At one token per call the work per op is tiny (a `[1, 128]` row through a `[384, 128]`
/// weight), and the engine's per-op costs dominated it: a new `Storage` per result, a GEMM that
/// packs the whole weight to use each element once. These kernels are what is left: a
/// matrix-vector product that reads the weight in place, row-wise LayerNorm, the activations,
/// and single-head attention over a cache. Rows are `[rows, width]` and contiguous unless a stride
/// says otherwise. Results agree with the recorded ops to rounding (sums run in another order);
/// LayerNorm and the activations use the same arithmetic as the recorded ops.
public enum InferenceKernels {
  /// Products of at least this many multiply-adds are split across the thread pool.
  static let parallelWork = 1 << 17

  /// `y = x · weightᵀ + bias` for `x` `[rows, in]`, `weight` `[out, in]` (a `Linear` layer's),
  /// `bias` `[out]` or `nil`, `y` `[rows, out]`.
  ///
  /// One row is a matrix-vector product over the weight as stored; more rows go through the
  /// GEMM exactly as `Tensor.matmul` does (the same bits as the recorded forward).
  /// - Precondition: `weight` is rank 2 and `bias`, when given, has `out` elements.
  public static func linear(
    _ x: UnsafePointer<Float>, rows: Int, weight: Tensor, bias: Tensor?, into y: UnsafeMutablePointer<Float>
  ) {
    require(weight.rank == 2 && (bias == nil || bias?.count == weight.shape[0]),
      "[InferenceKernels.linear] weight must be [out, in] and bias [out], got \(shapeString(weight.shape))")
    let (n, k) = (weight.shape[0], weight.shape[1])
    let w = UnsafePointer(weight.storage.base)
    let b = bias.map { UnsafePointer($0.storage.base) }
    if rows == 1 {
      let path = genai_path_active()
      let parts = min(ThreadPool.shared.threadCount, n * k / parallelWork)
      if parts <= 1 { return genai_sgemv(path, n, k, w, k, x, b, y) }
      // Whole rows of the weight per part: every element is the same sum whatever the split.
      let per = (n + parts - 1) / parts
      ThreadPool.shared.run(chunks: parts) { p in
        let lo = p * per, hi = min(n, lo + per)
        if lo < hi { genai_sgemv(path, hi - lo, k, w + lo * k, k, x, b.map { $0 + lo }, y + lo) }
      }
      return
    }
    BLAS.sgemm(transA: false, transB: true, m: rows, n: n, k: k, a: x, lda: k, b: w, ldb: k, c: y, ldc: n)
    if let b {
      for r in 0..<rows {
        let row = y + r * n
        for j in 0..<n { row[j] += b[j] }
      }
    }
  }

  /// Layer normalisation of each row of `x` `[rows, width]` into `y` (which may be `x`):
  /// `(x − mean) / √(variance + epsilon) · weight + bias`, with the statistics of the row, as
  /// `LayerNorm` computes them.
  public static func layerNorm(
    _ x: UnsafePointer<Float>, rows: Int, width: Int, weight: Tensor?, bias: Tensor?, epsilon: Float,
    into y: UnsafeMutablePointer<Float>
  ) {
    require(weight.map { $0.count == width } ?? true, "[InferenceKernels.layerNorm] weight must have \(width) elements")
    require(bias.map { $0.count == width } ?? true, "[InferenceKernels.layerNorm] bias must have \(width) elements")
    guard rows > 0 && width > 0 else { return }
    // The training op's kernel (`Tensor.layerNormalized`), so decoding and training give the
    // same bits.
    genai_layernorm_forward(genai_path_active(), x, y, rows, width, weight?.storage.base, bias?.storage.base, epsilon,
                            nil, nil)
  }

  /// `x[i] = gelu(x[i])` (exact, `x · Φ(x)`) in place for `count` elements: the recorded op's
  /// kernel, so decoding and training give the same bits.
  public static func gelu(_ x: UnsafeMutablePointer<Float>, count: Int) {
    Kernels.map(UnsafePointer(x), x, count: count, GENAI_MAP_GELU)
  }

  /// `x[i] = 1 / (1 + e^−x[i])` in place for `count` elements, the recorded op's kernel.
  public static func sigmoid(_ x: UnsafeMutablePointer<Float>, count: Int) {
    Kernels.map(UnsafePointer(x), x, count: count, GENAI_MAP_SIGMOID)
  }

  /// `y[i] = tanh(x[i])` for `count` elements (`y` may be `x`), the recorded op's kernel.
  public static func tanh(_ x: UnsafePointer<Float>, count: Int, into y: UnsafeMutablePointer<Float>) {
    Kernels.map(x, y, count: count, GENAI_MAP_TANH)
  }

  /// `x[i] += y[i]` for `count` elements (a residual connection).
  public static func add(_ x: UnsafeMutablePointer<Float>, _ y: UnsafePointer<Float>, count: Int) {
    for i in 0..<count { x[i] += y[i] }
  }

  /// Causal attention of `queries` new positions of one head over its cache: query `i` sits at
  /// position `past + i` and attends to positions `0 ... past + i` with weights
  /// `softmax(scale · q_i · kⱼ)`.
  /// - Parameters:
  ///   - q: the queries `[queries, headDim]`, row stride `queryStride`.
  ///   - keys: the head's cached keys `[past + queries, headDim]`, contiguous, the new ones
  ///     already written.
  ///   - values: the head's cached values, laid out as `keys`.
  ///   - out: the result `[queries, headDim]`, row stride `outStride`.
  ///   - scratch: at least `past + queries` floats for the weights.
  public static func attention(
    queries: Int, past: Int, headDim: Int, scale: Float, q: UnsafePointer<Float>, queryStride: Int,
    keys: UnsafePointer<Float>, values: UnsafePointer<Float>, out: UnsafeMutablePointer<Float>, outStride: Int,
    scratch: UnsafeMutablePointer<Float>
  ) {
    genai_attention_cached(-1, queries, past, headDim, scale, q, queryStride, keys, values, out, outStride, scratch)
  }
}
