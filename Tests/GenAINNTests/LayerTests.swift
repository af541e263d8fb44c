import GenAITestSupport
import Testing

@testable import GenAINN
@testable import GenAITensor

#if canImport(Glibc)
  import Glibc
#elseif canImport(Darwin)
  import Darwin
#endif

// Layers against references written here from the definitions (PyTorch and Keras conventions):
// naive loops in Double for convolutions, hand-computed statistics for normalisation, power
// iteration in Double for spectral norms. Gradients are in LayerGradientTests.swift.

// MARK: - Helpers

/// Quantised values in [-1, 1], seeded: exact in float32, so references in Double agree closely.
private func testValues(_ count: Int, seed: UInt64) -> [Float] {
  var gen = InputGenerator(seed: seed)
  return gen.uniform([count], -1, 1).values
}

/// A tensor of `shape` filled with `testValues`.
private func testTensor(_ shape: [Int], seed: UInt64) -> Tensor {
  GradCheck.tensor(shape, testValues(elementCount(shape), seed: seed))
}

/// Overwrites `t`'s values in place.
private func assign(_ t: Tensor?, _ values: [Float]) {
  guard let t else { return }
  precondition(t.count == values.count, "assign: \(t.count) elements, \(values.count) values")
  t.withUnsafeMutableBufferPointer { b in for i in b.indices { b[i] = values[i] } }
}

/// Largest `|a − b|` over two equally long arrays (`.infinity` when the lengths differ).
private func maxDifference(_ a: [Float], _ b: [Double]) -> Double {
  guard a.count == b.count else { return .infinity }
  return zip(a, b).map { abs(Double($0) - $1) }.max() ?? 0
}

/// A grouped 2-D cross-correlation by definition: input `[N, C, H, W]`, weight
/// `[O, C/groups, KH, KW]`, zero padding `padBefore` at the start of each axis, output size `out`.
private func naiveConv2d(
  _ x: [Float], _ xs: [Int], _ w: [Float], _ ws: [Int], bias: [Float]?, stride: (Int, Int),
  dilation: (Int, Int) = (1, 1), padBefore: (Int, Int), out: (Int, Int), groups: Int = 1
) -> [Double] {
  let (n, c, h, wd) = (xs[0], xs[1], xs[2], xs[3])
  let (o, cg, kh, kw) = (ws[0], ws[1], ws[2], ws[3])
  let og = o / groups
  var y = [Double](repeating: 0, count: n * o * out.0 * out.1)
  for b in 0..<n {
    for f in 0..<o {
      for i in 0..<out.0 {
        for j in 0..<out.1 {
          var s = Double(bias?[f] ?? 0)
          for ci in 0..<cg {
            let ch = (f / og) * cg + ci
            for p in 0..<kh {
              for q in 0..<kw {
                let r = i * stride.0 + p * dilation.0 - padBefore.0
                let t = j * stride.1 + q * dilation.1 - padBefore.1
                guard r >= 0 && r < h && t >= 0 && t < wd else { continue }
                s += Double(x[((b * c + ch) * h + r) * wd + t]) * Double(w[((f * cg + ci) * kh + p) * kw + q])
              }
            }
          }
          y[((b * o + f) * out.0 + i) * out.1 + j] = s
        }
      }
    }
  }
  return y
}

/// A grouped 2-D transposed convolution by definition: every input pixel `(i, j)` adds its value
/// times the kernel at `(i·s + p·d, j·s + q·d)` of the full output, of which `out` elements are
/// kept from `cropBefore` on. Input `[N, C, H, W]`, weight `[C, O/groups, KH, KW]`.
private func naiveConvTranspose2d(
  _ x: [Float], _ xs: [Int], _ w: [Float], _ ws: [Int], bias: [Float]?, stride: (Int, Int),
  cropBefore: (Int, Int), out: (Int, Int), groups: Int = 1
) -> [Double] {
  let (n, c, h, wd) = (xs[0], xs[1], xs[2], xs[3])
  let (og, kh, kw) = (ws[1], ws[2], ws[3])
  let o = og * groups, cg = c / groups
  var y = [Double](repeating: 0, count: n * o * out.0 * out.1)
  for b in 0..<n {
    for ch in 0..<c {
      for i in 0..<h {
        for j in 0..<wd {
          let xv = Double(x[((b * c + ch) * h + i) * wd + j])
          for fo in 0..<og {
            let f = (ch / cg) * og + fo
            for p in 0..<kh {
              for q in 0..<kw {
                let r = i * stride.0 + p - cropBefore.0
                let t = j * stride.1 + q - cropBefore.1
                guard r >= 0 && r < out.0 && t >= 0 && t < out.1 else { continue }
                y[((b * o + f) * out.0 + r) * out.1 + t] += xv * Double(w[((ch * og + fo) * kh + p) * kw + q])
              }
            }
          }
        }
      }
    }
  }
  if let bias {
    for i in y.indices { y[i] += Double(bias[(i / (out.0 * out.1)) % o]) }
  }
  return y
}

