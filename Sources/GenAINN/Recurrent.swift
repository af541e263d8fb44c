import GenAITensor

// Multi-layer, batch-first recurrent layers: PyTorch's `nn.LSTM` and `nn.GRU` with
// `batch_first=True`, the same parameter keys (`weight_ih_l0`, `weight_hh_l0`, `bias_ih_l0`,
// `bias_hh_l0`, `weight_ih_l1`, ...) and the same state layout (`[layers, B, H]`).
//
// A layer runs in two phases: the input projection of all `T` steps in one product
// (`[T·B, I] × [I, G·H]`), then the recurrence over the steps (`RecurrentCell.sequence`): for an
// LSTM one fused op (`Tensor.lstmSequence`), for a GRU per step one `[B, H] × [H, G·H]` product
// and the gate arithmetic, whose per-step inputs are slices of the projection (their gradients
// are added into one buffer in O(N), see `timeSteps`).

// MARK: - LSTM

/// A multi-layer long short-term memory network over batch-first sequences, PyTorch's
/// `nn.LSTM(batch_first=True)`.
///
/// Input `[B, T, I]`; output `[B, T, H]` (the last layer's hidden state at every step) and the
/// final state, `h` and `c` each `[layers, B, H]`. Passing the returned state to the next call
/// continues the sequence, so a model can be sampled one step at a time (`T = 1`):
///
/// ```swift
/// let lstm = LSTM(inputSize: 65, hiddenSize: 512, layers: 2, dropout: 0.2, using: &rng)
/// var state: LSTMState? = nil
/// for _ in 0..<100 {
///   let (y, next) = lstm(x, state: state)   // x: [B, 1, 65], y: [B, 1, 512]
///   state = next
///   // ... pick the next x from y
/// }
/// ```
///
/// In training mode, dropout with probability `dropout` is applied to the output of every layer
/// but the last, drawn from `randomSource`. Parameters are named as in PyTorch (`weight_ih_l0`
/// `[4H, I]`, `weight_hh_l0` `[4H, H]`, `bias_ih_l0` `[4H]`, `bias_hh_l0` `[4H]`,
/// `weight_ih_l1` `[4H, H]`, ...), so state dicts move between the two unchanged.
public final class LSTM: RNNBase<LSTMCell> {
  /// A network with PyTorch's initialisation, every weight and bias `U(−1/√H, 1/√H)`.
  ///
  /// - Parameters:
  ///   - inputSize: `I`.
  ///   - hiddenSize: `H`.
  ///   - layers: number of stacked layers; layer `l > 0` reads layer `l − 1`'s output.
  ///   - dropout: dropout probability on the output of every layer but the last, in `[0, 1)`.
  ///   - bias: whether the cells have biases.
  ///   - inputInit: initialiser for every `weight_ih` instead of the uniform default.
  ///   - recurrentInit: initialiser for every `weight_hh`, e.g. `.orthogonal(gain: 1)`.
  ///   - randomSource: the dropout generator; by default one seeded from `generator`.
  ///   - generator: the source of the initial values.
  public convenience init(
    inputSize: Int, hiddenSize: Int, layers: Int = 1, dropout: Float = 0, bias: Bool = true,
    inputInit: Initializer? = nil, recurrentInit: Initializer? = nil,
    randomSource: RandomSource? = nil, using generator: inout some RandomNumberGenerator
  ) {
    let cells = Self.makeCells(layers: layers, dropout: dropout, inputSize: inputSize, hiddenSize: hiddenSize) {
      LSTMCell(
        inputSize: $0, hiddenSize: hiddenSize, bias: bias, inputInit: inputInit, recurrentInit: recurrentInit,
        using: &generator)
    }
    self.init(cells: cells, dropout: dropout, randomSource: randomSource ?? RandomSource(seed: generator.next()))
  }

  /// Runs the network over a sequence.
  ///
  /// - Parameters:
  ///   - x: the input `[B, T, I]`, `T ≥ 1`.
  ///   - state: the initial `h` and `c`, each `[layers, B, H]`; zeros when `nil`.
  /// - Returns: `output` `[B, T, H]`, the last layer's hidden state at every step, and `state`,
  ///   the final `h` and `c` of every layer, each `[layers, B, H]`.
  /// - Precondition: the shapes above.
  public func callAsFunction(_ x: Tensor, state: LSTMState? = nil) -> (output: Tensor, state: LSTMState) {
    let (y, final) = runStacked(
      .dense(x), cells: cells, initial: state.map { [$0.h, $0.c] }, dropout: isTraining ? dropout : 0,
      randomSource: randomSource, op: "LSTM")
    return (y, LSTMState(h: final[0], c: final[1]))
  }

