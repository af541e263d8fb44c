import Foundation
import GenAIData
import GenAIModels
import GenAINN
import GenAITensor

/// How a call to `Trainer.train()` ended.
public enum TrainingOutcome: Equatable, Sendable {
  /// All configured steps are done.
  case finished(step: Int)
  /// Stopped early by Ctrl-C (or `Interruption.request()`); a checkpoint of this step was saved.
  case interrupted(step: Int)
  /// Stopped by early stopping: `patience` evaluations in a row did not improve the main metric.
  case stoppedEarly(step: Int)
}

/// Runs a recipe's training in a run directory: batches from a seeded loader, one `trainStep`
/// per step, metrics to `metrics.jsonl`, fixed-seed samples and checkpoints every N steps, a
/// progress display, and a clean stop with a checkpoint on Ctrl-C. `resume` continues a stopped
/// run exactly where it stopped: same weights, optimiser state, random streams and data position.
public final class Trainer {
  /// The run folder.
  public let run: RunDirectory
  /// The run's configuration (with the vocabulary and class names fixed at the start).
  public private(set) var config: RunConfig
  /// The recipe being trained.
  public let recipe: any Recipe
  /// The training data.
  public let data: TrainingData
  /// Steps already done.
  public private(set) var step: Int
  /// Called after every step with the step number (tests use it to interrupt).
  public var onStep: ((Int) -> Void)?
  /// Asked between steps: `true` stops the run as Ctrl-C does (a checkpoint of this step is
  /// saved), for a program that runs trainings of its own (the studio's Stop button).
  public var shouldStop: () -> Bool = { false }
  /// Where messages and plain progress lines go (stdout by default).
  public var write: (String) -> Void = { print($0); fflush(nil) }
  /// `nil` detects a terminal; `false` forces plain lines.
  public var interactive: Bool?

  /// The GAN health monitor's check interval, cool-down and accuracy window, in steps.
  public var monitorTiming = (checkEvery: 50, cooldown: 200, window: 100)

  let loader: BatchLoader
  /// This process's part in a data-parallel run, or `nil` for a single process.
  let parallel: DataParallel?
  /// Whether this process writes the run folder (always, except on the other processes of a
  /// data-parallel run).
  var writes: Bool { parallel?.writes ?? true }
  /// Evaluations in a row without a new best main metric (early stopping).
  var evaluationsWithoutImprovement = 0
  /// Instance noise's starting σ and step, while it decays.
  var noiseSchedule: (sigma: Float, start: Int)?
  /// Set when the main metric cannot be measured (no feature network): evaluation stops.
  var evaluationDisabled = false
  /// What `start` changed in the request (a batch cut to the data's size) and what `resume` had
  /// to tell the user (a damaged checkpoint skipped), written when training starts.
  var notes: [String] = []

  private init(
    run: RunDirectory, config: RunConfig, recipe: any Recipe, data: TrainingData, loader: BatchLoader, step: Int,
    parallel: DataParallel?
  ) {
    self.run = run
    self.config = config
    self.recipe = recipe
    self.data = data
    self.loader = loader
    self.step = step
    self.parallel = parallel
    parallel?.prepare(recipe)
    if let parallel, !parallel.writes {
      write = { _ in }
      interactive = false
    }
  }

