import Foundation
import GenAITestSupport
import Testing

@testable import GenAINN
@testable import GenAITensor

// LSTM and GRU: shapes, one step against a naive Double computation, stacking and state
// carrying, gradients by finite differences, PyTorch state-dict keys, dropout between layers,
// and a long sequence.

/// Deterministic values in `[-scale, scale]` for fixed weights.
private func fixedValues(_ n: Int, seed: Double, scale: Double = 0.6) -> [Float] {
  (0..<n).map { Float(sin(Double($0) * 1.7 + seed) * scale) }
}

private func fixedTensor(_ shape: [Int], seed: Double, scale: Double = 0.6) -> Tensor {
  GradCheck.tensor(shape, fixedValues(shape.reduce(1, *), seed: seed, scale: scale))
}

/// Largest absolute difference between two equally shaped tensors.
private func maxDiff(_ a: Tensor, _ b: Tensor) -> Float {
  #expect(a.shape == b.shape)
  return zip(a.scalars, b.scalars).map { Swift.abs($0 - $1) }.max() ?? 0
}

private func sigmoid(_ x: Double) -> Double { 1 / (1 + Foundation.exp(-x)) }

/// `W·v` for `W` `[rows, cols]` stored row-major, `v` of `cols` values at `offset`.
private func matvec(_ w: [Float], rows: Int, cols: Int, _ v: [Float], offset: Int) -> [Double] {
  (0..<rows).map { r in (0..<cols).reduce(0.0) { $0 + Double(w[r * cols + $1]) * Double(v[offset + $1]) } }
}

private func lstmCell(_ w: [Tensor]) -> LSTMCell {
  LSTMCell(weight_ih: w[0], weight_hh: w[1], bias_ih: w[2], bias_hh: w[3])
}

@Suite struct RecurrentTests {
  // MARK: - Shapes

  @Test func shapes() {
    var rng = SeededGenerator(seed: 1)
    let lstm = LSTM(inputSize: 3, hiddenSize: 4, layers: 2, using: &rng)
    let x = Tensor.randn([2, 5, 3], using: &rng)
    let (y, s) = lstm(x)
    #expect(y.shape == [2, 5, 4])
    #expect(s.h.shape == [2, 2, 4] && s.c.shape == [2, 2, 4])
    let gru = GRU(inputSize: 3, hiddenSize: 4, layers: 3, using: &rng)
    let (gy, gh) = gru(x)
    #expect(gy.shape == [2, 5, 4] && gh.shape == [3, 2, 4])
    let cell = LSTMCell(inputSize: 3, hiddenSize: 4, using: &rng)
    let cs = cell(Tensor.randn([2, 3], using: &rng))
    #expect(cs.h.shape == [2, 4] && cs.c.shape == [2, 4])
    let gcell = GRUCell(inputSize: 3, hiddenSize: 4, using: &rng)
    #expect(gcell(Tensor.randn([2, 3], using: &rng)).shape == [2, 4])
    // The output is the last layer's h at every step.
    #expect(maxDiff(y.slice(axis: 1, 4..<5).reshaped([2, 4]), s.h.slice(axis: 0, 1..<2).reshaped([2, 4])) == 0)
  }

  // MARK: - One step by hand