/// TensorFlow's SAME padding before the data: `total / 2` of
/// `total = max((ceil(in/s) − 1)·s + d·(k−1) + 1 − in, 0)`.
private func samePadBefore(_ input: Int, kernel: Int, stride: Int, dilation: Int = 1) -> Int {
  let out = (input + stride - 1) / stride
  return max((out - 1) * stride + dilation * (kernel - 1) + 1 - input, 0) / 2
}

/// The largest singular value of the row-major `rows × cols` matrix `m`, by power iteration on
/// `mᵀm` in Double.
private func largestSingularValue(_ m: [Double], rows: Int, cols: Int) -> Double {
  var v = (0..<cols).map { 1 + 0.1 * Double($0) }
  var sigma = 0.0
  for _ in 0..<2000 {
    var mv = [Double](repeating: 0, count: rows)
    for r in 0..<rows { for c in 0..<cols { mv[r] += m[r * cols + c] * v[c] } }
    var next = [Double](repeating: 0, count: cols)
    for r in 0..<rows { for c in 0..<cols { next[c] += m[r * cols + c] * mv[r] } }
    let norm = next.map { $0 * $0 }.reduce(0, +).squareRoot()
    sigma = norm.squareRoot()  // ‖mᵀm v‖ → σ² for a unit v
    v = next.map { $0 / norm }
  }
  return sigma
}

// MARK: - Convolutions

@Suite struct LayerConvolutionTests {
  @Test func conv2dSameStride2MatchesNaiveLoop() {
    var rng = SeededGenerator(seed: 1)
    let conv = Conv2d(inputChannels: 3, outputChannels: 4, kernelSize: 3, stride: 2, padding: .same, using: &rng)
    let xs = [2, 3, 5, 6]
    let x = testTensor(xs, seed: 1)
    assign(conv.weight, testValues(conv.weight.count, seed: 2))
    assign(conv.bias, testValues(4, seed: 3))
    let y = conv(x)
    #expect(y.shape == [2, 4, 3, 3])
    let ref = naiveConv2d(
      x.scalars, xs, conv.weight.scalars, conv.weight.shape, bias: conv.bias?.scalars, stride: (2, 2),
      padBefore: (samePadBefore(5, kernel: 3, stride: 2), samePadBefore(6, kernel: 3, stride: 2)), out: (3, 3))
    #expect(maxDifference(y.scalars, ref) < 1e-5)
  }

  @Test func groupedDilatedConv2dMatchesNaiveLoop() {
    var rng = SeededGenerator(seed: 2)
    let conv = Conv2d(inputChannels: 4, outputChannels: 6, kernelSize: [2, 3], padding: .symmetric(1), dilation: 2,
                      groups: 2, using: &rng)
    #expect(conv.weight.shape == [6, 2, 2, 3])
    let xs = [1, 4, 5, 5]
    let x = testTensor(xs, seed: 4)
    let y = conv(x)
    #expect(y.shape == [1, 6, 5, 3])  // (5 + 2 − 2·1 − 1) + 1, (5 + 2 − 2·2 − 1) + 1
    let ref = naiveConv2d(
      x.scalars, xs, conv.weight.scalars, conv.weight.shape, bias: conv.bias?.scalars, stride: (1, 1),
      dilation: (2, 2), padBefore: (1, 1), out: (5, 3), groups: 2)
    #expect(maxDifference(y.scalars, ref) < 1e-5)
  }

  @Test func convTranspose2dKerasSameStride2MatchesNaiveLoop() {
    // Keras Conv2DTranspose(padding="same"): output in·stride, the full result cropped by
    // max(k − s, 0)/2 at the start (0 rows for k = 3, 1 column for k = 4).
    var rng = SeededGenerator(seed: 3)
    let deconv = ConvTranspose2d(inputChannels: 3, outputChannels: 2, kernelSize: [3, 4], stride: 2, padding: .same,
                                 using: &rng)
    #expect(deconv.weight.shape == [3, 2, 3, 4])
    let xs = [2, 3, 3, 4]
    let x = testTensor(xs, seed: 5)
    assign(deconv.weight, testValues(deconv.weight.count, seed: 6))
    let y = deconv(x)
    #expect(y.shape == [2, 2, 6, 8])
    let ref = naiveConvTranspose2d(
      x.scalars, xs, deconv.weight.scalars, deconv.weight.shape, bias: deconv.bias?.scalars, stride: (2, 2),
      cropBefore: ((3 - 2) / 2, (4 - 2) / 2), out: (6, 8))
    #expect(maxDifference(y.scalars, ref) < 1e-5)
  }

