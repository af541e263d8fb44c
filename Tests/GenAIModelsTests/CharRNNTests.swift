import Foundation
import GenAIData
import GenAIModels
import GenAINN
import GenAITensor
import GenAITestSupport
import Testing

@Suite struct CharRNNTests {
  let text = "hello world, hello there. "

  func small(_ vocabulary: Vocabulary, cell: CharRNNNetwork.Cell = .lstm, layers: Int = 2, dropout: Float = 0,
             lr: Float = 1e-2, seed: UInt64 = 1) throws -> CharRNN {
    var c = CharRNN.Config()
    c.embeddingSize = 8
    c.hiddenSize = 16
    c.layers = layers
    c.cell = cell
    c.dropout = dropout
    c.sequenceLength = 8
    c.learningRate = lr
    return try CharRNN(vocabulary: vocabulary, config: c, seed: seed)
  }

  @Test func logitsShape() throws {
    let v = Vocabulary.characters(in: text)
    let r = try small(v)
    let b = try TextTestSupport.batch(text, vocabulary: v, length: 8, count: 3, seed: 0)
    #expect(r.logits(b.tokens!).shape == [3, 8, v.size])
    let g = try small(v, cell: .gru, layers: 1)
    #expect(g.logits(b.tokens!).shape == [3, 8, v.size])
  }

  @Test func defaultsMatchCharLSTM() {
    let c = CharRNN.Config()
    #expect(c.embeddingSize == 128 && c.hiddenSize == 512 && c.layers == 2 && c.sequenceLength == 100)
    #expect(c.learningRate == 2e-3 && c.clipNorm == 5 && c.cell == .lstm)
  }

  @Test func defaultSizeMatchesCharLSTMPy() throws {
    let v = Vocabulary(characters: (0..<65).map { Unicode.Scalar(UInt8(48 + $0)) })
    let r = try CharRNN(vocabulary: v)
    // emb 65·128 + l0 (2048·128 + 2048·512 + 2·2048) + l1 (2·2048·512 + 2·2048) + head (512·65 + 65)
    #expect(r.network.parameterCount() == 8320 + 1_314_816 + 2_101_248 + 33_345)  // ≈ 3.46M
  }

  @Test func goldenParameters() throws {
    let v = Vocabulary(characters: "abcdefghij".unicodeScalars)
    #expect(v.size == 10)
    let r = try small(v)
    let names = Set(r.network.namedParameters().map(\.0))
    var expected: Set<String> = ["embedding.weight", "head.weight", "head.bias"]
    for l in 0..<2 { for k in ["weight_ih", "weight_hh", "bias_ih", "bias_hh"] { expected.insert("lstm.\(k)_l\(l)") } }
    #expect(names == expected)
    // emb 10·8 + l0 (64·8 + 64·16 + 2·64) + l1 (64·16 + 64·16 + 2·64) + head (16·10 + 10)
    #expect(r.network.parameterCount() == 80 + 1664 + 2176 + 170)
    let g = try small(v, cell: .gru, layers: 1)
    // emb 80 + (48·8 + 48·16 + 2·48) + head 170
    #expect(g.network.parameterCount() == 80 + 1248 + 170)
  }

  @Test func overfitsOneBatch() throws {
    let v = Vocabulary.characters(in: text)
    let r = try small(v, layers: 1, lr: 2e-2)
    let b = try TextTestSupport.batch(text, vocabulary: v, length: 8, count: 2, seed: 3)
    var loss: Float = .infinity
    for _ in 0..<60 { loss = try r.trainStep(b)["loss"]! }
    #expect(loss < 0.25 * log(Float(v.size)), "loss \(loss) vs ln V \(log(Float(v.size)))")
  }

  @Test func carriesStateOnlyWhenAsked() throws {
    let v = Vocabulary.characters(in: text)
    let b = try TextTestSupport.batch(text, vocabulary: v, length: 8, count: 2, seed: 3)
    let plain = try small(v, layers: 1)
    _ = try plain.trainStep(b)
    #expect(plain.carriedState == nil)
    var c = plain.config
    c.carryState = true
    let carrying = try CharRNN(vocabulary: v, config: c, seed: 1)
    _ = try carrying.trainStep(b)
    #expect(carrying.carriedState?.batchSize == 2)
    _ = try carrying.trainStep(b)
    carrying.resetState()
    #expect(carrying.carriedState == nil)
  }

  @Test func rejectsBadBatch() throws {
    let v = Vocabulary.characters(in: text)
    let r = try small(v, layers: 1)
    #expect(throws: RecipeError.self) { try r.trainStep(Batch(inputs: Tensor.zeros([1, 1]))) }
  }

  @Test(.requiresSharedData(.shakespeare))
  func realTextLossFallsAndIsDeterministic() throws {
    let tiny = try #require(TextTestSupport.tinyShakespeare(bytes: 3000))
    let v = Vocabulary.characters(in: tiny)
    func run() throws -> [Float] {
      let r = try small(v, layers: 1, lr: 1e-2, seed: 7)
      let bs = try TextTestSupport.batches(tiny, vocabulary: v, length: 16, count: 4, steps: 20, seed: 11)
      return try bs.map { try r.trainStep($0)["loss"]! }
    }
    let a = try run()
    let b = try run()
    #expect(a == b)
    let first = a.prefix(3).reduce(0, +) / 3
    let last = a.suffix(3).reduce(0, +) / 3
    #expect(last < first - 0.3, "losses \(a)")
  }

  @Test func checkpointResumeIsBitIdentical() throws {
    let v = Vocabulary.characters(in: text)
    let bs = try TextTestSupport.batches(text, vocabulary: v, length: 8, count: 2, steps: 5, seed: 5)
    let full = try small(v, dropout: 0.2, seed: 9)
    let expected = try bs.map { try full.trainStep($0)["loss"]! }
    let first = try small(v, dropout: 0.2, seed: 9)
    var got = try bs.prefix(3).map { try first.trainStep($0)["loss"]! }
    let url = FileManager.default.temporaryDirectory.appendingPathComponent("charrnn-\(UUID().uuidString).safetensors")
    defer { try? FileManager.default.removeItem(at: url) }
    try TrainingCheckpoint.save(to: url, models: first.models, optimizers: first.optimizers, step: 3)
    let resumed = try small(v, dropout: 0.2, seed: 1234)
    let info = try TrainingCheckpoint.load(from: url, into: resumed.models, optimizers: resumed.optimizers)
    #expect(info.step == 3)
    got += try bs.suffix(2).map { try resumed.trainStep($0)["loss"]! }
    #expect(got == expected)
  }
}
