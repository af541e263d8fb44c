import Foundation
import Testing

@testable import GenAINN
@testable import GenAITensor

// Decoding LSTM and GRU steps over a `RecurrentBuffer`: the recorded network over the same
// sequence, one step at a time, with the state updated in place.

private func largestDifference(_ a: [Float], _ b: [Float]) -> Float {
  #expect(a.count == b.count)
  return zip(a, b).map { Swift.abs($0 - $1) }.max() ?? 0
}

@Suite struct RecurrentDecodeTests {
  /// Two layers, two batch rows, six steps: every step's output and the final state are the
  /// recorded pass's to 1e-5 (sums in another order; values below 1).
  @Test(arguments: [false, true])
  func stepsEqualTheRecordedPass(gru: Bool) {
    var rng = SeededGenerator(seed: 11)
    let (b, t, i, h) = (2, 6, 5, 20)
    let x = Tensor.randn([b, t, i], using: &rng)
    let lstm = LSTM(inputSize: i, hiddenSize: h, layers: 2, using: &rng)
    let gruNet = GRU(inputSize: i, hiddenSize: h, layers: 2, using: &rng)
    let (expected, finalH): (Tensor, Tensor) = withNoGrad {
      if gru { return gruNet(x) }
      let (y, s) = lstm(x)
      return (y, s.h)
    }
    let buffer = gru ? RecurrentBuffer(for: gruNet, batchSize: b) : RecurrentBuffer(for: lstm, batchSize: b)
    let row = Tensor.zeros([b, i])
    for step in 0..<t {
      for bi in 0..<b {
        for j in 0..<i { row.storage.base[bi * i + j] = x.storage.base[(bi * t + step) * i + j] }
      }
      if gru { gruNet.decode(row.storage.base, state: buffer) } else { lstm.decode(row.storage.base, state: buffer) }
      let output = buffer.h.slice(axis: 0, 1..<2).scalars  // [B, H] of the last layer
      let want = expected.slice(axis: 1, step..<(step + 1)).scalars
      #expect(largestDifference(output, want) < 1e-5, "step \(step)")
    }
    #expect(largestDifference(buffer.h.scalars, finalH.scalars) < 1e-5)
    buffer.reset()
    #expect(buffer.h.scalars.allSatisfy { $0 == 0 } && (buffer.c?.scalars.allSatisfy { $0 == 0 } ?? true))
  }
}