  @Test func convTranspose2dPyTorchPaddingAndOutputPaddingMatchesNaiveLoop() {
    // PyTorch: out = (H − 1)·s − 2p + k + outputPadding, cropped by p at the start.
    var rng = SeededGenerator(seed: 4)
    let deconv = ConvTranspose2d(inputChannels: 4, outputChannels: 4, kernelSize: 3, stride: 2,
                                 padding: .symmetric(1), outputPadding: 1, groups: 2, using: &rng)
    #expect(deconv.weight.shape == [4, 2, 3, 3])
    let xs = [1, 4, 3, 3]
    let x = testTensor(xs, seed: 7)
    let y = deconv(x)
    #expect(y.shape == [1, 4, 6, 6])
    let ref = naiveConvTranspose2d(
      x.scalars, xs, deconv.weight.scalars, deconv.weight.shape, bias: deconv.bias?.scalars, stride: (2, 2),
      cropBefore: (1, 1), out: (6, 6), groups: 2)
    #expect(maxDifference(y.scalars, ref) < 1e-5)
  }

  @Test func conv1dAndConvTranspose1dSameStride2MatchNaiveLoops() {
    var rng = SeededGenerator(seed: 5)
    let conv = Conv1d(inputChannels: 2, outputChannels: 3, kernelSize: 4, stride: 2, padding: .same, using: &rng)
    let x = testTensor([2, 2, 7], seed: 8)
    let y = conv(x)
    #expect(y.shape == [2, 3, 4])
    let ws = [3, 2, 1, 4]
    let ref = naiveConv2d(
      x.scalars, [2, 2, 1, 7], conv.weight.scalars, ws, bias: conv.bias?.scalars, stride: (1, 2),
      padBefore: (0, samePadBefore(7, kernel: 4, stride: 2)), out: (1, 4))
    #expect(maxDifference(y.scalars, ref) < 1e-5)

    let deconv = ConvTranspose1d(inputChannels: 2, outputChannels: 3, kernelSize: 3, stride: 2, padding: .same,
                                 using: &rng)
    #expect(deconv.weight.shape == [2, 3, 3])
    let z = deconv(testTensor([2, 2, 3], seed: 9))
    #expect(z.shape == [2, 3, 6])
    let refT = naiveConvTranspose2d(
      testValues(12, seed: 9), [2, 2, 1, 3], deconv.weight.scalars, [2, 3, 1, 3], bias: deconv.bias?.scalars,
      stride: (1, 2), cropBefore: (0, (3 - 2) / 2), out: (1, 6))
    #expect(maxDifference(z.scalars, refT) < 1e-5)
  }

  @Test func pytorchDefaultInitialisationBounds() {
    var rng = SeededGenerator(seed: 6)
    // Kaiming-uniform with a = √5 and the bias both have bound 1/√fanIn, fanIn = shape[1]·KH·KW.
    let conv = Conv2d(inputChannels: 4, outputChannels: 8, kernelSize: 3, using: &rng)
    let bound = 1 / Float(36).squareRoot()
    #expect(conv.weight.scalars.allSatisfy { abs($0) <= bound })
    #expect(conv.weight.scalars.map(abs).max()! > 0.9 * bound)
    #expect(conv.bias!.scalars.allSatisfy { abs($0) <= bound })
    // Transposed: weight [C, O, K, K]; PyTorch (and Keras) take fanIn from shape[1] = O.
    let deconv = ConvTranspose2d(inputChannels: 4, outputChannels: 8, kernelSize: 3, using: &rng)
    let boundT = 1 / Float(72).squareRoot()
    #expect(deconv.weight.scalars.allSatisfy { abs($0) <= boundT })
    #expect(deconv.weight.scalars.map(abs).max()! > 0.9 * boundT)
    #expect(deconv.bias!.shape == [8] && deconv.bias!.scalars.allSatisfy { abs($0) <= boundT })
    // DCGAN's N(0, 0.02).
    let dcgan = Conv2d(inputChannels: 16, outputChannels: 16, kernelSize: 4, bias: false,
                       weightInit: .normal(mean: 0, std: 0.02), using: &rng)
    let w = dcgan.weight.scalars.map(Double.init)
    let std = (w.map { $0 * $0 }.reduce(0, +) / Double(w.count)).squareRoot()
    #expect(abs(std - 0.02) < 0.001 && dcgan.bias == nil)
  }

