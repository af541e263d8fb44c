import GenAITestSupport
import Testing

@testable import GenAITensor

#if canImport(Glibc)
  import Glibc
#elseif canImport(Darwin)
  import Darwin
#endif

// Forward values of the tricky ops against independent references: naive loops in Double written
// here from the definitions (TensorFlow/Keras and PyTorch conventions), not from the engine's code.

// MARK: - Convolutions

@Suite struct ReferenceValueTests {
  struct SameCase: Sendable, CustomTestStringConvertible {
    let h: Int, w: Int, k: Int, stride: Int, dilation: Int
    var testDescription: String { "\(h)x\(w) kernel \(k) stride \(stride) dilation \(dilation)" }
  }

  @Test(arguments: [
    SameCase(h: 7, w: 7, k: 3, stride: 2, dilation: 1),  // odd size
    SameCase(h: 6, w: 6, k: 3, stride: 2, dilation: 1),  // even size: pad 0 before, 1 after
    SameCase(h: 6, w: 7, k: 4, stride: 2, dilation: 1),  // even kernel
    SameCase(h: 5, w: 8, k: 2, stride: 2, dilation: 1),  // no padding needed on one axis
    SameCase(h: 7, w: 6, k: 3, stride: 2, dilation: 2),
    SameCase(h: 5, w: 5, k: 3, stride: 1, dilation: 1),
  ])
  func conv2dSamePaddingMatchesTensorFlow(_ s: SameCase) {
    let xs = [2, 2, s.h, s.w]
    let ws = [3, 2, s.k, s.k]
    let x = referenceValues(elementCount(xs), seed: 1)
    let w = referenceValues(elementCount(ws), seed: 2)
    let bias: [Float] = [0.5, -0.25, 1]
    let ph = tfSamePadding(input: s.h, kernel: s.k, stride: s.stride, dilation: s.dilation)
    let pw = tfSamePadding(input: s.w, kernel: s.k, stride: s.stride, dilation: s.dilation)
    let y = GradCheck.tensor(xs, x).conv2d(
      GradCheck.tensor(ws, w), bias: Tensor(bias), stride: (s.stride, s.stride), padding: .same,
      dilation: (s.dilation, s.dilation))
    #expect(y.shape == [2, 3, ph.out, pw.out])
    let expected = naiveConv2d(
      x, xs, w, ws, bias: bias, stride: (s.stride, s.stride), dilation: (s.dilation, s.dilation),
      padBefore: (ph.before, pw.before), out: (ph.out, pw.out))
    expectClose(y.scalars, expected, "conv2d .same \(s.testDescription)")
  }

  @Test func conv2dGroupsDilationExplicitPadding() {
    let xs = [1, 4, 6, 5]
    let ws = [4, 2, 2, 3]
    let x = referenceValues(elementCount(xs), seed: 3)
    let w = referenceValues(elementCount(ws), seed: 4)
    let bias: [Float] = [0.1, 0.2, 0.3, 0.4]
    let y = GradCheck.tensor(xs, x).conv2d(
      GradCheck.tensor(ws, w), bias: Tensor(bias), stride: (2, 1),
      padding: .explicit(before: [1, 2], after: [0, 1]),
      dilation: (2, 1), groups: 2)
    // PyTorch-style output size: (in + before + after − d·(k−1) − 1) / s + 1.
    let out = ((6 + 1 + 0 - 2 - 1) / 2 + 1, (5 + 2 + 1 - 2 - 1) / 1 + 1)
    #expect(y.shape == [1, 4, out.0, out.1])
    let expected = naiveConv2d(
      x, xs, w, ws, bias: bias, stride: (2, 1), dilation: (2, 1), padBefore: (1, 2), out: out,
      groups: 2)
    expectClose(y.scalars, expected, "conv2d groups 2, dilation (2,1), explicit pads")
  }

  struct TransposeSameCase: Sendable, CustomTestStringConvertible {
    let h: Int, w: Int, k: Int, stride: Int
    var testDescription: String { "\(h)x\(w) kernel \(k) stride \(stride)" }
  }

