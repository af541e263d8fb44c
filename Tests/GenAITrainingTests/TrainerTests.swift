import Foundation
import GenAIData
import GenAIModels
import GenAINN
import GenAITensor
import GenAITestSupport
import Testing
@testable import GenAITraining

@Suite("Training runs: run folder, resume, sampling, bad input", .serialized)
struct TrainerTests {
  @Test func dcganRunWritesConfigMetricsCheckpointAndSamples() throws {
    let folder = try TemporaryFolder.make("dcgan-run")
    defer { try? FileManager.default.removeItem(at: folder) }
    var config = TrainingTestSupport.config(.dcgan, data: "shapes", steps: 4)
    config.sampleEvery = 2
    let trainer = try TrainingTestSupport.train(config, in: folder.appending(path: "run"))
    #expect(try trainer.train() == .finished(step: 4))
    let run = trainer.run
    let saved = try run.readConfig()
    #expect(saved.classNames == ProceduralShapes.classNames)
    let rows = try MetricsLog.read(run.metricsURL)
    #expect(rows.count == 4)
    #expect(rows.allSatisfy { $0.training?.losses["d_loss"]?.isFinite == true && $0.training?.losses["g_loss"]?.isFinite == true })
    #expect(run.checkpoints().map(\.step) == [4])
    for step in [2, 4] {
      let png = try PNGDecoder.read(run.sampleURL(step: step, fileExtension: "png"))
      #expect(png.bitmap.width > 28 * 2 * 2)
      #expect(png.text.contains { $0.key == "genai.recipe" && $0.value == "dcgan" })
      #expect(png.text.contains { $0.key == "Comment" && $0.value.contains("machine-generated") })
    }
  }

  /// Stopping at step 3 (as Ctrl-C does) and resuming gives bit-for-bit the weights of an
  /// uninterrupted 6-step run: weights, optimiser state, dropout/noise streams and data order.
  @Test func interruptedAndResumedRunEqualsUninterrupted() throws {
    let folder = try TemporaryFolder.make("resume")
    defer { try? FileManager.default.removeItem(at: folder) }
    let config = TrainingTestSupport.config(.dcgan, data: "shapes", steps: 6)
    let straight = try TrainingTestSupport.train(config, in: folder.appending(path: "straight"))
    #expect(try straight.train() == .finished(step: 6))

    let first = try TrainingTestSupport.train(config, in: folder.appending(path: "stopped"))
    first.onStep = { step in if step == 3 { Interruption.request() } }
    defer { Interruption.reset() }
    #expect(try first.train() == .interrupted(step: 3))
    Interruption.reset()
    #expect(first.run.checkpoints().map(\.step) == [3])
    let resumed = try Trainer.resume(first.run, recipe: .dcgan, dataDirectory: DataDirectory(url: folder))
    resumed.interactive = false
    resumed.write = { _ in }
    #expect(resumed.step == 3)
    #expect(try resumed.train() == .finished(step: 6))

    for name in ["generator", "discriminator"] {
      let a = straight.recipe.models[name]!.namedTensors()
      let b = resumed.recipe.models[name]!.namedTensors()
      #expect(a.count == b.count)
      for (x, y) in zip(a, b) { #expect(x.0 == y.0 && x.1.scalars == y.1.scalars, "\(name).\(x.0)") }
    }
    // Both runs logged the same losses for steps 4...6.
    let straightRows = try MetricsLog.read(straight.run.metricsURL).suffix(3).map { $0.training?.losses["g_loss"] }
    let resumedRows = try MetricsLog.read(resumed.run.metricsURL).suffix(3).map { $0.training?.losses["g_loss"] }
    #expect(straightRows == resumedRows)
  }

  @Test func textRunSamplesFromItsCheckpointWithSidecar() throws {
    let folder = try TemporaryFolder.make("text")
    defer { try? FileManager.default.removeItem(at: folder) }
    let text = try TrainingTestSupport.textFile(in: folder)
    for recipe in [RecipeKind.charRNN, .charGPT] {
      let config = TrainingTestSupport.config(recipe, data: "text:\(text.path)", steps: 3, batch: 4)
      let trainer = try TrainingTestSupport.train(config, in: folder.appending(path: recipe.name))
      #expect(try trainer.train() == .finished(step: 3))
      let trained = try TrainedRecipe(loading: trainer.run.url.path)
      #expect(trained.step == 3)
      var request = SampleRequest()
      request.prime = "ROMEO:"
      request.length = 40
      request.seed = 5
      var streamed = ""
      let out = folder.appending(path: "\(recipe.name).txt")
      let files = try SampleWriter.write(trained.recipe, request: request, to: out, provenance: trained.provenance) { streamed += $0 }
      #expect(files.count == 2)
      let written = try String(contentsOf: out, encoding: .utf8)
      #expect(written == "ROMEO:" + streamed)
      #expect(streamed.unicodeScalars.count == 40)
      let sidecar = try JSONSerialization.jsonObject(with: Data(contentsOf: files[1])) as? [String: Any]
      #expect(sidecar?["recipe"] as? String == recipe.name)
      #expect(sidecar?["seed"] as? String == "5")
      #expect(sidecar?["novelty_8gram"] == nil)  // no training text given
      // With the run's training text the sidecar also records novelty and repetition.
      request.trainingText = try #require(trained.trainingText())
      let scored = try SampleWriter.write(trained.recipe, request: request, to: folder.appending(path: "scored.txt"))
      let fields = try JSONSerialization.jsonObject(with: Data(contentsOf: scored[1])) as? [String: Any]
      let novelty = try #require(Double(fields?["novelty_8gram"] as? String ?? ""))
      #expect(novelty >= 0 && novelty <= 1)
      #expect(Double(fields?["repetition_8gram"] as? String ?? "") != nil)
      request.trainingText = nil
      // Same seed, same text.
      var again = ""
      _ = try SampleWriter.write(trained.recipe, request: request, to: folder.appending(path: "again.txt")) { again += $0 }
      #expect(again == streamed)
    }
  }

  @Test func conditionalSamplingTakesLabelsAndRejectsBadOnes() throws {
    let folder = try TemporaryFolder.make("cond")
    defer { try? FileManager.default.removeItem(at: folder) }
    var config = TrainingTestSupport.config(.dcgan, data: "shapes", steps: 1)
    config.conditional = true
    let trainer = try TrainingTestSupport.train(config, in: folder.appending(path: "run"))
    _ = try trainer.train()
    let trained = try TrainedRecipe(loading: trainer.run.latestCheckpoint!.path)
    var request = SampleRequest()
    request.count = 4
    request.label = try SampleWriter.label("ring", classNames: trained.config.classNames ?? [])
    request.separateFiles = true
    let files = try SampleWriter.write(trained.recipe, request: request, to: folder.appending(path: "rings"))
    #expect(files.count == 4)
    #expect(try PNGDecoder.read(files[0]).bitmap.width == 28)
    request.label = 5
    #expect(throws: RecipeError.self) { try SampleWriter.write(trained.recipe, request: request, to: folder.appending(path: "x")) }
    request.label = nil
    request.count = -2
    #expect(throws: SettingError("count", "must be in 1...10000, got -2")) {
      try SampleWriter.write(trained.recipe, request: request, to: folder.appending(path: "y.png"))
    }
  }