  /// Runs the network over the rows of `table` picked by `tokens`: the same as
  /// `self(table.indexSelect(tokens, axis: 0), state:)` (an embedding feeding the first layer),
  /// but the first layer projects the table's `V` rows once instead of all `B·T` tokens.
  ///
  /// - Parameters:
  ///   - tokens: `[B, T]` ids into `table`.
  ///   - table: `[V, I]`, e.g. an `Embedding`'s weight.
  ///   - state: the initial `h` and `c`, each `[layers, B, H]`; zeros when `nil`.
  /// - Returns: as `callAsFunction(_:state:)`.
  public func callAsFunction(rowsOf table: Tensor, tokens: IndexTensor, state: LSTMState? = nil)
    -> (output: Tensor, state: LSTMState)
  {
    let (y, final) = runStacked(
      .lookup(table: table, tokens: tokens), cells: cells, initial: state.map { [$0.h, $0.c] },
      dropout: isTraining ? dropout : 0, randomSource: randomSource, op: "LSTM")
    return (y, LSTMState(h: final[0], c: final[1]))
  }
}

// MARK: - GRU

/// A multi-layer gated recurrent unit network over batch-first sequences, PyTorch's
/// `nn.GRU(batch_first=True)`.
///
/// Input `[B, T, I]`; output `[B, T, H]` (the last layer's hidden state at every step) and the
/// final hidden state `[layers, B, H]`, which the next call can continue from (sampling one step
/// at a time with `T = 1`).
///
/// In training mode, dropout with probability `dropout` is applied to the output of every layer
/// but the last, drawn from `randomSource`. Parameters are named as in PyTorch (`weight_ih_l0`
/// `[3H, I]`, `weight_hh_l0` `[3H, H]`, `bias_ih_l0` `[3H]`, `bias_hh_l0` `[3H]`,
/// `weight_ih_l1` `[3H, H]`, ...), gates in the order `r, z, n`.
public final class GRU: RNNBase<GRUCell> {
  /// A network with PyTorch's initialisation, every weight and bias `U(−1/√H, 1/√H)`.
  ///
  /// - Parameters:
  ///   - inputSize: `I`.
  ///   - hiddenSize: `H`.
  ///   - layers: number of stacked layers; layer `l > 0` reads layer `l − 1`'s output.
  ///   - dropout: dropout probability on the output of every layer but the last, in `[0, 1)`.
  ///   - bias: whether the cells have biases.
  ///   - inputInit: initialiser for every `weight_ih` instead of the uniform default.
  ///   - recurrentInit: initialiser for every `weight_hh`, e.g. `.orthogonal(gain: 1)`.
  ///   - randomSource: the dropout generator; by default one seeded from `generator`.
  ///   - generator: the source of the initial values.
  public convenience init(
    inputSize: Int, hiddenSize: Int, layers: Int = 1, dropout: Float = 0, bias: Bool = true,
    inputInit: Initializer? = nil, recurrentInit: Initializer? = nil,
    randomSource: RandomSource? = nil, using generator: inout some RandomNumberGenerator
  ) {
    let cells = Self.makeCells(layers: layers, dropout: dropout, inputSize: inputSize, hiddenSize: hiddenSize) {
      GRUCell(
        inputSize: $0, hiddenSize: hiddenSize, bias: bias, inputInit: inputInit, recurrentInit: recurrentInit,
        using: &generator)
    }
    self.init(cells: cells, dropout: dropout, randomSource: randomSource ?? RandomSource(seed: generator.next()))
  }

  /// Runs the network over a sequence.
  ///
  /// - Parameters:
  ///   - x: the input `[B, T, I]`, `T ≥ 1`.
  ///   - state: the initial hidden state `[layers, B, H]`; zeros when `nil`.
  /// - Returns: `output` `[B, T, H]`, the last layer's hidden state at every step, and `state`,
  ///   the final hidden state of every layer, `[layers, B, H]`.
  /// - Precondition: the shapes above.
  public func callAsFunction(_ x: Tensor, state: Tensor? = nil) -> (output: Tensor, state: Tensor) {
    let (y, final) = runStacked(
      .dense(x), cells: cells, initial: state.map { [$0] }, dropout: isTraining ? dropout : 0,
      randomSource: randomSource, op: "GRU")
    return (y, final[0])
  }
}

