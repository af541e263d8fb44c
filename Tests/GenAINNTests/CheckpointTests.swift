import Foundation
import Testing

@testable import GenAINN
import GenAITensor

// MARK: - A tiny training setup whose every piece of state matters

/// Two linear layers with a dropout-like mask drawn from a `RandomSource` the model holds.
private final class NoisyNet: Module {
  let fc1: Linear
  let fc2: Linear
  let noise: RandomSource

  init(seed: UInt64, hidden: Int = 8) {
    var rng = SeededGenerator(seed: seed)
    fc1 = Linear(inputSize: 3, outputSize: hidden, using: &rng)
    fc2 = Linear(inputSize: hidden, outputSize: 1, using: &rng)
    noise = RandomSource(seed: rng.next())
    super.init()
  }

  func callAsFunction(_ x: Tensor) -> Tensor {
    var h = fc1(x).relu()
    if isTraining { h = h * (Tensor.bernoulli(h.shape, p: 0.75, using: &noise.generator) / 0.75) }
    return fc2(h)
  }
}

/// A fixed data set of 12 samples, served in batches of 4 in an order reshuffled every epoch.
private enum ToyData {
  static let count = 12
  static let batchSize = 4
  static let batchesPerEpoch = count / batchSize
  static let inputs: [[Float]] = {
    var rng = SeededGenerator(seed: 99)
    return (0..<count).map { _ in (0..<3).map { _ in rng.nextUniform() * 2 - 1 } }
  }()
  static let targets: [Float] = inputs.map { 0.5 * $0[0] - $0[1] * $0[2] + 0.1 }

  /// Fisher–Yates with a generator seeded by `seed`.
  static func order(seed: UInt64) -> [Int] {
    var g = SeededGenerator(seed: seed)
    var p = Array(0..<count)
    for i in stride(from: count - 1, to: 0, by: -1) { p.swapAt(i, Int(g.next() % UInt64(i + 1))) }
    return p
  }

  static func batch(_ rows: ArraySlice<Int>) throws -> (Tensor, Tensor) {
    (
      try Tensor(shape: [rows.count, 3], rows.flatMap { inputs[$0] }),
      try Tensor(shape: [rows.count, 1], rows.map { targets[$0] })
    )
  }
}

/// Everything a training run holds: model, optimiser, data generator and position, step.
private struct Run {
  let model: NoisyNet
  let optimizer: Adam
  var dataRNG: SeededGenerator
  var position = DataPosition()
  var step = 0

  init(modelSeed: UInt64, dataSeed: UInt64) {
    model = NoisyNet(seed: modelSeed)
    optimizer = Adam(parameters: model.parameters(), learningRate: 0.05)
    dataRNG = SeededGenerator(seed: dataSeed)
  }

  /// Trains `steps` steps; returns the last loss.
  mutating func train(steps: Int) throws -> Float {
    var loss = Float.nan
    for _ in 0..<steps {
      if position.index == ToyData.batchesPerEpoch {
        position.epoch += 1
        position.index = 0
      }
      if position.index == 0 { position.shuffleSeed = dataRNG.next() }
      let order = ToyData.order(seed: position.shuffleSeed)
      let (x, y) = try ToyData.batch(order[(position.index * ToyData.batchSize)..<((position.index + 1) * ToyData.batchSize)])
      position.index += 1
      optimizer.learningRate = 0.05 * pow(Float(0.9), Float(step))  // a schedule driven by the step
      let l = model(x).meanSquaredError(y)
      optimizer.zeroGrad()
      try l.backward()
      optimizer.step()
      step += 1
      loss = l.item
    }
    return loss
  }

  func save(to url: URL) throws {
    try TrainingCheckpoint.save(
      to: url, models: ["net": model], optimizers: ["adam": optimizer], generators: ["data": dataRNG],
      step: step, dataPosition: position)
  }

  mutating func resume(from url: URL) throws {
    let r = try TrainingCheckpoint.load(from: url, into: ["net": model], optimizers: ["adam": optimizer])
    step = r.step
    dataRNG = try r.generator("data")
    position = try #require(r.dataPosition)
  }
}

private func parameterBits(_ m: Module) -> [String: [UInt32]] {
  Dictionary(uniqueKeysWithValues: m.namedTensors().map { ($0.0, $0.1.scalars.map(\.bitPattern)) })
}

