import Foundation
import GenAIData
import GenAIMetrics
import GenAIModels
import GenAITensor

extension Evaluator {
  /// PENDING the classifier merge.
  func audioMetrics(_ model: any AudioGenerating, into report: inout EvaluationReport) throws {}
  /// PENDING the classifier merge.
  func classifierMetrics(_ classifier: any FeatureClassifier, into report: inout EvaluationReport) throws {}
}
