import CGenAIKernels

extension Kernels {
  /// The offset of row `row` (a row-major index into `shape`) through `strides`.
  @inline(__always)
  static func stridedOffset(ofRow row: Int, shape: [Int], strides: [Int]) -> Int {
    var r = row
    var o = 0
    var i = shape.count - 1
    while i >= 0 {
      o += (r % shape[i]) * strides[i]
      r /= shape[i]
      i -= 1
    }
    return o
  }

  /// `batch` matrices `[rows, cols]` transposed to `[cols, rows]`, each in vector blocks
  /// (`genai_transpose`); the rows of all matrices are spread over the pool. In a one-thread
  /// profile of the channels-last VAE's step (2-core Sapphire Rapids), its moves between NCHW
  /// and NHWC took 18% of the step through the element-by-element gather and 9% this way.
  static func transposeBatch(_ src: UnsafePointer<Float>, batch: Int, rows: Int, cols: Int) -> Storage {
    let out = Storage(uninitializedCount: batch * rows * cols)
    let dst = out.base
    let path = genai_path_active()
    parallelFor(batch * rows, grain: Swift.max(1, grain / Swift.max(cols, 1))) { r in
      var u = r.lowerBound
      while u < r.upperBound {
        let n = u / Swift.max(rows, 1), r0 = u % Swift.max(rows, 1)
        let r1 = Swift.min(rows, r0 + (r.upperBound - u))
        let base = n * rows * cols
        genai_transpose(path, src + base + r0 * cols, cols, r1 - r0, cols, dst + base + r0, rows)
        u += r1 - r0
      }
    }
    return out
  }

  /// Reads `src` through arbitrary strides into a new contiguous buffer of `shape`:
  /// `out[i₀, i₁, …] = src[offset + Σ iₖ·strides[k]]`. Serves permute, expand and slice.
  static func stridedGather(_ src: UnsafePointer<Float>, offset: Int, shape: [Int], strides: [Int]) -> Storage {
    let out = Storage(uninitializedCount: elementCount(shape))
    if out.count == 0 { return out }
    let dst = out.base
    if shape.isEmpty {
      dst[0] = src[offset]
      return out
    }
    let inner = shape[shape.count - 1]
    let innerStride = strides[strides.count - 1]
    let outerShape = Array(shape.dropLast())
    let outerStrides = Array(strides.dropLast())
    let rows = out.count / max(inner, 1)
    parallelFor(rows, grain: max(1, grain / max(inner, 1))) { range in
      for row in range {
        let o = offset + stridedOffset(ofRow: row, shape: outerShape, strides: outerStrides)
        let d = dst + row * inner
        if innerStride == 1 {
          d.update(from: src + o, count: inner)
        } else {
          for j in 0..<inner { d[j] = src[o + j * innerStride] }
        }
      }
    }
    return out
  }

  /// Writes contiguous `src` of `shape` into `dst` through strides (the inverse of
  /// `stridedGather`): `dst[offset + Σ iₖ·strides[k]] = src[i₀, i₁, …]`. Serves pad and concat.
  static func stridedScatter(
    _ src: UnsafePointer<Float>, shape: [Int], into dst: UnsafeMutablePointer<Float>, offset: Int, strides: [Int]
  ) {
    let total = elementCount(shape)
    if total == 0 { return }
    if shape.isEmpty {
      dst[offset] = src[0]
      return
    }
    let inner = shape[shape.count - 1]
    let innerStride = strides[strides.count - 1]
    let outerShape = Array(shape.dropLast())
    let outerStrides = Array(strides.dropLast())
    let rows = total / max(inner, 1)
    parallelFor(rows, grain: max(1, grain / max(inner, 1))) { range in
      for row in range {
        let o = offset + stridedOffset(ofRow: row, shape: outerShape, strides: outerStrides)
        let s = src + row * inner
        if innerStride == 1 {
          (dst + o).update(from: s, count: inner)
        } else {
          for j in 0..<inner { dst[o + j * innerStride] = s[j] }
        }
      }
    }
  }

  /// `dst[offset + Σ iₖ·strides[k]] += src[i₀, i₁, …]`: `stridedScatter` that adds (a slice's
  /// gradient into its source's gradient).
  static func stridedAccumulate(
    _ src: UnsafePointer<Float>, shape: [Int], into dst: UnsafeMutablePointer<Float>, offset: Int, strides: [Int]
  ) {
    let total = elementCount(shape)
    if total == 0 { return }
    if shape.isEmpty {
      dst[offset] += src[0]
      return
    }
    let inner = shape[shape.count - 1]
    let innerStride = strides[strides.count - 1]
    let outerShape = Array(shape.dropLast())
    let outerStrides = Array(strides.dropLast())
    let rows = total / max(inner, 1)
    parallelFor(rows, grain: max(1, grain / max(inner, 1))) { range in
      for row in range {
        let o = offset + stridedOffset(ofRow: row, shape: outerShape, strides: outerStrides)
        let s = src + row * inner
        let d = dst + o
        if innerStride == 1 {
          for j in 0..<inner { d[j] += s[j] }
        } else {
          for j in 0..<inner { d[j * innerStride] += s[j] }
        }
      }
    }
  }

  /// `dst[i] += src[i]` for two buffers of equal length (gradient accumulation).
  static func addInPlace(_ dst: Storage, _ src: Storage) {
    precondition(dst.count == src.count, "[addInPlace] buffers differ in length: \(dst.count) and \(src.count)")
    addInPlace(dst.base, src.base, count: dst.count)
  }

  /// `dst[i] += src[i]` for `i < count`.
  static func addInPlace(_ dst: UnsafeMutablePointer<Float>, _ src: UnsafePointer<Float>, count: Int) {
    zip(UnsafePointer(dst), src, dst, count: count, GENAI_ZIP_ADD)
  }
}
