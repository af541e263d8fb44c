import Foundation
import GenAIData
import GenAIModels
import GenAINN
import GenAITensor
import Testing

// Sampling char-gpt through `GPTDecoder`: the logits of a full pass up to the block size, the
// documented context rule past it, the same text from the same seed, and no tensor memory made
// per token.

private func network(bias: Bool, tiedHead: Bool, blockSize: Int = 16, seed: UInt64 = 3) -> GPTNetwork {
  var g = SeededGenerator(seed: seed)
  // Head size 12: not a multiple of the kernels' vector widths, so their tails run too.
  let net = GPTNetwork(vocabularySize: 11, blockSize: blockSize, layers: 2, heads: 2, width: 24, bias: bias,
                       tiedHead: tiedHead, using: &g)
  net.eval()
  // Non-trivial biases and gains, so that a missed bias or LayerNorm term would show.
  for p in net.parameters() where p.rank == 1 {
    p.withUnsafeMutableBufferPointer { b in for i in 0..<b.count { b[i] += Float.random(in: -0.3...0.3, using: &g) } }
  }
  return net
}

/// The logits `[V]` after the last of `tokens`, from one recorded pass.
private func fullPass(_ net: GPTNetwork, _ tokens: [Int]) -> [Float] {
  withNoGrad {
    let l = net(IndexTensor(tokens).reshaped([1, tokens.count]))
    let v = l.shape[2]
    return Array(l.scalars[((tokens.count - 1) * v)...])
  }
}

private func largestDifference(_ a: [Float], _ b: [Float]) -> Float {
  #expect(a.count == b.count)
  return zip(a, b).map { Swift.abs($0 - $1) }.max() ?? 0
}

@Suite struct GPTDecoderTests {
  /// A prompt, then one token at a time up to the block size: every step's logits are the full
  /// pass's over the same tokens to 1e-4 (float32 sums in another order; logits are O(1)).
  @Test(arguments: [(false, true), (true, true), (true, false)])
  func decodingEqualsTheFullPassUpToTheBlockSize(bias: Bool, tiedHead: Bool) {
    let net = network(bias: bias, tiedHead: tiedHead)
    let decoder = GPTDecoder(network: net)
    var tokens = [3, 1, 4, 1, 5]
    var logits = decoder.append(tokens).scalars
    while true {
      #expect(largestDifference(logits, fullPass(net, tokens)) < 1e-4, "after \(tokens.count) tokens")
      guard tokens.count < net.blockSize else { break }
      let next = (tokens.count * 7) % 11
      tokens.append(next)
      logits = decoder.append(token: next).scalars
    }
    #expect(decoder.count == net.blockSize)
  }

  /// Two sequences side by side: each row's logits are its own full pass's.
  @Test func batchRowsAreIndependent() {
    let net = network(bias: true, tiedHead: true)
    let decoder = GPTDecoder(network: net, batchSize: 2)
    let rows = [[2, 7, 1, 8], [9, 0, 3, 3]]
    var logits = decoder.append(rows[0] + rows[1]).scalars
    for (b, row) in rows.enumerated() {
      #expect(largestDifference(Array(logits[(b * 11)..<((b + 1) * 11)]), fullPass(net, row)) < 1e-4)
    }
    logits = decoder.append([5, 6]).scalars
    for (b, row) in rows.enumerated() {
      #expect(largestDifference(Array(logits[(b * 11)..<((b + 1) * 11)]), fullPass(net, row + [5 + b])) < 1e-4)
    }
  }

  /// Past the block size (8 here) the context restarts from its last 6 tokens (3/4 of 8) and
  /// grows back to 8: lengths 6, 7, 8, 6, 7, 8, ...; one cut per restart; the logits after a
  /// restart are a fresh pass over those 6 tokens. A prompt longer than the block keeps 8.
  @Test func restartFollowsTheDocumentedRule() {
    let net = network(bias: true, tiedHead: true, blockSize: 8)
    var p = GPTPredictor(network: net)
    #expect(p.restartLength == 6)
    var all = [1, 2, 3]
    _ = p.feed(all)
    var lengths: [Int] = []
    for i in 0..<14 {
      let next = (i * 5 + 2) % 11
      all.append(next)
      let logits = p.feed(token: next) { Array($0) }
      lengths.append(p.context.count)
      #expect(p.context == Array(all.suffix(p.context.count)))
      #expect(largestDifference(logits, fullPass(net, p.context)) < 1e-4)
    }
    #expect(lengths == [4, 5, 6, 7, 8, 6, 7, 8, 6, 7, 8, 6, 7, 8])
    #expect(p.cuts == 3)
    var long = GPTPredictor(network: net)
    _ = long.feed(Array(0..<11) + Array(0..<5))
    #expect(long.context == [8, 9, 10, 0, 1, 2, 3, 4] && long.cuts == 1)
  }

