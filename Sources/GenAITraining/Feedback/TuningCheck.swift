import Foundation
import GenAIData
import GenAIModels
import GenAITensor

/// Measures what a tuned prior changed, on the run's feature network: the share of new samples
/// in the classes of the liked samples, and FID, IS, precision and recall, each for the standard
/// and the tuned prior from the same seed.
public struct TuningCheck: Sendable {
  /// The printable comparison.
  public var table: String
  /// Share of samples in the liked classes: standard, tuned.
  public var likedShare: (standard: Double, tuned: Double)?
  /// Metrics by name: standard, tuned.
  public var metrics: [String: (standard: Double, tuned: Double)]

  /// Runs the comparison on `samples` samples per prior.
  /// - Throws: what loading, sampling and the metrics throw.
  public static func measure(_ run: RunDirectory, prior: LatentPrior, samples: Int, classifier: String?) throws -> TuningCheck {
    let trained = try TrainedRecipe(loading: run.url.path)
    guard let model = trained.recipe.latentImageGenerator else {
      return TuningCheck(table: "(no measurement: not a latent image model)", likedShare: nil, metrics: [:])
    }
    guard let url = FeatureNetwork.locate(data: trained.config.data, near: run, explicit: classifier ?? trained.config.classifier) else {
      return TuningCheck(
        table: "(no measurement: no feature network for \(trained.config.data); train one with `genai train classifier --data \(trained.config.data)`)",
        likedShare: nil, metrics: [:])
    }
    let network = try FeatureNetwork(loading: url.path)
    // The liked samples' classes, as the feature network sees them.
    let liked = Ratings(run: run).entries().filter { $0.rating == .like }
    let codes = try TunedPrior.codes(of: liked, in: SampleIndex(run: run).batches(), model: model).map(\.code)
    let likedImages = try model.generate(latents: Tensor(shape: [codes.count, model.latentSize], codes.flatMap { $0 }), label: nil)
    let toMinusOne = { (x: Tensor) in model.pixelRange == .zeroToOne ? x * 2 - 1 : x }
    let likedClasses = Set(try network.describe(toMinusOne(likedImages)).predictions)
    var shares: [Double] = []
    var confidence: [Double] = []
    var metrics: [String: (Double, Double)] = [:]
    var reports: [EvaluationReport] = []
    for p in [nil, prior] as [LatentPrior?] {
      var g = SeededGenerator(seed: 0x7E57)
      let (_, images) = try model.sample(count: samples, label: nil, prior: p, using: &g)
      let described = try network.describe(toMinusOne(images))
      let inLiked = described.predictions.indices.filter { likedClasses.contains(described.predictions[$0]) }
      shares.append(Double(inLiked.count) / Double(samples))
      // How clearly the liked-class samples look like their class (a fidelity check).
      confidence.append(inLiked.isEmpty ? 0 : inLiked.reduce(0) { $0 + described.probabilities[$1][described.predictions[$1]] } / Double(inLiked.count))
      var options = EvaluationOptions()
      options.metrics = ["fid", "is", "precision", "recall", "coverage"]
      options.samples = samples
      options.prior = p
      options.classifier = url.path
      options.ceilings = false
      reports.append(try Evaluator(run: run, config: trained.config, options: options).evaluate(trained.recipe, step: trained.step, checkpoint: trained.checkpoint.lastPathComponent))
    }
    for m in reports[0].metrics {
      if let t = reports[1].metric(m.name) { metrics[m.name] = (m.value, t.value) }
    }
    let names = likedClasses.sorted().map { $0 < network.classNames.count ? network.classNames[$0] : String($0) }
    var table = "measured on \(samples) samples per prior, feature network \(url.lastPathComponent) (sha256 \(network.sha256.prefix(12))…)\n"
    func row(_ name: String, _ a: Double, _ b: Double) -> String {
      name.padding(toLength: 34, withPad: " ", startingAt: 0) + String(format: "%9.3f  %9.3f\n", a, b)
    }
    table += "metric".padding(toLength: 34, withPad: " ", startingAt: 0) + " standard      tuned\n"
    table += row("share in the liked classes", shares[0], shares[1])
    table += row("confidence of liked-class samples", confidence[0], confidence[1])
    for name in ["precision", "recall", "fid", "is", "coverage"] {
      if let (a, b) = metrics[name] { table += row(name, a, b) }
    }
    table += "liked classes: \(names.joined(separator: ", ")) (from \(liked.count) liked samples). Precision and confidence measure "
      + "fidelity; FID, IS, recall and coverage are against all classes, so they fall when the samples concentrate on fewer classes, as asked."
    return TuningCheck(table: table, likedShare: (shares[0], shares[1]), metrics: metrics.mapValues { (standard: $0.0, tuned: $0.1) })
  }
}
