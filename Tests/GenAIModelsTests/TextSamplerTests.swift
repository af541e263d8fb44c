import Foundation
import GenAIData
import GenAIModels
import GenAINN
import GenAITensor
import Testing

/// A predictor whose logits are fixed: it records what it was fed.
struct FixedLogitsPredictor: NextTokenPredictor {
  var logits: [Float]
  var fed: [Int] = []
  mutating func feed(_ tokens: [Int]) -> [Float] {
    fed += tokens
    return logits
  }
}

@Suite struct TextSamplerTests {
  let vocabulary = Vocabulary(characters: "abcde".unicodeScalars)
  // probabilities ∝ e^logit: a 0.5-ish, b, c, d, e decreasing
  let logits: [Float] = [0.5, 3, 2, 1, -1]

  func draw(_ options: SamplingOptions, n: Int = 300, seed: UInt64 = 1) -> Set<Int> {
    var g = SeededGenerator(seed: seed)
    return Set((0..<n).map { _ in TextSampler.chooseToken(logits: logits, options: options, using: &g) })
  }

  @Test func greedyAtZeroTemperatureOrTopK1() {
    #expect(draw(SamplingOptions(temperature: 0)) == [1])
    #expect(draw(SamplingOptions(temperature: 1, topK: 1)) == [1])
  }

  @Test func topKLimitsChoices() {
    #expect(draw(SamplingOptions(temperature: 1, topK: 2)) == [1, 2])
    #expect(draw(SamplingOptions(temperature: 5, topK: 3)) == [1, 2, 3])
    #expect(draw(SamplingOptions(temperature: 5)).count == 5)
  }

  @Test func topPKeepsSmallestSetWithMass() {
    let z = logits.map { exp(Double($0)) }.reduce(0, +)
    let p = logits.map { exp(Double($0)) / z }  // b ≈ .63, c ≈ .23, d ≈ .09
    // p(b) < 0.7 ≤ p(b) + p(c): exactly {b, c}
    #expect(p[1] < 0.7 && p[1] + p[2] >= 0.7)
    let c = TextSampler.candidates(logits: logits, options: SamplingOptions(topP: 0.7))
    #expect(c.map(\.id) == [1, 2])
    #expect(abs(c[0].probability - p[1] / (p[1] + p[2])) < 1e-9)
    #expect(draw(SamplingOptions(topP: 0.7)) == [1, 2])
    #expect(TextSampler.candidates(logits: logits, options: SamplingOptions(topP: 0.5)).map(\.id) == [1])
  }

