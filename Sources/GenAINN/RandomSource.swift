import GenAITensor

/// A seeded generator held by reference, so that a module (dropout) can draw from it in its
/// forward pass and a training checkpoint can find, save and restore its state.
///
/// Modules store it in a property; `Module.namedRandomSources()` finds it by reflection like a
/// tensor.
public final class RandomSource: RandomNumberGenerator {
  /// The generator's current state.
  public var generator: SeededGenerator

  /// A source seeded with `seed`.
  public init(seed: UInt64) { generator = SeededGenerator(seed: seed) }

  /// The next 64 random bits.
  public func next() -> UInt64 { generator.next() }

  /// The rows of every batch this process holds; `.whole` except in data-parallel training,
  /// where each process draws the whole batch's numbers and keeps its rows (see
  /// `Tensor.randn(rowsOf:_:using:)`), so N processes draw what one process would.
  public var batchShard = BatchShard.whole

  /// N(0, 1) samples for this process's rows of a batch; `shape[0]` is the local batch size.
  public func normal(batchShape shape: [Int]) -> Tensor { Tensor.randn(rowsOf: batchShard, shape, using: &generator) }

  /// U[0, 1) samples for this process's rows of a batch; `shape[0]` is the local batch size.
  public func uniform(batchShape shape: [Int]) -> Tensor { Tensor.uniform(rowsOf: batchShard, shape, using: &generator) }

  /// Inverted dropout of `x`, whose axis `batchAxis` runs over this process's rows of a batch.
  public func dropout(_ x: Tensor, p: Float, batchAxis: Int = 0) -> Tensor {
    x.dropout(p: p, rowsOf: batchShard, batchAxis: batchAxis, using: &generator)
  }

  /// Inverted dropout of `x` `[B·N, ...]`, `stackedBatches` batches of this process's rows
  /// stacked along axis 0, each masked as a call of its own would be.
  public func dropout(_ x: Tensor, p: Float, stackedBatches: Int) -> Tensor {
    x.dropout(p: p, rowsOf: batchShard, stackedBatches: stackedBatches, using: &generator)
  }
}

extension Module {
  /// Every `RandomSource` stored in this module and its children, with dotted paths.
  public func namedRandomSources() -> [(String, RandomSource)] {
    var out: [(String, RandomSource)] = []
    for (path, module) in namedModules() {
      var mirror: Mirror? = Mirror(reflecting: module)
      var found: [(String, RandomSource)] = []
      while let m = mirror {
        for child in m.children {
          if let label = child.label, !label.hasPrefix("_"), let r = child.value as? RandomSource {
            found.append((path.isEmpty ? label : path + "." + label, r))
          }
        }
        mirror = m.superclassMirror
      }
      out += found.reversed()
    }
    return out
  }
}
