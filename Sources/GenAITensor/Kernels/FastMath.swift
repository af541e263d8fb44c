import CGenAIKernels

/// Vectorised exp, tanh, sigmoid, erf and GELU (and their one-pass pullbacks), softmax rows:
/// `CGenAIKernels`' element-wise kernels, compiled for the CPU's vector width (16 lanes on
/// AVX-512, 8 on AVX2, 4 otherwise) and split across the pool. glibc's scalar `tanhf` costs about
/// 28 ns an element here and `expf` about 5 ns; these are Cephes' `expf` polynomial (about 1-2
/// ulp) and keep NaN and infinities as libm does.
extension Kernels {
  /// `fn` of every element of `x` in a new buffer.
  static func map(_ x: Tensor, _ fn: genai_map_fn, param: Float = 0) -> Storage {
    let out = Storage(uninitializedCount: x.count)
    map(x.storage.base, out.base, count: x.count, fn, param: param)
    return out
  }

  /// `dst[i] = fn(src[i])` for `i < count`.
  static func map(
    _ src: UnsafePointer<Float>, _ dst: UnsafeMutablePointer<Float>, count: Int, _ fn: genai_map_fn, param: Float = 0
  ) {
    let path = genai_path_active()
    parallelFor(count, grain: grain / 4) { r in
      genai_map(path, Int32(fn.rawValue), src + r.lowerBound, dst + r.lowerBound, r.count, param)
    }
  }

  /// `fn(a[i], b[i])` for two buffers of equal length, in a new buffer.
  static func zip(_ a: Tensor, _ b: Tensor, _ fn: genai_zip_fn, param: Float = 0) -> Storage {
    precondition(a.count == b.count, "[zip] buffers differ in length: \(a.count) and \(b.count)")
    let out = Storage(uninitializedCount: a.count)
    zip(a.storage.base, b.storage.base, out.base, count: a.count, fn, param: param)
    return out
  }

  /// `dst[i] = fn(a[i], b[i])` for `i < count`.
  static func zip(
    _ a: UnsafePointer<Float>, _ b: UnsafePointer<Float>, _ dst: UnsafeMutablePointer<Float>, count: Int,
    _ fn: genai_zip_fn, param: Float = 0
  ) {
    let path = genai_path_active()
    parallelFor(count, grain: grain / 4) { r in
      genai_zip(path, Int32(fn.rawValue), a + r.lowerBound, b + r.lowerBound, dst + r.lowerBound, r.count, param)
    }
  }

  /// Softmax (or log-softmax) of `rows` contiguous rows of `n` values, rows split across the pool.
  static func softmaxRows(_ src: UnsafePointer<Float>, _ dst: UnsafeMutablePointer<Float>, rows: Int, n: Int, log: Bool) {
    let path = genai_path_active()
    parallelFor(rows, grain: Swift.max(1, grain / Swift.max(n, 1))) { r in
      genai_softmax_rows(path, src + r.lowerBound * n, dst + r.lowerBound * n, r.count, n, log ? 1 : 0)
    }
  }
}
