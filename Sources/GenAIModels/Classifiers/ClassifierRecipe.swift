/// The `classifier` recipe: the feature network of the evaluation metrics, an `ImageClassifier`
/// on images or an `AudioClassifier` on spoken digits, whichever the data is.
public enum ClassifierRecipe {
  /// `classifier`: Fashion-MNIST by default, or the spoken digits; tracked by held-out accuracy.
  public static let kind = RecipeKind(
    name: "classifier", summary: "feature network for eval: CNN on 28x28 images or log-mel spoken digits",
    data: [
      .images(steps: ImageClassifier.defaultSteps, batchSize: ImageClassifier.defaultBatchSize),
      .audio(steps: AudioClassifier.defaultSteps, batchSize: AudioClassifier.defaultBatchSize),
    ],
    mainMetric: MainMetric("test_accuracy", better: .higher), isFeatureNetwork: true, benchmarked: false,
    minimumBatchSize: 2
  ) { setup in
    let classes = try setup.labelledClasses(for: "classifier")
    if setup.data.kind == .audio {
      return AudioClassifier(
        classCount: classes, seed: setup.seed, learningRate: setup.learningRate ?? AudioClassifier.defaultLearningRate)
    }
    return ImageClassifier(
      classCount: classes, seed: setup.seed, learningRate: setup.learningRate ?? ImageClassifier.defaultLearningRate,
      totalSteps: setup.steps)
  }
}
