import CGenAIKernels
import GenAITestSupport
import Testing

@testable import GenAITensor

// The channels-last products (`Tensor.convolutionChannelsLast`, `convolutionTransposeChannelsLast`,
// `convolutionWeightGradientChannelsLast`, conv_nhwc.c) on every kernel path, against the same
// Double references as the channels-first ones (ConvolutionProductTests.swift): the inputs are
// moved channels-last, the results moved back and checked element by element within the same
// √n bound. The catalogue's random cases have 1-7 channels on each side, so they run the narrow
// loop (fewer than 8 outputs); its named ones (37-128 outputs) run the direct tiles, with partial
// weight panels, stride-2 output phases and weight gradients past one K block.

enum ChannelsLastCheck {
  /// `[N, C, H, W]` → `[N, H, W, C]` and back.
  static func toLast(_ t: Tensor) -> Tensor { t.permuted([0, 2, 3, 1]) }
  static func toFirst(_ t: Tensor) -> Tensor { t.permuted([0, 3, 1, 2]) }

  static func run(_ cs: ConvCase, on path: KernelPath) {
    let r = ConvCheck.reference(cs)
    let g = cs.geometry
    let x = GradCheck.tensor(cs.xShape, r.x)
    let y = GradCheck.tensor(cs.yShape, r.y)
    let w = GradCheck.tensor(cs.wShape, r.w)
    let biasO = cs.bias ? GradCheck.tensor([cs.o], r.biasO) : nil
    let biasC = cs.bias ? GradCheck.tensor([cs.c], r.biasC) : nil
    let (forward, transpose, weightGradient) = withKernelPath(path) {
      (
        toFirst(Tensor.convolutionChannelsLast(toLast(x), w, bias: biasO, g)),
        toFirst(Tensor.convolutionTransposeChannelsLast(toLast(y), w, bias: biasC, g)),
        Tensor.convolutionWeightGradientChannelsLast(toLast(x), toLast(y), g)
      )
    }
    let what = "\(path) channels-last \(cs.testDescription)"
    ConvCheck.expect(forward, r.forward, at: r.yIndices, bias: r.biasO, shape: cs.yShape, "\(what): convolution")
    ConvCheck.expect(
      transpose, r.transpose, at: r.xIndices, bias: r.biasC, shape: cs.xShape, "\(what): convolutionTranspose")
    ConvCheck.expect(
      weightGradient, r.weightGradient, at: r.wIndices, bias: [], shape: cs.wShape,
      "\(what): convolutionWeightGradient")
  }
}

@Suite struct ConvolutionChannelsLastTests {
  static let checks: [PathCheck] = ConvCheck.cases.map { cs in
    PathCheck(cs.testDescription) { ChannelsLastCheck.run(cs, on: $0) }
  }

  @Test("Channels-last products on the portable path", .requires(.portable), arguments: checks)
  func portable(_ check: PathCheck) throws { try check(.portable) }

  @Test("Channels-last products on the avx2 path", .requires(.avx2), arguments: checks)
  func avx2(_ check: PathCheck) throws { try check(.avx2) }

  @Test("Channels-last products on the avx512 path", .requires(.avx512), arguments: checks)
  func avx512(_ check: PathCheck) throws { try check(.avx512) }

  @Test("Channels-last products on the neon path", .requires(.neon), arguments: checks)
  func neon(_ check: PathCheck) throws { try check(.neon) }

  /// Both kinds of product run: the narrow loop (fewer than 8 outputs) and the direct tiles, and
  /// stride-2 transposed products with several output phases.
  @Test func casesReachBothLoops() {
    let cases = ConvCheck.cases
    #expect(cases.contains { genai_conv_nhwc_narrow($0.o) != 0 && genai_conv_nhwc_narrow($0.c) != 0 })
    #expect(cases.contains { genai_conv_nhwc_narrow($0.o) == 0 && $0.o % 32 != 0 }, "direct, partial panel")
    #expect(cases.contains { genai_conv_nhwc_narrow($0.c) == 0 && $0.geometry.stride == (2, 2) }, "phases")
  }

