import CGenAIKernels
import GenAITestSupport
import Testing

@testable import GenAITensor

// The three implicit-GEMM convolution products (`Tensor.convolution`, `convolutionTranspose`,
// `convolutionWeightGradient`) on every kernel path against Double loops written here from the
// definition in ConvolutionProducts.swift / CGenAIKernels.h:
//
//     y[n,o,oy,ox] = Σ_{c,ky,kx} w[o,c,ky,kx] · x[n, c, oy·sh − pt + ky·dh, ox·sw − pl + kx·dw]
//
// (x read as zero outside the image). The transposed product scatters the same terms back into
// x, and the weight gradient sums them over `(n, oy, ox)`. Paths this CPU lacks are skipped
// visibly (see Support/KernelPaths.swift); the tolerance is the √n bound of `KernelTolerance`,
// with n the number of products summed into each element.

/// One convolution geometry between an x side `[N, C, H, W]` and a y side `[N, O, OH, OW]`.
struct ConvCase: Sendable, CustomTestStringConvertible {
  let name: String
  let n: Int, c: Int, o: Int
  let geometry: ConvGeometry
  /// Whether the forward and transposed products get a bias.
  var bias = false
  /// Every how many elements the reference checks: 1 (all) except for large cases, where a step
  /// prime to every tile and plane size still reaches every tile position and channel.
  var sampleStep = 1

  var testDescription: String {
    let g = geometry
    return """
      \(name): N \(n) C \(c) \(g.input.0)x\(g.input.1) → O \(o) \(g.output.0)x\(g.output.1), \
      k \(g.kernel.0)x\(g.kernel.1) s \(g.stride.0),\(g.stride.1) d \(g.dilation.0),\(g.dilation.1) \
      pads \(g.padBefore.0),\(g.padBefore.1) / \(g.padAfter.0),\(g.padAfter.1)\(bias ? ", bias" : "")
      """
  }

  var xShape: [Int] { [n, c, geometry.input.0, geometry.input.1] }
  var yShape: [Int] { [n, o, geometry.output.0, geometry.output.1] }
  var wShape: [Int] { [o, c, geometry.kernel.0, geometry.kernel.1] }
}

/// One element of a product in Double: its value, and `Σ|term|` and the number of terms for the
/// bound.
struct ConvSum: Sendable {
  var value = 0.0
  var magnitude = 0.0
  var terms = 0

  /// Adds the term `t`.
  mutating func add(_ t: Double) {
    value += t
    magnitude += Swift.abs(t)
    terms += 1
  }
}

/// The inputs of a case and the elements of its three products that are checked.
struct ConvReference: Sendable {
  let x: [Float], y: [Float], w: [Float], biasO: [Float], biasC: [Float]
  /// Flat indices of the checked elements of y, x and w, and their sums.
  let yIndices: [Int], xIndices: [Int], wIndices: [Int]
  let forward: [ConvSum], transpose: [ConvSum], weightGradient: [ConvSum]
}

enum ConvCheck {
  static let references = ReferenceCache<ConvReference>()