// MARK: - Shared machinery

/// What `LSTM` and `GRU` share (PyTorch's `RNNBase`): a stack of cells, dropout between them,
/// and PyTorch's flat parameter keys (`weight_ih_l0`, `weight_hh_l0`, `bias_ih_l0`, `bias_hh_l0`,
/// `weight_ih_l1`, ...). Use `LSTM` or `GRU`; each adds its initialiser and its state type.
public class RNNBase<Cell: RNNCellBase>: Module {
  /// `I`, the size of each input vector.
  public let inputSize: Int
  /// `H`, the size of each layer's hidden state (and of an LSTM's cell state).
  public let hiddenSize: Int
  /// Dropout probability between layers (training mode only).
  public let dropout: Float
  /// The layers' cells; cell `l`'s weights are the parameters `weight_ih_l<l>`, ....
  public let cells: [Cell]
  /// The generator dropout draws from; a training checkpoint saves and restores it.
  public let randomSource: RandomSource

  /// Number of stacked layers.
  public var layers: Int { cells.count }

  /// A network over the given cells (layer `l + 1`'s input size must be layer `l`'s hidden size).
  init(cells: [Cell], dropout: Float = 0, randomSource: RandomSource = RandomSource(seed: 0)) {
    let op = String(describing: Self.self)  // "LSTM" or "GRU", for error messages
    require(!cells.isEmpty, "[\(op)] needs at least one layer")
    let h = cells[0].hiddenSize
    for (l, c) in cells.enumerated() where l > 0 {
      require(c.hiddenSize == h && c.inputSize == h,
        "[\(op)] layer \(l) must be \(h) -> \(h), got \(c.inputSize) -> \(c.hiddenSize)")
    }
    inputSize = cells[0].inputSize
    hiddenSize = h
    self.dropout = dropout
    self.cells = cells
    self.randomSource = randomSource
    super.init()
  }

  /// Checks `layers` and `dropout`, then makes the cells in order: `makeCell(inputSize)` for
  /// layer 0 and `makeCell(hiddenSize)` for the layers above it.
  static func makeCells(
    layers: Int, dropout: Float, inputSize: Int, hiddenSize: Int, _ makeCell: (Int) -> Cell
  ) -> [Cell] {
    let op = String(describing: self)
    require(layers >= 1, "[\(op)] needs at least one layer, got \(layers)")
    require(dropout >= 0 && dropout < 1, "[\(op)] dropout must be in [0, 1), got \(dropout)")
    return (0..<layers).map { l in makeCell(l == 0 ? inputSize : hiddenSize) }
  }

  /// PyTorch's flat keys: cell `l`'s `weight_ih` is `weight_ih_l<l>`, and so on.
  override func entries() -> [Entry] {
    cells.enumerated().flatMap { l, cell in cell.namedWeights.map { Entry.tensor("\($0.0)_l\(l)", $0.1) } }
  }

  /// Every tensor of a recurrent network is a parameter, frozen or not.
  override func isParameter(_ name: String, _ t: Tensor) -> Bool { true }
}

/// `[B, T, C]` ↔ `[T, B, C]`; a view when either size is 1, otherwise a copy.
private func swapBatchAndTime(_ x: Tensor) -> Tensor {
  x.shape[0] == 1 || x.shape[1] == 1 ? x.reshaped([x.shape[1], x.shape[0], x.shape[2]]) : x.permuted([1, 0, 2])
}

/// The `T` rows of `x` `[T, ...]`, each `[...]`.
///
/// Each is a plain slice: a backward pass that records no graph adds a slice's gradient straight
/// into its region of `x`'s gradient (the engine's slice accumulation), so the `T` pieces cost
/// O(N) in all for `N` elements. (A recorded backward pass, for second-order gradients, pads each
/// piece to full size instead: O(N·T), correct but slower.)
func timeSteps(_ x: Tensor) -> [Tensor] {
  let row = Array(x.shape.dropFirst())
  return (0..<x.shape[0]).map { t in x.slice(axis: 0, t..<(t + 1)).reshaped(row) }
}

