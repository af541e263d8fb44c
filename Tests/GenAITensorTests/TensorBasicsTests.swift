import Foundation
import Testing

@testable import GenAITensor

/// Creation, random tensors, movement ops, gathers, masks, reductions and printing, on small
/// hand-checked examples.

private func basicsTensor(_ shape: [Int], _ values: [Float]) -> Tensor {
  // The shapes in this file are literals that match their values.
  try! Tensor(shape: shape, values)
}

/// `[0, 1, ..., n-1]` viewed as `shape`.
private func basicsIota(_ shape: [Int]) -> Tensor {
  Tensor.arange(0, Float(elementCount(shape))).reshaped(shape)
}

@Suite struct TensorBasicsCreationTests {
  @Test func constants() {
    let z = Tensor.zeros([2, 3])
    #expect(z.shape == [2, 3] && z.count == 6 && z.rank == 2 && z.scalars == [0, 0, 0, 0, 0, 0])
    #expect(Tensor.ones([2]).scalars == [1, 1])
    #expect(Tensor.full([2, 2], 2.5).scalars == [2.5, 2.5, 2.5, 2.5])
    #expect(Tensor.zeros(like: z).shape == [2, 3])
    #expect(Tensor.ones(like: z).scalars.allSatisfy { $0 == 1 })
    let s = Tensor(4)
    #expect(s.shape == [] && s.rank == 0 && s.count == 1 && s.item == 4)
    #expect(Tensor.zeros([0, 5]).count == 0)
    #expect(Tensor([1, 2, 3]).shape == [3])
    #expect(!z.requiresGrad && z.isLeaf && z.grad == nil && z.op == nil)
  }

  @Test func arange() {
    #expect(Tensor.arange(0, 5).scalars == [0, 1, 2, 3, 4])
    #expect(Tensor.arange(1, 2, step: 0.25).scalars == [1, 1.25, 1.5, 1.75])
    #expect(Tensor.arange(5, 0, step: -2).scalars == [5, 3, 1])
    #expect(Tensor.arange(3, 3).count == 0)
    #expect(Tensor.arange(0, 1, step: 0.3).count == 4)  // 0, 0.3, 0.6, 0.9
    #expect(Tensor.arange(2, 0).count == 0)
  }

  @Test func randomTensorsFollowTheirSeed() {
    var a = SeededGenerator(seed: 123), b = SeededGenerator(seed: 123), c = SeededGenerator(seed: 124)
    let x = Tensor.randn([64], using: &a)
    #expect(x.scalars == Tensor.randn([64], using: &b).scalars)
    #expect(x.scalars != Tensor.randn([64], using: &c).scalars)
    // The generator moves on: the next draw differs from the first.
    #expect(Tensor.randn([64], using: &a).scalars != x.scalars)

    var u1 = SeededGenerator(seed: 5), u2 = SeededGenerator(seed: 5), u3 = SeededGenerator(seed: 6)
    let u = Tensor.uniform([50], low: -2, high: 3, using: &u1)
    #expect(u.scalars == Tensor.uniform([50], low: -2, high: 3, using: &u2).scalars)
    #expect(u.scalars != Tensor.uniform([50], low: -2, high: 3, using: &u3).scalars)

    var b1 = SeededGenerator(seed: 9), b2 = SeededGenerator(seed: 9), b3 = SeededGenerator(seed: 10)
    let m = Tensor.bernoulli([100], p: 0.5, using: &b1)
    #expect(m.scalars == Tensor.bernoulli([100], p: 0.5, using: &b2).scalars)
    #expect(m.scalars != Tensor.bernoulli([100], p: 0.5, using: &b3).scalars)

    // The generator's state is a value: copying it replays the stream.
    var g = SeededGenerator(seed: 77)
    _ = g.next()
    var copy = g
    #expect(g.next() == copy.next())
    #expect(SeededGenerator(seed: 1) != SeededGenerator(seed: 2))
  }

