import GenAITensor

/// The state of an `LSTM` or `GRU` decoding one step at a time, in buffers made once: `h` (and
/// `c` for an LSTM), each `[layers, B, H]`, updated in place, plus the gate rows a step works
/// in. Nothing is allocated after `init`; `reset()` returns to the zero state.
///
/// Used by `LSTM.decode(_:state:)` and `GRU.decode(_:state:)`.
public final class RecurrentBuffer {
  /// Hidden states `[layers, B, H]`; layer `layers − 1`'s rows are the network's output.
  public let h: Tensor
  /// Cell states `[layers, B, H]` of an LSTM; `nil` for a GRU.
  public let c: Tensor?
  /// `B`.
  public let batchSize: Int
  /// `[B, G·H]`: the input half of the gate pre-activations, then the gates.
  let gates: Tensor
  /// `[B, G·H]`: the recurrent half of the pre-activations.
  let recurrent: Tensor
  /// `[G·H]`: an LSTM's two biases summed, as the recorded path folds them.
  let bias: Tensor

  /// A zero state for `layers` layers of `hiddenSize` units and `gates` gates (4: LSTM, 3: GRU).
  init(layers: Int, batchSize: Int, hiddenSize: Int, gates: Int) {
    require(layers > 0 && batchSize > 0 && hiddenSize > 0, "[RecurrentBuffer] sizes must be positive")
    self.batchSize = batchSize
    h = Tensor.zeros([layers, batchSize, hiddenSize])
    c = gates == 4 ? Tensor.zeros([layers, batchSize, hiddenSize]) : nil
    self.gates = Tensor.zeros([batchSize, gates * hiddenSize])
    recurrent = Tensor.zeros([batchSize, gates * hiddenSize])
    bias = Tensor.zeros([gates * hiddenSize])
  }

  /// A zero state for `lstm`.
  public convenience init(for lstm: LSTM, batchSize: Int = 1) {
    self.init(layers: lstm.layers, batchSize: batchSize, hiddenSize: lstm.hiddenSize, gates: 4)
  }

  /// A zero state for `gru`.
  public convenience init(for gru: GRU, batchSize: Int = 1) {
    self.init(layers: gru.layers, batchSize: batchSize, hiddenSize: gru.hiddenSize, gates: 3)
  }

  /// Back to the zero state (the memory is kept).
  public func reset() {
    h.withUnsafeMutableBufferPointer { $0.update(repeating: 0) }
    c?.withUnsafeMutableBufferPointer { $0.update(repeating: 0) }
  }

  /// Layer `l`'s hidden rows `[B, H]`.
  func hidden(_ l: Int) -> UnsafeMutablePointer<Float> { h.storage.base + l * h.shape[1] * h.shape[2] }
  /// Layer `l`'s cell rows `[B, H]` (LSTM only).
  func cell(_ l: Int) -> UnsafeMutablePointer<Float> { c!.storage.base + l * h.shape[1] * h.shape[2] }

  /// The two products of one layer's step: `gates = x · W_ihᵀ + inputBias` and
  /// `recurrent = h · W_hhᵀ + recurrentBias` (either bias may be `nil`).
  func project(
    _ cell: RNNCellBase, _ x: UnsafePointer<Float>, _ hl: UnsafePointer<Float>, inputBias: Tensor?, recurrentBias: Tensor?
  ) {
    InferenceKernels.linear(x, rows: batchSize, weight: cell.weight_ih, bias: inputBias, into: gates.storage.base)
    InferenceKernels.linear(hl, rows: batchSize, weight: cell.weight_hh, bias: recurrentBias, into: recurrent.storage.base)
  }
}

