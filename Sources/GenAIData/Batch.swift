import GenAITensor

/// One batch: model inputs and, for labelled data, their labels.
public struct Batch: @unchecked Sendable {
  /// Inputs, e.g. images `[B, C, H, W]`, audio `[B, 1, T]`; for token data use `tokens`.
  public var inputs: Tensor
  /// Class labels `[B]`, or `nil`.
  public var labels: IndexTensor?
  /// Token ids `[B, T]` (text windows), or `nil`.
  public var tokens: IndexTensor?
  /// Next-token targets `[B, T]` (text windows), or `nil`.
  public var targets: IndexTensor?

  /// A batch of inputs with optional labels and tokens.
  public init(inputs: Tensor, labels: IndexTensor? = nil, tokens: IndexTensor? = nil, targets: IndexTensor? = nil) {
    self.inputs = inputs
    self.labels = labels
    self.tokens = tokens
    self.targets = targets
  }

  /// Rows `range` of every part (the first axis of each), for one process's share of a batch.
  public func rows(_ range: Range<Int>) -> Batch {
    func cut(_ t: IndexTensor?) -> IndexTensor? {
      guard let t, let first = t.shape.first, first > 0 else { return t }
      let width = t.count / first
      return IndexTensor(Array(t.values[range.lowerBound * width..<range.upperBound * width]))
        .reshaped([range.count] + t.shape.dropFirst())
    }
    let cutInputs = inputs.rank > 0 && inputs.shape[0] >= range.upperBound ? withNoGrad { inputs.slice(axis: 0, range) } : inputs
    return Batch(inputs: cutInputs, labels: cut(labels), tokens: cut(tokens), targets: cut(targets))
  }
}

/// Anything a `BatchLoader` can draw batches from: a fixed number of items addressed by index.
///
/// `makeBatch` must be safe to call from the loader's background thread (it only reads the
/// dataset) and must take all randomness (augmentation) from the generator it is given, so a
/// run is reproducible and resumable.
public protocol BatchSource: Sendable {
  /// Number of items.
  var count: Int { get }
  /// The batch holding items `indices`, augmented with draws from `generator` if at all.
  func makeBatch(indices: [Int], generator: inout SeededGenerator) -> Batch
}