  @Test func randomStatistics() {
    var rng = SeededGenerator(seed: 2024)
    func stats(_ t: Tensor) -> (mean: Double, std: Double) {
      let v = t.scalars.map(Double.init)
      let mean = v.reduce(0, +) / Double(v.count)
      let variance = v.map { ($0 - mean) * ($0 - mean) }.reduce(0, +) / Double(v.count)
      return (mean, variance.squareRoot())
    }
    let n = Tensor.randn([10_000], using: &rng)
    let s = stats(n)
    #expect(Swift.abs(s.mean) < 0.04, "mean \(s.mean)")  // standard error 0.01
    #expect(Swift.abs(s.std - 1) < 0.03, "std \(s.std)")
    // Tails: about 4.55% beyond 2σ.
    let beyond2 = Double(n.scalars.filter { Swift.abs($0) > 2 }.count) / 10_000
    #expect(beyond2 > 0.035 && beyond2 < 0.056, "P(|z| > 2) = \(beyond2)")

    let shifted = stats(Tensor.randn([10_000], mean: 2, std: 3, using: &rng))
    #expect(Swift.abs(shifted.mean - 2) < 0.12 && Swift.abs(shifted.std - 3) < 0.09, "\(shifted)")

    let u = Tensor.uniform([10_000], low: -1, high: 3, using: &rng)
    #expect(u.scalars.allSatisfy { $0 >= -1 && $0 < 3 })
    let us = stats(u)
    #expect(Swift.abs(us.mean - 1) < 0.05 && Swift.abs(us.std - 4 / 12.0.squareRoot()) < 0.03, "\(us)")

    let b = Tensor.bernoulli([10_000], p: 0.3, using: &rng)
    #expect(b.scalars.allSatisfy { $0 == 0 || $0 == 1 })
    #expect(Swift.abs(stats(b).mean - 0.3) < 0.02)
    #expect(Tensor.bernoulli([100], p: 0, using: &rng).scalars.allSatisfy { $0 == 0 })
    #expect(Tensor.bernoulli([100], p: 1, using: &rng).scalars.allSatisfy { $0 == 1 })
  }

  @Test func oddLengthRandnIsFilled() {
    // Box–Muller makes pairs; an odd count must still fill the last element.
    var rng = SeededGenerator(seed: 3)
    let t = Tensor.randn([3, 3], using: &rng)
    #expect(t.scalars.allSatisfy { $0.isFinite && $0 != 0 })
  }
}

@Suite struct TensorBasicsMovementTests {
  @Test func reshapeWithInferredSize() {
    let x = basicsIota([2, 3, 4])
    let y = x.reshaped([-1, 4])
    #expect(y.shape == [6, 4])
    #expect(y.storage === x.storage)  // a view: no copy
    #expect(y.scalars == x.scalars)
    #expect(x.reshaped([4, -1]).shape == [4, 6])
    #expect(x.reshaped([2, 3, 4]) === x)
    #expect(x.flattened().shape == [24])
    #expect(Tensor(5).reshaped([1, 1]).shape == [1, 1])
  }

