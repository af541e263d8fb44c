import GenAITensor

/// Windows of `length` tokens from a token stream, with their next-token targets, as a
/// `BatchSource` for sequence models (nanoGPT's `get_batch`).
///
/// Row `b` of a batch holds `tokens[b] = ids[s ..< s+T]` and `targets[b] = ids[s+1 ..< s+T+1]`,
/// both `[B, T]` `IndexTensor`s; `Batch.inputs` is an empty `[B, 0]` tensor (token models read
/// `tokens`).
///
/// **What an epoch is.** `count` is the number of non-overlapping windows,
/// `(ids.count - 1) / T`, so one `BatchLoader` epoch predicts about as many tokens as the stream
/// holds. Where each window starts depends on `sampling`:
/// - `.random` (training): each row's start `s` is drawn uniformly from `0...ids.count-T-1` with
///   the batch's generator; the item index is ignored. Every window position is possible (as in
///   nanoGPT), and since `BatchLoader` derives each batch's generator from seed + epoch + batch
///   index, the draws are reproducible and resume exactly.
/// - `.tiled` (evaluation): item `i` starts at `s = i·T`, so an epoch covers every target token
///   of `ids[1...count·T]` exactly once, in the loader's order; the generator is not used.
public struct TextWindows: BatchSource {
  /// How window starts are chosen.
  public enum Sampling: String, Sendable, Codable {
    /// Uniformly random starts drawn from the batch generator (item indices ignored).
    case random
    /// Item `i` starts at `i · length`: non-overlapping windows covering the stream once.
    case tiled
  }

  /// The token ids.
  public let ids: [Int]
  /// Window length `T`.
  public let length: Int
  /// How starts are chosen.
  public let sampling: Sampling

  /// Windows of `length` over `ids`.
  /// - Throws: `DataError` when `length < 1` or the stream is shorter than `length + 1` tokens
  ///   (one window and its last target).
  public init(ids: [Int], length: Int, sampling: Sampling = .random, source: String = "text") throws(DataError) {
    guard length >= 1 else { throw DataError(file: source, "window length must be at least 1, got \(length)") }
    guard ids.count >= length + 1 else {
      throw DataError(file: source,
        "\(ids.count) tokens are too few for windows of \(length) (need at least \(length + 1))")
    }
    self.ids = ids
    self.length = length
    self.sampling = sampling
  }

  /// Number of non-overlapping windows: `(ids.count - 1) / length`.
  public var count: Int { (ids.count - 1) / length }

  /// The largest valid start, `ids.count - length - 1`.
  public var lastStart: Int { ids.count - length - 1 }

  /// The start of each row of a batch for `indices`, drawing from `generator` under `.random`.
  public func starts(indices: [Int], generator: inout SeededGenerator) -> [Int] {
    switch sampling {
    case .random: return indices.map { _ in randomIndex(below: lastStart + 1, using: &generator) }
    case .tiled:
      return indices.map { i in
        precondition(i >= 0 && i < count, "[TextWindows] window index \(i) is outside 0..<\(count)")
        return i * length
      }
    }
  }

  /// Tokens and next-token targets `[B, T]` for `indices.count` windows.
  public func makeBatch(indices: [Int], generator: inout SeededGenerator) -> Batch {
    let starts = starts(indices: indices, generator: &generator)
    var tokens: [Int] = []
    var targets: [Int] = []
    tokens.reserveCapacity(starts.count * length)
    targets.reserveCapacity(starts.count * length)
    for s in starts {
      tokens.append(contentsOf: ids[s..<(s + length)])
      targets.append(contentsOf: ids[(s + 1)..<(s + length + 1)])
    }
    let shape = [starts.count, length]
    return Batch(inputs: Tensor.zeros([starts.count, 0]),
                 tokens: IndexTensor(tokens).reshaped(shape), targets: IndexTensor(targets).reshaped(shape))
  }
}
