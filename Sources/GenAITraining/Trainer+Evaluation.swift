import Foundation
import GenAIData
import GenAIModels
import GenAINN
import GenAITensor

/// The evaluation the training loop runs: which metric, how often, with which evaluator.
struct TrainingEvaluation {
  let evaluator: Evaluator
  let metric: String
  let better: MetricDirection
  let interval: Int
}

extension Trainer {
  /// The in-training evaluation of the main metric (plus class coverage for GANs), or `nil` when off.
  func makeEvaluation() throws -> TrainingEvaluation? {
    let interval = config.evaluationInterval
    guard interval > 0 else { return nil }
    let main = config.recipe.mainMetric
    var options = EvaluationOptions()
    options.metrics = [main.name]
    if recipe.adversarial != nil { options.metrics?.formUnion(["coverage", "class_entropy"]) }
    options.classifier = config.classifier
    options.samples = config.evalSamples ?? (config.recipe.dataKind == .audio ? 100 : 500)
    options.importanceSamples = 1
    options.likelihoodImages = 500
    return TrainingEvaluation(
      evaluator: try Evaluator(run: run, config: config, options: options), metric: main.name, better: main.better, interval: interval)
  }

  /// `evaluate` on the writing process; in a data-parallel run the others take its verdict and
  /// the class coverage it measured (for the GAN monitor), so all stop at the same step.
  func evaluateEverywhere(
    _ evaluation: TrainingEvaluation, metrics: MetricsLog, progress: TrainingProgress, monitor: GANHealthMonitor?
  ) throws -> Bool {
    var outcome = (stop: false, coverage: Double?.none)
    if writes { outcome = try evaluate(evaluation, metrics: metrics, progress: progress) }
    if let parallel {
      let shared = parallel.fromWriter([outcome.stop ? 1 : 0, outcome.coverage ?? .nan])
      outcome = (shared[0] > 0, shared[1].isNaN ? nil : shared[1])
    }
    if let coverage = outcome.coverage { monitor?.observe(coverage: coverage) }
    return outcome.stop
  }

  /// Measures the main metric now, logs it, keeps the checkpoint if it is among the best, and
  /// returns whether early stopping says to stop, with the class coverage when measured.
  func evaluate(_ evaluation: TrainingEvaluation, metrics: MetricsLog, progress: TrainingProgress) throws
    -> (stop: Bool, coverage: Double?)
  {
    guard !evaluationDisabled else { return (false, nil) }
    let report: EvaluationReport
    do {
      report = try evaluation.evaluator.evaluate(recipe, step: step, checkpoint: run.checkpointURL(step: step).lastPathComponent)
    } catch {
      progress.message("evaluation at step \(step) failed: \(error); training goes on without it")
      evaluationDisabled = true
      return (false, nil)
    }
    guard !report.metrics.isEmpty else {
      progress.message("evaluation during training is off: \(report.warnings.joined(separator: "; "))")
      evaluationDisabled = true
      return (false, nil)
    }
    try run.write(evaluation: report)
    try metrics.append(.evaluation(EvaluationLine(report)))
    let coverage = report.metric("coverage")?.value
    guard let main = report.metric(evaluation.metric) else {
      progress.message("evaluation during training is off: \(report.warnings.joined(separator: "; "))")
      evaluationDisabled = true
      return (false, coverage)
    }
    let best = BestCheckpoints(run: run)
    let improved = best.improves(main.value, better: evaluation.better)
    try best.record(step: step, metric: evaluation.metric, value: main.value, better: evaluation.better, keep: config.bestToKeep) {
      try saveCheckpoint(to: $0)
    }
    evaluationsWithoutImprovement = improved ? 0 : evaluationsWithoutImprovement + 1
    let ceiling = main.ceiling.map { String(format: " (real data %.4g)", $0) } ?? ""
    let top = best.entries().first.map { String(format: "; best %.4g at step %d", $0.value, $0.step) } ?? ""
    progress.message(String(format: "eval at step %d: %@ %.4g%@%@", step, evaluation.metric, main.value, ceiling, top))
    return (config.patience.map { evaluationsWithoutImprovement >= $0 } ?? false, coverage)
  }