  @Test func rejectsBadOptionsAndUnknownPrime() {
    var stub = FixedLogitsPredictor(logits: logits)
    var g = SeededGenerator(seed: 0)
    for bad in [SamplingOptions(temperature: -1), SamplingOptions(topK: 0), SamplingOptions(topP: 0)] {
      #expect(throws: RecipeError.self) {
        try TextSampler.generate(predictor: &stub, vocabulary: vocabulary, prime: "a", length: 3, options: bad,
                                 recipe: "t", using: &g)
      }
    }
    do {
      _ = try TextSampler.generate(predictor: &stub, vocabulary: vocabulary, prime: "abz", length: 3,
                                   options: SamplingOptions(), recipe: "t", using: &g)
      Issue.record("expected an error")
    } catch let e as RecipeError {
      #expect(e.message.contains("\"z\"") && e.message.contains("not in the model's vocabulary"))
    } catch { Issue.record("wrong error \(error)") }
  }

  @Test func streamsExactlyTheGeneratedCharactersAndFeedsPrime() throws {
    var stub = FixedLogitsPredictor(logits: logits)
    var g = SeededGenerator(seed: 3)
    var streamed: [String] = []
    let out = try TextSampler.generate(
      predictor: &stub, vocabulary: vocabulary, prime: "dea", length: 12, options: SamplingOptions(topK: 3),
      recipe: "t", using: &g) { streamed.append($0) }
    #expect(out.count == 12 && streamed.count == 12 && streamed.joined() == out)
    #expect(Array(stub.fed.prefix(3)) == [3, 4, 0])
    #expect(stub.fed.count == 3 + 11)
  }

  func rnn() throws -> CharRNN {
    var c = CharRNN.Config()
    c.embeddingSize = 8
    c.hiddenSize = 16
    c.layers = 2
    return try CharRNN(vocabulary: Vocabulary.characters(in: "hello world"), config: c, seed: 2)
  }

  @Test func rnnSamplingIsSeededAndContinuesPrime() throws {
    let r = try rnn()
    var g1 = SeededGenerator(seed: 5), g2 = SeededGenerator(seed: 5), g3 = SeededGenerator(seed: 6)
    let a = try r.sample(prime: "hel", length: 20, using: &g1)
    let b = try r.sample(prime: "hel", length: 20, using: &g2)
    let c = try r.sample(prime: "hel", length: 20, using: &g3)
    #expect(a == b && a != c && a.count == 20)
    #expect(r.network.isTraining)  // mode restored
    // Greedy sampling equals stepping the network by hand over the whole sequence.
    var gg = SeededGenerator(seed: 0)
    let greedy = try r.sample(prime: "hel", length: 5, options: SamplingOptions(temperature: 0), using: &gg)
    var ids = try r.vocabulary.encode("hel")
    r.network.eval()
    defer { r.network.train() }
    withNoGrad {
      for _ in 0..<5 {
        let l = r.network(IndexTensor(ids).reshaped([1, ids.count])).logits
        let v = l.shape[2]
        let last = Array(l.scalars[((ids.count - 1) * v)...])
        ids.append(last.indices.max { last[$0] < last[$1] }!)
      }
    }
    let expected = try r.vocabulary.encode("hel" + greedy)
    #expect(expected == ids)
  }

  func gpt() throws -> CharGPT {
    var c = CharGPT.Config()
    c.layers = 2
    c.heads = 2
    c.width = 16
    c.blockSize = 8
    return try CharGPT(vocabulary: Vocabulary.characters(in: "hello world"), config: c, seed: 3)
  }

  /// Cached decoding and the recorded full recompute follow the same context rule and give the
  /// same logits (to 1e-4: float32 sums in another order), in both context modes and well past
  /// the block size of 8.
  @Test(arguments: [false, true])
  func gptCacheEqualsFullRecompute(exactContext: Bool) throws {
    let r = try gpt()
    r.network.eval()
    try withNoGrad {
      var cached = GPTPredictor(network: r.network, useCache: true, exactContext: exactContext)
      var full = GPTPredictor(network: r.network, useCache: false, exactContext: exactContext)
      let ids = try r.vocabulary.encode("hello")
      var a = cached.feed(ids), b = full.feed(ids)
      for i in 0..<20 {
        #expect(cached.context == full.context)
        for (x, y) in zip(a, b) { #expect(abs(x - y) < 1e-4) }
        let next = (i * 3) % r.vocabulary.size
        if i % 2 == 0 {
          a = cached.feed([next])
        } else {
          a = cached.feed(token: next) { Array($0) }
        }
        b = full.feed([next])
      }
    }
    r.network.train()
    var g1 = SeededGenerator(seed: 8), g2 = SeededGenerator(seed: 8)
    var streamed = ""
    let options = SamplingOptions(exactContext: exactContext)
    let x = try r.sample(prime: "he", length: 20, options: options, useCache: true, using: &g1) { streamed += $0 }
    let y = try r.sample(prime: "he", length: 20, options: options, useCache: false, using: &g2)
    #expect(x == y && streamed == x && x.count == 20)
    #expect(r.network.isTraining)
  }

  @Test func gptGreedyIsDeterministic() throws {
    let r = try gpt()
    var g1 = SeededGenerator(seed: 1), g2 = SeededGenerator(seed: 99)
    let a = try r.sample(prime: "wor", length: 10, options: SamplingOptions(temperature: 0), using: &g1)
    let b = try r.sample(prime: "wor", length: 10, options: SamplingOptions(topK: 1), using: &g2)
    #expect(a == b)
    #expect(throws: RecipeError.self) { var g = SeededGenerator(seed: 0); _ = try r.sample(prime: "xyz", length: 3, using: &g) }
  }
}
