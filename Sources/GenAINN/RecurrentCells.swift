import GenAITensor

// Property names such as `weight_ih` break Swift's lowerCamelCase on purpose: discovery uses
// property labels as state-dict keys, and these are PyTorch's (`nn.LSTMCell`, `nn.GRUCell`), so
// weights move between the two unchanged.

/// The state of an LSTM: the hidden state `h` and the cell state `c`.
///
/// For an `LSTMCell` both are `[B, H]`; for a multi-layer `LSTM` both are `[layers, B, H]`
/// (PyTorch's `(h_n, c_n)`).
public struct LSTMState {
  /// The hidden state (the output), `[B, H]` or `[layers, B, H]`.
  public var h: Tensor
  /// The cell state, `[B, H]` or `[layers, B, H]`.
  public var c: Tensor

  /// A state from its two parts, which must have equal shapes.
  public init(h: Tensor, c: Tensor) {
    require(h.shape == c.shape, "[LSTMState] h \(shapeString(h.shape)) and c \(shapeString(c.shape)) differ in shape")
    self.h = h
    self.c = c
  }
}

/// The weights of a recurrent cell, what `LSTMCell` and `GRUCell` share (PyTorch's
/// `RNNCellBase`).
///
/// A cell with `G` gates per hidden unit (4 for an LSTM, 3 for a GRU) stacks them along the first
/// weight axis in row blocks of `H`, in the order its type documents.
public class RNNCellBase: Module {
  /// `I`, the size of each input vector.
  public let inputSize: Int
  /// `H`, the size of the hidden state (and of an LSTM's cell state).
  public let hiddenSize: Int
  /// Input-to-hidden weights `[G·H, I]`.
  public let weight_ih: Tensor
  /// Hidden-to-hidden weights `[G·H, H]`.
  public let weight_hh: Tensor
  /// Input-to-hidden bias `[G·H]`, or `nil` without biases.
  public let bias_ih: Tensor?
  /// Hidden-to-hidden bias `[G·H]`, or `nil` without biases.
  public let bias_hh: Tensor?

  /// A cell with `gates` gates: PyTorch's `U(±1/√H)` for every weight and bias unless an
  /// initialiser is given.
  init(
    gates: Int, inputSize: Int, hiddenSize: Int, bias: Bool, inputInit: Initializer?,
    recurrentInit: Initializer?, using generator: inout some RandomNumberGenerator
  ) {
    require(inputSize > 0 && hiddenSize > 0, "[RNN cell] sizes must be positive, got input \(inputSize), hidden \(hiddenSize)")
    let k = 1 / Float(hiddenSize).squareRoot()
    let uniform = Initializer.uniform(low: -k, high: k)
    self.inputSize = inputSize
    self.hiddenSize = hiddenSize
    weight_ih = (inputInit ?? uniform).make([gates * hiddenSize, inputSize], using: &generator).requiringGrad()
    weight_hh = (recurrentInit ?? uniform).make([gates * hiddenSize, hiddenSize], using: &generator).requiringGrad()
    bias_ih = bias ? uniform.make([gates * hiddenSize], using: &generator).requiringGrad() : nil
    bias_hh = bias ? uniform.make([gates * hiddenSize], using: &generator).requiringGrad() : nil
    super.init()
  }

  /// A cell with `gates` gates using the given tensors as its parameters (not copied), after
  /// checking their shapes.
  init(gates: Int, weight_ih: Tensor, weight_hh: Tensor, bias_ih: Tensor?, bias_hh: Tensor?, op: String) {
    require(weight_hh.rank == 2 && weight_hh.shape[0] == gates * weight_hh.shape[1],
      "[\(op)] weight_hh must be [\(gates)H, H], got \(shapeString(weight_hh.shape))")
    let g = weight_hh.shape[0]
    require(weight_ih.rank == 2 && weight_ih.shape[0] == g,
      "[\(op)] weight_ih must be [\(g), I], got \(shapeString(weight_ih.shape))")
    for b in [bias_ih, bias_hh] {
      if let b { require(b.shape == [g], "[\(op)] biases must be [\(g)], got \(shapeString(b.shape))") }
    }
    require((bias_ih == nil) == (bias_hh == nil), "[\(op)] give both biases or neither")
    inputSize = weight_ih.shape[1]
    hiddenSize = weight_hh.shape[1]
    (self.weight_ih, self.weight_hh, self.bias_ih, self.bias_hh) = (weight_ih, weight_hh, bias_ih, bias_hh)
    super.init()
  }

