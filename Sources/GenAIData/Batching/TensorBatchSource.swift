import GenAITensor

/// Items held in memory as one tensor `[N, ...]` with optional class labels: the simplest
/// `BatchSource` (decoded image sets, synthetic data, tests).
///
/// A batch gathers rows `indices` of `inputs` into `[B, ...]` and the matching labels into `[B]`;
/// an optional `augment` closure then transforms the batch's inputs with draws from the batch's
/// generator (so augmentation is reproducible and resumable under `BatchLoader`).
public struct TensorBatchSource: BatchSource {
  /// Transforms a batch's inputs `[B, ...]`, drawing all randomness from the generator.
  public typealias Augment = @Sendable (Tensor, inout SeededGenerator) -> Tensor

  /// All items, `[N, ...]`. Not modified.
  public let inputs: Tensor
  /// The class of each item, or `nil` for unlabelled data.
  public let labels: [Int]?
  /// Optional augmentation applied to each batch's inputs.
  public let augment: Augment?

  /// Items `inputs[i]` with `labels[i]`.
  /// - Throws: `DataError` when `inputs` has rank 0 or the label count differs from `N`.
  public init(inputs: Tensor, labels: [Int]? = nil, augment: Augment? = nil) throws(DataError) {
    guard inputs.rank >= 1 else {
      throw DataError(file: "TensorBatchSource", "inputs must have a leading item axis, got a scalar")
    }
    if let labels, labels.count != inputs.shape[0] {
      throw DataError(file: "TensorBatchSource", "\(labels.count) labels for \(inputs.shape[0]) items")
    }
    self.inputs = inputs.detached()
    self.labels = labels
    self.augment = augment
  }

  /// Number of items, `N`.
  public var count: Int { inputs.shape[0] }

  /// Rows `indices` of `inputs` (augmented) and their labels.
  public func makeBatch(indices: [Int], generator: inout SeededGenerator) -> Batch {
    var x = inputs.indexSelect(IndexTensor(indices), axis: 0)
    if let augment { x = augment(x, &generator) }
    return Batch(inputs: x, labels: labels.map { all in IndexTensor(indices.map { all[$0] }) })
  }
}