  @Test func namesAndCountsOfASmallDiscriminatorAreGolden() {
    var rng = SeededGenerator(seed: 7)
    let d = Sequential([
      Conv2d(inputChannels: 1, outputChannels: 4, kernelSize: 4, stride: 2, padding: .symmetric(1), bias: false,
             using: &rng),
      BatchNorm2d(featureCount: 4), LeakyReLU(slope: 0.2), Dropout(p: 0.3, seed: 1), Flatten(),
      SpectralNorm(Linear(inputSize: 4 * 4 * 4, outputSize: 1, using: &rng), using: &rng),
    ])
    #expect(d(Tensor.zeros([2, 1, 8, 8])).shape == [2, 1])
    #expect(d.namedParameters().map(\.0) == ["0.weight", "1.weight", "1.bias", "5.weight_orig", "5.bias"])
    #expect(d.namedBuffers().map(\.0) == ["1.running_mean", "1.running_var", "5.weight_u", "5.weight_v"])
    #expect(d.parameterCount() == 64 + 4 + 4 + 64 + 1)
    #expect(d.namedRandomSources().map(\.0) == ["3.randomSource"])
  }
}

// MARK: - Normalisation

@Suite struct LayerNormalizationTests {
  /// Per-channel mean, population and unbiased variance of `[N, C, S]` values, in Double.
  static func channelStats(_ x: [Float], n: Int, c: Int, s: Int) -> [(mean: Double, pop: Double, unbiased: Double)] {
    (0..<c).map { ch in
      var vals: [Double] = []
      for b in 0..<n { for k in 0..<s { vals.append(Double(x[(b * c + ch) * s + k])) } }
      let mean = vals.reduce(0, +) / Double(vals.count)
      let ss = vals.map { ($0 - mean) * ($0 - mean) }.reduce(0, +)
      return (mean, ss / Double(vals.count), ss / Double(vals.count - 1))
    }
  }

  @Test func batchNorm2dTrainingUsesBatchStatisticsAndUpdatesRunningOnesLikePyTorch() {
    let bn = BatchNorm2d(featureCount: 2, momentum: 0.2)  // = Keras momentum 0.8
    let (gamma, beta): ([Float], [Float]) = ([1.5, -0.5], [0.25, 1])
    assign(bn.weight, gamma)
    assign(bn.bias, beta)
    var rm: [Double] = [0, 0], rv: [Double] = [1, 1]
    for step in 0..<2 {
      let x = testTensor([3, 2, 2, 2], seed: 20 + UInt64(step))
      let y = bn(x)
      let stats = Self.channelStats(x.scalars, n: 3, c: 2, s: 4)
      var ref = [Double](repeating: 0, count: 24)
      for i in 0..<24 {
        let ch = (i / 4) % 2
        ref[i] = (Double(x.scalars[i]) - stats[ch].mean) / (stats[ch].pop + 1e-5).squareRoot() * Double(gamma[ch])
          + Double(beta[ch])
      }
      #expect(maxDifference(y.scalars, ref) < 1e-5)
      for ch in 0..<2 {
        rm[ch] = 0.8 * rm[ch] + 0.2 * stats[ch].mean
        rv[ch] = 0.8 * rv[ch] + 0.2 * stats[ch].unbiased  // unbiased, as PyTorch
      }
      #expect(maxDifference(bn.runningMean!.scalars, rm) < 1e-6)
      #expect(maxDifference(bn.runningVar!.scalars, rv) < 1e-6)
    }
    // Evaluation: running statistics, and they stay as they are.
    bn.eval()
    let x = testTensor([2, 2, 1, 3], seed: 30)
    let y = bn(x)
    let ref = (0..<12).map { i -> Double in
      let ch = (i / 3) % 2
      return (Double(x.scalars[i]) - rm[ch]) / (rv[ch] + 1e-5).squareRoot() * Double(gamma[ch]) + Double(beta[ch])
    }
    #expect(maxDifference(y.scalars, ref) < 1e-5)
    #expect(maxDifference(bn.runningMean!.scalars, rm) < 1e-6)
  }

  @Test func batchNorm1dOnFeaturesAndSequences() {
    let bn = BatchNorm1d(featureCount: 3, momentum: 0.5)
    let x = testTensor([4, 3], seed: 40)
    let y = bn(x)
    let stats = Self.channelStats(x.scalars, n: 4, c: 3, s: 1)
    let ref = (0..<12).map { (Double(x.scalars[$0]) - stats[$0 % 3].mean) / (stats[$0 % 3].pop + 1e-5).squareRoot() }
    #expect(maxDifference(y.scalars, ref) < 1e-5)
    #expect(maxDifference(bn.runningVar!.scalars, stats.map { 0.5 + 0.5 * $0.unbiased }) < 1e-6)

    let seq = BatchNorm1d(featureCount: 2)
    let xs = testTensor([2, 2, 5], seed: 41)
    #expect(seq(xs).shape == [2, 2, 5])
    let s2 = Self.channelStats(xs.scalars, n: 2, c: 2, s: 5)
    #expect(maxDifference(seq.runningMean!.scalars, s2.map { 0.1 * $0.mean }) < 1e-6)
    seq.eval()
    let ref2 = (0..<20).map { i -> Double in
      let ch = (i / 5) % 2
      return (Double(xs.scalars[i]) - 0.1 * s2[ch].mean) / (0.9 + 0.1 * s2[ch].unbiased + 1e-5).squareRoot()
    }
    #expect(maxDifference(seq(xs).scalars, ref2) < 1e-5)
  }

