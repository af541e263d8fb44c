import Foundation
import GenAIData
import GenAIModels
import GenAITensor
import GenAITestSupport
import Testing
@testable import GenAITraining

/// The evaluator end to end on images and audio, with small feature networks trained here.
@Suite struct EvaluatorTests {
  /// Trains a classifier of `data` for `steps` steps into `folder/classifier-DATA`.
  private func classifier(_ data: String, steps: Int, in folder: URL, directory: DataDirectory) throws {
    var config = TrainingTestSupport.config(.classifier, data: data, steps: steps, batch: 32)
    config.evalEvery = 0
    let trainer = try TrainingTestSupport.train(config, in: folder.appending(path: FeatureNetwork.folderName(for: config.data)), dataDirectory: directory)
    _ = try trainer.train()
  }

  /// A DCGAN on shapes scored on a shapes classifier: every image metric is there with its
  /// ceiling, real held-out shapes score near-perfectly, and the card names the network's hash.
  @Test func imageMetricsWithTheirCeilings() throws {
    let folder = try TemporaryFolder.make("eval-images")
    defer { try? FileManager.default.removeItem(at: folder) }
    let none = DataDirectory(url: URL(fileURLWithPath: "/nonexistent"))
    try classifier("shapes", steps: 40, in: folder, directory: none)
    var config = TrainingTestSupport.config(.dcgan, data: "shapes", steps: 2, batch: 8)
    config.evalEvery = 0
    let trainer = try TrainingTestSupport.train(config, in: folder.appending(path: "gan"))
    _ = try trainer.train()
    var options = EvaluationOptions()
    options.samples = 200
    options.referenceCount = 400
    let evaluator = try Evaluator(run: trainer.run, config: trainer.config, options: options)
    let report = try evaluator.evaluate(trainer.recipe, step: 2, checkpoint: "step-000002.safetensors")
    for name in ["fid", "kid", "is", "precision", "recall", "coverage", "class_entropy", "nn_distance"] {
      let m = try #require(report.metric(name), "\(name) missing: \(report.metrics.map(\.name))")
      #expect(m.value.isFinite && m.ceiling?.isFinite == true, "\(name)")
    }
    // Real shapes against real shapes: a small FID; a 2-step GAN is far worse.
    let fid = try #require(report.metric("fid"))
    #expect(fid.ceiling! < fid.value)
    #expect(report.metric("samples_per_s")!.value > 0)
    let card = try #require(report.protocols.first { $0.metrics.hasPrefix("fid") })
    let network = try #require(card.fields.first { $0.name == "feature network" }).value
    let sha = try SHA256.hex(file: RunDirectory(url: folder.appending(path: "classifier-shapes")).latestCheckpoint!)
    #expect(network.contains(String(sha.prefix(16))))
    // FID with fewer samples than feature dimensions + 1 warns.
    options.samples = 50
    options.metrics = ["fid"]
    let small = try Evaluator(run: trainer.run, config: trainer.config, options: options).evaluate(trainer.recipe, step: 2, checkpoint: "x")
    #expect(small.warnings.contains { $0.contains("rank-deficient") })
  }

  /// The audio recipe scored on a spoken-digit classifier trained for a few steps on real clips:
  /// accuracy, IS, FID and the silent/clipped shares, with the six unseen voices as the ceiling.
  @Test(.requiresSharedData(.spokenDigits))
  func audioMetricsOnRealDigits() throws {
    let directory = try #require(TrainingTestSupport.sharedData(.spokenDigits))
    let folder = try TemporaryFolder.make("eval-audio")
    defer { try? FileManager.default.removeItem(at: folder) }
    try classifier("spoken-digits", steps: 4, in: folder, directory: directory)
    var config = TrainingTestSupport.config(.audio, data: "spoken-digits", steps: 1, batch: 4)
    config.audio.width = 4
    config.audio.latentSize = 8
    config.audio.labelSize = 4
    config.audio.griffinLimIterations = 2
    config.evalEvery = 0
    let trainer = try TrainingTestSupport.train(config, in: folder.appending(path: "digits"), dataDirectory: directory)
    _ = try trainer.train()
    var options = EvaluationOptions()
    options.samples = 20
    options.referenceCount = 40
    options.metrics = ["accuracy", "is", "fid", "silent", "clipped"]
    let report = try Evaluator(run: trainer.run, config: trainer.config, options: options)
      .evaluate(trainer.recipe, step: 1, checkpoint: "step-000001.safetensors")
    #expect(report.metrics.map(\.name).sorted() == ["accuracy", "clipped", "fid", "is", "silent"])
    #expect(report.metric("silent")?.ceiling == 0)
    #expect(report.metric("accuracy")?.ceiling.map { $0 >= 0 && $0 <= 1 } == true)
    #expect(report.protocols.first?.fields.contains { $0.value.contains("held-out voices") } == true)
  }
}