  /// With `exactContext` the context is always the last 8 tokens, recomputed at every step.
  @Test func exactContextSlidesByOne() {
    let net = network(bias: false, tiedHead: true, blockSize: 8)
    var p = GPTPredictor(network: net, exactContext: true)
    var all = [1, 2, 3, 4, 5, 6, 7]
    _ = p.feed(all)
    for i in 0..<6 {
      let next = (i * 5 + 2) % 11
      all.append(next)
      let logits = p.feed(token: next) { Array($0) }
      #expect(p.context == Array(all.suffix(8)))
      #expect(largestDifference(logits, fullPass(net, Array(all.suffix(8)))) < 1e-4)
    }
    #expect(p.cuts == 5)  // the first step still fit; then one a step
  }

  /// Same seed, same text, past several restarts; another seed, other text.
  @Test func sameSeedSameText() throws {
    var c = CharGPT.Config()
    (c.layers, c.heads, c.width, c.blockSize) = (2, 2, 16, 8)
    let gpt = try CharGPT(vocabulary: Vocabulary.characters(in: "hello world"), config: c, seed: 3)
    func text(_ seed: UInt64, exact: Bool = false) throws -> String {
      var g = SeededGenerator(seed: seed)
      return try gpt.sample(prime: "he", length: 40, options: SamplingOptions(exactContext: exact), using: &g)
    }
    #expect(try text(4) == text(4))
    #expect(try text(4) != text(5))
    #expect(try text(4, exact: true) == text(4, exact: true))
  }

  /// char-rnn's predictor (LSTM and GRU) steps through its buffers: the logits of the recorded
  /// network over the whole sequence, and no `Storage` made per step.
  @Test(arguments: [CharRNNNetwork.Cell.lstm, .gru])
  func rnnPredictorMatchesTheNetworkAndAllocatesNothing(cell: CharRNNNetwork.Cell) {
    var g = SeededGenerator(seed: 12)
    let net = CharRNNNetwork(vocabularySize: 11, embeddingSize: 6, hiddenSize: 20, layers: 2, cell: cell, using: &g)
    net.eval()
    var p = RNNPredictor(network: net)
    var tokens = [4, 2]
    var logits = p.feed(tokens)
    for i in 0..<6 {
      let full = withNoGrad { net(IndexTensor(tokens).reshaped([1, tokens.count])).logits.scalars.suffix(11) }
      #expect(largestDifference(logits, Array(full)) < 1e-5)
      tokens.append((i * 3 + 1) % 11)
      logits = p.feed(token: tokens.last ?? 0) { Array($0) }
    }
    var clean = false
    for _ in 0..<20 where !clean {
      let before = StorageStats.createdCount
      for i in 0..<30 { _ = p.feed(token: i % 11) { $0[0] } }
      clean = StorageStats.createdCount == before
    }
    #expect(clean)
  }

  /// Steady-state steps, restarts included, make no `Storage`. The counter is process-wide and
  /// other suites run at the same time, so one clean attempt of several passes; one buffer per
  /// step would make every attempt dirty.
  @Test func stepsAllocateNoTensorMemory() {
    let net = network(bias: true, tiedHead: true, blockSize: 8)
    var p = GPTPredictor(network: net)
    _ = p.feed([1, 2, 3])
    var sum: Float = 0
    var clean = false
    for attempt in 0..<20 where !clean {
      let before = StorageStats.createdCount
      for i in 0..<40 { sum += p.feed(token: (attempt + i) % 11) { $0[0] } }
      clean = StorageStats.createdCount == before
    }
    #expect(clean)
    #expect(sum.isFinite)
  }
}