  /// The parameters under their PyTorch names, in PyTorch's order.
  var namedWeights: [(String, Tensor)] {
    var out = [("weight_ih", weight_ih), ("weight_hh", weight_hh)]
    if let bias_ih, let bias_hh { out += [("bias_ih", bias_ih), ("bias_hh", bias_hh)] }
    return out
  }
}

/// What `LSTM` and `GRU` need from a cell besides its weights: the input projection of a whole
/// sequence at once, and one step of the recurrence from a projected input.
protocol RecurrentCell: RNNCellBase {
  /// Gates per hidden unit: 4 for an LSTM, 3 for a GRU.
  static var gateCount: Int { get }
  /// State tensors per layer: `[h, c]` for an LSTM, `[h]` for a GRU.
  static var stateCount: Int { get }
  /// The input half of the gate pre-activations, `[N, I]` → `[N, G·H]`, with whichever biases
  /// can be folded in.
  func project(_ x: Tensor) -> Tensor
  /// One step from `gx = project(x)` `[B, G·H]` and the state (each `[B, H]`, `h` first).
  func step(projected gx: Tensor, state: [Tensor]) -> [Tensor]
  /// A whole sequence from `gx` `[T, B, G·H]` and the initial state: the hidden state at every
  /// step `[T, B, H]` and the final state (each `[B, H]`, `h` first).
  func sequence(projected gx: Tensor, state: [Tensor]) -> (outputs: Tensor, final: [Tensor])
}

extension RecurrentCell {
  /// Step by step: `step` for every time step, the hidden states stacked.
  func sequence(projected gx: Tensor, state: [Tensor]) -> (outputs: Tensor, final: [Tensor]) {
    var state = state
    var hs: [Tensor] = []
    hs.reserveCapacity(gx.shape[0])
    for gxt in timeSteps(gx) {
      state = step(projected: gxt, state: state)
      hs.append(state[0])
    }
    return (Tensor.stack(hs, axis: 0), state)
  }
}

extension RecurrentCell {
  /// `x·W_ihᵀ (+ biases)` shared by both cells.
  func projectInput(_ x: Tensor, weight: Tensor, bias: Tensor?) -> Tensor {
    let y = x.matmul(weight, transposeB: true)
    return bias.map { y + $0 } ?? y
  }

  /// Checks a cell input `[B, I]` and builds zero state when none is given.
  func cellState(_ x: Tensor, _ state: [Tensor]?, op: String) -> [Tensor] {
    require(x.rank == 2 && x.shape[1] == inputSize,
      "[\(op)] input must be [B, \(inputSize)], got \(shapeString(x.shape))")
    let expected = [x.shape[0], hiddenSize]
    guard let state else { return Array(repeating: Tensor.zeros(expected), count: Self.stateCount) }
    for s in state {
      require(s.shape == expected, "[\(op)] state must be \(shapeString(expected)), got \(shapeString(s.shape))")
    }
    return state
  }
}

// MARK: - LSTM cell