  /// Loads the data, builds the recipe and creates the run folder for a new run.
  /// - Parameters:
  ///   - epochs: when given, `config.steps` becomes this many passes over the data.
  ///   - group: the processes of a data-parallel run (this one among them), or `nil`.
  /// - Throws: `SettingError` for a setting out of range; `TrainingError` for missing data or
  ///   an existing run in the folder; `DataError` for bad data files; `RecipeError` for options
  ///   the recipe rejects.
  public static func start(
    config: RunConfig, epochs: Int? = nil, in run: RunDirectory, dataDirectory: DataDirectory,
    group: (any Collective)? = nil
  ) throws -> Trainer {
    let parallel = group.map(DataParallel.init)
    var config = config
    try config.validate()
    if let epochs { try SettingError.check(epochs >= 1, "epochs", "must be at least 1, got \(epochs)") }
    guard !(parallel?.writes ?? true) || !run.exists else {
      throw TrainingError("\(run.url.path) already holds a run; continue it with `genai train --resume \(run.url.path)` or choose another --out")
    }
    let (data, vocabulary) = try TrainingData.load(
      config.data, for: config.recipe, directory: dataDirectory,
      sequenceLength: config.recipe.contextLength(config.options), vocabulary: nil)
    config.vocabulary = vocabulary
    config.dataDirectory = dataDirectory.url.standardizedFileURL.path
    let note = try config.fitBatch(to: data)
    if let epochs {
      let (steps, overflow) = epochs.multipliedReportingOverflow(by: data.count / config.batchSize)
      try SettingError.check(!overflow, "epochs", "is too large: \(epochs) passes over \(data.count) items overflow the step count")
      config.steps = steps
    }
    config.classNames = data.classNames.isEmpty ? nil : data.classNames
    try config.validate()
    let recipe = try config.makeRecipe()
    let loader = try makeLoader(data, config: config, shard: parallel?.shard ?? .whole)
    if parallel?.writes ?? true { try run.create(config: config) }
    let trainer = Trainer(run: run, config: config, recipe: recipe, data: data, loader: loader, step: 0, parallel: parallel)
    trainer.notes = note.map { [$0] } ?? []
    return trainer
  }

  /// Reopens the run in `run` at its newest checkpoint (the one before it, with a note, when
  /// the newest is damaged), deleting the temporary files of saves that a kill cut short.
  /// - Parameters:
  ///   - recipe: when given, the recipe the caller expects; another recipe's run is an error.
  ///   - steps: a new total step count (to train a finished run further), or `nil`.
  ///   - dataDirectory: where named datasets are; `nil` uses the folder the run started with.
  ///   - group: the processes of a data-parallel run (this one among them), or `nil`; any number
  ///     of processes can resume a run saved by any other number.
  /// - Throws: `TrainingError` when the folder is not a run, has no checkpoint or is of another
  ///   recipe; `SettingError` when `steps` is not above the steps done; `CheckpointError` when
  ///   the checkpoint does not match the recipe's networks.
  public static func resume(
    _ run: RunDirectory, recipe expected: RecipeKind? = nil, steps: Int? = nil, dataDirectory: DataDirectory?,
    group: (any Collective)? = nil
  ) throws -> Trainer {
    let parallel = group.map(DataParallel.init)
    var config = try run.readConfig()
    let dataDirectory =
      dataDirectory ?? config.dataDirectory.map { DataDirectory(url: URL(fileURLWithPath: $0), origin: .explicit) }
      ?? DataDirectory.resolve()
    if let expected, expected != config.recipe {
      throw TrainingError("\(run.url.path) is a \(config.recipe.name) run, not \(expected.name)")
    }
    let recipe = try config.makeRecipe()
    let (state, notes) = try loadNewestWholeCheckpoint(of: run, into: recipe, kind: config.recipe)
    if parallel?.writes ?? true { run.removeTemporaryCheckpointFiles() }
    if let steps {
      try SettingError.check(steps > state.step, "steps", "must be above the \(state.step) steps \(run.url.path) has done, got \(steps)")
      config.steps = steps
      if parallel?.writes ?? true { try run.write(config: config) }
    }
    let (data, _) = try TrainingData.load(
      config.data, for: config.recipe, directory: dataDirectory,
      sequenceLength: config.recipe.contextLength(config.options), vocabulary: config.vocabulary)
    // The batches were fitted to the data when the run started; data that has shrunk since is not cut again.
    guard data.count >= config.batchSize else {
      throw TrainingError(
        "\(run.configURL.path) trains with batches of \(config.batchSize), but \(data.origin) now holds only \(data.count) item(s)")
    }
    // Labels index the classes the networks were built for: data whose classes changed since would
    // feed labels past the end of the label embedding.
    if let trained = config.classNames, trained != data.classNames {
      throw TrainingError(
        "\(run.configURL.path) was trained on the classes \(trained.joined(separator: ", ")), but \(data.origin) now holds "
          + "\(data.classNames.isEmpty ? "no classes" : data.classNames.joined(separator: ", ")); start a new run for the new classes")
    }
    let loader = try makeLoader(data, config: config, shard: parallel?.shard ?? .whole)
    if let position = state.dataPosition { try loader.restore(position) }
    let trainer = Trainer(
      run: run, config: config, recipe: recipe, data: data, loader: loader, step: state.step, parallel: parallel)
    trainer.notes = notes
    return trainer
  }