  @Test func batchNormWithoutRunningStatisticsUsesBatchStatisticsInEvaluation() {
    let bn = BatchNorm2d(featureCount: 2, affine: false, trackRunningStats: false)
    #expect(bn.namedTensors().isEmpty)
    let x = testTensor([2, 2, 2, 2], seed: 42)
    let train = bn(x).scalars
    bn.eval()
    #expect(bn(x).scalars == train)
  }

  @Test func batchNorm2dStateDictKeysArePyTorchs() throws {
    let bn = BatchNorm2d(featureCount: 3)
    #expect(bn.namedTensors().map(\.0) == ["weight", "bias", "running_mean", "running_var"])
    #expect(bn.namedParameters().map(\.0) == ["weight", "bias"])
    #expect(bn.namedBuffers().map(\.0) == ["running_mean", "running_var"])
    #expect(Set(bn.stateDict().keys) == ["weight", "bias", "running_mean", "running_var"])
    try bn.load(stateDict: [
      "weight": Tensor([1, 2, 3]), "bias": Tensor([0, 0, 1]),
      "running_mean": Tensor([0.5, 0.25, 0]), "running_var": Tensor([4, 4, 1]),
    ])
    #expect(bn.runningMean!.scalars == [0.5, 0.25, 0] && bn.runningVar!.scalars == [4, 4, 1])
    #expect(throws: StateDictError.self) { try bn.load(stateDict: ["weight": Tensor([1, 2, 3])]) }
  }

  @Test func layerNormMatchesHandComputation() {
    let ln = LayerNorm(3)
    #expect(ln.namedParameters().map(\.0) == ["weight", "bias"] && ln.weight!.shape == [3])
    assign(ln.weight, [1, 2, -1])
    assign(ln.bias, [0, 0.5, 1])
    let x = testTensor([2, 2, 3], seed: 50)
    let y = ln(x)
    var ref: [Double] = []
    for row in 0..<4 {
      let v = (0..<3).map { Double(x.scalars[row * 3 + $0]) }
      let m = v.reduce(0, +) / 3
      let s = v.map { ($0 - m) * ($0 - m) }.reduce(0, +) / 3
      ref += (0..<3).map { (v[$0] - m) / (s + 1e-5).squareRoot() * [1, 2, -1][$0] + [0, 0.5, 1][$0] }
    }
    #expect(y.shape == [2, 2, 3])
    #expect(maxDifference(y.scalars, ref) < 1e-5)
    #expect(LayerNorm(normalizedShape: [2, 3], elementwiseAffine: false).namedTensors().isEmpty)
    #expect(LayerNorm(4, bias: false).namedParameters().map(\.0) == ["weight"])
  }

  @Test func groupNormMatchesHandComputation() {
    let gn = GroupNorm(groupCount: 2, channelCount: 4)
    assign(gn.weight, [1, -1, 2, 0.5])
    assign(gn.bias, [0, 1, 0, -1])
    let x = testTensor([2, 4, 1, 3], seed: 60)
    let y = gn(x)
    var ref = [Double](repeating: 0, count: 24)
    for n in 0..<2 {
      for g in 0..<2 {
        let idx = (0..<6).map { n * 12 + g * 6 + $0 }  // 2 channels × 3 positions
        let v = idx.map { Double(x.scalars[$0]) }
        let m = v.reduce(0, +) / 6
        let s = v.map { ($0 - m) * ($0 - m) }.reduce(0, +) / 6
        for (k, i) in idx.enumerated() {
          let ch = g * 2 + k / 3
          ref[i] = (v[k] - m) / (s + 1e-5).squareRoot() * [1, -1, 2, 0.5][ch] + [0, 1, 0, -1][ch]
        }
      }
    }
    #expect(maxDifference(y.scalars, ref) < 1e-5)
  }
}

// MARK: - Dropout, embedding, reshaping, activations

@Suite struct LayerMiscellaneousTests {
  /// A stack of batches draws, batch after batch, the masks of calls in turn: alone and as a
  /// data-parallel member holding half of each batch.
  @Test func stackedBatchesDropAsCallsInTurn() {
    let a = testTensor([4, 3, 5], seed: 87), b = testTensor([4, 3, 5], seed: 88)
    let turn = Dropout(p: 0.4, seed: 3), stack = Dropout(p: 0.4, seed: 3)
    let (ta, tb) = (turn(a), turn(b))
    #expect(stack(Tensor.concatenate([a, b], axis: 0), stackedBatches: 2).scalars == ta.scalars + tb.scalars)
    for member in 0..<2 {
      // A member holds rows 2m, 2m+1 of each batch and must draw what one process drew there.
      let rows = (2 * member)..<(2 * member + 2)
      let half = Dropout(p: 0.4, seed: 3)
      half.randomSource.batchShard = BatchShard(index: member, count: 2)
      let y = half(Tensor.concatenate([a.slice(axis: 0, rows), b.slice(axis: 0, rows)], axis: 0), stackedBatches: 2)
      #expect(y.scalars == ta.slice(axis: 0, rows).scalars + tb.slice(axis: 0, rows).scalars)
    }
  }