  /// Keras `Conv2DTranspose(padding="same")`: output `in · stride`, the full scatter cropped by
  /// `total / 2` at the start, `total = max(k − s, 0)`.
  @Test(arguments: [
    TransposeSameCase(h: 3, w: 4, k: 5, stride: 2),  // total 3: crop 1 at the start, 2 at the end
    TransposeSameCase(h: 3, w: 3, k: 4, stride: 2),
    TransposeSameCase(h: 2, w: 3, k: 3, stride: 2),  // total 1: crop only at the end
    TransposeSameCase(h: 2, w: 2, k: 2, stride: 3),  // k < s: no crop, zero tail
    TransposeSameCase(h: 4, w: 3, k: 3, stride: 1),
  ])
  func convTranspose2dSameMatchesKeras(_ s: TransposeSameCase) {
    let xs = [1, 2, s.h, s.w]
    let ws = [2, 3, s.k, s.k]
    let x = referenceValues(elementCount(xs), seed: 5)
    let w = referenceValues(elementCount(ws), seed: 6)
    let bias: [Float] = [0.25, -0.5, 0.75]
    let y = GradCheck.tensor(xs, x).convTranspose2d(
      GradCheck.tensor(ws, w), bias: Tensor(bias), stride: (s.stride, s.stride), padding: .same)
    let out = (s.h * s.stride, s.w * s.stride)
    #expect(y.shape == [1, 3, out.0, out.1])
    let crop = max(s.k - s.stride, 0) / 2
    let expected = naiveConvTranspose2d(
      x, xs, w, ws, bias: bias, stride: (s.stride, s.stride), crop: (crop, crop), out: out)
    expectClose(y.scalars, expected, "convTranspose2d .same \(s.testDescription)")
  }

  /// PyTorch `ConvTranspose2d(kernel_size=5, stride=2, padding=2, output_padding=1)`:
  /// output `(in − 1)·s − 2p + (k − 1) + output_padding + 1`, the full scatter cropped by `p`.
  @Test func convTranspose2dMatchesPyTorchPaddingAndOutputPadding() {
    let xs = [2, 2, 3, 4]
    let ws = [2, 2, 5, 5]
    let x = referenceValues(elementCount(xs), seed: 7)
    let w = referenceValues(elementCount(ws), seed: 8)
    let y = GradCheck.tensor(xs, x).convTranspose2d(
      GradCheck.tensor(ws, w), stride: (2, 2), padding: .symmetric(2), outputPadding: (1, 1))
    let out = ((3 - 1) * 2 - 4 + 4 + 1 + 1, (4 - 1) * 2 - 4 + 4 + 1 + 1)
    #expect(y.shape == [2, 2, out.0, out.1])
    let expected = naiveConvTranspose2d(x, xs, w, ws, stride: (2, 2), crop: (2, 2), out: out)
    expectClose(y.scalars, expected, "convTranspose2d padding 2 output_padding 1")
    let explicit = GradCheck.tensor(xs, x).convTranspose2d(
      GradCheck.tensor(ws, w), stride: (2, 2), padding: .explicit(before: [2, 2], after: [2, 2]),
      outputPadding: (1, 1))
    #expect(explicit.scalars == y.scalars)
  }

  @Test func convTranspose2dDilation() {
    let xs = [1, 1, 3, 3]
    let ws = [1, 2, 3, 2]
    let x = referenceValues(elementCount(xs), seed: 9)
    let w = referenceValues(elementCount(ws), seed: 10)
    let y = GradCheck.tensor(xs, x).convTranspose2d(
      GradCheck.tensor(ws, w), stride: (1, 2), padding: .symmetric(1), dilation: (2, 1))
    let out = ((3 - 1) * 1 - 2 + 2 * 2 + 1, (3 - 1) * 2 - 2 + 1 + 1)
    #expect(y.shape == [1, 2, out.0, out.1])
    let expected = naiveConvTranspose2d(
      x, xs, w, ws, stride: (1, 2), dilation: (2, 1), crop: (1, 1), out: out)
    expectClose(y.scalars, expected, "convTranspose2d dilation (2,1)")
  }