  /// Restores `recipe` from the newest checkpoint of `run` that reads whole. A newer one that is
  /// damaged (cut short by a power cut or a failing disk: saves themselves are atomic) is skipped
  /// with a note rather than making the run unresumable; the oldest one's error is thrown.
  /// - Returns: the restored state and the notes about skipped files.
  static func loadNewestWholeCheckpoint(
    of run: RunDirectory, into recipe: any Recipe, kind: RecipeKind
  ) throws -> (ResumedTraining<BatchLoader.Position>, [String]) {
    let candidates = run.checkpoints().reversed().map(\.url)
    guard !candidates.isEmpty else {
      throw TrainingError("\(run.url.path) has no checkpoint to resume from (looked in \(run.checkpointsURL.path))")
    }
    var notes: [String] = []
    for (index, checkpoint) in candidates.enumerated() {
      do {
        try checkRecipe(of: checkpoint, is: kind)
        let state = try TrainingCheckpoint.load(
          from: checkpoint, into: recipe.models, optimizers: recipe.optimizers, dataPosition: BatchLoader.Position.self)
        return (state, notes)
      } catch let error as SafeTensorsError where index < candidates.count - 1 {
        // Loading reads the whole file before changing anything, so the recipe is untouched.
        notes.append("note: skipping a damaged checkpoint: \(error); resuming from \(candidates[index + 1].lastPathComponent)")
      }
    }
    preconditionFailure("the loop returns or throws at the oldest checkpoint")
  }

  /// The recipe a checkpoint was saved by, from its metadata (`nil` for foreign files).
  public static func recipeName(of checkpoint: URL) throws -> String? {
    try SafeTensors.readMetadata(from: checkpoint)["user.recipe"]
  }

  static func checkRecipe(of checkpoint: URL, is recipe: RecipeKind) throws {
    if let saved = try recipeName(of: checkpoint), saved != recipe.name {
      throw TrainingError("\(checkpoint.path) is a checkpoint of recipe \(saved), not \(recipe.name)")
    }
  }

  private static func makeLoader(_ data: TrainingData, config: RunConfig, shard: BatchShard) throws -> BatchLoader {
    try BatchLoader(
      data.source, batchSize: config.batchSize, shuffle: true, dropLast: true, seed: config.seed &+ 1, prefetch: 1, shard: shard)
  }

  /// Trains until `config.steps`, an interruption or early stopping. Samples and a checkpoint are
  /// written at the end either way. Every `config.evaluationInterval` steps (and at the end) the
  /// main metric is measured (see `Evaluator.mainMetric`), logged, and the checkpoint kept among
  /// the best; GANs are watched by the health monitor.
  /// - Throws: what the recipe's step throws (a non-finite loss names the step, unless the
  ///   monitor's policy rolls back), `TrainingError` or `SafeTensorsError` when a file cannot be written.
  public func train() throws -> TrainingOutcome {
    guard let parallel else { return try trainSteps() }
    // Every backward pass of a step averages its gradients over the processes.
    return try GradientReduction.with({ parallel.averageGradients($0) }) {
      try parallel.checkConsistency(recipe, step: step)
      return try trainSteps()
    }
  }