  /// Seeded inputs of `cs` and the checked elements of its three products, each summed straight
  /// from the definition (gathering the terms of one element at a time): every element, or every
  /// `cs.sampleStep`-th one of a large case.
  static func reference(_ cs: ConvCase) -> ConvReference {
    references.value(cs.testDescription) {
      let g = cs.geometry
      let (n, c, o) = (cs.n, cs.c, cs.o)
      let (h, wd) = g.input
      let (oh, ow) = g.output
      let (kh, kw) = g.kernel
      let (sh, sw) = g.stride
      let (dh, dw) = g.dilation
      let (pt, pl) = g.padBefore
      let seed = GradCheck.stableHash(cs.testDescription)
      let x = KernelCheck.values(n * c * h * wd, seed: seed)
      let y = KernelCheck.values(n * o * oh * ow, seed: seed ^ 1)
      let w = KernelCheck.values(o * c * kh * kw, seed: seed ^ 2)
      let step = cs.sampleStep
      let yIndices = Array(stride(from: 0, to: y.count, by: step))
      let xIndices = Array(stride(from: 0, to: x.count, by: step))
      let wIndices = Array(stride(from: 0, to: w.count, by: step))
      // Unsafe buffers: checked array accesses of a debug build would make the large cases the
      // slowest part of the suite.
      let (forward, transpose, weightGradient) = x.withUnsafeBufferPointer { x in
        y.withUnsafeBufferPointer { y in
          w.withUnsafeBufferPointer { w in
            /// x at `(ni, ci, iy, ix)`, or nil outside the image.
            func xAt(_ ni: Int, _ ci: Int, _ iy: Int, _ ix: Int) -> Double? {
              iy >= 0 && iy < h && ix >= 0 && ix < wd ? Double(x[((ni * c + ci) * h + iy) * wd + ix]) : nil
            }
            // y[n,o,oy,ox] = Σ_{c,ky,kx} w[o,c,ky,kx] · x[n, c, oy·sh − pt + ky·dh, ox·sw − pl + kx·dw]
            let forward = yIndices.map { e in
              let (ni, oi, oy, ox) = (e / (o * oh * ow), e / (oh * ow) % o, e / ow % oh, e % ow)
              var sum = ConvSum()
              for ci in 0..<c {
                for ky in 0..<kh {
                  for kx in 0..<kw {
                    guard let xv = xAt(ni, ci, oy * sh - pt + ky * dh, ox * sw - pl + kx * dw) else { continue }
                    sum.add(Double(w[((oi * c + ci) * kh + ky) * kw + kx]) * xv)
                  }
                }
              }
              return sum
            }
            // x'[n,c,iy,ix] = Σ w[o,c,ky,kx] · y[n,o,oy,ox] over the windows that read (iy, ix):
            // iy = oy·sh − pt + ky·dh and ix = ox·sw − pl + kx·dw.
            let transpose = xIndices.map { e in
              let (ni, ci, iy, ix) = (e / (c * h * wd), e / (h * wd) % c, e / wd % h, e % wd)
              var sum = ConvSum()
              for ky in 0..<kh {
                let ty = iy + pt - ky * dh
                guard ty >= 0 && ty % sh == 0 && ty / sh < oh else { continue }
                for kx in 0..<kw {
                  let tx = ix + pl - kx * dw
                  guard tx >= 0 && tx % sw == 0 && tx / sw < ow else { continue }
                  for oi in 0..<o {
                    let yv = Double(y[((ni * o + oi) * oh + ty / sh) * ow + tx / sw])
                    sum.add(Double(w[((oi * c + ci) * kh + ky) * kw + kx]) * yv)
                  }
                }
              }
              return sum
            }
            // w'[o,c,ky,kx] = Σ_{n,oy,ox} y[n,o,oy,ox] · x[n, c, oy·sh − pt + ky·dh, ox·sw − pl + kx·dw]
            let weightGradient = wIndices.map { e in
              let (oi, ci, ky, kx) = (e / (c * kh * kw), e / (kh * kw) % c, e / kw % kh, e % kw)
              var sum = ConvSum()
              for ni in 0..<n {
                for oy in 0..<oh {
                  for ox in 0..<ow {
                    guard let xv = xAt(ni, ci, oy * sh - pt + ky * dh, ox * sw - pl + kx * dw) else { continue }
                    sum.add(Double(y[((ni * o + oi) * oh + oy) * ow + ox]) * xv)
                  }
                }
              }
              return sum
            }
            return (forward, transpose, weightGradient)
          }
        }
      }
      return ConvReference(
        x: x, y: y, w: w, biasO: cs.bias ? KernelCheck.values(o, seed: seed ^ 3) : [],
        biasC: cs.bias ? KernelCheck.values(c, seed: seed ^ 4) : [], yIndices: yIndices, xIndices: xIndices,
        wIndices: wIndices, forward: forward, transpose: transpose, weightGradient: weightGradient)
    }
  }

  /// Checks the elements `indices` of `actual` against `sums` plus the bias of their channel,
  /// within the √n bound over their terms and the bias.
  static func expect(
    _ actual: Tensor, _ sums: [ConvSum], at indices: [Int], bias: [Float], shape: [Int], _ what: String
  ) {
    guard actual.shape == shape else {
      Issue.record("[\(what)] shape \(shapeString(actual.shape)), expected \(shapeString(shape))")
      return
    }
    let values = actual.scalars
    let plane = shape[2] * shape[3]
    var expected: [Double] = []
    var bound: [Double] = []
    for (sum, e) in zip(sums, indices) {
      let b = bias.isEmpty ? 0 : Double(bias[e / plane % shape[1]])
      expected.append(sum.value + b)
      bound.append(KernelTolerance.bound(terms: sum.terms, magnitude: sum.magnitude + Swift.abs(b)))
    }
    KernelCheck.expectWithin(indices.map { values[$0] }, expected, bound: bound, shape: shape, indices: indices, what)
  }