  @Test func conv1dSameStride2() {
    // A 1-D convolution is a 2-D one over a height of 1.
    for (length, k) in [(9, 3), (8, 4)] {
      let xs = [2, 3, length]
      let ws = [2, 3, k]
      let x = referenceValues(elementCount(xs), seed: 11)
      let w = referenceValues(elementCount(ws), seed: 12)
      let bias: [Float] = [1, -1]
      let y = GradCheck.tensor(xs, x).conv1d(
        GradCheck.tensor(ws, w), bias: Tensor(bias), stride: 2, padding: .same)
      let p = tfSamePadding(input: length, kernel: k, stride: 2)
      #expect(y.shape == [2, 2, p.out])
      let expected = naiveConv2d(
        x, [2, 3, 1, length], w, [2, 3, 1, k], bias: bias, stride: (1, 2), padBefore: (0, p.before),
        out: (1, p.out))
      expectClose(y.scalars, expected, "conv1d .same length \(length) kernel \(k)")
    }
  }

  @Test func conv1dGroupsDilationSymmetricPadding() {
    let xs = [1, 4, 7]
    let ws = [2, 2, 3]
    let x = referenceValues(elementCount(xs), seed: 13)
    let w = referenceValues(elementCount(ws), seed: 14)
    let y = GradCheck.tensor(xs, x).conv1d(
      GradCheck.tensor(ws, w), padding: .symmetric(2), dilation: 2, groups: 2)
    let out = (7 + 4 - 2 * 2 - 1) + 1
    #expect(y.shape == [1, 2, out])
    let expected = naiveConv2d(
      x, [1, 4, 1, 7], w, [2, 2, 1, 3], dilation: (1, 2), padBefore: (0, 2), out: (1, out),
      groups: 2)
    expectClose(y.scalars, expected, "conv1d groups 2 dilation 2 padding 2")
  }

  @Test func convTranspose1dSameAndOutputPadding() {
    let xs = [1, 2, 5]
    let ws = [2, 2, 4]
    let x = referenceValues(elementCount(xs), seed: 15)
    let w = referenceValues(elementCount(ws), seed: 16)
    let same = GradCheck.tensor(xs, x).convTranspose1d(
      GradCheck.tensor(ws, w), stride: 2, padding: .same)
    #expect(same.shape == [1, 2, 10])
    expectClose(
      same.scalars,
      naiveConvTranspose2d(
        x, [1, 2, 1, 5], w, [2, 2, 1, 4], stride: (1, 2), crop: (0, 1), out: (1, 10)),
      "convTranspose1d .same")
    let padded = GradCheck.tensor(xs, x).convTranspose1d(
      GradCheck.tensor(ws, w), stride: 2, padding: .symmetric(1), outputPadding: 1)
    let out = (5 - 1) * 2 - 2 + 3 + 1 + 1
    #expect(padded.shape == [1, 2, out])
    expectClose(
      padded.scalars,
      naiveConvTranspose2d(
        x, [1, 2, 1, 5], w, [2, 2, 1, 4], stride: (1, 2), crop: (0, 1), out: (1, out)),
      "convTranspose1d padding 1 output_padding 1")
  }

  // MARK: - Pooling

  /// Windows of `[N, C, H, W]` starting at `o·s − pad`; `reduce` sees the in-range values and
  /// how many cells the window has in all (padding included).
  func naivePool(
    _ x: [Float], _ xs: [Int], kernel: (Int, Int), stride: (Int, Int), pad: (Int, Int),
    out: (Int, Int),
    _ reduce: ([Double], Int) -> Double
  ) -> [Double] {
    let (n, c, h, w) = (xs[0], xs[1], xs[2], xs[3])
    var y: [Double] = []
    for plane in 0..<(n * c) {
      for oy in 0..<out.0 {
        for ox in 0..<out.1 {
          var vals: [Double] = []
          for ky in 0..<kernel.0 {
            for kx in 0..<kernel.1 {
              let iy = oy * stride.0 - pad.0 + ky
              let ix = ox * stride.1 - pad.1 + kx
              if iy >= 0 && iy < h && ix >= 0 && ix < w {
                vals.append(Double(x[(plane * h + iy) * w + ix]))
              }
            }
          }
          y.append(reduce(vals, kernel.0 * kernel.1))
        }
      }
    }
    return y
  }

