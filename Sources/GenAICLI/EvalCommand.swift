import ArgumentParser
import Foundation
import GenAI

/// `genai eval RUN`: measures a trained run against real data.
struct EvalCommand: ParsableCommand {
  static let configuration = CommandConfiguration(
    commandName: "eval",
    abstract: "Measure a run's samples and likelihoods against real held-out data.",
    discussion: """
      Prints a table of metrics with the same metric on real held-out data beside it (the \
      ceiling), then how each was measured (feature network and its checkpoint hash, sample \
      counts, reference data). The result is appended to RUN/metrics.jsonl as a \
      {"kind": "eval"} line and saved as RUN/evals/step-N.json (`genai report` shows both).

      Metrics by recipe:
        image GANs, vae  fid, kid, is, precision, recall, coverage, class_entropy, nn_distance,
                         samples_per_s (vae also elbo, iw_nll, bits_per_dim)
        char-rnn/gpt     val_loss, perplexity, bits_per_char, train_loss, novelty, repetition,
                         samples_per_s
        audio            accuracy, is, fid, silent, clipped, samples_per_s
        classifier       test_accuracy, train_accuracy
        all              peak_rss_mb, train_steps_per_s

      FID and friends need a feature network: a classifier run trained on the same data \
      (`genai train classifier --data fashion-mnist`, looked for as classifier-DATA beside the \
      run or in runs/), or --classifier RUN. Held-out data: the test split of fashion-mnist/mnist, \
      six unseen voices of spoken-digits, plays outside tiny.txt for shakespeare; --data scores \
      any other data of the right kind, e.g. `--data text:hamlet.txt`.

      Images made elsewhere (another framework's samples, say) are scored the same way with \
      --images DIR instead of a run: a folder of 28x28 grey PNGs, every file kept (duplicates \
      too), compared with --data's training images (default fashion-mnist) and its test split as \
      the ceiling. Benchmarks/dcgan_quality.py scores a Keras DCGAN's samples so.

      Examples:
        genai eval runs/dcgan
        genai eval --images keras-samples/ --data fashion-mnist --json
        genai eval runs/gpt --data text:othello.txt --metrics val_loss,bits_per_char
        genai eval runs/vae --json > vae-eval.json
      """)

  @Argument(help: ArgumentHelp("A run folder (newest checkpoint) or a checkpoint file.", valueName: "run"))
  var runPath: String?

  @Option(help: ArgumentHelp("Score this folder of 28x28 PNG images instead of a run's samples.", valueName: "dir"))
  var images: String?

  @Flag(help: "Evaluate the best checkpoint (checkpoints/best.json) instead of the newest.")
  var best = false

  @Option(help: "Only these metrics, comma-separated (default: all that apply).")
  var metrics: String?

  @Option(help: "Generated samples to score (default 1000 images, 300 clips, 2000 characters).")
  var samples: Int?

  @Option(
    help: "Held-out data to score instead of the run's own split: \(DataSpec.forms).",
    transform: { try DataSpec(parsing: $0) })
  var data: DataSpec?

  @Option(help: "Folder holding the named datasets (default: the run's own).")
  var dataDir: String?

  @Option(help: "The feature network: a classifier run folder or checkpoint.")
  var classifier: String?

  @Option(help: "VAE: posterior draws per image for the importance-weighted bound.")
  var importanceSamples: Int = 64

  @Option(help: "Seed of the evaluation's draws.")
  var seed: UInt64 = 0xE7A1

  @Flag(help: "Skip the real-data ceilings.")
  var noCeiling = false

  @Flag(help: "Print the report as JSON instead of a table.")
  var json = false

  func validate() throws {
    switch (runPath, images) {
    case (nil, nil): throw ValidationError("give a run folder (or checkpoint) to evaluate, or --images DIR")
    case (.some, .some): throw ValidationError("give a run or --images, not both")
    default: break
    }
    if images != nil && best { throw ValidationError("--best needs a run, not --images") }
    try SettingFlags.presenting { try makeOptions().validate() }
  }

  /// The options as typed (the classifier falls back to the run's own in `run()`).
  func makeOptions() -> EvaluationOptions {
    var options = EvaluationOptions()
    options.metrics = metrics.map { Set($0.split(separator: ",").map { $0.trimmingCharacters(in: .whitespaces) }) }
    options.samples = samples
    options.data = data
    options.dataDirectory = dataDir.map { DataDirectory.resolve(path: $0) }
    options.classifier = classifier
    options.importanceSamples = importanceSamples
    options.seed = seed
    options.ceilings = !noCeiling
    return options
  }

  func run() throws {
    if let images { return try scoreFolder(images) }
    let runPath = runPath!  // validate() requires one of the two
    let path = best ? try bestCheckpoint(runPath) : runPath
    let trained = try TrainedRecipe(loading: path)
    var options = makeOptions()
    options.classifier = classifier ?? trained.config.classifier
    let report = try SettingFlags.presenting {
      try Evaluator(run: trained.run, config: trained.config, options: options)
        .evaluate(trained.recipe, step: trained.step, checkpoint: trained.checkpoint.lastPathComponent)
    }
    if let unknown = options.metrics?.subtracting(report.metrics.map(\.name)), !unknown.isEmpty, report.metrics.isEmpty {
      throw ValidationError("no metric measured; \(unknown.sorted().joined(separator: ", ")) do not apply to \(trained.config.recipe.name) (see --help)")
    }
    try trained.run.write(evaluation: report)
    try MetricsLog(url: trained.run.metricsURL).append(
      .evaluation(EvaluationLine(report, source: "genai eval", checkpoint: trained.checkpoint.lastPathComponent)))
    try show(report)
    if !json { FileHandle.standardError.write(Data("saved \(trained.run.evaluationURL(step: report.step).path)\n".utf8)) }
  }

  /// `--images DIR`: every 28x28 PNG in the folder (the first --samples of them when given),
  /// scored against --data (default fashion-mnist). Nothing is written.
  private func scoreFolder(_ folder: String) throws {
    let data = data ?? DataSpec.named(DatasetCatalog.fashionMNIST)
    let set = try ImageSet.folder(
      URL(fileURLWithPath: folder), channels: .grey, size: .exactly(width: 28, height: 28), deduplicate: false)
    if !set.report.entries.isEmpty {
      FileHandle.standardError.write(Data("\(folder): some files were skipped\n\(set.report.table())\n".utf8))
    }
    let count = min(samples ?? set.count, set.count)
    guard count >= 2 else { throw ValidationError("\(folder) has \(count) usable image(s); scoring needs at least 2") }
    var unused = SeededGenerator(seed: 0)
    let images = set.makeBatch(indices: Array(0..<count), generator: &unused).inputs
    var options = makeOptions()
    options.data = nil
    options.samples = nil
    let report = try SettingFlags.presenting {
      try Evaluator(images: data, options: options).evaluate(images: images, origin: folder)
    }
    try show(report)
  }

  private func show(_ report: EvaluationReport) throws {
    if json {
      print(String(decoding: try report.encoded(), as: UTF8.self))
    } else {
      print(report.table(), terminator: "")
    }
  }

  private func bestCheckpoint(_ runPath: String) throws -> String {
    let run = RunDirectory(url: URL(fileURLWithPath: runPath))
    guard let best = BestCheckpoints(run: run).best else {
      throw ValidationError("\(runPath) has no best checkpoint yet (checkpoints/best.json is written by evaluations during training)")
    }
    return best.url.path
  }
}