  @Test func dropoutIsIdentityInEvaluationAndReproducibleWithItsSeed() {
    let x = Tensor.ones([2000])
    let drop = Dropout(p: 0.25, seed: 9)
    let a = drop(x).scalars
    #expect(a.allSatisfy { $0 == 0 || $0 == Float(1) / 0.75 })
    let dropped = Double(a.filter { $0 == 0 }.count) / 2000
    #expect(abs(dropped - 0.25) < 0.04)
    #expect(drop(x).scalars != a)  // the generator moves on
    #expect(Dropout(p: 0.25, seed: 9)(x).scalars == a)  // same seed, same mask
    #expect(Dropout(p: 0.25, seed: 10)(x).scalars != a)
    // Restoring the generator's state (what a checkpoint does) replays the masks.
    let saved = drop.randomSource.generator
    let b = drop(x).scalars
    drop.randomSource.generator = saved
    #expect(drop(x).scalars == b)
    drop.eval()
    let y = testTensor([3, 4], seed: 70)
    #expect(drop(y) === y)
    #expect(Dropout(p: 0, seed: 1)(y) === y)
  }

  @Test func embeddingLooksUpRows() throws {
    var rng = SeededGenerator(seed: 8)
    let emb = Embedding(count: 5, dimension: 4, using: &rng)
    #expect(emb.namedParameters().map(\.0) == ["weight"] && emb.weight.shape == [5, 4])
    let ids = try IndexTensor(shape: [2, 3], [4, 0, 2, 2, 1, 3])
    let y = emb(ids)
    #expect(y.shape == [2, 3, 4])
    let w = emb.weight.scalars
    #expect(y.scalars == ids.values.flatMap { w[($0 * 4)..<($0 * 4 + 4)] })
    #expect(emb.asLinear(Tensor.ones([2, 4])).shape == [2, 5])
    // PyTorch's N(0, 1) initialisation.
    let big = Embedding(count: 100, dimension: 50, using: &rng).weight.scalars.map(Double.init)
    let mean = big.reduce(0, +) / 5000
    let std = (big.map { ($0 - mean) * ($0 - mean) }.reduce(0, +) / 5000).squareRoot()
    #expect(abs(mean) < 0.05 && abs(std - 1) < 0.05)
  }

  @Test func flattenAndReshapeShapes() {
    let x = Tensor.zeros([2, 3, 4, 5])
    #expect(Flatten()(x).shape == [2, 60])
    #expect(Flatten(startAxis: 0, endAxis: 1)(x).shape == [6, 4, 5])
    #expect(Flatten(startAxis: 2)(x).shape == [2, 3, 20])
    #expect(Flatten(startAxis: -2, endAxis: -1)(x).shape == [2, 3, 20])
    #expect(Reshape([4, -1])(Tensor.zeros([2, 12])).shape == [2, 4, 3])
    #expect(Reshape([128, 7, 7])(Tensor.zeros([3, 128 * 49])).shape == [3, 128, 7, 7])
    let v = testTensor([2, 6], seed: 80)
    #expect(Reshape([2, 3])(v).scalars == v.scalars)
  }

  /// A channels-last network's flatten and reshape keep the channels-first feature order, so its
  /// dense layers (and checkpoints) are those of its channels-first twin.
  @Test func channelsLastFlattenAndReshapeKeepTheFeatureOrder() {
    let x = testTensor([2, 3, 4, 5], seed: 81)
    let last = x.permuted([0, 2, 3, 1])
    #expect(Flatten(channelsLastImages: true)(last).scalars == Flatten()(x).scalars)
    let features = testTensor([2, 60], seed: 82)
    let image = Reshape([3, 4, 5], toChannelsLast: true)(features)
    #expect(image.shape == [2, 4, 5, 3])
    #expect(image.permuted([0, 3, 1, 2]).scalars == Reshape([3, 4, 5])(features).scalars)
  }