  @Test func maxPool2dMatchesNaive() {
    let xs = [2, 2, 5, 6]
    let x = referenceValues(elementCount(xs), seed: 17)
    let maxOf: ([Double], Int) -> Double = { v, _ in v.max() ?? -.infinity }
    let y1 = GradCheck.tensor(xs, x).maxPool2d(kernel: (2, 2))
    #expect(y1.shape == [2, 2, 2, 3])
    expectClose(
      y1.scalars, naivePool(x, xs, kernel: (2, 2), stride: (2, 2), pad: (0, 0), out: (2, 3), maxOf),
      "maxPool2d 2x2")
    let y2 = GradCheck.tensor(xs, x).maxPool2d(
      kernel: (3, 3), stride: (2, 2), padding: .symmetric(1))
    #expect(y2.shape == [2, 2, 3, 3])
    expectClose(
      y2.scalars, naivePool(x, xs, kernel: (3, 3), stride: (2, 2), pad: (1, 1), out: (3, 3), maxOf),
      "maxPool2d 3x3 stride 2 pad 1")
    // Negative inputs: padding must never win.
    let neg = x.map { -Swift.abs($0) - 1 }
    let y3 = GradCheck.tensor(xs, neg).maxPool2d(
      kernel: (3, 3), stride: (2, 2), padding: .symmetric(1))
    expectClose(
      y3.scalars,
      naivePool(neg, xs, kernel: (3, 3), stride: (2, 2), pad: (1, 1), out: (3, 3), maxOf),
      "maxPool2d all-negative input with padding")
  }

  @Test func avgPool2dMatchesNaive() {
    let xs = [1, 2, 5, 6]
    let x = referenceValues(elementCount(xs), seed: 18)
    let y1 = GradCheck.tensor(xs, x).avgPool2d(kernel: (2, 3))
    #expect(y1.shape == [1, 2, 2, 2])
    expectClose(
      y1.scalars,
      naivePool(x, xs, kernel: (2, 3), stride: (2, 3), pad: (0, 0), out: (2, 2)) { v, n in
        v.reduce(0, +) / Double(n)
      },
      "avgPool2d 2x3")
    // PyTorch count_include_pad=True: padded cells count in the divisor.
    let y2 = GradCheck.tensor(xs, x).avgPool2d(
      kernel: (3, 3), stride: (2, 2), padding: .symmetric(1))
    #expect(y2.shape == [1, 2, 3, 3])
    expectClose(
      y2.scalars,
      naivePool(x, xs, kernel: (3, 3), stride: (2, 2), pad: (1, 1), out: (3, 3)) { v, n in
        v.reduce(0, +) / Double(n)
      },
      "avgPool2d 3x3 stride 2 pad 1")
  }

