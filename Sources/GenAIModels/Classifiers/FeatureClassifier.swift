import GenAIData
import GenAITensor

/// PLACEHOLDER until the classifier branch merges (same API).
public protocol FeatureClassifier: Recipe {
  var classCount: Int { get }
  var featureSize: Int { get }
  func featuresAndLogits(_ inputs: Tensor) throws -> (features: Tensor, logits: Tensor)
}