extension LSTM {
  /// One step of every layer for decoding, on raw rows, updating `state` in place: the same
  /// function as `callAsFunction(_:state:)` over a sequence of one, in evaluation mode (no
  /// dropout), recording nothing and allocating nothing. Results match it to rounding.
  /// - Parameters:
  ///   - x: the input `[B, I]`.
  ///   - state: the network's state; on return layer `layers − 1`'s `h` rows are the output.
  /// - Precondition: `state` was made for this network.
  public func decode(_ x: UnsafePointer<Float>, state: RecurrentBuffer) {
    let (b, n) = (state.batchSize, hiddenSize)
    require(state.c != nil && state.h.shape == [layers, b, n], "[LSTM.decode] state was made for another network")
    var input = x
    for (l, cell) in cells.enumerated() {
      // x·W_ihᵀ + (b_ih + b_hh), then + h·W_hhᵀ: the recorded step's sums, in its order.
      var folded: Tensor? = nil
      if let bi = cell.bias_ih, let bh = cell.bias_hh {
        let s = state.bias.storage.base
        bi.withUnsafeBufferPointer { p in bh.withUnsafeBufferPointer { q in for j in 0..<(4 * n) { s[j] = p[j] + q[j] } } }
        folded = state.bias
      }
      let h = state.hidden(l), c = state.cell(l)
      state.project(cell, input, h, inputBias: folded, recurrentBias: nil)
      let g = state.gates.storage.base, r = state.recurrent.storage.base
      InferenceKernels.add(g, r, count: b * 4 * n)
      for bi in 0..<b {
        // Gates i, f, g, o of this row.
        let row = g + bi * 4 * n
        InferenceKernels.sigmoid(row, count: 2 * n)
        InferenceKernels.tanh(row + 2 * n, count: n, into: row + 2 * n)
        InferenceKernels.sigmoid(row + 3 * n, count: n)
        let (hr, cr, t) = (h + bi * n, c + bi * n, r + bi * n)  // `recurrent` is free now: tanh(c′) goes there
        for j in 0..<n { cr[j] = row[n + j] * cr[j] + row[j] * row[2 * n + j] }
        InferenceKernels.tanh(cr, count: n, into: t)
        for j in 0..<n { hr[j] = row[3 * n + j] * t[j] }
      }
      input = UnsafePointer(h)
    }
  }
}

extension GRU {
  /// One step of every layer for decoding, on raw rows, updating `state` in place: the same
  /// function as `callAsFunction(_:state:)` over a sequence of one, in evaluation mode (no
  /// dropout), recording nothing and allocating nothing. Results match it to rounding.
  /// - Parameters:
  ///   - x: the input `[B, I]`.
  ///   - state: the network's state; on return layer `layers − 1`'s `h` rows are the output.
  /// - Precondition: `state` was made for this network.
  public func decode(_ x: UnsafePointer<Float>, state: RecurrentBuffer) {
    let (b, n) = (state.batchSize, hiddenSize)
    require(state.c == nil && state.h.shape == [layers, b, n], "[GRU.decode] state was made for another network")
    var input = x
    for (l, cell) in cells.enumerated() {
      let h = state.hidden(l)
      // gx = x·W_ihᵀ + b_ih, gh = h·W_hhᵀ + b_hh, as the recorded step keeps them apart.
      state.project(cell, input, h, inputBias: cell.bias_ih, recurrentBias: cell.bias_hh)
      let gx = state.gates.storage.base, gh = state.recurrent.storage.base
      for bi in 0..<b {
        let x = gx + bi * 3 * n, r = gh + bi * 3 * n, hr = h + bi * n
        for j in 0..<(2 * n) { x[j] += r[j] }
        InferenceKernels.sigmoid(x, count: 2 * n)  // r, z
        for j in 0..<n { x[2 * n + j] += x[j] * r[2 * n + j] }
        InferenceKernels.tanh(x + 2 * n, count: n, into: x + 2 * n)  // n
        for j in 0..<n {
          let nj = x[2 * n + j]
          hr[j] = nj + x[n + j] * (hr[j] - nj)
        }
      }
      input = UnsafePointer(h)
    }
  }
}