  /// The public entry points: `conv2d` / `convTranspose2d` with `layout: .channelsLast` give the
  /// channels-first results moved channels-last, including the one-channel sides they route
  /// through the channels-first one-channel products, and so do their gradients.
  @Test(arguments: [(1, 32), (32, 1), (5, 40), (40, 3)])
  func publicLayoutMatchesChannelsFirst(_ channels: (Int, Int)) throws {
    let (c, o) = channels
    var rng = SeededGenerator(seed: UInt64(c * 100 + o))
    let x = Tensor.uniform([2, c, 9, 8], low: -1, high: 1, using: &rng)
    let w = Tensor.uniform([o, c, 3, 3], low: -0.5, high: 0.5, using: &rng)
    let wt = Tensor.uniform([c, o, 3, 3], low: -0.5, high: 0.5, using: &rng)
    let b = Tensor.uniform([o], low: -1, high: 1, using: &rng)
    for (name, first, last) in [
      (
        "conv2d",
        { (x: Tensor, w: Tensor, b: Tensor) in x.conv2d(w, bias: b, stride: (2, 2), padding: .same) },
        { (x: Tensor, w: Tensor, b: Tensor) in x.conv2d(w, bias: b, stride: (2, 2), padding: .same, layout: .channelsLast) }
      ),
      (
        "convTranspose2d",
        { (x: Tensor, w: Tensor, b: Tensor) in x.convTranspose2d(w, bias: b, stride: (2, 2), padding: .same) },
        { (x: Tensor, w: Tensor, b: Tensor) in
          x.convTranspose2d(w, bias: b, stride: (2, 2), padding: .same, layout: .channelsLast)
        }
      ),
    ] {
      let weight = name == "conv2d" ? w : wt
      let leaves = [x, weight, b].map { $0.detached().requiringGrad() }
      let leavesLast = [x, weight, b].map { $0.detached().requiringGrad() }
      let yFirst = first(leaves[0], leaves[1], leaves[2])
      let yLast = last(ChannelsLastCheck.toLast(leavesLast[0]), leavesLast[1], leavesLast[2])
      let back = ChannelsLastCheck.toFirst(yLast)
      #expect(back.shape == yFirst.shape, "[\(name) \(c)→\(o)] shape")
      #expect(zip(back.scalars, yFirst.scalars).allSatisfy { abs($0 - $1) <= 1e-5 }, "[\(name) \(c)→\(o)] values")
      let cotangent = Tensor.uniform(yFirst.shape, low: -1, high: 1, using: &rng)
      try (yFirst * cotangent).sum().backward()
      try (back * cotangent).sum().backward()
      for (i, (a, l)) in zip(leaves, leavesLast).enumerated() {
        let ga = try #require(a.grad), gl = try #require(l.grad)
        #expect(zip(ga.scalars, gl.scalars).allSatisfy { abs($0 - $1) <= 1e-4 }, "[\(name) \(c)→\(o)] gradient \(i)")
      }
    }
  }

  /// A permutation that swaps two groups of trailing axes is a batch of matrix transposes
  /// (`Kernels.transposeBatch`), element for element the strided gather's result.
  @Test func batchedTransposePermutationsCopyExactly() {
    #expect(Tensor.batchedTranspose([0, 2, 3, 1], [2, 3, 4, 5])! == (2, 3, 20))
    #expect(Tensor.batchedTranspose([0, 3, 1, 2], [2, 3, 4, 5])! == (2, 12, 5))
    #expect(Tensor.batchedTranspose([1, 0], [7, 9])! == (1, 7, 9))
    #expect(Tensor.batchedTranspose([0, 2, 1, 3], [2, 3, 4, 5]) == nil)
    #expect(Tensor.batchedTranspose([2, 0, 1, 3], [2, 3, 4, 5]) == nil)
    var rng = SeededGenerator(seed: 9)
    for (shape, axes) in [([3, 5, 7, 33], [0, 2, 3, 1]), ([3, 7, 33, 5], [0, 3, 1, 2]), ([17, 40], [1, 0]),
                          ([2, 1, 64, 3], [0, 2, 3, 1])] {
      let t = Tensor.uniform(shape, low: -1, high: 1, using: &rng)
      let fast = t.permuted(axes)
      let strides = contiguousStrides(shape)
      let slow = Kernels.stridedGather(
        t.storage.base, offset: 0, shape: axes.map { shape[$0] }, strides: axes.map { strides[$0] })
      #expect(fast.shape == axes.map { shape[$0] })
      #expect(fast.scalars == Array(slow.buffer), "\(shape) \(axes)")
    }
  }
}