  /// Runs the three products of `cs` on `path` and checks each against the reference.
  static func run(_ cs: ConvCase, on path: KernelPath) {
    let r = reference(cs)
    let g = cs.geometry
    let x = GradCheck.tensor(cs.xShape, r.x)
    let y = GradCheck.tensor(cs.yShape, r.y)
    let w = GradCheck.tensor(cs.wShape, r.w)
    let biasO = cs.bias ? GradCheck.tensor([cs.o], r.biasO) : nil
    let biasC = cs.bias ? GradCheck.tensor([cs.c], r.biasC) : nil
    let (forward, transpose, weightGradient) = withKernelPath(path) {
      (
        Tensor.convolution(x, w, bias: biasO, g),
        Tensor.convolutionTranspose(y, w, bias: biasC, g),
        Tensor.convolutionWeightGradient(x, y, g)
      )
    }
    let what = "\(path) \(cs.testDescription)"
    expect(forward, r.forward, at: r.yIndices, bias: r.biasO, shape: cs.yShape, "\(what): convolution")
    expect(transpose, r.transpose, at: r.xIndices, bias: r.biasC, shape: cs.xShape, "\(what): convolutionTranspose")
    expect(
      weightGradient, r.weightGradient, at: r.wIndices, bias: [], shape: cs.wShape,
      "\(what): convolutionWeightGradient")
  }

  /// Shorthand for a geometry.
  static func geometry(
    _ input: (Int, Int), kernel: (Int, Int), stride: (Int, Int) = (1, 1), dilation: (Int, Int) = (1, 1),
    before: (Int, Int) = (0, 0), after: (Int, Int) = (0, 0)
  ) -> ConvGeometry {
    ConvGeometry(
      input: input, kernel: kernel, stride: stride, dilation: dilation, padBefore: before, padAfter: after)
  }

  /// Seeded random geometries: strides 1-3, dilations 1-2, kernels 1-5, leading pads 0-2,
  /// trailing pads −2...2 (negative ones drop trailing input), batch 1-3, channels 1-7, inputs
  /// 1-12 on a side, redrawn until at least one window fits.
  static func randomCases(count: Int, seed: UInt64) -> [ConvCase] {
    var rng = SeededGenerator(seed: seed)
    func draw(_ r: ClosedRange<Int>) -> Int { r.lowerBound + Int(rng.next() % UInt64(r.count)) }
    var cases: [ConvCase] = []
    while cases.count < count {
      let kernel = (draw(1...5), draw(1...5))
      let stride = (draw(1...3), draw(1...3))
      let dilation = (draw(1...2), draw(1...2))
      let before = (draw(0...2), draw(0...2))
      let after = (draw(-2...2), draw(-2...2))
      let input = (draw(1...12), draw(1...12))
      // The window must fit at least once: in + before + after − d·(k − 1) − 1 ≥ 0.
      guard input.0 + before.0 + after.0 - dilation.0 * (kernel.0 - 1) - 1 >= 0,
        input.1 + before.1 + after.1 - dilation.1 * (kernel.1 - 1) - 1 >= 0
      else { continue }
      let g = ConvGeometry(
        input: input, kernel: kernel, stride: stride, dilation: dilation, padBefore: before, padAfter: after)
      cases.append(
        ConvCase(
          name: "random \(cases.count)", n: draw(1...3), c: draw(1...7), o: draw(1...7), geometry: g,
          bias: draw(0...1) == 1))
    }
    return cases
  }

