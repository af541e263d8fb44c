#if canImport(Glibc)
  import Glibc
#elseif canImport(Musl)
  import Musl
#elseif canImport(Darwin)
  import Darwin
#endif

/// What data-parallel training needs from the processes it runs on: a group of `size` members
/// (`rank` is this one) that can sum and take maxima of buffers across all members. MPI
/// implements it (`GenAIDistributed.MPIWorld`); the engine only sees this protocol.
///
/// Every member must make the same calls in the same order with the same counts (a collective
/// blocks until all members have joined it). A member that cannot complete a call (a peer died or
/// hangs past the deadline) ends the whole job with a message; the calls therefore do not throw.
public protocol Collective: AnyObject, Sendable {
  /// This member's index in `0..<size`.
  var rank: Int { get }
  /// The number of members.
  var size: Int { get }
  /// Replaces every element of `values` with its sum over all members.
  func sum(_ values: UnsafeMutableBufferPointer<Float>)
  /// Replaces every element of `values` with its sum over all members (float64: counters, checks).
  func sum(_ values: UnsafeMutableBufferPointer<Double>)
  /// Replaces every element of `values` with its maximum over all members.
  func max(_ values: UnsafeMutableBufferPointer<Double>)
}

extension Collective {
  /// `values` summed over all members.
  public func sum(_ values: [Double]) -> [Double] {
    var v = values
    v.withUnsafeMutableBufferPointer { sum($0) }
    return v
  }

  /// `values` element-wise maximum over all members.
  public func max(_ values: [Double]) -> [Double] {
    var v = values
    v.withUnsafeMutableBufferPointer { max($0) }
    return v
  }
}

/// Which rows of every batch this process holds under data-parallel training: member `index` of
/// `count` takes rows `index·n ..< (index+1)·n` of a global batch of `count·n` rows. `.whole` (one
/// member) is ordinary single-process training.
public struct BatchShard: Sendable, Equatable, CustomStringConvertible {
  /// This member's position, in `0..<count`.
  public let index: Int
  /// The number of members sharing each batch.
  public let count: Int

  /// Member `index` of `count`.
  /// - Precondition: `0 ≤ index < count`.
  public init(index: Int, count: Int) {
    require(count >= 1 && index >= 0 && index < count, "[BatchShard] needs 0 <= index < count, got \(index) of \(count)")
    self.index = index
    self.count = count
  }

  /// The whole batch (one process).
  public static let whole = BatchShard(index: 0, count: 1)

  /// The rows of a global batch of `globalRows` rows this member holds.
  /// - Precondition: `count` divides `globalRows`.
  public func rows(of globalRows: Int) -> Range<Int> {
    require(globalRows % count == 0, "[BatchShard] \(count) members cannot share a batch of \(globalRows) rows evenly")
    let n = globalRows / count
    return index * n..<(index + 1) * n
  }

  /// "rows 32..<64 of each batch (member 1 of 2)".
  public var description: String { count == 1 ? "the whole batch" : "member \(index) of \(count)" }
}

extension Tensor {
  /// The sum of this tensor over all members of `group` (every member gets the same result).
  ///
  /// The pullback is the same op on the cotangent: member `r`'s input feeds every member's output,
  /// so its gradient is the sum of all members' output gradients. Synchronised batch norm builds
  /// its statistics from it; its gradient is then right on every member without extra code.
  public func allSum(over group: any Collective) -> Tensor {
    let out = copy()
    out.withUnsafeMutableBufferPointer { group.sum($0) }
    return Tensor.record(.allSum, shape: shape, storage: out.storage, inputs: [self]) { g, _, _ in
      [g.allSum(over: group)]
    }
  }
}

extension Tensor {
  // The draws below slice a tensor that records nothing (it needs no gradient), so the slice is
  // a plain copy of the member's rows.

  /// Samples of N(0, 1) for this member's rows of a batch whose global shape is `shape` with its
  /// first axis multiplied by `shard.count`: the whole batch is drawn and this member's rows
  /// kept, so every member draws from the same stream as one process would, and together they
  /// hold exactly the single-process draw.
  public static func randn(rowsOf shard: BatchShard, _ shape: [Int], using generator: inout some RandomNumberGenerator) -> Tensor {
    guard shard.count > 1, let rows = shape.first else { return randn(shape, using: &generator) }
    let whole = randn([rows * shard.count] + shape.dropFirst(), using: &generator)
    return whole.slice(axis: 0, shard.rows(of: rows * shard.count))
  }