  /// `Conv2d` and `ConvTranspose2d` with `layout: .channelsLast` hold the same parameters as the
  /// channels-first layers drawn from the same seed and give their outputs moved channels-last.
  @Test func channelsLastLayersMatchChannelsFirst() {
    var a = SeededGenerator(seed: 5), b = SeededGenerator(seed: 5)
    let conv = Conv2d(inputChannels: 3, outputChannels: 9, kernelSize: 3, stride: 2, padding: .same, using: &a)
    let convLast = Conv2d(
      inputChannels: 3, outputChannels: 9, kernelSize: 3, stride: 2, padding: .same, layout: .channelsLast, using: &b)
    #expect(conv.weight.scalars == convLast.weight.scalars && convLast.layout == .channelsLast)
    let up = ConvTranspose2d(inputChannels: 9, outputChannels: 2, kernelSize: 3, stride: 2, padding: .same, using: &a)
    let upLast = ConvTranspose2d(
      inputChannels: 9, outputChannels: 2, kernelSize: 3, stride: 2, padding: .same, layout: .channelsLast, using: &b)
    let x = testTensor([2, 3, 7, 6], seed: 83)
    let first = up(conv(x))
    let last = upLast(convLast(x.permuted([0, 2, 3, 1])))
    #expect(last.shape == [2, 8, 6, 2])
    #expect(maxDifference(last.permuted([0, 3, 1, 2]).scalars, first.scalars.map(Double.init)) < 1e-5)
  }

  /// `BatchNorm2d(layout: .channelsLast)` on `[N, H, W, C]` is the channels-first layer on the
  /// same images: outputs, input and parameter gradients, running statistics and evaluation
  /// (the channels-last statistics take the fused column path, so the sums' order differs: 1e-5).
  @Test func channelsLastBatchNormMatchesChannelsFirst() throws {
    let x = testTensor([3, 5, 4, 6], seed: 84), upstream = testTensor([3, 5, 4, 6], seed: 85)
    func run(_ layout: ConvLayout) throws -> (y: [Float], dx: [Float], dWeight: [Float], dBias: [Float], running: [Float], eval: [Float]) {
      let bn = BatchNorm2d(featureCount: 5, momentum: 0.3, layout: layout)
      assign(bn.weight, [1.5, -0.5, 2, 0.75, 1])
      assign(bn.bias, [0.25, 1, -1, 0, 0.5])
      let move = { (t: Tensor) in layout == .channelsLast ? t.permuted([0, 2, 3, 1]) : t }
      let back = { (t: Tensor) in layout == .channelsLast ? t.permuted([0, 3, 1, 2]) : t }
      let input = move(x).copy().requiringGrad()
      let y = bn(input)
      try (y * move(upstream)).sum().backward()
      bn.eval()
      let evaluated = back(bn(move(x)))
      return (back(y).scalars, back(input.grad!).scalars, bn.weight!.grad!.scalars, bn.bias!.grad!.scalars,
              bn.runningMean!.scalars + bn.runningVar!.scalars, evaluated.scalars)
    }
    let first = try run(.channelsFirst), last = try run(.channelsLast)
    for (name, a, b) in [("y", first.y, last.y), ("dx", first.dx, last.dx), ("dWeight", first.dWeight, last.dWeight),
                         ("dBias", first.dBias, last.dBias), ("running", first.running, last.running),
                         ("eval", first.eval, last.eval)] {
      #expect(maxDifference(b, a.map(Double.init)) < 1e-5, "\(name)")
    }
    let bn = BatchNorm2d(featureCount: 5, layout: .channelsLast)
    #expect(bn.layout == .channelsLast && bn.namedParameters().map(\.0) == ["weight", "bias"])
  }

  /// Channels-last nearest upsampling repeats the same pixels as channels-first.
  @Test func channelsLastUpsampleMatchesChannelsFirst() {
    let x = testTensor([2, 3, 4, 5], seed: 86)
    let first = Upsample(scale: (2, 3))(x)
    let last = Upsample(scale: (2, 3), layout: .channelsLast)(x.permuted([0, 2, 3, 1]))
    #expect(last.shape == [2, 8, 15, 3])
    #expect(last.permuted([0, 3, 1, 2]).scalars == first.scalars)
  }

  @Test func activationsMatchTheirDefinitions() {
    let xs: [Float] = [-2, -0.5, 0.25, 1.5]
    let x = Tensor(xs)
    func check(_ layer: any UnaryLayer, _ f: (Double) -> Double, tol: Double = 1e-6) {
      let y = layer(x)
      #expect(y.shape == [4])
      #expect(maxDifference(y.scalars, xs.map { f(Double($0)) }) < tol, "\(type(of: layer))")
    }
    check(ReLU()) { max($0, 0) }
    check(LeakyReLU()) { $0 > 0 ? $0 : 0.01 * $0 }
    check(LeakyReLU(slope: 0.2)) { $0 > 0 ? $0 : 0.2 * $0 }
    check(Sigmoid()) { 1 / (1 + exp(-$0)) }
    check(Tanh()) { tanh($0) }
    check(GELU()) { 0.5 * $0 * (1 + erf($0 / 2.0.squareRoot())) }
    check(GELU(approximate: true)) { x in
      0.5 * x * (1 + tanh((2 / Double.pi).squareRoot() * (x + 0.044715 * x * x * x)))
    }
    check(SiLU()) { $0 / (1 + exp(-$0)) }
    check(Softplus()) { log(1 + exp($0)) }
    let total = xs.map { exp(Double($0)) }.reduce(0, +)
    check(Softmax()) { exp($0) / total }
    check(LogSoftmax()) { $0 - log(total) }
    #expect(Softmax(axis: 0)(Tensor.zeros([2, 3])).scalars == [Float](repeating: 0.5, count: 6))
  }
}