  @Test func permuteAndTranspose() {
    let m = basicsTensor([2, 3], [1, 2, 3, 4, 5, 6])
    let t = m.transposed()
    #expect(t.shape == [3, 2] && t.scalars == [1, 4, 2, 5, 3, 6])
    #expect(m.permuted([1, 0]).scalars == t.scalars)
    #expect(m.permuted([0, 1]) === m)

    // out[k][i][j] = x[i][j][k]
    let x = basicsIota([2, 3, 4])
    let p = x.permuted([2, 0, 1])
    #expect(p.shape == [4, 2, 3])
    let xs = x.scalars, ps = p.scalars
    for i in 0..<2 {
      for j in 0..<3 {
        for k in 0..<4 { #expect(ps[(k * 2 + i) * 3 + j] == xs[(i * 3 + j) * 4 + k]) }
      }
    }
    // Negative axes, and transposing two chosen axes.
    #expect(x.permuted([-1, 0, 1]).scalars == ps)
    let t02 = x.transposed(0, 2)
    #expect(t02.shape == [4, 3, 2] && t02.scalars[1] == xs[12])
  }

  @Test func expand() {
    let col = basicsTensor([3, 1], [1, 2, 3])
    let e = col.expanded(to: [3, 4])
    #expect(e.shape == [3, 4] && e.scalars == [1, 1, 1, 1, 2, 2, 2, 2, 3, 3, 3, 3])
    let row = Tensor([7, 8, 9]).expanded(to: [2, 3])
    #expect(row.scalars == [7, 8, 9, 7, 8, 9])
    #expect(Tensor(2).expanded(to: [2, 2]).scalars == [2, 2, 2, 2])
  }

  @Test func squeezeAndUnsqueeze() {
    let x = Tensor.zeros([1, 3, 1])
    #expect(x.squeezed().shape == [3])
    #expect(x.squeezed(axes: [0]).shape == [3, 1])
    #expect(x.squeezed(axes: [-1]).shape == [1, 3])
    let v = Tensor([1, 2, 3])
    #expect(v.unsqueezed(axis: 0).shape == [1, 3])
    #expect(v.unsqueezed(axis: -1).shape == [3, 1])
    #expect(v.unsqueezed(axis: 1).shape == [3, 1])
    #expect(v.unsqueezed(axis: 0).scalars == [1, 2, 3])
  }

  @Test func slice() {
    let x = basicsIota([3, 4])
    let cols = x.slice(axis: 1, 1..<3)
    #expect(cols.shape == [3, 2] && cols.scalars == [1, 2, 5, 6, 9, 10])
    #expect(x.slice(axis: 0, 2..<3).scalars == [8, 9, 10, 11])
    #expect(x.slice(axis: -1, 3..<4).scalars == [3, 7, 11])
    #expect(x.slice(axis: 0, 1..<1).shape == [0, 4])
    #expect(x.slice(axis: 0, 0..<3) === x)
  }

  @Test func concatenateStackSplit() {
    let a = basicsTensor([2, 2], [1, 2, 3, 4])
    let b = basicsTensor([2, 1], [5, 6])
    let c = Tensor.concatenate([a, b], axis: 1)
    #expect(c.shape == [2, 3] && c.scalars == [1, 2, 5, 3, 4, 6])
    let r = Tensor.concatenate([a, basicsTensor([1, 2], [7, 8])], axis: 0)
    #expect(r.shape == [3, 2] && r.scalars == [1, 2, 3, 4, 7, 8])

    let s0 = Tensor.stack([Tensor([1, 2]), Tensor([3, 4])])
    #expect(s0.shape == [2, 2] && s0.scalars == [1, 2, 3, 4])
    let s1 = Tensor.stack([Tensor([1, 2]), Tensor([3, 4])], axis: 1)
    #expect(s1.shape == [2, 2] && s1.scalars == [1, 3, 2, 4])

    let parts = c.split(sizes: [1, 2], axis: 1)
    #expect(parts.map(\.shape) == [[2, 1], [2, 2]])
    #expect(parts[0].scalars == [1, 3] && parts[1].scalars == [2, 5, 4, 6])
    let halves = basicsIota([4, 3]).split(parts: 2)
    #expect(halves.map(\.scalars) == [[0, 1, 2, 3, 4, 5], [6, 7, 8, 9, 10, 11]])
    // Split undoes concatenate.
    let back = Tensor.concatenate(halves, axis: 0)
    #expect(back.scalars == basicsIota([4, 3]).scalars)
  }

  @Test func pad() {
    let x = basicsTensor([2, 2], [1, 2, 3, 4])
    let p = x.padded([(1, 0), (0, 2)], value: 9)
    #expect(p.shape == [3, 4])
    #expect(p.scalars == [9, 9, 9, 9, 1, 2, 9, 9, 3, 4, 9, 9])
    #expect(Tensor([1, 2]).padded([(2, 1)]).scalars == [0, 0, 1, 2, 0])
    #expect(x.padded([(0, 0), (0, 0)]) === x)
  }

  @Test func gatherAndIndexSelect() throws {
    let x = basicsTensor([2, 3], [1, 2, 3, 4, 5, 6])
    let g1 = x.gather(try IndexTensor(shape: [2, 2], [2, 0, 1, 1]), alongAxis: 1)
    #expect(g1.shape == [2, 2] && g1.scalars == [3, 1, 5, 5])
    let g0 = x.gather(try IndexTensor(shape: [1, 3], [1, 0, 1]), alongAxis: 0)
    #expect(g0.shape == [1, 3] && g0.scalars == [4, 2, 6])

    let table = basicsTensor([4, 2], [0, 1, 10, 11, 20, 21, 30, 31])
    let rows = table.indexSelect(IndexTensor([3, 0, 3]))
    #expect(rows.shape == [3, 2] && rows.scalars == [30, 31, 0, 1, 30, 31])
    // Token ids [B, T] pick embeddings [B, T, D].
    let ids = try IndexTensor(shape: [2, 2], [1, 2, 2, 0])
    let emb = table.indexSelect(ids)
    #expect(emb.shape == [2, 2, 2] && emb.scalars == [10, 11, 20, 21, 20, 21, 0, 1])
    // Along axis 1.
    let cols = x.indexSelect(IndexTensor([2, 2, 0]), axis: 1)
    #expect(cols.shape == [2, 3] && cols.scalars == [3, 3, 1, 6, 6, 4])
    // indexAdd accumulates repeated indices.
    let added = Tensor([1, 2, 3]).indexAdd(IndexTensor([1, 1, 0]), axis: 0, size: 3)
    #expect(added.scalars == [3, 3, 0])
  }

  @Test func selectWithMask() {
    let mask = Tensor([1, 0, 1])
    let s = Tensor.select(mask, Tensor([1, 2, 3]), Tensor([10, 20, 30]))
    #expect(s.scalars == [1, 20, 3])
    // Broadcasting: a scalar fallback, a row mask over a matrix.
    #expect(Tensor.select(mask, Tensor([1, 2, 3]), Tensor(0)).scalars == [1, 0, 3])
    let m = Tensor.select(Tensor([0, 1]), basicsIota([2, 2]), Tensor(-1))
    #expect(m.shape == [2, 2] && m.scalars == [-1, 1, -1, 3])
  }

  @Test func comparisonMasks() {
    let a = Tensor([1, 2, 3, 4])
    let b = Tensor([4, 2, 1, 4])
    #expect((a .> b).scalars == [0, 0, 1, 0])
    #expect((a .>= b).scalars == [0, 1, 1, 1])
    #expect((a .< b).scalars == [1, 0, 0, 0])
    #expect((a .<= b).scalars == [1, 1, 0, 1])
    #expect((a .== b).scalars == [0, 1, 0, 1])
    #expect((a .!= b).scalars == [1, 0, 1, 0])
    #expect((a .> 2).scalars == [0, 0, 1, 1])
    #expect((a .<= 2).scalars == [1, 1, 0, 0])
    #expect((a .== 3).scalars == [0, 0, 1, 0])
    // Masks broadcast and are constants, even of tensors that require gradients.
    let x = Tensor([1, 5]).requiringGrad()
    let mask = x .> basicsTensor([2, 1], [0, 3])
    #expect(mask.shape == [2, 2] && mask.scalars == [1, 1, 0, 1])
    #expect(!mask.requiresGrad && mask.isLeaf)
  }
}

@Suite struct TensorBasicsReductionTests {
  // x = [[1, 5, 3],
  //      [4, 2, 6]]
  let x = basicsTensor([2, 3], [1, 5, 3, 4, 2, 6])

