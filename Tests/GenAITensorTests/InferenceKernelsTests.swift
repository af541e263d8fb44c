import Foundation
import Testing

@testable import GenAITensor

// The decoding kernels against the recorded ops they stand in for.

private func largestDifference(_ a: [Float], _ b: [Float]) -> Float {
  #expect(a.count == b.count)
  return zip(a, b).map { Swift.abs($0 - $1) }.max() ?? 0
}

@Suite struct InferenceKernelsTests {
  /// One row (the matrix-vector product) and several (the GEMM) give `x · Wᵀ + b` on every
  /// path; sizes that are not multiples of the vector widths exercise the tails.
  @Test(arguments: [(1, 37, 21), (1, 128, 384), (1, 512, 65), (3, 37, 21), (5, 128, 9)])
  func linearIsTheMatmul(rows: Int, inputs: Int, outputs: Int) {
    var rng = SeededGenerator(seed: 1)
    let x = Tensor.randn([rows, inputs], using: &rng)
    let w = Tensor.randn([outputs, inputs], using: &rng)
    let b = Tensor.randn([outputs], using: &rng)
    for path in KernelPath.supported {
      let expected = withKernelPath(path) { (x.matmul(w, transposeB: true) + b).scalars }
      let y = Tensor.zeros([rows, outputs])
      withExtendedLifetime(x) {
        withKernelPath(path) { InferenceKernels.linear(x.storage.base, rows: rows, weight: w, bias: b, into: y.storage.base) }
      }
      // Sums of up to 512 products of N(0, 1) values: float32 rounding in another order.
      #expect(largestDifference(y.scalars, expected) < 1e-4 * Float(inputs).squareRoot(), "\(path)")
      if rows > 1 { #expect(y.scalars == expected, "\(path): several rows take the GEMM, bit for bit") }
    }
  }

  /// Rows split over the pool give the same bits as one call (whole rows per part).
  @Test func splitMatrixVectorProductIsExact() {
    var rng = SeededGenerator(seed: 2)
    let x = Tensor.randn([1, 512], using: &rng)
    let w = Tensor.randn([2048, 512], using: &rng)
    let y = Tensor.zeros([1, 2048])
    withExtendedLifetime(x) { InferenceKernels.linear(x.storage.base, rows: 1, weight: w, bias: nil, into: y.storage.base) }
    let one = Tensor.zeros([1, 2048])
    one.withUnsafeMutableBufferPointer { o in
      x.withUnsafeBufferPointer { xs in
        w.withUnsafeBufferPointer { ws in
          for r in 0..<2048 {
            InferenceKernels.linear(xs.baseAddress!, rows: 1, weight: Tensor(shape: [1, 512], storage: Storage(Array(ws[(r * 512)..<((r + 1) * 512)]))),
                                    bias: nil, into: o.baseAddress! + r)
          }
        }
      }
    }
    #expect(y.scalars == one.scalars)
  }

  @Test func layerNormIsTheRecordedOp() {
    var rng = SeededGenerator(seed: 3)
    let x = Tensor.randn([4, 24], using: &rng) * 3 + 1
    let w = Tensor.randn([24], using: &rng), b = Tensor.randn([24], using: &rng)
    for path in KernelPath.supported {
      let expected = withKernelPath(path) { x.layerNormalized(epsilon: 1e-5, weight: w, bias: b).scalars }
      let y = Tensor.zeros([4, 24])
      withExtendedLifetime(x) {
        withKernelPath(path) {
          InferenceKernels.layerNorm(x.storage.base, rows: 4, width: 24, weight: w, bias: b, epsilon: 1e-5, into: y.storage.base)
        }
      }
      #expect(y.scalars == expected, "\(path)")
      // And the fused op is the composed normalisation, to float32 rounding.
      let composed = (x.normalized(overAxes: [1], epsilon: 1e-5).normalized * w + b).scalars
      #expect(largestDifference(expected, composed) < 1e-5, "\(path)")
    }
  }

  /// Bit for bit with the recorded op on each path, including far tails, infinities and NaN (45 elements: a
  /// partial vector at the end).
  @Test func geluIsTheRecordedOp() {
    var rng = SeededGenerator(seed: 4)
    let x = try! Tensor(shape: [45], (Tensor.randn([40], using: &rng) * 4).scalars + [-100, 100, .infinity, -.infinity, .nan])
    for path in KernelPath.supported {
      // Paths differ in the last bits (fused multiply-adds); on each, decoding matches training.
      let expected = withKernelPath(path) { x.gelu().scalars }
      let y = x.copy()
      withKernelPath(path) { InferenceKernels.gelu(y.storage.base, count: y.count) }
      let same = zip(y.scalars, expected).allSatisfy { $0.bitPattern == $1.bitPattern || ($0.isNaN && $1.isNaN) }
      #expect(same, "\(path): \(y.scalars) vs \(expected)")
    }
  }

  /// Attention of 3 new queries after 4 cached positions, against softmax(q·kᵀ·scale + mask)·v.
  @Test func attentionOverACacheIsTheMaskedSoftmax() {
    var rng = SeededGenerator(seed: 5)
    let (past, t, d) = (4, 3, 20)
    let q = Tensor.randn([t, d], using: &rng)
    let k = Tensor.randn([past + t, d], using: &rng), v = Tensor.randn([past + t, d], using: &rng)
    let scale: Float = 0.3
    let scores = q.matmul(k, transposeB: true) * scale  // [t, past + t]
    let mask = Tensor.zeros([t, past + t])
    mask.withUnsafeMutableBufferPointer { m in for i in 0..<t { for j in 0...(past + i) { m[i * (past + t) + j] = 1 } } }
    let expected = Tensor.select(mask, scores, Tensor(-.infinity)).softmax(axis: -1).matmul(v)
    for path in KernelPath.supported {
      let out = Tensor.zeros([t, d]), scratch = Tensor.zeros([past + t])
      withExtendedLifetime((q, k, v, scratch)) {
        withKernelPath(path) {
          InferenceKernels.attention(
            queries: t, past: past, headDim: d, scale: scale, q: q.storage.base, queryStride: d, keys: k.storage.base,
            values: v.storage.base, out: out.storage.base, outStride: d, scratch: scratch.storage.base)
        }
      }
      #expect(largestDifference(out.scalars, expected.scalars) < 1e-5, "\(path)")
    }
  }
}