  @Test func upsampleNearest() throws {
    let x = try Tensor(shape: [1, 1, 2, 2], [1, 2, 3, 4])
    #expect(
      x.upsampleNearest2d(scale: (2, 3)).scalars == [
        1, 1, 1, 2, 2, 2, 1, 1, 1, 2, 2, 2,
        3, 3, 3, 4, 4, 4, 3, 3, 3, 4, 4, 4,
      ])
  }

  // MARK: - Softmax, cross-entropy, logsumexp

  @Test func softmaxCrossEntropyMatchesNaive() throws {
    let (rows, c) = (4, 5)
    // Large logits too: the stable form must not overflow.
    let logits = referenceValues(rows * c, seed: 19).enumerated().map {
      $0.element * 3 + ($0.offset < c ? 500 : 0)
    }
    let targets = [3, 0, 4, 4]
    var lse = [Double](repeating: 0, count: rows)
    var expectedLoss = [Double]()
    var expectedGrad = [Double]()
    for r in 0..<rows {
      let row = logits[(r * c)..<(r * c + c)].map(Double.init)
      let m = row.max() ?? 0
      lse[r] = m + logD(row.map { expD($0 - m) }.reduce(0, +))
      expectedLoss.append(lse[r] - row[targets[r]])
      for j in 0..<c {
        expectedGrad.append(
          (expD(row[j] - lse[r]) - (j == targets[r] ? 1 : 0)) / Double(rows))
      }
    }
    let x = GradCheck.tensor([rows, c], logits).requiringGrad()
    let perRow = x.softmaxCrossEntropy(targets: IndexTensor(targets), reduction: .none)
    expectClose(perRow.scalars, expectedLoss, atol: 1e-4, "softmaxCrossEntropy per row")
    let loss = x.softmaxCrossEntropy(targets: IndexTensor(targets))
    expectClose(
      [loss.item], [expectedLoss.reduce(0, +) / Double(rows)], atol: 1e-4,
      "softmaxCrossEntropy mean")
    try loss.backward()
    expectClose(x.grad?.scalars ?? [], expectedGrad, atol: 1e-6, "softmaxCrossEntropy gradient")
  }

  @Test func logSumExpOfLargeInputs() throws {
    let x = Tensor([1000, 1000.5, -1000]).requiringGrad()
    let y = x.logSumExp()
    let expected = 1000.5 + logD(1 + expD(-0.5))
    #expect(y.shape == [])
    #expect(y.item.isFinite)
    expectClose([y.item], [expected], atol: 1e-4, rtol: 0, "logSumExp [1000, 1000.5, -1000]")
    try y.backward()
    let p = 1 / (1 + expD(-0.5))
    expectClose(x.grad?.scalars ?? [], [1 - p, p, 0], atol: 1e-6, "logSumExp gradient")

    let rows = try Tensor(shape: [2, 2], [-1000, -1000, 88, 89]).logSumExp(
      axes: [1], keepDims: true)
    #expect(rows.shape == [2, 1])
    expectClose(
      rows.scalars, [-1000 + logD(2), 89 + logD(1 + expD(-1))],
      atol: 1e-4, rtol: 0,
      "logSumExp rows [-1000, -1000], [88, 89]")
    let empty = Tensor([-.infinity, -.infinity]).logSumExp()
    #expect(empty.item == -.infinity)
  }

  @Test func softmaxOfLargeInputs() throws {
    let big = Tensor([1000, 1001, 1002]).softmax()
    let z = [0.0, 1, 2].map { expD($0 - 2) }
    let total = z.reduce(0, +)
    expectClose(big.scalars, z.map { $0 / total }, atol: 1e-6, "softmax [1000, 1001, 1002]")
    let logp = Tensor([1000, 0]).logSoftmax()
    expectClose(logp.scalars, [0, -1000], atol: 1e-4, "logSoftmax [1000, 0]")
    let negative = Tensor([-1000, -1001]).softmax()
    expectClose(
      negative.scalars,
      [1 / (1 + expD(-1)), expD(-1) / (1 + expD(-1))], atol: 1e-6,
      "softmax [-1000, -1001]")
    // Masked positions (−inf, as in causal attention) get probability 0 and a finite gradient.
    let masked = Tensor([0, -.infinity, 1]).requiringGrad()
    let p = masked.softmax()
    let e = 1 / (1 + expD(1))
    expectClose(p.scalars, [e, 0, 1 - e], atol: 1e-6, "softmax with -inf")
    try p.backward(cotangent: Tensor([1, 2, 3]))
    #expect(masked.grad?.scalars.allSatisfy(\.isFinite) == true)
    // Softmax along a non-last axis of large values.
    let cols = try Tensor(shape: [2, 2], [1000, -5, 1001, -5]).softmax(axis: 0)
    let q = 1 / (1 + expD(1))
    expectClose(cols.scalars, [q, 0.5, 1 - q, 0.5], atol: 1e-6, "softmax axis 0")
  }

  // MARK: - Element-wise maths

  /// exp, tanh, sigmoid, log, erf against libm in Double over a sweep whose length is not a
  /// multiple of the SIMD width, plus the extremes where kernels clamp or switch formulas.
  @Test func elementwiseMathMatchesLibm() throws {
    let sweep = (0...402).map { Float($0 - 201) / 10 }  // -20.1 ... 20.1
    let extremes: [Float] = [
      -100, -88, -87.5, -0.31, -0.29, -1e-8, 0, 1e-8, 0.29, 0.31, 9.5, 88.5, 100,
    ]
    let xs = sweep + extremes
    let x = Tensor(xs)
    let d = xs.map(Double.init)
    // Results below the smallest normal float32 may flush to zero.
    let tiny = 1e-37
    // Past float32's range exp overflows to +inf, as expf does.
    expectClose(x.exp().scalars, d.map { Double(Float(expD($0))) }, atol: tiny, rtol: 1e-6, "exp")
    expectClose(x.tanh().scalars, d.map { tanh($0) }, atol: tiny, rtol: 1e-6, "tanh")
    expectClose(
      x.sigmoid().scalars, d.map { 1 / (1 + expD(-$0)) }, atol: tiny, rtol: 1e-6, "sigmoid")
    expectClose(x.erf().scalars, d.map { erf($0) }, atol: tiny, rtol: 1e-6, "erf")
    // GELU's fused kernel (one exponential for Φ and φ) and its fused pullback.
    let cdf = d.map { 0.5 * (1 + erf($0 / 2.0.squareRoot())) }
    let pdf = d.map { expD(-$0 * $0 / 2) / (2 * Double.pi).squareRoot() }
    let xg = Tensor(xs).requiringGrad()
    let gelu = xg.gelu()
    expectClose(gelu.scalars, zip(d, cdf).map { $0 * $1 }, atol: 1e-6, rtol: 1e-6, "gelu")
    try gelu.sum().backward()
    expectClose(
      xg.grad?.scalars ?? [], (0..<d.count).map { cdf[$0] + d[$0] * pdf[$0] }, atol: 1e-6, rtol: 1e-6, "gelu'")
    let positive = xs.filter { $0 > 0 }
    expectClose(
      Tensor(positive).log().scalars, positive.map { logD(Double($0)) }, atol: 1e-7, rtol: 1e-6,
      "log")

    let special = Tensor([.infinity, -.infinity, .nan])
    let e = special.exp().scalars
    let t = special.tanh().scalars
    let s = special.sigmoid().scalars
    #expect(e[0] == .infinity && e[1] == 0 && e[2].isNaN)
    // Within an ulp of ±1 (the vectorised kernel saturates at 1 − 2⁻²⁴, libm at exactly 1).
    #expect(Swift.abs(t[0] - 1) <= 0x1p-24 && Swift.abs(t[1] + 1) <= 0x1p-24 && t[2].isNaN)
    #expect(s[0] == 1 && s[1] == 0 && s[2].isNaN)
  }

  // MARK: - Matrix products

  @Test func batchedMatmulMatchesNaive() {
    // [2,1,3,4]ᵀ-free × [3,5,4]ᵀ → [2,3,3,5]: broadcast batch and transposeB.
    let a = referenceValues(2 * 3 * 4, seed: 23)
    let b = referenceValues(3 * 5 * 4, seed: 24)
    let y = GradCheck.tensor([2, 1, 3, 4], a).matmul(
      GradCheck.tensor([3, 5, 4], b), transposeB: true)
    #expect(y.shape == [2, 3, 3, 5])
    var expected: [Double] = []
    for i in 0..<2 {
      for j in 0..<3 {
        expected += naiveGemm(
          transA: false, transB: true, m: 3, n: 5, k: 4, alpha: 1,
          a: Array(a[(i * 12)..<(i * 12 + 12)]), lda: 4,
          b: Array(b[(j * 20)..<(j * 20 + 20)]), ldb: 4, beta: 0,
          c: [Float](repeating: 0, count: 15), ldc: 5)
      }
    }
    expectClose(y.scalars, expected, "batched matmul with broadcast batch")
  }

  @Test func vectorDotProductIsAScalar() throws {
    let d = Tensor([1, 2, 3]).matmul(Tensor([4, 5, 6]))
    #expect(d.shape == [])
    #expect(d.item == 32)
  }
}