  /// Named cases for what random small geometries do not reach, then the random ones.
  static let cases: [ConvCase] =
    [
      // The DCGAN discriminator's 14x14 → 7x7 layer (TensorFlow 'same': pads 1 before, 2 after),
      // and read backwards the generator's 7x7 → 14x14 one. Large enough to be split across the
      // pool (rows for the transposed product) and to take several K blocks forward (K = 1600);
      // every 11th element is checked, which keeps its Double reference to about 6M terms.
      ConvCase(
        name: "DCGAN k5 s2 same", n: 4, c: 64, o: 128,
        geometry: geometry((14, 14), kernel: (5, 5), stride: (2, 2), before: (1, 1), after: (2, 2)), bias: true,
        sampleStep: 11),
      // Deep enough (C·KH·KW ≥ 1024) for the forward product to run directly on a channels-last
      // copy (`DirectConvolution`): 37 outputs leave a partial weight panel on every path, 3·3·7
      // = 63 pixels a partial tile, and the pads are asymmetric with one negative.
      ConvCase(
        name: "direct forward", n: 3, c: 41, o: 37,
        geometry: geometry((8, 8), kernel: (5, 5), stride: (2, 1), before: (2, 1), after: (-1, 2)), bias: true,
        sampleStep: 7),
      // A stride-1 transposed product that runs directly as a forward one (O·KH·KW = 1125 ≥ 1024,
      // 19 outputs): flipped weight, pads K − 1 − pad.
      ConvCase(
        name: "direct transposed, stride 1", n: 2, c: 19, o: 45,
        geometry: geometry((6, 7), kernel: (5, 5), before: (2, 0), after: (1, 3)), bias: true, sampleStep: 5),
      // The same with leading pads wider than the kernel: the direct product's pads are negative.
      ConvCase(
        name: "direct transposed, pads wider than the kernel", n: 1, c: 16, o: 120,
        geometry: geometry((4, 5), kernel: (3, 3), before: (3, 0), after: (0, 4)), sampleStep: 3),
      // One channel with a 5x5 kernel (too many taps for `SingleChannelConvolution`): the
      // implicit GEMM's transposed product is split by whole images instead of by rows.
      ConvCase(
        name: "one channel, split by image", n: 3, c: 1, o: 64,
        geometry: geometry((24, 24), kernel: (5, 5), before: (2, 2), after: (2, 2))),
      // One input channel and a 3x3 kernel (`SingleChannelConvolution`): 50·47 = 2350 pixels
      // take the columns in chunks of 1024, and 7 outputs leave a partial block of 4.
      ConvCase(
        name: "one input channel, columns in chunks", n: 2, c: 1, o: 7,
        geometry: geometry((50, 47), kernel: (3, 3), before: (1, 1), after: (1, 1)), bias: true, sampleStep: 3),
      // One input channel at the 16-tap limit, strided and dilated: taps padded to blocks of 3,
      // a negative trailing pad, and a plane that is not a whole number of vectors.
      ConvCase(
        name: "one input channel, 4x4 strided and dilated", n: 3, c: 1, o: 5,
        geometry: geometry((13, 11), kernel: (4, 4), stride: (2, 2), dilation: (2, 1), before: (2, 1), after: (1, -1)),
        bias: true),
      // The transposed product's K is O: past one K block, so tiles are scattered more than once.
      ConvCase(
        name: "transposed K past one block", n: 2, c: 3, o: 530,
        geometry: geometry((6, 5), kernel: (3, 3), stride: (2, 2), before: (1, 1), after: (0, -1)), bias: true),
      // The weight gradient's K is N·OH·OW = 1152: K blocks that start inside an image.
      ConvCase(
        name: "weight gradient K past one block", n: 2, c: 2, o: 3,
        geometry: geometry((24, 24), kernel: (3, 3), before: (1, 1), after: (1, 1))),
      // Stride 2 through many channels, so the packers go channels-inner per kernel offset: the
      // forward's K = 549 takes two blocks, the second starting inside a channel (row 280).
      ConvCase(
        name: "stride 2, K blocks inside a channel", n: 2, c: 61, o: 5,
        geometry: geometry((9, 10), kernel: (3, 3), stride: (2, 2), before: (1, 1), after: (1, 0)), bias: true),
      // The same in the weight gradient: its column panels of 32 im2col rows start inside a
      // channel when a channel has 3 rows.
      ConvCase(
        name: "stride 2, weight-gradient panels inside a channel", n: 2, c: 23, o: 4,
        geometry: geometry((5, 13), kernel: (1, 3), stride: (2, 2), before: (0, 1), after: (0, 1))),
      // Three input channels, 1x3, 32 outputs: the weight gradient runs with its operands
      // swapped (C·KH·KW = 9 rows against 32 outputs; `genai_conv_weight_grad_run`) on every path.
      ConvCase(
        name: "weight gradient with operands swapped", n: 3, c: 3, o: 32,
        geometry: geometry((9, 8), kernel: (1, 3), before: (0, 1), after: (0, 1))),
      // Windows entirely in the padding (pads wider than the kernel), asymmetric in every way.
      ConvCase(
        name: "pads wider than the kernel", n: 1, c: 2, o: 2,
        geometry: geometry((3, 4), kernel: (1, 2), stride: (1, 2), dilation: (1, 2), before: (2, 2), after: (2, -1)),
        bias: true),
    ] + randomCases(count: 40, seed: 0xC0_4E)
}