  /// The health monitor for GAN recipes (`nil` for others or when the policy is `off`).
  func makeMonitor() throws -> GANHealthMonitor? {
    guard let gan = recipe.adversarial else { return nil }
    let policy = config.monitor ?? .default
    guard policy.enabled else { return nil }
    var unused = SeededGenerator(seed: 0)
    let real = data.source.makeBatch(indices: Array(0..<min(64, data.count)), generator: &unused).inputs
    return GANHealthMonitor(
      policy: policy, realImages: real, checkEvery: monitorTiming.checkEvery, cooldown: monitorTiming.cooldown,
      window: monitorTiming.window, watchedLosses: gan.adversarialLosses)
  }

  /// 64 samples from the fixed monitor noise (evaluation mode; the training streams are
  /// untouched), with their classes for a conditional model (which cycles through them).
  func fixedSamples() -> (Tensor, [Int]?) {
    guard let gan = recipe.imageGenerator else { return (Tensor.zeros([0]), nil) }
    var g = SeededGenerator(seed: config.seed &+ 0xF1ED)
    let samples = (try? gan.sample(count: 64, label: nil, using: &g)) ?? Tensor.zeros([0])
    let classes = config.conditional ? (config.classNames?.count ?? 0) : 0
    return (samples, classes > 0 ? (0..<64).map { $0 % classes } : nil)
  }

  /// Applies the monitor's policy for `reason` and logs each action.
  func react(_ monitor: GANHealthMonitor, reason: String, metrics: MetricsLog, progress: TrainingProgress) throws {
    var done: [(action: MonitorAction, detail: String)] = []
    let gan = recipe.adversarial
    // A rollback restores weights and moments, not the monitor's earlier learning-rate decisions.
    let discriminatorRate = gan?.discriminatorOptimizer.learningRate
    // In a data-parallel run, wait until the writing process has finished this step's files, so
    // that every process sees the same checkpoints to roll back to.
    if let parallel { _ = parallel.fromWriter([0]) }
    for action in monitor.policy.actions {
      switch action {
      case .rollback:
        let target = BestCheckpoints(run: run).best?.url ?? run.checkpoints().last { $0.step <= step }?.url
        if let target {
          _ = try TrainingCheckpoint.load(from: target, into: recipe.models, optimizers: recipe.optimizers, dataPosition: BatchLoader.Position.self)
          if let gan, let discriminatorRate { gan.discriminatorOptimizer.learningRate = discriminatorRate }
          done.append((.policy(action), "rollback to \(target.deletingLastPathComponent().lastPathComponent)/\(target.lastPathComponent)"))
        } else {
          done.append((.policy(action), "rollback skipped: no checkpoint saved yet"))
        }
      case .lowerDiscriminatorRate:
        if let gan {
          gan.discriminatorOptimizer.learningRate *= 0.5
          done.append((.policy(action), String(format: "lower-d-lr to %.3g", gan.discriminatorOptimizer.learningRate)))
        }
      case .instanceNoise:
        if let gan, gan.supportsInstanceNoise {
          let sigma = min(0.4, max(0.1, gan.instanceNoise * 2))
          gan.instanceNoise = sigma
          noiseSchedule = (sigma, step)
          done.append((.policy(action), String(format: "instance-noise σ %.2f, decaying to 0 over 1000 steps", sigma)))
        } else {
          done.append((.policy(action), "instance-noise skipped: \(config.recipe.name) does not support it"))
        }
      }
    }
    if done.isEmpty { done = [(.warn, "warn")] }
    for (action, detail) in done {
      try metrics.append(.monitor(MonitorEvent(step: step, action: action, detail: detail, reason: reason)))
    }
    progress.message("monitor at step \(step): \(reason) -> \(done.map(\.detail).joined(separator: "; "))")
    monitor.acted(at: step)
  }

  /// Lowers instance noise linearly to 0 over 1,000 steps after the monitor turned it on.
  func decayInstanceNoise() {
    guard let schedule = noiseSchedule, let gan = recipe.adversarial else { return }
    let t = Float(step - schedule.start) / 1000
    gan.instanceNoise = max(0, schedule.sigma * (1 - t))
    if gan.instanceNoise == 0 { noiseSchedule = nil }
  }
}