  /// The training loop of `train()`.
  private func trainSteps() throws -> TrainingOutcome {
    let metrics = try MetricsLog(url: run.metricsURL, writes: writes)
    for note in notes + (metrics.droppedTail.map { [$0.description] } ?? []) { write(note) }
    notes = []
    let progress = TrainingProgress(
      total: config.steps, startStep: step, logEvery: config.logEvery, interactive: interactive, write: write)
    let name = config.recipe.name
    write(
      (step == 0 ? "training \(name)" : "resuming \(name) at step \(step)")
        + " on \(data.origin): \(data.count) items, batch \(loader.batchSize), \(config.steps) steps; run folder \(run.url.path)")
    let evaluation = try makeEvaluation()
    let monitor = try makeMonitor()
    let clock = ContinuousClock()
    var lastLog = (step: step, time: clock.now)
    var failures = 0
    var agreedStop = false  // data-parallel: a stop every process has agreed on
    while step < config.steps {
      if parallel == nil ? Interruption.isRequested || shouldStop() : agreedStop {
        try saveCheckpoint()
        progress.message("interrupted at step \(step); checkpoint saved. Continue with: genai train --resume \(run.url.path)")
        return .interrupted(step: step)
      }
      guard let batch = loader.next() else { throw TrainingError("the data loader ended unexpectedly") }
      var losses: [String: Float]
      do {
        losses = try recipe.trainStep(batch)
        failures = 0
      } catch {
        // A GAN that blew up can be rolled back instead of losing the run (at most 3 times in a
        // row). Not in a data-parallel run: the other processes are inside the step's
        // collectives, so a failed step ends the run (the last checkpoint is intact).
        failures += 1
        guard let monitor, monitor.policy.actions.contains(.rollback), failures <= 3, parallel == nil else {
          throw TrainingError("step \(step + 1) of \(name) failed: \(error)")
        }
        try react(monitor, reason: "step \(step + 1) failed: \(error)", metrics: metrics, progress: progress)
        continue
      }
      if let parallel {
        (losses, agreedStop) = parallel.agree(losses: losses, stop: Interruption.isRequested || shouldStop())
      }
      step += 1
      decayInstanceNoise()
      let epoch = loader.position.epoch
      progress.update(step: step, epoch: epoch, losses: losses)
      if step % config.logEvery == 0 || step == config.steps {
        let now = clock.now
        let seconds = (now - lastLog.time) / .seconds(1)
        try metrics.append(.training(TrainingLine(
          step: step, epoch: epoch, losses: losses, stepsPerSecond: seconds > 0 ? Double(step - lastLog.step) / seconds : 0,
          time: Date().timeIntervalSince1970, peakMemoryMB: PeakMemory.megabytes())))
        lastLog = (step, now)
      }
      if config.sampleEvery > 0 && step % config.sampleEvery == 0 && step < config.steps { try writeSamples() }
      if config.checkpointEvery > 0 && step % config.checkpointEvery == 0 && step < config.steps { try saveCheckpoint() }
      if let monitor {
        monitor.observe(losses: losses)
        if step % monitor.checkEvery == 0 {
          monitor.observe(gradientNorm: gradientNorm(recipe.models.values.flatMap { $0.parameters() }))
        }
        if let reason = monitor.diagnose(step: step, fixedSamples: { fixedSamples() }) {
          try react(monitor, reason: reason, metrics: metrics, progress: progress)
        }
      }
      if let parallel, step % DataParallel.consistencyInterval == 0 { try parallel.checkConsistency(recipe, step: step) }
      if let evaluation, step % evaluation.interval == 0, step < config.steps {
        if try evaluateEverywhere(evaluation, metrics: metrics, progress: progress, monitor: monitor) {
          try saveCheckpoint()
          let files = try writeSamples()
          progress.message("stopped early at step \(step): \(evaluation.metric) did not improve in \(config.patience ?? 0) evaluations; samples \(files.map(\.path).joined(separator: ", "))")
          return .stoppedEarly(step: step)
        }
      }
      onStep?(step)
    }
    // The processes of a data-parallel run end holding the same model (checked, not assumed).
    if let parallel { try parallel.checkConsistency(recipe, step: step) }
    try saveCheckpoint()
    if let evaluation { _ = try evaluateEverywhere(evaluation, metrics: metrics, progress: progress, monitor: monitor) }
    let files = try writeSamples()
    progress.message("done: \(step) steps; samples \(files.map(\.path).joined(separator: ", ")); checkpoint \(run.checkpointURL(step: step).path)")
    return .finished(step: step)
  }

