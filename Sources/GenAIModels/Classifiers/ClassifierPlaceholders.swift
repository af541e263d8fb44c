// TEMPORARY until the classifier branch merges.
public enum ImageClassifier { public static let defaultSteps = 1500; public static let defaultBatchSize = 128 }
public enum AudioClassifier { public static let defaultSteps = 1500; public static let defaultBatchSize = 64 }