// MARK: - Helpers

// Instance methods of the suite rather than free functions, so their names cannot clash with
// helpers in other test files of the module.
extension ReferenceValueTests {

  /// Seeded values uniform in `[-1, 1)`.
  func referenceValues(_ count: Int, seed: UInt64) -> [Float] {
    var rng = SeededGenerator(seed: seed)
    return (0..<count).map { _ in rng.nextUniform() * 2 - 1 }
  }

  /// Expects `actual` to match `expected` element-wise within `atol + rtol·|expected|`, reporting
  /// the number of mismatches and the worst element.
  func expectClose(
    _ actual: [Float], _ expected: [Double], atol: Double = 1e-5, rtol: Double = 1e-5,
    _ what: String,
    sourceLocation: SourceLocation = #_sourceLocation
  ) {
    guard actual.count == expected.count else {
      Issue.record(
        "[\(what)] \(actual.count) values, expected \(expected.count)",
        sourceLocation: sourceLocation
      )
      return
    }
    var bad = 0
    var worst = (index: -1, diff: 0.0)
    for i in 0..<actual.count {
      if Double(actual[i]) == expected[i] { continue }  // also equal infinities
      let d = Swift.abs(Double(actual[i]) - expected[i])
      if !(d <= atol + rtol * Swift.abs(expected[i])) {
        bad += 1
        if !(d <= worst.diff) { worst = (i, d) }
      }
    }
    if bad > 0 {
      let i = worst.index
      Issue.record(
        "[\(what)] \(bad) of \(actual.count) values differ; worst at \(i): \(actual[i]) vs expected \(expected[i]) (|diff| \(worst.diff))",
        sourceLocation: sourceLocation)
    }
  }