/// One step of a long short-term memory cell, PyTorch's `nn.LSTMCell`.
///
/// With gates in PyTorch's order `i, f, g, o` stacked along the first weight axis:
///
///     i = σ(W_ii x + b_ii + W_hi h + b_hi)      f = σ(W_if x + b_if + W_hf h + b_hf)
///     g = tanh(W_ig x + b_ig + W_hg h + b_hg)   o = σ(W_io x + b_io + W_ho h + b_ho)
///     c' = f ⊙ c + i ⊙ g                        h' = o ⊙ tanh(c')
///
/// Input `[B, I]`, state `h`, `c` each `[B, H]`. For sequences use `LSTM`, which projects the
/// inputs of all time steps in one product.
///
/// References: Hochreiter & Schmidhuber, "Long Short-Term Memory" (1997); Gers et al., "Learning
/// to Forget" (2000).
public final class LSTMCell: RNNCellBase, RecurrentCell {
  static let gateCount = 4
  static let stateCount = 2

  /// A cell with PyTorch's initialisation, every weight and bias `U(−1/√H, 1/√H)`.
  ///
  /// - Parameters:
  ///   - inputSize: `I`.
  ///   - hiddenSize: `H`.
  ///   - bias: whether to have `bias_ih` and `bias_hh`.
  ///   - inputInit: initialiser for `weight_ih` instead of the uniform default.
  ///   - recurrentInit: initialiser for `weight_hh`, e.g. `.orthogonal(gain: 1)` (Keras' default).
  ///   - generator: the source of the initial values.
  public init(
    inputSize: Int, hiddenSize: Int, bias: Bool = true, inputInit: Initializer? = nil,
    recurrentInit: Initializer? = nil, using generator: inout some RandomNumberGenerator
  ) {
    super.init(
      gates: Self.gateCount, inputSize: inputSize, hiddenSize: hiddenSize, bias: bias, inputInit: inputInit,
      recurrentInit: recurrentInit, using: &generator)
  }

  /// A cell using the given tensors as its parameters (not copied).
  init(weight_ih: Tensor, weight_hh: Tensor, bias_ih: Tensor?, bias_hh: Tensor?) {
    super.init(
      gates: Self.gateCount, weight_ih: weight_ih, weight_hh: weight_hh, bias_ih: bias_ih, bias_hh: bias_hh,
      op: "LSTMCell")
  }

  /// One step.
  /// - Parameters:
  ///   - x: the input `[B, I]`.
  ///   - state: `h` and `c`, each `[B, H]`; zeros when `nil`.
  /// - Returns: the new state; its `h` `[B, H]` is the cell's output.
  public func callAsFunction(_ x: Tensor, state: LSTMState? = nil) -> LSTMState {
    let s = cellState(x, state.map { [$0.h, $0.c] }, op: "LSTMCell")
    let out = step(projected: project(x), state: s)
    return LSTMState(h: out[0], c: out[1])
  }

  /// `x·W_ihᵀ + b_ih + b_hh`: both biases fold into the input half.
  func project(_ x: Tensor) -> Tensor {
    let b: Tensor? = bias_ih.flatMap { bi in bias_hh.map { bi + $0 } }
    return projectInput(x, weight: weight_ih, bias: b)
  }

  /// The whole sequence as one fused op (`Tensor.lstmSequence`): per step one product against
  /// the recurrent weight packed once, and one element-wise kernel; backpropagation through
  /// time with a single product for the recurrent weight's gradient.
  func sequence(projected gx: Tensor, state: [Tensor]) -> (outputs: Tensor, final: [Tensor]) {
    let T = gx.shape[0]
    let y = Tensor.lstmSequence(projected: gx, weightHH: weight_hh, h0: state[0], c0: state[1])
    let hs = y.slice(axis: 0, 0..<T)
    let h = y.slice(axis: 0, (T - 1)..<T).squeezed(axes: [0])
    let c = y.slice(axis: 0, T..<(T + 1)).squeezed(axes: [0])
    return (hs, [h, c])
  }

  func step(projected gx: Tensor, state: [Tensor]) -> [Tensor] {
    let (h, c) = (state[0], state[1])
    let gates = gx + h.matmul(weight_hh, transposeB: true)  // [B, 4H]
    let parts = gates.split(parts: 4, axis: 1)
    let (i, f, g, o) = (parts[0].sigmoid(), parts[1].sigmoid(), parts[2].tanh(), parts[3].sigmoid())
    let c2 = f * c + i * g
    return [o * c2.tanh(), c2]
  }
}