// MARK: - Spectral normalisation

@Suite struct LayerSpectralNormTests {
  @Test func linearWeightReachesUnitSpectralNorm() {
    var rng = SeededGenerator(seed: 12)
    let linear = Linear(inputSize: 6, outputSize: 4, using: &rng)
    let sn = SpectralNorm(linear, using: &rng)
    #expect(sn.u.shape == [4] && sn.v.shape == [6])
    let x = Tensor.randn([3, 6], using: &rng)
    for _ in 0..<60 { _ = sn(x) }  // one power-iteration step per training-mode call
    let w = linear.weight.scalars.map(Double.init)
    let trueSigma = largestSingularValue(w, rows: 4, cols: 6)
    #expect(abs(Double(sn.sigma) - trueSigma) < 1e-4 * trueSigma)
    let normalized = sn.normalizedWeight(update: false).scalars.map(Double.init)
    #expect(abs(largestSingularValue(normalized, rows: 4, cols: 6) - 1) < 1e-4)
    // The layer runs with W/σ.
    let expected = linear.forward(x, weight: sn.normalizedWeight(update: false)).scalars.map(Double.init)
    #expect(maxDifference(sn(x).scalars, expected) < 1e-6)
  }

  @Test func transposedConvolutionIsNormalisedAlongItsOutputAxis() {
    var rng = SeededGenerator(seed: 13)
    let deconv = ConvTranspose2d(inputChannels: 3, outputChannels: 4, kernelSize: 2, stride: 2, using: &rng)
    let sn = SpectralNorm(deconv, using: &rng)
    #expect(sn.u.shape == [4] && sn.v.shape == [12])  // PyTorch's dim = 1: [O, C·KH·KW]
    for _ in 0..<60 { _ = sn.normalizedWeight() }
    let w = sn.normalizedWeight(update: false).scalars.map(Double.init)  // [3, 4, 2, 2]
    var m = [Double](repeating: 0, count: 48)  // [4, 12]
    for c in 0..<3 { for o in 0..<4 { for k in 0..<4 { m[o * 12 + c * 4 + k] = w[(c * 4 + o) * 4 + k] } } }
    #expect(abs(largestSingularValue(m, rows: 4, cols: 12) - 1) < 1e-4)
    #expect(sn(Tensor.zeros([1, 3, 2, 2])).shape == [1, 4, 4, 4])
  }

  @Test func evaluationModeLeavesTheVectorsAndTrainingModeUpdatesThem() {
    var rng = SeededGenerator(seed: 14)
    let sn = SpectralNorm(Conv2d(inputChannels: 2, outputChannels: 3, kernelSize: 3, using: &rng), using: &rng)
    let x = Tensor.zeros([1, 2, 4, 4])
    let u0 = sn.u.scalars
    sn.eval()
    _ = sn(x)
    #expect(sn.u.scalars == u0)
    sn.train()
    _ = sn(x)
    #expect(sn.u.scalars != u0)
    #expect(abs(sn.u.scalars.map { $0 * $0 }.reduce(0, +) - 1) < 1e-5)
  }

  @Test func stateDictKeysArePyTorchs() throws {
    var rng = SeededGenerator(seed: 15)
    let linear = Linear(inputSize: 3, outputSize: 2, using: &rng)
    let sn = SpectralNorm(linear, using: &rng)
    #expect(sn.namedTensors().map(\.0) == ["weight_orig", "bias", "weight_u", "weight_v"])
    #expect(sn.namedParameters().map(\.0) == ["weight_orig", "bias"])
    #expect(sn.parameters().first === linear.weight)
    #expect(Sequential([sn]).namedBuffers().map(\.0) == ["0.weight_u", "0.weight_v"])
    try sn.load(stateDict: [
      "weight_orig": Tensor.ones([2, 3]), "bias": Tensor.zeros([2]), "weight_u": Tensor([1, 0]),
      "weight_v": Tensor([0, 1, 0]),
    ])
    #expect(linear.weight.scalars == [1, 1, 1, 1, 1, 1] && sn.u.scalars == [1, 0])
    sn.freeze()
    #expect(sn.namedParameters().map(\.0) == ["weight_orig", "bias"] && sn.parameters().isEmpty)
    sn.unfreeze()
    #expect(sn.parameters().count == 2)
  }
}