  /// TensorFlow's SAME padding for one axis: output `ceil(in / s)`,
  /// total pad `max((out − 1)·s + (k − 1)·d + 1 − in, 0)`, the smaller half before.
  func tfSamePadding(input: Int, kernel: Int, stride: Int, dilation: Int = 1) -> (
    before: Int, out: Int
  ) {
    let out = (input + stride - 1) / stride
    let total = max((out - 1) * stride + (kernel - 1) * dilation + 1 - input, 0)
    return (total / 2, out)
  }

  /// Direct 2-D cross-correlation in Double. `x` is `[N, C, H, W]`, `w` `[O, C/groups, KH, KW]`;
  /// input positions outside `0..<H`, `0..<W` read as zero. Returns `[N, O, outH, outW]`.
  func naiveConv2d(
    _ x: [Float], _ xs: [Int], _ w: [Float], _ ws: [Int], bias: [Float]? = nil,
    stride: (Int, Int) = (1, 1),
    dilation: (Int, Int) = (1, 1), padBefore: (Int, Int), out: (Int, Int), groups: Int = 1
  ) -> [Double] {
    let (n, c, h, wd) = (xs[0], xs[1], xs[2], xs[3])
    let (o, cg, kh, kw) = (ws[0], ws[1], ws[2], ws[3])
    let og = o / groups
    var y = [Double](repeating: 0, count: n * o * out.0 * out.1)
    for ni in 0..<n {
      for oi in 0..<o {
        let g = oi / og
        for oy in 0..<out.0 {
          for ox in 0..<out.1 {
            var acc = Double(bias?[oi] ?? 0)
            for ci in 0..<cg {
              let cin = g * cg + ci
              for ky in 0..<kh {
                for kx in 0..<kw {
                  let iy = oy * stride.0 - padBefore.0 + ky * dilation.0
                  let ix = ox * stride.1 - padBefore.1 + kx * dilation.1
                  guard iy >= 0 && iy < h && ix >= 0 && ix < wd else { continue }
                  acc +=
                    Double(x[((ni * c + cin) * h + iy) * wd + ix])
                    * Double(w[((oi * cg + ci) * kh + ky) * kw + kx])
                }
              }
            }
            y[((ni * o + oi) * out.0 + oy) * out.1 + ox] = acc
          }
        }
      }
    }
    return y
  }

