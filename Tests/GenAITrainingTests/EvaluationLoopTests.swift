import Foundation
import GenAIData
import GenAIModels
import GenAINN
import GenAITensor
import GenAITestSupport
import Testing
@testable import GenAITraining

/// Evaluation during training: best-k checkpoints, early stopping, and the GAN health monitor
/// reacting to a planted collapse.
@Suite struct EvaluationLoopTests {
  /// A VAE on built-in shapes evaluated every 2 steps: `best.json` keeps the checkpoint of the
  /// evaluation with the highest held-out ELBO, and that checkpoint loads at its step.
  @Test func keepBestKeepsTheRightCheckpoint() throws {
    let folder = try TemporaryFolder.make("best")
    defer { try? FileManager.default.removeItem(at: folder) }
    var config = TrainingTestSupport.config(.vae, data: "shapes", steps: 8, batch: 16)
    config.vaeArchitecture = .mlp
    config.evalEvery = 2
    config.evalSamples = 50
    config.keepBest = 2
    let trainer = try TrainingTestSupport.train(config, in: folder)
    #expect(try trainer.train() == .finished(step: 8))
    let evals = try MetricsLog.read(trainer.run.metricsURL).compactMap(\.evaluation)
    #expect(evals.map(\.step) == [2, 4, 6, 8])
    let values = try evals.map { ($0.step, try #require($0.metrics["elbo"])) }
    let ranked = values.sorted { $0.1 > $1.1 }
    let best = BestCheckpoints(run: trainer.run)
    #expect(best.entries().map(\.step) == ranked.prefix(2).map(\.0))
    #expect(best.entries().first?.metric == "elbo")
    let files = try FileManager.default.contentsOfDirectory(atPath: best.folder.path).sorted()
    #expect(files == ranked.prefix(2).map { "step-" + String(format: "%06d", $0.0) + ".safetensors" }.sorted())
    let loaded = try TrainedRecipe(loading: try #require(best.best).url.path)
    #expect(loaded.step == ranked[0].0)
    #expect(loaded.run.url.standardizedFileURL.lastPathComponent == trainer.run.url.standardizedFileURL.lastPathComponent)
    // Each evaluation is also saved whole, with its protocol card.
    #expect(trainer.run.evaluations().map(\.step) == [2, 4, 6, 8])
    #expect(trainer.run.evaluations().first?.protocols.isEmpty == false)
  }

  /// With a learning rate too small to change any weight the metric never improves, so
  /// `patience 1` stops at the second evaluation.
  @Test func earlyStoppingStopsWhenTheMetricStalls() throws {
    let folder = try TemporaryFolder.make("patience")
    defer { try? FileManager.default.removeItem(at: folder) }
    var config = TrainingTestSupport.config(.vae, data: "shapes", steps: 20, batch: 8)
    config.vaeArchitecture = .mlp
    config.learningRate = 1e-30
    config.evalEvery = 2
    config.evalSamples = 20
    config.patience = 1
    let trainer = try TrainingTestSupport.train(config, in: folder)
    #expect(try trainer.train() == .stoppedEarly(step: 4))
    #expect(trainer.run.latestCheckpoint?.lastPathComponent == "step-000004.safetensors")
  }

  /// A DCGAN whose generator is made to ignore its noise after step 16 (its first layer zeroed): the
  /// monitor sees near-identical fixed-noise samples, rolls back to the step-15 checkpoint, halves
  /// D's learning rate, and logs both with the reason; the samples are varied again afterwards.
  @Test func plantedCollapseTriggersTheMonitor() throws {
    let folder = try TemporaryFolder.make("collapse")
    defer { try? FileManager.default.removeItem(at: folder) }
    // Seeded, so the run is the same every time: its fixed-noise samples become varied by step 15
    // (eval-mode batch norm needs its running statistics first).
    var config = TrainingTestSupport.config(.dcgan, data: "shapes", steps: 20, batch: 8)
    config.checkpointEvery = 15
    config.keepCheckpoints = 5
    config.evalEvery = 0
    config.monitor = MonitorPolicy(actions: [.rollback, .lowerDiscriminatorRate])
    let trainer = try TrainingTestSupport.train(config, in: folder)
    trainer.monitorTiming = (checkEvery: 1, cooldown: 100, window: 100)
    let gan = try #require(trainer.recipe as? DCGAN)
    var diversityAfter: Double?
    trainer.onStep = { step in
      if step == 16 {
        let key = gan.generator.stateDict().keys.first { $0.hasSuffix("fc.weight") }!
        try! gan.generator.load(stateDict: [key: Tensor.zeros(gan.generator.fc.weight.shape)], strict: false)
      }
      if step == 18 { diversityAfter = trainer.fixedSamplesDiversity() }
    }
    #expect(try trainer.train() == .finished(step: 20))
    let events = try MetricsLog.read(trainer.run.metricsURL).compactMap(\.monitor)
    #expect(events.count == 2)
    // Planted after step 16's check, seen at step 17.
    #expect(events.first?.step == 17)
    #expect(events.first?.action == .policy(.rollback))
    #expect(events.first?.detail?.contains("step-000015") == true)
    // Zeroing the first layer also makes batch norm divide by ~sqrt(eps): both signals are named.
    #expect(events.first?.reason.contains("near-duplicates") == true, "\(events)")
    #expect(events.last?.action == .policy(.lowerDiscriminatorRate))
    #expect(gan.discriminatorOptimizer.learningRate == 1e-4)
    #expect(try #require(diversityAfter) < 0.5)
  }

  /// Instance noise is drawn only when on, so a run without it is unchanged; on, it changes D's inputs.
  @Test func instanceNoiseIsOffByDefaultAndDecays() throws {
    let folder = try TemporaryFolder.make("noise")
    defer { try? FileManager.default.removeItem(at: folder) }
    var config = TrainingTestSupport.config(.dcgan, data: "shapes", steps: 3, batch: 4)
    config.monitor = MonitorPolicy(actions: [.instanceNoise])
    config.evalEvery = 0
    let trainer = try TrainingTestSupport.train(config, in: folder)
    let gan = try #require(trainer.recipe as? DCGAN)
    #expect(gan.instanceNoise == 0)
    trainer.noiseSchedule = (sigma: 0.2, start: 0)
    _ = try trainer.train()
    #expect(abs(gan.instanceNoise - 0.2 * (1 - 3.0 / 1000)) < 1e-6)
  }

  /// Same-class pairs only: a conditional model drawing one image per class is a collapse even
  /// though images of different classes differ.
  @Test func nearDuplicatesWithinClasses() throws {
    var g = SeededGenerator(seed: 1)
    let real = Tensor.randn([16, 1, 4, 4], using: &g)
    let monitor = GANHealthMonitor(policy: try MonitorPolicy("warn"), realImages: real)
    let perClass = Tensor.randn([4, 1, 4, 4], using: &g)
    // 16 samples: class i % 4 always draws perClass[i % 4].
    let samples = Tensor.concatenate((0..<16).map { perClass.slice(axis: 0, ($0 % 4)..<($0 % 4 + 1)) }, axis: 0)
    #expect(monitor.nearDuplicateShare(samples) < 0.5)
    #expect(monitor.nearDuplicateShare(samples, labels: (0..<16).map { $0 % 4 }) == 1)
  }

  /// A gradient norm far above the earlier ones, or not finite, is flagged.
  @Test func explodingGradientsAreFlagged() throws {
    var g = SeededGenerator(seed: 2)
    let real = Tensor.randn([8, 1, 4, 4], using: &g)
    let varied = Tensor.randn([8, 1, 4, 4], using: &g)
    let monitor = GANHealthMonitor(policy: try MonitorPolicy("warn"), realImages: real, checkEvery: 1)
    for step in 1...6 {
      monitor.observe(gradientNorm: 1 + Float(step) / 10)
      #expect(monitor.diagnose(step: step, fixedSamples: { (varied, nil) }) == nil)
    }
    monitor.observe(gradientNorm: 100)
    #expect(monitor.diagnose(step: 7, fixedSamples: { (varied, nil) })?.hasPrefix("exploding gradients") == true)
    monitor.acted(at: 7)
    monitor.observe(gradientNorm: .nan)
    #expect(monitor.diagnose(step: 400, fixedSamples: { (varied, nil) })?.hasPrefix("exploding gradients") == true)
  }

  /// Only the watched losses count as exploding: a VAE-GAN's KL of 134 nats is its own scale
  /// (before, the monitor halved D's learning rate every 200 steps for it), its D loss is not.
  @Test func onlyTheWatchedLossesExplode() throws {
    var g = SeededGenerator(seed: 3)
    let real = Tensor.randn([8, 1, 4, 4], using: &g)
    let varied = Tensor.randn([8, 1, 4, 4], using: &g)
    let monitor = GANHealthMonitor(
      policy: try MonitorPolicy("warn"), realImages: real, checkEvery: 1, watchedLosses: VAEGAN(seed: 0).adversarialLosses)
    monitor.observe(losses: ["d_loss": 1.1, "g_loss": 4.2, "adv": 0.9, "kl": 134, "rec": 0.24])
    #expect(monitor.diagnose(step: 1, fixedSamples: { (varied, nil) }) == nil)
    monitor.observe(losses: ["d_loss": 25, "g_loss": 4.2, "adv": 0.9, "kl": 134, "rec": 0.24])
    #expect(monitor.diagnose(step: 2, fixedSamples: { (varied, nil) })?.hasPrefix("exploding losses: d_loss = 25") == true)
    let everything = GANHealthMonitor(policy: try MonitorPolicy("warn"), realImages: real, checkEvery: 1)
    everything.observe(losses: ["kl": 134])
    #expect(everything.diagnose(step: 1, fixedSamples: { (varied, nil) })?.hasPrefix("exploding losses: kl") == true)
    // The trainer's monitor watches the recipe's adversarial losses.
    let folder = try TemporaryFolder.make("watched")
    defer { try? FileManager.default.removeItem(at: folder) }
    let trainer = try TrainingTestSupport.train(TrainingTestSupport.config(.vaegan, data: "shapes", steps: 1), in: folder)
    #expect(try trainer.makeMonitor()?.watchedLosses == ["d_loss", "g_loss", "adv"])
  }

  /// D winning every comparison for a whole window, and class coverage falling well below its
  /// best, are flagged; healthy numbers are not.
  @Test func pinnedDiscriminatorAndFallingCoverageAreFlagged() throws {
    var g = SeededGenerator(seed: 4)
    let real = Tensor.randn([8, 1, 4, 4], using: &g)
    let varied = Tensor.randn([8, 1, 4, 4], using: &g)
    let monitor = GANHealthMonitor(policy: try MonitorPolicy("warn"), realImages: real, checkEvery: 10, window: 10)
    for _ in 0..<10 { monitor.observe(losses: ["d_acc_real": 0.7, "d_acc_fake": 0.8, "d_loss": 1.2]) }
    #expect(monitor.diagnose(step: 10, fixedSamples: { (varied, nil) }) == nil)
    for _ in 0..<10 { monitor.observe(losses: ["d_acc_real": 1, "d_acc_fake": 0.995, "d_loss": 0.01]) }
    #expect(monitor.diagnose(step: 20, fixedSamples: { (varied, nil) })?.hasPrefix("discriminator pinned") == true)
    monitor.acted(at: 20)
    monitor.observe(coverage: 1.0)
    monitor.observe(coverage: 0.9)
    #expect(monitor.diagnose(step: 300, fixedSamples: { (varied, nil) }) == nil)
    monitor.observe(coverage: 0.5)
    #expect(monitor.diagnose(step: 310, fixedSamples: { (varied, nil) })?.hasPrefix("coverage falling") == true)
  }

  @Test func monitorPolicyParsesAndRejects() throws {
    #expect(try MonitorPolicy("rollback, instance-noise").actions == [.rollback, .instanceNoise])
    #expect(try MonitorPolicy("off").enabled == false)
    #expect(try MonitorPolicy("warn").actions.isEmpty)
    #expect(throws: TrainingError.self) { try MonitorPolicy("reboot") }
  }
}

extension Trainer {
  /// The near-duplicate share of the current fixed-noise samples, as the monitor computes it.
  func fixedSamplesDiversity() -> Double {
    var unused = SeededGenerator(seed: 0)
    let real = data.source.makeBatch(indices: Array(0..<min(64, data.count)), generator: &unused).inputs
    let (samples, labels) = fixedSamples()
    return GANHealthMonitor(policy: try! MonitorPolicy("warn"), realImages: real).nearDuplicateShare(samples, labels: labels)
  }
}
