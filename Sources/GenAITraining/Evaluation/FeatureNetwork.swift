import Foundation
import GenAIData
import GenAIModels
import GenAITensor

/// A trained `classifier` run used as the feature space of the sample-quality metrics (our own
/// stand-in for Inception-v3, trained on the same data as the model it judges). Its checkpoint's
/// SHA-256 goes on every protocol card, so numbers from different feature networks are never
/// compared by mistake.
public struct FeatureNetwork {
  /// The classifier with its trained weights.
  public let classifier: any FeatureClassifier
  /// The classifier's run.
  public let run: RunDirectory
  /// The checkpoint loaded.
  public let checkpoint: URL
  /// The checkpoint file's SHA-256 (hex).
  public let sha256: String
  /// The classifier's class names.
  public let classNames: [String]
  /// Its accuracy on held-out data, from its own latest evaluation, when recorded.
  public let heldOutAccuracy: Double?

  /// The conventional folder name of the classifier for training data `data`:
  /// `classifier-fashion-mnist`, `classifier-spoken-digits`, `classifier-images-my-folder`.
  public static func folderName(for data: DataSpec) -> String {
    let cleaned = data.description.lowercased().map { $0.isLetter || $0.isNumber ? $0 : "-" }
    return "classifier-" + String(cleaned).split(separator: "-").joined(separator: "-")
  }

  /// Where the feature network for `data` is: `explicit` when given, else `classifier-<data>`
  /// beside `run`, else in `./runs/`; `nil` when none has been trained.
  public static func locate(data: DataSpec, near run: RunDirectory?, explicit: String?) -> URL? {
    if let explicit { return URL(fileURLWithPath: explicit) }
    let name = folderName(for: data)
    var candidates = [URL(fileURLWithPath: "runs").appending(path: name)]
    if let run { candidates.insert(run.url.deletingLastPathComponent().appending(path: name), at: 0) }
    return candidates.first { RunDirectory(url: $0).exists }
  }

  /// Loads the classifier run (or checkpoint) at `path`.
  /// - Throws: `TrainingError` when it is not a classifier run or has no checkpoint.
  public init(loading path: String) throws {
    let trained = try TrainedRecipe(loading: path, expected: ClassifierRecipe.kind)
    guard let classifier = trained.recipe.featureClassifier else {
      throw TrainingError("\(path): the classifier recipe does not provide features")
    }
    self.classifier = classifier
    run = trained.run
    checkpoint = trained.checkpoint
    sha256 = try SHA256.hex(file: trained.checkpoint)
    classNames = trained.config.classNames ?? []
    heldOutAccuracy = Self.latestAccuracy(in: trained.run)
  }

  /// The newest `test_accuracy` in the run's metrics log.
  static func latestAccuracy(in run: RunDirectory) -> Double? {
    guard let lines = try? MetricsLog.read(run.metricsURL) else { return nil }
    return lines.compactMap { $0.evaluation?.metrics["test_accuracy"] }.last
  }

  /// The protocol card lines describing this feature network.
  public var cardFields: [ProtocolCard.Field] {
    var value = "\(run.url.lastPathComponent)/\(checkpoint.lastPathComponent), sha256 \(sha256.prefix(16))…, \(classifier.featureSize) features (penultimate layer), \(classifier.classCount) classes"
    if let heldOutAccuracy { value += String(format: ", held-out accuracy %.2f%%", heldOutAccuracy * 100) }
    return [.init("feature network", value)]
  }

  /// Features `[N, F]` and class probabilities of `inputs`.
  /// - Throws: `RecipeError` for inputs of the wrong shape.
  public func describe(_ inputs: Tensor) throws -> (features: Tensor, probabilities: [[Double]], predictions: [Int]) {
    let (features, logits) = try classifier.featuresAndLogits(inputs)
    let k = logits.shape[1]
    let p = logits.softmax(axis: 1).scalars
    let rows = (0..<logits.shape[0]).map { i in (0..<k).map { Double(p[i * k + $0]) } }
    let predictions = rows.map { row in row.indices.max { row[$0] < row[$1] }! }
    return (features, rows, predictions)
  }
}