  /// Samples of U[0, 1) for this member's rows of a batch, as `randn(rowsOf:_:using:)`.
  public static func uniform(rowsOf shard: BatchShard, _ shape: [Int], using generator: inout some RandomNumberGenerator) -> Tensor {
    guard shard.count > 1, let rows = shape.first else { return uniform(shape, using: &generator) }
    let whole = uniform([rows * shard.count] + shape.dropFirst(), using: &generator)
    return whole.slice(axis: 0, shard.rows(of: rows * shard.count))
  }

  /// Inverted dropout of this member's rows of a batch along `batchAxis`, with the mask drawn for
  /// the whole batch as `randn(rowsOf:_:using:)` does.
  public func dropout(
    p: Float, rowsOf shard: BatchShard, batchAxis: Int = 0, using generator: inout some RandomNumberGenerator
  ) -> Tensor {
    guard shard.count > 1, p > 0 else { return dropout(p: p, using: &generator) }
    require(p >= 0 && p < 1, "[dropout] p must be in [0, 1), got \(p)")
    var whole = shape
    whole[batchAxis] *= shard.count
    let mask = Tensor.bernoulli(whole, p: 1 - p, value: 1 / (1 - p), using: &generator)
    return self * mask.slice(axis: batchAxis, shard.rows(of: whole[batchAxis]))
  }

  /// Inverted dropout of `stackedBatches` batches stacked along axis 0 (`[B·N, ...]`, this
  /// member's N rows of each): batch b's mask is the one a call of its own would draw (one
  /// generator draw each, in turn), so one stacked call is B calls of `dropout(p:rowsOf:using:)`
  /// with the same bits.
  /// - Precondition: B ≥ 1 divides the first axis.
  public func dropout(
    p: Float, rowsOf shard: BatchShard, stackedBatches: Int, using generator: inout some RandomNumberGenerator
  ) -> Tensor {
    require(p >= 0 && p < 1, "[dropout] p must be in [0, 1), got \(p)")
    require(rank >= 1 && stackedBatches >= 1 && shape[0] % stackedBatches == 0,
      "[dropout] \(stackedBatches) stacked batches do not divide input \(shapeString(shape))")
    guard p > 0 else { return self }
    let rows = shape[0] / stackedBatches, rowSize = shape.dropFirst().reduce(1, *)
    // This member's rows of a batch start at global row `first`, where the whole batch's mask
    // (counter-keyed per element) is read from.
    let first = shard.count > 1 ? shard.rows(of: rows * shard.count).lowerBound : 0
    let mask = Tensor(shape: shape, storage: Storage(uninitializedCount: count))
    for b in 0..<stackedBatches {
      Tensor.fillBernoulli(mask.storage.base + b * rows * rowSize, count: rows * rowSize, key: generator.next(),
                           firstIndex: first * rowSize, p: 1 - p, value: 1 / (1 - p))
    }
    return self * mask
  }
}

/// What happens to the gradients a backward pass has accumulated, on the calling thread.
/// Data-parallel training averages them over its processes here, right after `backward()`, so
/// that gradient clipping and the optimiser step see the same gradients on every process (and
/// the same as one process on the global batch).
public enum GradientReduction {
  /// A pthread key holding the current thread's reducer (boxed), or nil.
  private static let key: pthread_key_t = {
    var k = pthread_key_t()
    pthread_key_create(&k, nil)
    return k
  }()

  final class Box {
    let reduce: ([Tensor]) -> Void
    init(_ reduce: @escaping ([Tensor]) -> Void) { self.reduce = reduce }
  }

  /// The reducer of this thread, if any.
  static var current: (([Tensor]) -> Void)? {
    guard let raw = pthread_getspecific(key) else { return nil }
    return Unmanaged<Box>.fromOpaque(raw).takeUnretainedValue().reduce
  }

  /// Runs `body` with `reduce` called after every `backward()` on this thread (not under
  /// `createGraph`) with the leaves whose `grad` that pass accumulated into, in the order the pass
  /// reached them (the same order on every process running the same graph).
  public static func with<R>(_ reduce: @escaping ([Tensor]) -> Void, _ body: () throws -> R) rethrows -> R {
    let previous = pthread_getspecific(key)
    let box = Unmanaged.passRetained(Box(reduce))
    pthread_setspecific(key, box.toOpaque())
    defer {
      pthread_setspecific(key, previous)
      box.release()
    }
    return try body()
  }
}