  @Test func lstmCellStepMatchesHandComputation() {
    let (B, I, H) = (2, 3, 2)
    let w = [
      fixedTensor([4 * H, I], seed: 0.1), fixedTensor([4 * H, H], seed: 0.7),
      fixedTensor([4 * H], seed: 1.3, scale: 0.3), fixedTensor([4 * H], seed: 2.1, scale: 0.3),
    ]
    let x = fixedTensor([B, I], seed: 3.0, scale: 1)
    let h = fixedTensor([B, H], seed: 4.0, scale: 0.8)
    let c = fixedTensor([B, H], seed: 5.0, scale: 0.8)
    let out = lstmCell(w)(x, state: LSTMState(h: h, c: c))

    let (wih, whh, bih, bhh) = (w[0].scalars, w[1].scalars, w[2].scalars, w[3].scalars)
    var eh: [Float] = []
    var ec: [Float] = []
    for b in 0..<B {
      let gx = matvec(wih, rows: 4 * H, cols: I, x.scalars, offset: b * I)
      let gh = matvec(whh, rows: 4 * H, cols: H, h.scalars, offset: b * H)
      let pre = (0..<4 * H).map { gx[$0] + gh[$0] + Double(bih[$0]) + Double(bhh[$0]) }
      for j in 0..<H {
        let (ig, fg) = (sigmoid(pre[j]), sigmoid(pre[H + j]))
        let (gg, og) = (Foundation.tanh(pre[2 * H + j]), sigmoid(pre[3 * H + j]))
        let c2 = fg * Double(c.scalars[b * H + j]) + ig * gg
        ec.append(Float(c2))
        eh.append(Float(og * Foundation.tanh(c2)))
      }
    }
    #expect(maxDiff(out.h, GradCheck.tensor([B, H], eh)) < 1e-6)
    #expect(maxDiff(out.c, GradCheck.tensor([B, H], ec)) < 1e-6)
    // No state means zeros.
    let fromZero = lstmCell(w)(x)
    let zero = lstmCell(w)(x, state: LSTMState(h: .zeros([B, H]), c: .zeros([B, H])))
    #expect(maxDiff(fromZero.h, zero.h) == 0 && maxDiff(fromZero.c, zero.c) == 0)
  }

  @Test func gruCellStepMatchesHandComputation() {
    let (B, I, H) = (2, 3, 2)
    let wih = fixedTensor([3 * H, I], seed: 0.2)
    let whh = fixedTensor([3 * H, H], seed: 0.9)
    let bih = fixedTensor([3 * H], seed: 1.4, scale: 0.3)
    let bhh = fixedTensor([3 * H], seed: 2.6, scale: 0.3)
    let x = fixedTensor([B, I], seed: 3.3, scale: 1)
    let h = fixedTensor([B, H], seed: 4.4, scale: 0.8)
    let out = GRUCell(weight_ih: wih, weight_hh: whh, bias_ih: bih, bias_hh: bhh)(x, state: h)

    var expected: [Float] = []
    for b in 0..<B {
      let gx = matvec(wih.scalars, rows: 3 * H, cols: I, x.scalars, offset: b * I).enumerated().map { $1 + Double(bih.scalars[$0]) }
      let gh = matvec(whh.scalars, rows: 3 * H, cols: H, h.scalars, offset: b * H).enumerated().map { $1 + Double(bhh.scalars[$0]) }
      for j in 0..<H {
        let r = sigmoid(gx[j] + gh[j])
        let z = sigmoid(gx[H + j] + gh[H + j])
        let n = Foundation.tanh(gx[2 * H + j] + r * gh[2 * H + j])  // PyTorch: r gates W_hn h + b_hn
        expected.append(Float((1 - z) * n + z * Double(h.scalars[b * H + j])))
      }
    }
    #expect(maxDiff(out, GradCheck.tensor([B, H], expected)) < 1e-6)
  }

  // MARK: - Stacking and state

  @Test func lstmLayersEqualCellsAppliedByHand() {
    var rng = SeededGenerator(seed: 2)
    let lstm = LSTM(inputSize: 3, hiddenSize: 4, layers: 2, using: &rng)
    let x = Tensor.randn([2, 4, 3], using: &rng)
    let (y, final) = lstm(x)
    var s0: LSTMState? = nil
    var s1: LSTMState? = nil
    var ys: [Tensor] = []
    for t in 0..<4 {
      s0 = lstm.cells[0](x.slice(axis: 1, t..<(t + 1)).reshaped([2, 3]), state: s0)
      s1 = lstm.cells[1](s0!.h, state: s1)
      ys.append(s1!.h)
    }
    #expect(maxDiff(y, Tensor.stack(ys, axis: 1)) < 1e-6)
    #expect(maxDiff(final.h, Tensor.stack([s0!.h, s1!.h])) < 1e-6)
    #expect(maxDiff(final.c, Tensor.stack([s0!.c, s1!.c])) < 1e-6)
  }