  /// Saves `checkpoints/step-N.safetensors` (atomically) and prunes old ones (on the writing
  /// process of a data-parallel run; the others hold the same state and write nothing).
  public func saveCheckpoint() throws {
    guard writes else { return }
    try saveCheckpoint(to: run.checkpointURL(step: step))
    run.pruneCheckpoints(keep: config.keepCheckpoints)
  }

  /// Saves the full training state of this step to `url` (atomically).
  func saveCheckpoint(to url: URL) throws {
    let json = String(decoding: try config.encoded(), as: UTF8.self)
    try TrainingCheckpoint.save(
      to: url, models: recipe.models, optimizers: recipe.optimizers, step: step,
      dataPosition: loader.position, userMetadata: ["recipe": config.recipe.name, "config": json])
  }

  /// Writes the fixed-seed samples of this step under `samples/` (the same latent draws every
  /// time, so the files show how the model changes).
  @discardableResult
  public func writeSamples() throws -> [URL] {
    guard writes else { return [] }
    var request = SampleRequest()
    request.seed = config.seed &+ 0x5EED
    let url: URL
    switch config.recipe.dataKind {
    case .images:
      request.count = config.sampleCount
      url = run.sampleURL(step: step, fileExtension: "png")
    case .text:
      request.length = 400
      url = run.sampleURL(step: step, fileExtension: "txt")
    case .audio:
      request.count = config.sampleCount
      url = run.sampleURL(step: step, fileExtension: "")
    }
    if config.recipe.isFeatureNetwork { return [] }
    var files = try SampleWriter.write(recipe, request: request, to: url, provenance: ["step": String(step)])
    if let vae = recipe.imageLikelihoodModel { files += try writeVAEGrids(vae) }
    return files
  }

  /// The VAE's extra pictures: the first 8 training images above their reconstructions
  /// (`step-N-reconstructions.png`), and 10 decodings along the line between the codes of
  /// images 0 and 1 (`step-N-interpolation.png`).
  private func writeVAEGrids(_ vae: any ImageLikelihoodModel) throws -> [URL] {
    var unused = SeededGenerator(seed: 0)
    let n = min(8, data.count)
    let real = data.source.makeBatch(indices: Array(0..<n), generator: &unused).inputs
    let reconstructions = try vae.reconstruct(real)
    let reconURL = run.sampleURL(step: step, fileExtension: "png").deletingPathExtension().appendingPathExtension("reconstructions.png")
    let text = [PNGText(key: "genai.recipe", value: config.recipe.name), PNGText(key: "genai.step", value: String(step)),
                PNGText(key: "Comment", value: "top: training images; bottom: machine-generated reconstructions")]
    try ImageGrid.write(Tensor.concatenate([real, reconstructions], axis: 0), to: reconURL, range: vae.pixelRange, columns: n, scale: 2, text: text)
    guard n >= 2 else { return [reconURL] }
    let line = try vae.interpolate(from: real.slice(axis: 0, 0..<1), to: real.slice(axis: 0, 1..<2), steps: 10)
    let lineURL = run.sampleURL(step: step, fileExtension: "png").deletingPathExtension().appendingPathExtension("interpolation.png")
    try ImageGrid.write(line, to: lineURL, range: vae.pixelRange, columns: 10, scale: 2, text: text.dropLast() + [PNGText(key: "Comment", value: "machine-generated latent interpolation")])
    return [reconURL, lineURL]
  }
}
