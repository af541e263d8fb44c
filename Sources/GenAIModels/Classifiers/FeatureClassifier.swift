import GenAIData
import GenAINN
import GenAITensor

/// A classifier whose penultimate layer is the feature space of sample-quality metrics.
///
/// Its features serve FID, KID and precision/recall on the project's data as Inception-v3's pool
/// features do for natural images. It is a `Recipe` so the CLI trains and checkpoints it like any
/// model.
public protocol FeatureClassifier: Recipe {
  /// Number of classes `K`.
  var classCount: Int { get }
  /// Size `F` of the penultimate feature vector used by FID/KID/precision-recall. Kept modest
  /// (128) because a Fréchet distance needs more samples than feature dimensions.
  var featureSize: Int { get }
  /// Features `[N, F]` and logits `[N, K]` of `inputs`, in evaluation mode (running statistics,
  /// no dropout or augmentation), recording no gradients, processed in chunks of at most 256 so
  /// 10,000 inputs fit in memory. Inputs take the form of the matching training data: images
  /// `[N, 1, 28, 28]` in [-1, 1], or clips `[N, 1, 8000]` / `[N, 8000]` at 8 kHz in [-1, 1].
  /// - Throws: `RecipeError` naming the expected shape when `inputs` has another.
  func featuresAndLogits(_ inputs: Tensor) throws -> (features: Tensor, logits: Tensor)
}

extension FeatureClassifier {
  /// The predicted class of each input, `[N]` (argmax of the logits).
  /// - Throws: `RecipeError` for inputs of the wrong shape.
  public func predictions(_ inputs: Tensor) throws -> [Int] {
    try featuresAndLogits(inputs).logits.argmax(axis: 1).values
  }

  /// The share of `source`'s items whose label is predicted, read in order in batches of
  /// `batchSize` (the source's own augmentation, if any, is drawn from a fixed seed).
  /// - Throws: `RecipeError` when a batch has no labels or the wrong shape.
  public func accuracy(on source: any BatchSource, batchSize: Int = 256) throws -> Double {
    precondition(batchSize > 0, "[\(Self.name)] batchSize must be positive")
    var generator = SeededGenerator(seed: 0)
    var correct = 0
    for start in stride(from: 0, to: source.count, by: batchSize) {
      let batch = source.makeBatch(indices: Array(start..<min(start + batchSize, source.count)), generator: &generator)
      guard let labels = batch.labels else { throw RecipeError(recipe: Self.name, "accuracy needs labelled data") }
      correct += zip(try predictions(batch.inputs), labels.values).filter { $0 == $1 }.count
    }
    return source.count == 0 ? 0 : Double(correct) / Double(source.count)
  }
}

/// What both classifiers share: chunked evaluation and the labelled-batch check.
enum ClassifierSupport {
  /// The largest number of inputs run through a network at once in `featuresAndLogits`.
  static let chunkSize = 256

  /// `body` on chunks of `inputs` `[N, ...]` of at most `chunkSize` items, with `network` in
  /// evaluation mode (its previous mode restored) and no graph recorded; the results are joined
  /// along axis 0.
  static func evaluate(
    _ network: Module, _ inputs: Tensor, _ body: (Tensor) -> (features: Tensor, logits: Tensor)
  ) -> (features: Tensor, logits: Tensor) {
    let wasTraining = network.isTraining
    network.eval()
    defer { network.train(wasTraining) }
    return withNoGrad {
      let n = inputs.shape[0]
      guard n > chunkSize else { return body(inputs) }
      var features: [Tensor] = []
      var logits: [Tensor] = []
      for start in stride(from: 0, to: n, by: chunkSize) {
        let (f, l) = body(inputs.slice(axis: 0, start..<min(start + chunkSize, n)))
        features.append(f)
        logits.append(l)
      }
      return (Tensor.concatenate(features, axis: 0), Tensor.concatenate(logits, axis: 0))
    }
  }

  /// The labels of `batch` as an `IndexTensor` `[B]`.
  /// - Throws: `RecipeError` when labels are missing, of the wrong count, or outside `0..<classCount`.
  static func labels(_ batch: Batch, classCount: Int, recipe: String) throws -> IndexTensor {
    guard let labels = batch.labels else { throw RecipeError(recipe: recipe, "training needs labelled batches") }
    guard labels.values.count == batch.inputs.shape.first else {
      throw RecipeError(recipe: recipe, "\(labels.values.count) labels for \(batch.inputs.shape.first ?? 0) inputs")
    }
    if let bad = labels.values.first(where: { !(0..<classCount).contains($0) }) {
      throw RecipeError(recipe: recipe, "label \(bad) is out of range 0..<\(classCount)")
    }
    return labels
  }

  /// The share of `logits` `[B, K]` whose argmax is `labels`.
  static func accuracy(_ logits: Tensor, _ labels: IndexTensor) -> Float {
    let predicted = logits.argmax(axis: 1).values
    return Float(zip(predicted, labels.values).filter { $0 == $1 }.count) / Float(max(1, predicted.count))
  }
}