  @Test func sumAndMean() {
    #expect(x.sum().shape == [] && x.sum().item == 21)
    let s0 = x.sum(axes: [0], keepDims: true)
    #expect(s0.shape == [1, 3] && s0.scalars == [5, 7, 9])
    let s1 = x.sum(axis: 1)
    #expect(s1.shape == [2] && s1.scalars == [9, 12])
    #expect(x.sum(axes: [0, 1], keepDims: true).shape == [1, 1])
    #expect(x.sum(axes: [-1], keepDims: true).scalars == [9, 12])
    #expect(x.mean().item == 3.5)
    #expect(x.mean(axis: 0).scalars == [2.5, 3.5, 4.5])
    #expect(x.mean(axis: 1, keepDims: true).shape == [2, 1])
    #expect(x.mean(axis: 1, keepDims: true).scalars == [3, 4])
    // Summing over a middle axis of a rank-3 tensor.
    let y = basicsIota([2, 3, 2])
    #expect(y.sum(axis: 1).scalars == [6, 9, 24, 27])
    #expect(y.sum(axes: [0, 2]).scalars == [14, 22, 30])
  }

  @Test func maxMinArgmax() {
    let mx = x.max(axes: [1], keepDims: true)
    #expect(mx.shape == [2, 1] && mx.scalars == [5, 6])
    #expect(x.max().item == 6 && x.max().shape == [])
    #expect(x.max(axes: [0]).scalars == [4, 5, 6])
    #expect(x.min(axes: [1]).scalars == [1, 2])
    #expect(x.min(axes: [0], keepDims: true).scalars == [1, 2, 3])
    #expect(x.min().item == 1)

    #expect(x.argmax(axis: 1) == IndexTensor([1, 2]))
    #expect(x.argmax(axis: 0) == IndexTensor([1, 0, 1]))
    #expect(x.argmax(axis: -1).shape == [2])
    // Ties pick the first.
    #expect(Tensor([3, 7, 7, 1]).argmax(axis: 0).values == [1])
    let cube = basicsIota([2, 2, 2])
    #expect(cube.argmax(axis: 1).shape == [2, 2])
    #expect(cube.argmax(axis: 1).values == [1, 1, 1, 1])
  }