  @Test func badRequestsGetClearErrors() throws {
    let folder = try TemporaryFolder.make("bad")
    defer { try? FileManager.default.removeItem(at: folder) }
    let empty = DataDirectory(url: folder.appending(path: "no-data"))
    // Missing data: the message names where it looked and what to do.
    do {
      _ = try Trainer.start(config: RunConfig(recipe: .dcgan), in: RunDirectory(url: folder.appending(path: "a")), dataDirectory: empty)
      Issue.record("expected an error")
    } catch let error as TrainingError {
      #expect(error.message.contains("fashion-mnist") && error.message.contains(folder.path) && error.message.contains("--data shapes"))
    }
    // Data of the wrong kind.
    #expect(throws: TrainingError.self) {
      try Trainer.start(config: TrainingTestSupport.config(.charRNN, data: "shapes", steps: 1), in: RunDirectory(url: folder.appending(path: "b")), dataDirectory: empty)
    }
    // A run folder that already holds a run; resuming it as another recipe; a checkpoint of another recipe.
    let run = try TrainingTestSupport.train(TrainingTestSupport.config(.vae, data: "shapes", steps: 1), in: folder.appending(path: "vae"))
    _ = try run.train()
    #expect(throws: TrainingError.self) {
      try Trainer.start(config: TrainingTestSupport.config(.vae, data: "shapes", steps: 1), in: run.run, dataDirectory: empty)
    }
    do {
      _ = try Trainer.resume(run.run, recipe: .dcgan, dataDirectory: empty)
      Issue.record("expected an error")
    } catch let error as TrainingError {
      #expect(error.message.contains("is a vae run, not dcgan"))
    }
    #expect(throws: TrainingError.self) { try TrainedRecipe(loading: run.run.url.path, expected: .vaegan) }
    // A finished run resumed without more steps; steps not above those done.
    #expect(throws: SettingError("steps", "must be above the 1 steps \(run.run.url.path) has done, got 1")) {
      try Trainer.resume(run.run, steps: 1, dataDirectory: empty)
    }
    // Not a run at all.
    #expect(throws: TrainingError.self) { try TrainedRecipe(loading: folder.path) }
    #expect(throws: TrainingError.self) { try TrainedRecipe(loading: folder.appending(path: "nothing-here").path) }
    // --epochs below 1.
    #expect(throws: SettingError("epochs", "must be at least 1, got 0")) {
      try Trainer.start(config: TrainingTestSupport.config(.vae, data: "shapes", steps: 1), epochs: 0, in: RunDirectory(url: folder.appending(path: "c")), dataDirectory: empty)
    }
  }

  /// The audio recipe on the real spoken digits: a short run writes one 8 kHz WAV per digit that
  /// reads back with its provenance, and a resumed checkpoint samples the same clips.
  @Test(.requiresSharedData(.spokenDigits))
  func audioRunWritesWAVClipsPerDigit() throws {
    let data = try #require(TrainingTestSupport.sharedData(.spokenDigits))
    let folder = try TemporaryFolder.make("audio")
    defer { try? FileManager.default.removeItem(at: folder) }
    var config = TrainingTestSupport.config(.audio, data: "spoken-digits", steps: 2, batch: 8)
    config.sampleCount = 3
    config.audio.griffinLimIterations = 4
    let trainer = try TrainingTestSupport.train(config, in: folder.appending(path: "run"), dataDirectory: data)
    #expect(try trainer.train() == .finished(step: 2))
    let listing = try FileManager.default.contentsOfDirectory(atPath: trainer.run.sampleURL(step: 2, fileExtension: "").path).sorted()
    #expect(listing == ["sample-001-label0.wav", "sample-002-label1.wav", "sample-003-label2.wav", "spectrograms.png"])
    let clips = listing.filter { $0.hasSuffix(".wav") }
    let picture = try PNGDecoder.read(trainer.run.sampleURL(step: 2, fileExtension: "").appending(path: "spectrograms.png"))
    #expect(picture.bitmap.width == 3 * 128 + 4 * 2 && picture.bitmap.height == 128 + 2 * 2)
    let wav = try WAV.read(trainer.run.sampleURL(step: 2, fileExtension: "").appending(path: clips[1]))
    #expect(wav.sampleRate == 8000 && wav.channels == 1 && wav.samples.count == 8000)
    #expect(wav.info["ICMT"]?.contains("machine-generated") == true)
    #expect(wav.samples.allSatisfy { $0.isFinite && abs($0) <= 1 })
    let trained = try TrainedRecipe(loading: trainer.run.url.path)
    var request = SampleRequest()
    request.count = 1
    request.label = 7
    let files = try SampleWriter.write(trained.recipe, request: request, to: folder.appending(path: "seven"))
    #expect(files.map(\.lastPathComponent) == ["sample-001-label7.wav", "spectrograms.png"])
    request.label = 10
    #expect(throws: RecipeError.self) { try SampleWriter.write(trained.recipe, request: request, to: folder.appending(path: "ten")) }
  }

  /// A seeded short run on the real Shakespeare: char-gpt's loss falls well below uniform.
  @Test(.requiresSharedData(.shakespeare))
  func charGPTLossFallsOnRealShakespeare() throws {
    let data = try #require(TrainingTestSupport.sharedData(.shakespeare))
    let folder = try TemporaryFolder.make("shakespeare")
    defer { try? FileManager.default.removeItem(at: folder) }
    var config = TrainingTestSupport.config(.charGPT, data: "shakespeare", steps: 60, batch: 8)
    config.charGPT.warmupSteps = 5
    config.charGPT.learningRate = 3e-3
    let trainer = try TrainingTestSupport.train(config, in: folder.appending(path: "run"), dataDirectory: data)
    _ = try trainer.train()
    let losses = try MetricsLog.read(trainer.run.metricsURL).compactMap { $0.training?.losses["loss"].map(Double.init) }
    let vocabulary = try #require(trainer.config.vocabulary)
    #expect(abs(losses[0] - log(Double(vocabulary.size))) < 0.5, "starts near uniform: \(losses[0])")
    let last = losses.suffix(5).reduce(0, +) / 5
    #expect(last < 3.5, "loss \(losses[0]) -> \(last)")
    let sample = try String(contentsOf: trainer.run.sampleURL(step: 60, fileExtension: "txt"), encoding: .utf8)
    #expect(sample.unicodeScalars.count == 400)
  }

  /// A seeded short run on the real Fashion-MNIST: the MLP VAE's loss falls.
  @Test(.requiresSharedData(.fashionMNIST))
  func vaeLossFallsOnRealFashionMNIST() throws {
    let data = try #require(TrainingTestSupport.sharedData(.fashionMNIST))
    let folder = try TemporaryFolder.make("fashion")
    defer { try? FileManager.default.removeItem(at: folder) }
    var config = TrainingTestSupport.config(.vae, data: "fashion-mnist", steps: 40, batch: 32)
    config.vaeArchitecture = .mlp
    let trainer = try TrainingTestSupport.train(config, in: folder.appending(path: "run"), dataDirectory: data)
    _ = try trainer.train()
    let losses = try MetricsLog.read(trainer.run.metricsURL).compactMap { $0.training?.losses["loss"].map(Double.init) }
    #expect(losses.count == 40)
    let first = losses.prefix(5).reduce(0, +) / 5
    let last = losses.suffix(5).reduce(0, +) / 5
    #expect(last < first * 0.8, "loss \(first) -> \(last)")
    #expect(try trainer.run.readConfig().classNames == DatasetCatalog.fashionMNIST.classNames)
    // Samples, reconstructions (8 real above 8 reconstructed) and a 10-step interpolation.
    for suffix in ["png", "reconstructions.png", "interpolation.png"] {
      let png = try PNGDecoder.read(trainer.run.sampleURL(step: 40, fileExtension: suffix))
      #expect(png.bitmap.width > 28 * 4, "\(suffix)")
    }
  }
}