private func stateBits(_ o: any Optimizer) -> [String: [UInt32]] {
  o.stateDict().mapValues { $0.scalars.map(\.bitPattern) }
}

/// Expects `body` to throw a `CheckpointError` and returns its problem.
private func expectCheckpointError(
  sourceLocation: SourceLocation = #_sourceLocation, _ body: () throws -> Void
) -> CheckpointError? {
  do {
    try body()
    Issue.record("expected a CheckpointError, nothing was thrown", sourceLocation: sourceLocation)
  } catch let e as CheckpointError {
    return e
  } catch {
    Issue.record("expected a CheckpointError, got \(error)", sourceLocation: sourceLocation)
  }
  return nil
}

// MARK: - Tests

@Suite struct CheckpointTests {
  /// Training N steps equals training k, saving, loading into fresh objects and training N − k,
  /// bit for bit.
  @Test func resumingIsBitExact() throws {
    let dir = try CheckpointScratchDir()
    defer { dir.cleanup() }
    let url = dir.file("ckpt.safetensors")
    let n = 8
    let k = 5  // stops mid-epoch (epoch 1, batch 2 of 3); the rest crosses into epoch 2

    var straight = Run(modelSeed: 7, dataSeed: 42)
    let straightLoss = try straight.train(steps: n)

    var first = Run(modelSeed: 7, dataSeed: 42)
    _ = try first.train(steps: k)
    try first.save(to: url)
    #expect(first.position == DataPosition(epoch: 1, index: 2, shuffleSeed: first.position.shuffleSeed))

    // Fresh objects built differently: other weights, other noise, empty optimiser, other data RNG.
    var resumed = Run(modelSeed: 1234, dataSeed: 555)
    #expect(parameterBits(resumed.model) != parameterBits(first.model))
    try resumed.resume(from: url)
    #expect(parameterBits(resumed.model) == parameterBits(first.model))
    #expect(stateBits(resumed.optimizer) == stateBits(first.optimizer))
    #expect(resumed.model.noise.generator == first.model.noise.generator)
    #expect(resumed.dataRNG == first.dataRNG)
    #expect(resumed.position == first.position)
    #expect(resumed.step == k)
    #expect(resumed.optimizer.stepCount == k)

    let resumedLoss = try resumed.train(steps: n - k)
    #expect(resumedLoss.bitPattern == straightLoss.bitPattern)
    #expect(parameterBits(resumed.model) == parameterBits(straight.model))
    #expect(stateBits(resumed.optimizer) == stateBits(straight.optimizer))
    #expect(resumed.model.noise.generator == straight.model.noise.generator)
    #expect(resumed.dataRNG == straight.dataRNG)

    // The test has teeth: losing the dropout generator's state changes the result.
    var careless = Run(modelSeed: 1234, dataSeed: 555)
    try careless.resume(from: url)
    careless.model.noise.generator = SeededGenerator(seed: 0)
    _ = try careless.train(steps: n - k)
    #expect(parameterBits(careless.model) != parameterBits(straight.model))
  }

  @Test func generatorsPositionAndMetadataRoundTripExactly() throws {
    let dir = try CheckpointScratchDir()
    defer { dir.cleanup() }
    let url = dir.file("c.safetensors")
    var g = SeededGenerator(seed: 0)
    g.state = [.max, 0, 1 << 63 | 12345, 0x0123_4567_89AB_CDEF]
    struct Position: Codable, Equatable { var epoch: Int; var cursor: [Int]; var seed: UInt64 }
    let position = Position(epoch: 3, cursor: [1, 2], seed: .max - 1)
    let model = NoisyNet(seed: 1)
    try TrainingCheckpoint.save(
      to: url, models: ["m": model], generators: ["data": g, "noise z": SeededGenerator(seed: 5)], step: 1 << 40,
      dataPosition: position, userMetadata: ["config": "{\"lr\": 0.1}"])
    let r = try TrainingCheckpoint.load(from: url, into: ["m": NoisyNet(seed: 2)], dataPosition: Position.self)
    #expect(r.step == 1 << 40)
    #expect(try r.generator("data") == g)
    #expect(r.generators["noise z"] == SeededGenerator(seed: 5))
    #expect(r.dataPosition == position)
    #expect(r.userMetadata == ["config": "{\"lr\": 0.1}"])
    let e = expectCheckpointError { _ = try r.generator("shuffle") }
    #expect(e?.problem == .missingGenerator("shuffle", available: ["data", "noise z"]))
    #expect(e?.description.contains("no generator named \"shuffle\"") == true)

    // Without a position: nil.
    try TrainingCheckpoint.save(to: url, models: ["m": model], step: 2)
    #expect(try TrainingCheckpoint.load(from: url, into: ["m": model]).dataPosition == nil)
    #expect(TrainingCheckpoint.isTrainingCheckpoint(url))
  }