/// The input of a stacked recurrent network: a dense sequence, or rows of a table picked by
/// token ids (an embedding feeding the first layer).
enum RecurrentInput {
  /// `[B, T, I]`.
  case dense(Tensor)
  /// Row `tokens[b, t]` of `table` `[V, I]` at every step; `tokens` `[B, T]`.
  case lookup(table: Tensor, tokens: IndexTensor)
}

/// Runs stacked cells over a batch-first sequence.
///
/// With a `.lookup` input the first layer projects the table's `V` rows once and picks the
/// projected row of each token (`table·W_ihᵀ` then a gather), instead of projecting all `B·T`
/// embedded tokens: the same values and gradients for far fewer products when `V < B·T`.
/// - Parameters:
///   - input: `[B, T, I]`, or a table and tokens.
///   - initial: per state part (`h`, then `c` for an LSTM) a `[L, B, H]` tensor; zeros if `nil`.
///   - dropout: applied to the output of every layer but the last (0 in evaluation mode).
/// - Returns: the last layer's hidden states `[B, T, H]` and per state part the final `[L, B, H]`.
func runStacked<Cell: RecurrentCell>(
  _ input: RecurrentInput, cells: [Cell], initial: [Tensor]?, dropout: Float, randomSource: RandomSource,
  op: String
) -> (Tensor, [Tensor]) {
  let (L, I, H) = (cells.count, cells[0].inputSize, cells[0].hiddenSize)
  let (B, T): (Int, Int)
  switch input {
  case .dense(let x):
    require(x.rank == 3 && x.shape[2] == I, "[\(op)] input must be [B, T, \(I)], got \(shapeString(x.shape))")
    (B, T) = (x.shape[0], x.shape[1])
  case .lookup(let table, let tokens):
    require(table.rank == 2 && table.shape[1] == I && tokens.shape.count == 2,
      "[\(op)] needs a table [V, \(I)] and tokens [B, T], got \(shapeString(table.shape)) and \(shapeString(tokens.shape))")
    (B, T) = (tokens.shape[0], tokens.shape[1])
  }
  require(B > 0 && T > 0, "[\(op)] input must have at least one sequence and one step, got B \(B), T \(T)")
  if let initial {
    require(initial.count == Cell.stateCount, "[\(op)] expected \(Cell.stateCount) state tensors, got \(initial.count)")
    for s in initial {
      require(s.shape == [L, B, H],
        "[\(op)] state must be [layers, B, H] = \(shapeString([L, B, H])), got \(shapeString(s.shape))")
    }
  }
  var sequence: Tensor? = nil  // [T, B, ·]: each step's rows are contiguous
  var finals = [[Tensor]](repeating: [], count: Cell.stateCount)
  for (l, cell) in cells.enumerated() {
    let gx: Tensor
    if l == 0, case .lookup(let table, let tokens) = input {
      // Time-major token ids [T, B] pick rows of the projected table [V, G·H].
      let ids = tokens.values
      let timeMajor = (0..<(T * B)).map { i in ids[(i % B) * T + i / B] }
      let picked = (try? IndexTensor(shape: [T, B], timeMajor)) ?? IndexTensor(timeMajor)
      gx = cell.project(table).indexSelect(picked, axis: 0).reshaped([T, B, Cell.gateCount * H])
    } else {
      let seq: Tensor
      if let sequence { seq = sequence } else if case .dense(let x) = input { seq = swapBatchAndTime(x) } else {
        preconditionFailure("unreachable")
      }
      gx = cell.project(seq.reshaped([T * B, seq.shape[2]])).reshaped([T, B, Cell.gateCount * H])
    }
    let state = (0..<Cell.stateCount).map { k in
      initial.map { $0[k].slice(axis: 0, l..<(l + 1)).reshaped([B, H]) } ?? Tensor.zeros([B, H])
    }
    let (outputs, final) = cell.sequence(projected: gx, state: state)
    for k in 0..<Cell.stateCount { finals[k].append(final[k]) }
    var next = outputs  // [T, B, H]
    if dropout > 0 && l < L - 1 { next = randomSource.dropout(next, p: dropout, batchAxis: 1) }
    sequence = next
  }
  return (swapBatchAndTime(sequence!), finals.map { Tensor.stack($0, axis: 0) })
}