  /// Direct 2-D transposed convolution in Double, as a scatter: each input pixel adds
  /// `x · w[c, o]` into a full-size canvas at `(i·s + ky·d, j·s + kx·d)`; the result is the window
  /// of the canvas starting at `crop` of size `out` (positions past the canvas are zero, as output
  /// padding needs). `x` is `[N, C, H, W]`, `w` `[C, O, KH, KW]` (one group).
  func naiveConvTranspose2d(
    _ x: [Float], _ xs: [Int], _ w: [Float], _ ws: [Int], bias: [Float]? = nil, stride: (Int, Int),
    dilation: (Int, Int) = (1, 1), crop: (Int, Int), out: (Int, Int)
  ) -> [Double] {
    let (n, c, h, wd) = (xs[0], xs[1], xs[2], xs[3])
    let (o, kh, kw) = (ws[1], ws[2], ws[3])
    let fullH = (h - 1) * stride.0 + (kh - 1) * dilation.0 + 1
    let fullW = (wd - 1) * stride.1 + (kw - 1) * dilation.1 + 1
    var full = [Double](repeating: 0, count: n * o * fullH * fullW)
    for ni in 0..<n {
      for ci in 0..<c {
        for i in 0..<h {
          for j in 0..<wd {
            let v = Double(x[((ni * c + ci) * h + i) * wd + j])
            for oi in 0..<o {
              for ky in 0..<kh {
                for kx in 0..<kw {
                  let fy = i * stride.0 + ky * dilation.0
                  let fx = j * stride.1 + kx * dilation.1
                  full[((ni * o + oi) * fullH + fy) * fullW + fx] +=
                    v * Double(w[((ci * o + oi) * kh + ky) * kw + kx])
                }
              }
            }
          }
        }
      }
    }
    var y = [Double](repeating: 0, count: n * o * out.0 * out.1)
    for ni in 0..<n {
      for oi in 0..<o {
        for oy in 0..<out.0 {
          for ox in 0..<out.1 {
            let (fy, fx) = (oy + crop.0, ox + crop.1)
            let inside = fy < fullH && fx < fullW
            y[((ni * o + oi) * out.0 + oy) * out.1 + ox] =
              Double(bias?[oi] ?? 0)
              + (inside ? full[((ni * o + oi) * fullH + fy) * fullW + fx] : 0)
          }
        }
      }
    }
    return y
  }

  /// Row-major `op(A)·op(B)` in Double with leading dimensions, `alpha` and `beta·C`.
  func naiveGemm(
    transA: Bool, transB: Bool, m: Int, n: Int, k: Int, alpha: Double, a: [Float], lda: Int,
    b: [Float], ldb: Int,
    beta: Double, c: [Float], ldc: Int
  ) -> [Double] {
    var out = c.map(Double.init)
    for i in 0..<m {
      for j in 0..<n {
        var acc = 0.0
        for p in 0..<k {
          let av = transA ? a[p * lda + i] : a[i * lda + p]
          let bv = transB ? b[j * ldb + p] : b[p * ldb + j]
          acc += Double(av) * Double(bv)
        }
        out[i * ldc + j] = alpha * acc + beta * Double(c[i * ldc + j])
      }
    }
    return out
  }

  /// Double-precision `log`, under a name that cannot resolve to `Tensor.log()`.
  func logD(_ x: Double) -> Double { log(x) }
  /// Double-precision `exp`.
  func expD(_ x: Double) -> Double { exp(x) }
}