  /// Strict loading names every missing, unexpected and mis-shaped key, and changes nothing.
  @Test func strictLoadingNamesEveryKey() throws {
    let dir = try CheckpointScratchDir()
    defer { dir.cleanup() }
    let url = dir.file("c.safetensors")
    let saved = NoisyNet(seed: 1)
    let opt = Adam(parameters: saved.parameters())
    try TrainingCheckpoint.save(to: url, models: ["net": saved], optimizers: ["adam": opt], step: 0)

    // Mis-shaped: a wider hidden layer.
    let wide = NoisyNet(seed: 2, hidden: 9)
    let before = parameterBits(wide)
    var e = expectCheckpointError { _ = try TrainingCheckpoint.load(from: url, into: ["net": wide]) }
    guard case .mismatch(let m)? = e?.problem else { Issue.record("\(String(describing: e))"); return }
    #expect(m.mismatched.map(\.key) == ["model.net.fc1.weight", "model.net.fc1.bias", "model.net.fc2.weight"])
    #expect(m.mismatched.first?.expected == [9, 3] && m.mismatched.first?.found == [8, 3])
    // The optimiser in the file that was not passed, and its keys.
    #expect(m.unexpected.first == "optim.adam")
    #expect(m.unexpected.count > 1 && m.unexpected.dropFirst().allSatisfy { $0.hasPrefix("optim.adam.") })
    #expect(e?.description.contains("shape mismatch for model.net.fc1.weight: expected [9, 3], found [8, 3]") == true)
    #expect(e?.description.contains(url.path) == true)
    #expect(parameterBits(wide) == before)

    // Wrong model name: every key of both sides is named, plus the random sources.
    let other = NoisyNet(seed: 3)
    e = expectCheckpointError {
      _ = try TrainingCheckpoint.load(from: url, into: ["gen": other], optimizers: ["adam": Adam(parameters: other.parameters())])
    }
    guard case .mismatch(let m2)? = e?.problem else { Issue.record("\(String(describing: e))"); return }
    #expect(m2.missing == [
      "model.gen", "model.gen.fc1.weight", "model.gen.fc1.bias", "model.gen.fc2.weight", "model.gen.fc2.bias",
      "model.gen.noise (random source)",
    ])
    #expect(m2.unexpected == [
      "model.net", "model.net.noise (random source)", "model.net.fc1.bias", "model.net.fc1.weight",
      "model.net.fc2.bias", "model.net.fc2.weight",
    ])

    // An optimiser over different parameters: its own keys are named with the optim prefix.
    let model = NoisyNet(seed: 4)
    let partial = Adam(parameters: Array(model.parameters().prefix(2)))
    e = expectCheckpointError {
      _ = try TrainingCheckpoint.load(from: url, into: ["net": model], optimizers: ["adam": partial])
    }
    guard case .mismatch(let m3)? = e?.problem else { Issue.record("\(String(describing: e))"); return }
    #expect(m3.unexpected.contains("optim.adam.2.exp_avg"))
    #expect(m3.unexpected.allSatisfy { $0.hasPrefix("optim.adam.") })
    #expect(parameterBits(model) == parameterBits(NoisyNet(seed: 4)))  // models untouched

    // An optimiser passed that the file lacks.
    e = expectCheckpointError {
      _ = try TrainingCheckpoint.load(
        from: url, into: ["net": model], optimizers: ["adam": opt, "sgd": SGD(parameters: model.parameters())])
    }
    #expect(e?.problem == .mismatch(StateDictError(missing: ["optim.sgd"])))
  }

  @Test func corruptForeignAndNewerFilesGiveClearErrors() throws {
    let dir = try CheckpointScratchDir()
    defer { dir.cleanup() }
    let url = dir.file("c.safetensors")
    let model = NoisyNet(seed: 1)
    try TrainingCheckpoint.save(to: url, models: ["net": model], step: 3)
    let good = try Data(contentsOf: url)

    // Truncated: a safetensors error naming the file.
    let cut = dir.file("cut.safetensors")
    try good.prefix(good.count - 10).write(to: cut)
    let t = expectSafeTensorsError { _ = try TrainingCheckpoint.load(from: cut, into: ["net": model]) }
    #expect(t.map { if case .truncated = $0.problem { true } else { false } } == true)
    #expect(t?.description.contains(cut.path) == true)

    // Corrupt header byte.
    let corrupt = dir.file("corrupt.safetensors")
    try good.replacingByte(at: 8, with: UInt8(ascii: "x")).write(to: corrupt)
    _ = expectSafeTensorsError { _ = try TrainingCheckpoint.load(from: corrupt, into: ["net": model]) }

    // A foreign (plain) safetensors file.
    let plain = dir.file("weights.safetensors")
    try SafeTensors.write(model.stateDict(), metadata: ["format": "pt"], to: plain)
    var e = expectCheckpointError { _ = try TrainingCheckpoint.load(from: plain, into: ["net": model]) }
    #expect(e.map { if case .notATrainingCheckpoint = $0.problem { true } else { false } } == true)
    #expect(e?.description.contains("not a genai training checkpoint") == true)
    #expect(e?.description.contains("fc1.bias") == true)
    #expect(!TrainingCheckpoint.isTrainingCheckpoint(plain))

    // A newer format version.
    var meta = try SafeTensors.read(from: url).metadata
    meta["format_version"] = "99"
    let newer = dir.file("newer.safetensors")
    try SafeTensors.write(try SafeTensors.read(from: url).tensors, metadata: meta, to: newer)
    e = expectCheckpointError { _ = try TrainingCheckpoint.load(from: newer, into: ["net": model]) }
    #expect(e?.problem == .unsupportedVersion(found: 99, supported: TrainingCheckpoint.formatVersion))

    // Broken metadata: a generator with three words.
    meta = try SafeTensors.read(from: url).metadata
    meta["generators"] = #"{"data":{"state":[1,2,3]}}"#
    try SafeTensors.write(try SafeTensors.read(from: url).tensors, metadata: meta, to: newer)
    e = expectCheckpointError { _ = try TrainingCheckpoint.load(from: newer, into: ["net": model]) }
    #expect(e?.problem == .corrupt("generator \"data\" has 3 state words, expected 4"))
    meta["generators"] = "{not json"
    try SafeTensors.write(try SafeTensors.read(from: url).tensors, metadata: meta, to: newer)
    e = expectCheckpointError { _ = try TrainingCheckpoint.load(from: newer, into: ["net": model]) }
    #expect(e?.description.contains("metadata entry \"generators\" is not valid") == true)

    // Names that cannot be saved.
    e = expectCheckpointError { try TrainingCheckpoint.save(to: url, models: ["a.b": model], step: 0) }
    #expect(e.map { if case .invalidName = $0.problem { true } else { false } } == true)
  }

  /// A save that crashes midway leaves the previous checkpoint loadable.
  @Test func interruptedSaveKeepsThePreviousCheckpoint() throws {
    let dir = try CheckpointScratchDir()
    defer { dir.cleanup() }
    let url = dir.file("c.safetensors")
    var run = Run(modelSeed: 1, dataSeed: 2)
    _ = try run.train(steps: 2)
    try run.save(to: url)
    let savedBits = parameterBits(run.model)
    _ = try run.train(steps: 1)
    struct Crash: Error {}
    #expect(throws: Crash.self) {
      try TrainingCheckpoint.save(
        to: url, models: ["net": run.model], optimizers: ["adam": run.optimizer], generators: ["data": run.dataRNG],
        step: run.step, encodedPosition: nil, userMetadata: [:]
      ) { stage, _ in if stage == .tensor("model.net.fc1.weight") { throw Crash() } }
    }
    var fresh = Run(modelSeed: 9, dataSeed: 9)
    try fresh.resume(from: url)
    #expect(fresh.step == 2)
    #expect(parameterBits(fresh.model) == savedBits)
    #expect(try dir.listing() == ["c.safetensors"])
  }
}