@Suite struct ConvolutionProductTests {
  static let checks: [PathCheck] = ConvCheck.cases.map { cs in
    PathCheck(cs.testDescription) { ConvCheck.run(cs, on: $0) }
  }

  // One test per path; a path this CPU lacks is reported as skipped.

  @Test("Convolution products on the portable path", .requires(.portable), arguments: checks)
  func portable(_ check: PathCheck) throws { try check(.portable) }

  @Test("Convolution products on the avx2 path", .requires(.avx2), arguments: checks)
  func avx2(_ check: PathCheck) throws { try check(.avx2) }

  @Test("Convolution products on the avx512 path", .requires(.avx512), arguments: checks)
  func avx512(_ check: PathCheck) throws { try check(.avx512) }

  @Test("Convolution products on the neon path", .requires(.neon), arguments: checks)
  func neon(_ check: PathCheck) throws { try check(.neon) }

  /// The random geometries reach every end of their ranges, so the catalogue covers what it
  /// claims; and the named cases really are split across the pool or past one K block.
  @Test func casesCoverTheRanges() {
    let cases = ConvCheck.cases
    let g = cases.map(\.geometry)
    for s in 1...3 { #expect(g.contains { $0.stride.0 == s } && g.contains { $0.stride.1 == s }, "stride \(s)") }
    for k in 1...5 { #expect(g.contains { $0.kernel.0 == k } && g.contains { $0.kernel.1 == k }, "kernel \(k)") }
    #expect(g.contains { $0.dilation.0 == 2 } && g.contains { $0.dilation.1 == 2 })
    #expect(g.contains { $0.padAfter.0 < 0 } && g.contains { $0.padAfter.1 < 0 }, "negative trailing pads")
    #expect(g.contains { $0.padBefore.0 != $0.padAfter.0 }, "asymmetric pads")
    for v in 1...3 { #expect(cases.contains { $0.n == v }, "batch \(v)") }
    for v in [1, 7] { #expect(cases.contains { $0.c == v } && cases.contains { $0.o == v }, "channels \(v)") }
    #expect(cases.contains { $0.bias } && cases.contains { !$0.bias })
    // The direct cases really take the direct path (and the other named ones cover the
    // implicit GEMM of both products).
    func shape(_ cs: ConvCase) -> genai_conv_shape { cs.geometry.kernelShape(batch: cs.n, channels: cs.c, outputs: cs.o) }
    #expect(cases.contains { DirectConvolution.applies(shape($0)) && $0.o % 32 != 0 }, "direct forward")
    #expect(cases.contains { shape($0).transposedAsForward.map(DirectConvolution.applies) == true }, "direct transposed")
    #expect(cases.contains { shape($0).transposedAsForward.map { $0.pt < 0 && DirectConvolution.applies($0) } == true })
    #expect(cases.contains { !DirectConvolution.applies(shape($0)) && $0.geometry.stride != (1, 1) })
    // One input channel: chunked columns, the 16-tap limit, and the implicit GEMM past it.
    let single = cases.filter { SingleChannelConvolution.applies(shape($0)) }
    #expect(single.contains { $0.geometry.output.0 * $0.geometry.output.1 > 2048 }, "single channel in chunks")
    #expect(single.contains { $0.geometry.kernel.0 * $0.geometry.kernel.1 == 16 && $0.geometry.dilation != (1, 1) })
    #expect(cases.contains { $0.c == 1 && !SingleChannelConvolution.applies(shape($0)) }, "one channel, 25 taps")
    for path in KernelPath.supported {
      let kc = genai_gemm_blocking_for(path.rawValue).kc
      #expect(cases.contains { $0.o > kc }, "[\(path)] no transposed product past one K block (kc \(kc))")
      #expect(
        cases.contains { $0.n * $0.geometry.output.0 * $0.geometry.output.1 > kc },
        "[\(path)] no weight gradient past one K block (kc \(kc))")
    }
  }
}
