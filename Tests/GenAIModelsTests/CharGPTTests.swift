import Foundation
import GenAIData
import GenAIModels
import GenAINN
import GenAITensor
import GenAITestSupport
import Testing

@Suite struct CharGPTTests {
  let text = "hello world, hello there. "

  static func small(_ vocabulary: Vocabulary, tied: Bool = true, dropout: Float = 0, lr: Float = 1e-2,
                    warmup: Int = 2, seed: UInt64 = 1) throws -> CharGPT {
    var c = CharGPT.Config()
    c.layers = 2
    c.heads = 2
    c.width = 16
    c.blockSize = 8
    c.dropout = dropout
    c.tiedHead = tied
    c.learningRate = lr
    c.minLearningRate = lr / 10
    c.warmupSteps = warmup
    c.decaySteps = 100
    return try CharGPT(vocabulary: vocabulary, config: c, seed: seed)
  }

  @Test func defaultsMatchNanoGPTCPU() {
    let c = CharGPT.Config()
    #expect(c.layers == 4 && c.heads == 4 && c.width == 128 && c.blockSize == 64 && c.dropout == 0)
    #expect(c.learningRate == 1e-3 && c.weightDecay == 0.1 && !c.bias && c.tiedHead)
  }

  @Test func logitsShape() throws {
    let v = Vocabulary.characters(in: text)
    let r = try Self.small(v)
    let b = try TextTestSupport.batch(text, vocabulary: v, length: 8, count: 3, seed: 0)
    #expect(r.logits(b.tokens!).shape == [3, 8, v.size])
    let short = IndexTensor([1, 2, 3]).reshaped([1, 3])
    #expect(r.logits(short).shape == [1, 3, v.size])
  }

  @Test func defaultSizeMatchesGPTPy() throws {
    let v = Vocabulary(characters: (0..<65).map { Unicode.Scalar(UInt8(48 + $0)) })
    let r = try CharGPT(vocabulary: v)
    // wte 65·128 + wpe 64·128 + 4 × (128 + 3·128² + 128² + 128 + 2·4·128²) + ln_f 128 ≈ 0.80M
    #expect(r.network.parameterCount() == 8320 + 8192 + 4 * 196_864 + 128)
  }

  @Test func goldenParameters() throws {
    let v = Vocabulary(characters: "abcdefghij".unicodeScalars)
    let r = try Self.small(v)
    var expected = ["wte.weight", "wpe.weight"]
    for l in 0..<2 {
      expected += ["ln_1.weight", "attn.c_attn.weight", "attn.c_proj.weight", "ln_2.weight", "c_fc.weight", "m_proj.weight"]
        .map { "blocks.\(l).\($0)" }
    }
    expected.append("ln_f.weight")
    #expect(Set(r.network.namedParameters().map(\.0)) == Set(expected))
    // wte 10·16 + wpe 8·16 + 2 × (16 + 48·16 + 16·16 + 16 + 64·16 + 16·64) + ln_f 16
    #expect(r.network.parameterCount() == 160 + 128 + 2 * 3104 + 16)
    let untied = try Self.small(v, tied: false)
    #expect(untied.network.parameterCount() == 6512 + 160)
    // Weight decay only on rank ≥ 2: wte, wpe and 4 matrices per block.
    #expect(r.optimizer.appliesWeightDecay.filter { $0 }.count == 2 + 2 * 4)
  }

  @Test func rejectsLongSequences() throws {
    let v = Vocabulary.characters(in: text)
    let r = try Self.small(v)
    let b = try TextTestSupport.batch(text, vocabulary: v, length: 12, count: 1, seed: 0)
    #expect(throws: RecipeError.self) { try r.trainStep(b) }
  }

  @Test func overfitsOneBatchAndReportsSchedule() throws {
    let v = Vocabulary.characters(in: text)
    let r = try Self.small(v, lr: 1e-2, warmup: 2)
    let b = try TextTestSupport.batch(text, vocabulary: v, length: 8, count: 2, seed: 3)
    var loss: Float = .infinity
    var lrs: [Float] = []
    for _ in 0..<40 {
      let out = try r.trainStep(b)
      loss = out["loss"]!
      lrs.append(out["lr"]!)
    }
    #expect(lrs[0] == r.schedule.learningRate(atStep: 0) && lrs[0] < lrs[2])
    #expect(lrs[2] == 1e-2)
    #expect(loss < 0.25 * log(Float(v.size)), "loss \(loss)")
  }

  @Test(.requiresSharedData(.shakespeare))
  func realTextLossFallsAndIsDeterministic() throws {
    let tiny = try #require(TextTestSupport.tinyShakespeare(bytes: 3000))
    let v = Vocabulary.characters(in: tiny)
    func run() throws -> [Float] {
      let r = try Self.small(v, lr: 1e-2, seed: 7)
      let bs = try TextTestSupport.batches(tiny, vocabulary: v, length: 8, count: 4, steps: 20, seed: 11)
      return try bs.map { try r.trainStep($0)["loss"]! }
    }
    let a = try run()
    #expect(a == (try run()))
    let first = a.prefix(3).reduce(0, +) / 3
    let last = a.suffix(3).reduce(0, +) / 3
    #expect(last < first - 0.3, "losses \(a)")
  }

  @Test func checkpointResumeIsBitIdentical() throws {
    let v = Vocabulary.characters(in: text)
    let bs = try TextTestSupport.batches(text, vocabulary: v, length: 8, count: 2, steps: 5, seed: 5)
    let full = try Self.small(v, dropout: 0.1, seed: 9)
    let expected = try bs.map { try full.trainStep($0) }
    let first = try Self.small(v, dropout: 0.1, seed: 9)
    var got = try bs.prefix(3).map { try first.trainStep($0) }
    let url = FileManager.default.temporaryDirectory.appendingPathComponent("chargpt-\(UUID().uuidString).safetensors")
    defer { try? FileManager.default.removeItem(at: url) }
    try TrainingCheckpoint.save(to: url, models: first.models, optimizers: first.optimizers, step: 3)
    let resumed = try Self.small(v, dropout: 0.1, seed: 4321)
    _ = try TrainingCheckpoint.load(from: url, into: resumed.models, optimizers: resumed.optimizers)
    got += try bs.suffix(2).map { try resumed.trainStep($0) }
    #expect(got == expected)
  }
}