  /// Feeding the rows of an embedding table by token (the first layer projects the table once)
  /// gives the outputs, state and gradients of embedding first and running the network on that.
  @Test func lstmOverTableRowsEqualsEmbeddedInput() throws {
    var rng = SeededGenerator(seed: 12)
    let lstm = LSTM(inputSize: 5, hiddenSize: 6, layers: 2, using: &rng)
    let table = Tensor.randn([7, 5], using: &rng).requiringGrad()
    let tokens = try IndexTensor(shape: [3, 4], [0, 6, 2, 2, 5, 1, 0, 3, 4, 4, 6, 1])
    let (direct, directState) = lstm(table.indexSelect(tokens, axis: 0), state: nil)
    let (lookup, lookupState) = lstm(rowsOf: table, tokens: tokens, state: nil)
    // Float tolerance: the two orders of the same products round differently.
    #expect(maxDiff(direct, lookup) < 1e-5)
    #expect(maxDiff(directState.h, lookupState.h) < 1e-5 && maxDiff(directState.c, lookupState.c) < 1e-5)
    let weights = [table] + lstm.parameters()
    let cot = Tensor.randn(direct.shape, using: &rng)
    let g1 = try gradients(of: direct, withRespectTo: weights, cotangent: cot)
    let g2 = try gradients(of: lookup, withRespectTo: weights, cotangent: cot)
    for (a, b) in zip(g1, g2) { #expect(maxDiff(a, b) < 1e-4) }
  }

  @Test func lstmSequenceEqualsStepsCarryingState() {
    var rng = SeededGenerator(seed: 3)
    let lstm = LSTM(inputSize: 3, hiddenSize: 4, layers: 2, dropout: 0.5, using: &rng)
    lstm.eval()
    let (B, T) = (2, 5)
    let x = Tensor.randn([B, T, 3], using: &rng)
    let initial = LSTMState(h: Tensor.randn([2, B, 4], using: &rng), c: Tensor.randn([2, B, 4], using: &rng))
    let (y, final) = lstm(x, state: initial)
    // One step at a time, then in uneven chunks.
    for chunks in [[1, 1, 1, 1, 1], [2, 3]] {
      var state = initial
      var ys: [Tensor] = []
      var t = 0
      for n in chunks {
        let (yt, next) = lstm(x.slice(axis: 1, t..<(t + n)), state: state)
        ys.append(yt)
        state = next
        t += n
      }
      #expect(maxDiff(y, Tensor.concatenate(ys, axis: 1)) < 1e-6)
      #expect(maxDiff(final.h, state.h) < 1e-6 && maxDiff(final.c, state.c) < 1e-6)
    }
  }

  @Test func gruSequenceEqualsStepsCarryingState() {
    var rng = SeededGenerator(seed: 4)
    let gru = GRU(inputSize: 3, hiddenSize: 4, layers: 2, using: &rng)
    let (B, T) = (3, 4)
    let x = Tensor.randn([B, T, 3], using: &rng)
    let h0 = Tensor.randn([2, B, 4], using: &rng)
    let (y, final) = gru(x, state: h0)
    var h = h0
    var ys: [Tensor] = []
    for t in 0..<T {
      let (yt, next) = gru(x.slice(axis: 1, t..<(t + 1)), state: h)
      ys.append(yt)
      h = next
    }
    #expect(maxDiff(y, Tensor.concatenate(ys, axis: 1)) < 1e-6)
    #expect(maxDiff(final, h) < 1e-6)
    // Layers stack as cells applied by hand.
    var c0: Tensor = h0.slice(axis: 0, 0..<1).reshaped([B, 4])
    var c1: Tensor = h0.slice(axis: 0, 1..<2).reshaped([B, 4])
    for t in 0..<T {
      c0 = gru.cells[0](x.slice(axis: 1, t..<(t + 1)).reshaped([B, 3]), state: c0)
      c1 = gru.cells[1](c0, state: c1)
    }
    #expect(maxDiff(final, Tensor.stack([c0, c1])) < 1e-6)
  }

  // MARK: - Gradients

  /// Inputs of a two-layer network: x [2, 3, 2], the initial state, then per layer weight_ih,
  /// weight_hh, bias_ih, bias_hh.
  private static func recurrentInputs(_ g: inout InputGenerator, gates: Int, stateParts: Int) -> [GradInput] {
    let (B, T, I, H) = (2, 3, 2, 2)
    var inputs = [g.uniform([B, T, I], -1, 1)]
    for _ in 0..<stateParts { inputs.append(g.uniform([2, B, H], -0.8, 0.8)) }
    for l in 0..<2 {
      inputs += [
        g.uniform([gates * H, l == 0 ? I : H], -0.8, 0.8), g.uniform([gates * H, H], -0.8, 0.8),
        g.uniform([gates * H], -0.5, 0.5), g.uniform([gates * H], -0.5, 0.5),
      ]
    }
    return inputs
  }

  @Test func lstmGradientsMatchFiniteDifferences() throws {
    let c = GradCase("LSTM 2 layers, B 2, T 3, I 2, H 2", nil, inputs: { g in
      RecurrentTests.recurrentInputs(&g, gates: 4, stateParts: 2)
    }) { t in
      let cells = [
        LSTMCell(weight_ih: t[3], weight_hh: t[4], bias_ih: t[5], bias_hh: t[6]),
        LSTMCell(weight_ih: t[7], weight_hh: t[8], bias_ih: t[9], bias_hh: t[10]),
      ]
      let (y, s) = LSTM(cells: cells)(t[0], state: LSTMState(h: t[1], c: t[2]))
      return Tensor.concatenate([y.flattened(), s.h.flattened(), s.c.flattened()])
    }
    let report = try GradCheck.run(c)
    #expect(report.failures == 0 && report.checkedElements > 0)
  }

  @Test func gruGradientsMatchFiniteDifferences() throws {
    let c = GradCase("GRU 2 layers, B 2, T 3, I 2, H 2", nil, inputs: { g in
      RecurrentTests.recurrentInputs(&g, gates: 3, stateParts: 1)
    }) { t in
      let cells = [
        GRUCell(weight_ih: t[2], weight_hh: t[3], bias_ih: t[4], bias_hh: t[5]),
        GRUCell(weight_ih: t[6], weight_hh: t[7], bias_ih: t[8], bias_hh: t[9]),
      ]
      let (y, h) = GRU(cells: cells)(t[0], state: t[1])
      return Tensor.concatenate([y.flattened(), h.flattened()])
    }
    let report = try GradCheck.run(c)
    #expect(report.failures == 0 && report.checkedElements > 0)
  }

  /// The per-step slices: values and gradient of every row (the engine adds the slices' gradients in place).
  @Test func timeStepsCutsEveryRow() throws {
    for T in [1, 2, 5, 8] {
      let x = Tensor.arange(0, Float(T * 6)).reshaped([T, 2, 3]).requiringGrad()
      let rows = timeSteps(x)
      #expect(rows.count == T)
      for (t, r) in rows.enumerated() {
        #expect(r.shape == [2, 3] && r.scalars == (0..<6).map { Float(t * 6 + $0) })
      }
      let loss = Tensor.concatenate(rows.enumerated().map { $1.flattened() * Float($0 + 1) }).sum()
      try loss.backward()
      #expect(x.grad?.scalars == (0..<(T * 6)).map { Float($0 / 6 + 1) })
    }
  }

  // MARK: - Names and counts

  @Test func stateDictKeysMatchPyTorch() throws {
    var rng = SeededGenerator(seed: 5)
    let lstm = LSTM(inputSize: 3, hiddenSize: 4, layers: 2, using: &rng)
    let keys = [
      "weight_ih_l0", "weight_hh_l0", "bias_ih_l0", "bias_hh_l0",
      "weight_ih_l1", "weight_hh_l1", "bias_ih_l1", "bias_hh_l1",
    ]
    #expect(lstm.namedParameters().map(\.0) == keys)
    #expect(lstm.namedParameters().map(\.1.shape) == [[16, 3], [16, 4], [16], [16], [16, 4], [16, 4], [16], [16]])
    #expect(lstm.namedBuffers().isEmpty)
    #expect(lstm.parameterCount() == 16 * (3 + 4 + 2) + 16 * (4 + 4 + 2))
    #expect(lstm.namedRandomSources().map(\.0) == ["randomSource"])

    let gru = GRU(inputSize: 3, hiddenSize: 4, layers: 2, bias: false, using: &rng)
    #expect(gru.namedParameters().map(\.0) == ["weight_ih_l0", "weight_hh_l0", "weight_ih_l1", "weight_hh_l1"])
    #expect(gru.parameterCount() == 12 * (3 + 4) + 12 * (4 + 4))
    #expect(GRUCell(inputSize: 3, hiddenSize: 4, using: &rng).namedParameters().map(\.0) == ["weight_ih", "weight_hh", "bias_ih", "bias_hh"])
    #expect(LSTMCell(inputSize: 3, hiddenSize: 4, using: &rng).namedParameters().map(\.1.shape) == [[16, 3], [16, 4], [16], [16]])

    // Nested, frozen, and loaded by key.
    final class CharRNN: Module {
      let rnn: LSTM
      init(_ rnn: LSTM) { self.rnn = rnn }
    }
    let model = CharRNN(lstm)
    #expect(model.namedParameters().map(\.0) == keys.map { "rnn." + $0 })
    model.freeze()
    #expect(model.namedParameters().count == 8 && model.parameters().isEmpty)
    model.unfreeze()
    #expect(model.parameters().count == 8)
    let other = LSTM(inputSize: 3, hiddenSize: 4, layers: 2, using: &rng)
    try other.load(stateDict: lstm.stateDict())
    #expect(maxDiff(other.cells[1].weight_hh, lstm.cells[1].weight_hh) == 0)
  }

  @Test func initialisation() {
    var rng = SeededGenerator(seed: 6)
    let lstm = LSTM(inputSize: 5, hiddenSize: 16, layers: 1, recurrentInit: .orthogonal(gain: 1), using: &rng)
    let k = 1 / Float(16).squareRoot()
    #expect(lstm.cells[0].weight_ih.scalars.allSatisfy { Swift.abs($0) <= k })
    #expect(lstm.cells[0].bias_hh!.scalars.allSatisfy { Swift.abs($0) <= k })
    // Orthogonal [4H, H]: the H columns are orthonormal.
    let w = lstm.cells[0].weight_hh
    let gram = w.matmul(w, transposeA: true)
    let eye = GradCheck.tensor([16, 16], (0..<256).map { $0 % 17 == 0 ? 1 : 0 })
    #expect(maxDiff(gram, eye) < 1e-5)
  }

  // MARK: - Dropout between layers

  @Test func dropoutOnlyBetweenLayersAndOnlyInTraining() {
    var rng = SeededGenerator(seed: 7)
    let x = Tensor.randn([2, 3, 4], using: &rng)
    var init1 = SeededGenerator(seed: 8)
    let one = LSTM(inputSize: 4, hiddenSize: 4, layers: 1, dropout: 0.5, using: &init1)
    let trainOut = one(x).output
    one.eval()
    #expect(maxDiff(trainOut, one(x).output) == 0)  // nothing after the last layer

    var init2 = SeededGenerator(seed: 9)
    let two = LSTM(inputSize: 4, hiddenSize: 4, layers: 2, dropout: 0.5, using: &init2)
    let a = two(x).output
    let b = two(x).output
    two.eval()
    let e = two(x).output
    #expect(maxDiff(a, e) > 1e-4 && maxDiff(a, b) > 1e-4)  // fresh masks per call
    var init3 = SeededGenerator(seed: 9)
    let twin = LSTM(inputSize: 4, hiddenSize: 4, layers: 2, dropout: 0.5, using: &init3)
    #expect(maxDiff(twin(x).output, a) == 0)  // the masks come from the module's seeded source
  }

  // MARK: - Long sequences

  @Test func thousandStepsForwardAndBackwardDoNotOverflowTheStack() throws {
    var rng = SeededGenerator(seed: 10)
    let lstm = LSTM(inputSize: 1, hiddenSize: 2, using: &rng)
    let x = Tensor.randn([1, 1000, 1], using: &rng)
    let (y, s) = lstm(x)
    try (y.sum() + s.c.sum()).backward()
    #expect(lstm.parameters().allSatisfy { $0.grad?.scalars.allSatisfy(\.isFinite) == true })
    // A recorded graph that is dropped without a backward pass is released iteratively too.
    _ = lstm(x).output.sum()
    let gru = GRU(inputSize: 1, hiddenSize: 2, using: &rng)
    try gru(x).output.sum().backward()
    #expect(gru.parameters().allSatisfy { $0.grad != nil })
  }
}
