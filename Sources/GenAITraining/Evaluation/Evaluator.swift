import Foundation
import GenAIData
import GenAIMetrics
import GenAIModels
import GenAITensor

/// Measures a trained recipe: sample quality against real data, likelihoods, validation losses,
/// and efficiency, each with the same metric on real held-out data beside it as the ceiling.
/// `genai eval` runs it once; the trainer keeps one and calls it every `--eval-every` steps, so the
/// real-data features it caches (training reference, held-out set) are computed only once.
///
/// What is measured, by recipe:
/// - image GANs and the VAE's samples: FID, KID (± spread), the Inception-Score analogue, precision
///   and recall, class coverage and entropy on the feature network's view, and the distance of each
///   sample to its nearest training image (memorisation);
/// - VAE: held-out ELBO and importance-weighted bound, in nats per image and bits per dimension;
/// - text: validation loss, perplexity, bits per character, 8-gram novelty, repetition rate;
/// - audio: the feature network's accuracy on clips generated for each digit, IS, FID, the share of
///   silent and clipped clips;
/// - every generator: samples per second and the process's peak memory.
public final class Evaluator {
  /// The run, or `nil` when scoring images made elsewhere (`init(images:options:)`).
  public let run: RunDirectory?
  /// Its configuration (`nil` with `run`).
  public let config: RunConfig?
  /// What to measure.
  public let options: EvaluationOptions
  /// Where named datasets are.
  public let dataDirectory: DataDirectory
  /// The training data's spec: what samples are compared with.
  public let spec: DataSpec
  /// The held-out data's spec (`--data`) when given.
  var override: DataSpec? { options.data }
  // Real data and features computed on first use and kept for later evaluations of the run.
  /// Training and held-out images in [-1, 1].
  var realImagesCache: RealImages?
  /// The feature network, once loaded.
  var featureNetworkCache: FeatureNetwork?
  /// Features of the reference training images.
  var imageReferenceCache: SampleQuality.Described?
  /// Features of the held-out images (`.some(nil)`: the data has none).
  var imageHeldOutCache: SampleQuality.Described??
  /// Features of the reference training clips.
  var audioReferenceCache: SampleQuality.Described?

  /// An evaluator for `run`.
  /// - Throws: `SettingError` when `options.data` is of another kind than the recipe models or a
  ///   count is out of range (see `EvaluationOptions.validate()`).
  public init(run: RunDirectory, config: RunConfig, options: EvaluationOptions = EvaluationOptions()) throws {
    try options.validate()
    self.run = run
    self.config = config
    self.spec = config.data
    self.options = options
    dataDirectory =
      options.dataDirectory ?? config.dataDirectory.map { DataDirectory(url: URL(fileURLWithPath: $0), origin: .explicit) }
      ?? DataDirectory.resolve()
    if let override, config.recipe.defaults(for: override.kind) == nil {
      throw SettingError("data", "\(override) is \(override.kind.rawValue), but \(config.recipe.name) models \(config.recipe.dataKind.rawValue)")
    }
  }

  /// An evaluator of images that no run of ours made (`genai eval --images DIR`), such as another
  /// framework's samples written as PNGs: they are compared with `data`'s training images, and
  /// `data`'s held-out images give the ceilings. The feature network is `options.classifier`, else
  /// `runs/classifier-DATA`.
  /// - Throws: `SettingError` when `data` is not image data or a count is out of range.
  public init(images data: DataSpec, options: EvaluationOptions = EvaluationOptions()) throws {
    try options.validate()
    guard data.kind == .images else {
      throw SettingError("data", "\(data) is \(data.kind.rawValue); images are compared with image data")
    }
    run = nil
    config = nil
    spec = data
    var options = options
    options.data = nil  // `data` is the reference itself, with its own held-out split
    self.options = options
    dataDirectory = options.dataDirectory ?? DataDirectory.resolve()
  }

  /// The image metrics (FID, KID, IS, precision, recall, coverage, class entropy, nearest-neighbour
  /// distance) of `images` `[N, 1, 28, 28]` in [-1, 1], described as `origin` in the report (its
  /// run name), for the evaluator made by `init(images:options:)`.
  /// - Throws: `TrainingError` for missing real data; `MetricError` from the measurements.
  public func evaluate(images: Tensor, origin: String) throws -> EvaluationReport {
    var report = EvaluationReport(run: origin, recipe: "images", step: 0, checkpoint: "-")
    try imageMetrics(
      generated: images, origin: "\(images.shape[0]) images from \(origin), pixels mapped to [-1, 1]", into: &report)
    return report
  }

  /// Every metric `recipe` at `step` (saved in `checkpoint`) can be measured on.
  /// - Throws: `TrainingError` for missing held-out data or feature network when a metric needing
  ///   it was asked for by name; `RecipeError`/`MetricError` from the measurements.
  public func evaluate(_ recipe: any Recipe, step: Int, checkpoint: String) throws -> EvaluationReport {
    var report = EvaluationReport(
      run: run?.url.lastPathComponent ?? "-", recipe: config?.recipe.name ?? "-", step: step, checkpoint: checkpoint)
    if let model = recipe.textGenerator {
      try textMetrics(model, into: &report)
    }
    if let vae = recipe.imageLikelihoodModel, options.wantsAny(["elbo", "iw_nll", "bits_per_dim"]) {
      try vaeLikelihood(vae, into: &report)
    }
    if let images = recipe.imageGenerator {
      try imageMetrics(images, into: &report)
    }
    if let audio = recipe.audioGenerator {
      try audioMetrics(audio, into: &report)
    }
    if let classifier = recipe.featureClassifier {
      try classifierMetrics(classifier, into: &report)
    }
    if options.wants("peak_rss_mb") {
      report.metrics.append(MetricResult(name: "peak_rss_mb", value: PeakMemory.megabytes(), unit: "MB", better: .lower, detail: "peak resident memory of this process"))
    }
    if let rate = trainingRate(), options.wants("train_steps_per_s") {
      report.metrics.append(MetricResult(name: "train_steps_per_s", value: rate, unit: "steps/s", better: .higher, detail: "median of the logged training rates"))
    }
    return report
  }

  /// The median `steps_per_s` of the run's training log, if any.
  func trainingRate() -> Double? {
    guard let run, let lines = try? MetricsLog.read(run.metricsURL) else { return nil }
    let rates = lines.compactMap { $0.training?.stepsPerSecond }.filter { $0 > 0 }.sorted()
    return rates.isEmpty ? nil : rates[rates.count / 2]
  }

  /// A generator for the evaluation's draws, derived from its seed and `stream`.
  func generator(_ stream: UInt64) -> SeededGenerator { SeededGenerator(seed: options.seed &+ stream &* 0x9E37_79B9) }

  /// Runs `body`, returning its value and the seconds it took.
  func timed<R>(_ body: () throws -> R) rethrows -> (R, Double) {
    let clock = ContinuousClock()
    let start = clock.now
    let value = try body()
    return (value, (clock.now - start) / .seconds(1))
  }
}

/// The process's peak resident memory.
public enum PeakMemory {
  /// Peak resident set size so far, in MB (`getrusage`; Linux reports kilobytes).
  public static func megabytes() -> Double {
    var usage = rusage()
    #if canImport(Glibc)
      getrusage(__rusage_who_t(RUSAGE_SELF.rawValue), &usage)
    #else
      getrusage(RUSAGE_SELF, &usage)
    #endif
    return Double(usage.ru_maxrss) / 1024
  }
}