// MARK: - GRU cell

/// One step of a gated recurrent unit, PyTorch's `nn.GRUCell`.
///
/// With gates in PyTorch's order `r, z, n` stacked along the first weight axis:
///
///     r = σ(W_ir x + b_ir + W_hr h + b_hr)
///     z = σ(W_iz x + b_iz + W_hz h + b_hz)
///     n = tanh(W_in x + b_in + r ⊙ (W_hn h + b_hn))
///     h' = (1 − z) ⊙ n + z ⊙ h
///
/// Input `[B, I]`, state `h` `[B, H]`. For sequences use `GRU`.
///
/// References: Cho et al., "Learning Phrase Representations using RNN Encoder–Decoder for
/// Statistical Machine Translation" (2014); the `r ⊙ (W_hn h + b_hn)` form is PyTorch's and
/// cuDNN's.
public final class GRUCell: RNNCellBase, RecurrentCell {
  static let gateCount = 3
  static let stateCount = 1

  /// A cell with PyTorch's initialisation, every weight and bias `U(−1/√H, 1/√H)`.
  ///
  /// - Parameters:
  ///   - inputSize: `I`.
  ///   - hiddenSize: `H`.
  ///   - bias: whether to have `bias_ih` and `bias_hh`.
  ///   - inputInit: initialiser for `weight_ih` instead of the uniform default.
  ///   - recurrentInit: initialiser for `weight_hh`, e.g. `.orthogonal(gain: 1)` (Keras' default).
  ///   - generator: the source of the initial values.
  public init(
    inputSize: Int, hiddenSize: Int, bias: Bool = true, inputInit: Initializer? = nil,
    recurrentInit: Initializer? = nil, using generator: inout some RandomNumberGenerator
  ) {
    super.init(
      gates: Self.gateCount, inputSize: inputSize, hiddenSize: hiddenSize, bias: bias, inputInit: inputInit,
      recurrentInit: recurrentInit, using: &generator)
  }

  /// A cell using the given tensors as its parameters (not copied).
  init(weight_ih: Tensor, weight_hh: Tensor, bias_ih: Tensor?, bias_hh: Tensor?) {
    super.init(
      gates: Self.gateCount, weight_ih: weight_ih, weight_hh: weight_hh, bias_ih: bias_ih, bias_hh: bias_hh,
      op: "GRUCell")
  }

  /// One step.
  /// - Parameters:
  ///   - x: the input `[B, I]`.
  ///   - state: `h` `[B, H]`; zeros when `nil`.
  /// - Returns: the new hidden state `[B, H]`, which is also the cell's output.
  public func callAsFunction(_ x: Tensor, state: Tensor? = nil) -> Tensor {
    let s = cellState(x, state.map { [$0] }, op: "GRUCell")
    return step(projected: project(x), state: s)[0]
  }

  /// `x·W_ihᵀ + b_ih`; `b_hh` stays in the step because `b_hn` is gated by `r`.
  func project(_ x: Tensor) -> Tensor { projectInput(x, weight: weight_ih, bias: bias_ih) }

  func step(projected gx: Tensor, state: [Tensor]) -> [Tensor] {
    let h = state[0]
    let H = hiddenSize
    var gh = h.matmul(weight_hh, transposeB: true)  // [B, 3H]
    if let bias_hh { gh = gh + bias_hh }
    let rz = (gx.slice(axis: 1, 0..<2 * H) + gh.slice(axis: 1, 0..<2 * H)).sigmoid()
      .split(parts: 2, axis: 1)
    let n = (gx.slice(axis: 1, 2 * H..<3 * H) + rz[0] * gh.slice(axis: 1, 2 * H..<3 * H)).tanh()
    return [n + rz[1] * (h - n)]
  }
}