  @Test func variance() {
    // Row 0: mean 3, squared deviations 4, 4, 0. Row 1: mean 4, deviations 0, 4, 4.
    let v = x.variance(axes: [1])
    #expect(v.shape == [2])
    #expect(Swift.abs(v.scalars[0] - 8 / 3) < 1e-6 && Swift.abs(v.scalars[1] - 8 / 3) < 1e-6)
    #expect(x.variance(axes: [1], correction: 1).scalars == [4, 4])
    let vk = x.variance(axes: [0], keepDims: true)
    #expect(vk.shape == [1, 3] && vk.scalars == [2.25, 2.25, 2.25])
    #expect(Swift.abs(x.variance().item - 17.5 / 6) < 1e-6)
  }

  @Test func softmaxAndLogSumExp() {
    let s = x.softmax(axis: 1)
    let rows = s.sum(axis: 1).scalars
    #expect(rows.allSatisfy { Swift.abs($0 - 1) < 1e-6 })
    let lse = x.logSumExp(axes: [1])
    let expected = [Foundation.log(Foundation.exp(1.0) + Foundation.exp(5.0) + Foundation.exp(3.0)),
                    Foundation.log(Foundation.exp(4.0) + Foundation.exp(2.0) + Foundation.exp(6.0))]
    #expect(zip(lse.scalars, expected).allSatisfy { Swift.abs(Double($0) - $1) < 1e-5 })
    // Stable for large inputs.
    let big = Tensor([1000, 1000]).softmax()
    #expect(big.scalars == [0.5, 0.5])
    let logp = Tensor([1000, 0]).logSoftmax()
    #expect(logp.scalars[0] == 0 && logp.scalars[1] == -1000)
  }
}

@Suite struct TensorBasicsDescriptionTests {
  @Test func showsShapeAndValues() {
    let d = basicsTensor([2, 3], [1, 2, 3, 4, 5, 6]).description
    #expect(d.hasPrefix("Tensor([2, 3], "))
    #expect(d.contains("[1.0, 2.0, 3.0]") && d.contains("[4.0, 5.0, 6.0]"))
    #expect(Tensor(2.5).description == "Tensor([], 2.5)")
    #expect(Tensor([1, 2]).requiringGrad().description == "Tensor([2], requiresGrad, [1.0, 2.0])")
    #expect(Tensor([Float.nan, .infinity, -.infinity]).description == "Tensor([3], [nan, inf, -inf])")
  }

  @Test func truncatesLongAxes() {
    let d = Tensor.arange(0, 10).description
    #expect(d == "Tensor([10], [0.0, 1.0, 2.0, ..., 7.0, 8.0, 9.0])")
    // Six entries are shown in full; seven are cut.
    #expect(!Tensor.arange(0, 6).description.contains("..."))
    #expect(Tensor.arange(0, 7).description.contains("..."))
    // Both axes of a large matrix are cut: 3 + 3 rows, each 3 + 3 values.
    let big = basicsIota([100, 100]).description
    #expect(big.hasPrefix("Tensor([100, 100], "))
    #expect(big.contains("[0.0, 1.0, 2.0, ..., 97.0, 98.0, 99.0]"))
    #expect(big.contains("[9900.0, 9901.0, 9902.0, ..., 9997.0, 9998.0, 9999.0]"))
    #expect(!big.contains("5000.0"))
    #expect(big.count < 400)
  }
}
