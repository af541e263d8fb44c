import Foundation
import GenAITensor

/// Draws batches from a `BatchSource` in shuffled epochs, optionally preparing the next batches on
/// a background thread, with a `position` that a checkpoint can save and restore exactly.
///
/// **Determinism.** Everything random is a pure function of `(seed, epoch, batch)`:
/// - epoch `e`'s order is a Fisher–Yates permutation from a generator seeded by `(seed, e)`;
/// - batch `k` of epoch `e` holds items `order[k·B ..< (k+1)·B]` (the last one shorter unless
///   `dropLast`), and its augmentation generator is seeded by `(seed, e, k)`.
///
/// So the batch sequence does not depend on timing, on `prefetch`, or on where a run was stopped:
/// a loader restored to a saved `position` continues with exactly the batches (and augmentation
/// draws) the uninterrupted run would have produced.
///
/// **Threads.** With `prefetch > 0` a background thread prepares up to `prefetch` batches ahead
/// while the caller trains on the current one; `next()` blocks only when none is ready. The
/// thread is stopped by `close()`, `restore(_:)` or when the loader is released. The loader itself
/// is used from one thread (it is not `Sendable`); the source must be safe to read from another
/// thread (`BatchSource` requires `Sendable`).
///
/// ```swift
/// let loader = try BatchLoader(images, batchSize: 64, seed: 7, epochs: 10)
/// while let batch = loader.next() {
///   // train on batch.inputs [64, 1, 28, 28], batch.labels [64]
///   checkpoint.loaderPosition = loader.position   // where the next batch comes from
/// }
/// ```
public final class BatchLoader {
  /// Where a loader is in its stream: the next batch it returns is batch `batch` of epoch `epoch`.
  /// Saved in a checkpoint and given back to `restore(_:)` or `init(position:)`.
  public struct Position: Codable, Sendable, Equatable, Hashable, CustomStringConvertible {
    /// The seed every order and augmentation draw derives from.
    public var seed: UInt64
    /// The epoch of the next batch, from 0.
    public var epoch: Int
    /// The index of the next batch within its epoch, from 0.
    public var batch: Int

    /// A position; `Position(seed: s)` is the start of a run.
    public init(seed: UInt64, epoch: Int = 0, batch: Int = 0) {
      self.seed = seed
      self.epoch = epoch
      self.batch = batch
    }

    /// `epoch 2, batch 17 (seed 7)`.
    public var description: String { "epoch \(epoch), batch \(batch) (seed \(seed))" }
  }

  /// Items per batch.
  public var batchSize: Int { plan.batchSize }
  /// Whether each epoch visits the items in a new random order (else in index order).
  public var shuffle: Bool { plan.shuffle }
  /// Whether an epoch's last, short batch is left out.
  public var dropLast: Bool { plan.dropLast }
  /// Number of epochs before `next()` returns `nil`, or `nil` for no end.
  public var epochs: Int? { plan.epochs }
  /// Batches prepared ahead on the background thread (0: batches are made in `next()`).
  public let prefetch: Int
  /// Number of items in the source.
  public var itemCount: Int { plan.count }
  /// Batches in one epoch.
  public var batchesPerEpoch: Int { plan.batchesPerEpoch }

  /// The position of the batch the next `next()` returns. Save it after training on a batch;
  /// restoring it continues with the following batch.
  public private(set) var position: Position

  private let plan: BatchPlan
  /// The background producer, started by the first `next()` when `prefetch > 0`.
  private var producer: Prefetcher?
  /// The current epoch's order, for synchronous mode.
  private var order: EpochOrder?

  /// A loader over `source`.
  /// - Parameters:
  ///   - source: the items; its `makeBatch` supplies inputs, labels and augmentation.
  ///   - batchSize: items per batch.
  ///   - shuffle: a new random order each epoch (`true`) or index order (`false`).
  ///   - dropLast: leave out an epoch's last batch when it would be shorter than `batchSize`.
  ///   - seed: seeds every order and augmentation draw (ignored when `position` is given).
  ///   - epochs: how many epochs to run, or `nil` to run until the caller stops.
  ///   - prefetch: batches to prepare ahead on a background thread, 0...2 (0: synchronous).
  ///   - position: where to start, e.g. a position saved in a checkpoint.
  ///   - shard: in data-parallel training, which rows of every batch this process gets: the
  ///     global order, batches and augmentation stay those of one process (`batchSize` is the
  ///     global batch), and each process keeps its contiguous share of each.
  /// - Throws: `DataError` when the source is empty, `batchSize < 1`, `prefetch` is outside
  ///   0...2, an epoch would have no batch (`dropLast` with fewer items than `batchSize`), the
  ///   shard does not divide the batch (or is used without `dropLast`), or the position is not in
  ///   this loader's range.
  public init(
    _ source: some BatchSource, batchSize: Int, shuffle: Bool = true, dropLast: Bool = false, seed: UInt64 = 0,
    epochs: Int? = nil, prefetch: Int = 1, position: Position? = nil, shard: BatchShard = .whole
  ) throws(DataError) {
    let name = "BatchLoader(\(type(of: source)))"
    guard batchSize >= 1 else { throw DataError(file: name, "batch size must be at least 1, got \(batchSize)") }
    guard source.count > 0 else { throw DataError(file: name, "the source has no items") }
    guard (0...2).contains(prefetch) else {
      throw DataError(file: name, "prefetch must be 0 (synchronous), 1 or 2 batches, got \(prefetch)")
    }
    if let epochs, epochs < 0 { throw DataError(file: name, "epochs must not be negative, got \(epochs)") }
    guard !dropLast || source.count >= batchSize else {
      throw DataError(file: name,
        "\(source.count) items are fewer than one batch of \(batchSize): with dropLast an epoch has no batches")
    }
    guard shard.count == 1 || (dropLast && batchSize % shard.count == 0) else {
      throw DataError(file: name,
        "a batch of \(batchSize) cannot be split evenly over \(shard.count) processes: choose a batch size that is a multiple of \(shard.count)")
    }
    self.plan = BatchPlan(
      source: source, batchSize: batchSize, shuffle: shuffle, dropLast: dropLast, epochs: epochs, shard: shard)
    self.prefetch = prefetch
    self.position = Position(seed: seed)
    if let position { try restore(position) }
  }

  deinit { producer?.stop() }

  /// The next batch, or `nil` after the last epoch. Blocks while the background thread is still
  /// preparing it.
  public func next() -> Batch? {
    guard !plan.isFinished(position) else {
      close()
      return nil
    }
    let batch: Batch?
    if prefetch > 0 {
      if producer == nil { producer = Prefetcher(plan: plan, start: position, capacity: prefetch) }
      batch = producer?.take()
    } else {
      batch = plan.batch(at: position, order: &order)
    }
    position = plan.advanced(position)
    return batch
  }

  /// Moves to `position`: the next batch is the one the saved run would have returned there.
  /// Stops a running background thread first.
  /// - Throws: `DataError` when the epoch is negative or past `epochs`, or the batch is outside
  ///   `0...batchesPerEpoch`; a batch equal to `batchesPerEpoch` means the start of the next epoch.
  public func restore(_ position: Position) throws(DataError) {
    let name = "BatchLoader position"
    guard position.epoch >= 0 else { throw DataError(file: name, "epoch \(position.epoch) is negative") }
    guard (0...plan.batchesPerEpoch).contains(position.batch) else {
      throw DataError(file: name,
        "batch \(position.batch) is outside 0...\(plan.batchesPerEpoch) for \(plan.count) items in batches of "
          + "\(plan.batchSize)\(plan.dropLast ? " (drop last)" : ""); was it saved with another batch size?")
    }
    var p = position
    if p.batch == plan.batchesPerEpoch { p = Position(seed: p.seed, epoch: p.epoch + 1, batch: 0) }
    if let epochs = plan.epochs, p.epoch > epochs {
      throw DataError(file: name, "epoch \(p.epoch) is past the loader's \(epochs) epochs")
    }
    close()
    order = nil
    self.position = p
  }

  /// Stops the background thread (if any) and drops the batches it prepared. The loader can
  /// still be used: the next `next()` starts a new thread at the current position.
  public func close() {
    producer?.stop()
    producer = nil
  }

  /// The item indices of batch `batch` of epoch `epoch` for this loader (no batch is made).
  public func indices(epoch: Int, batch: Int) -> [Int] {
    var scratch: EpochOrder?
    return plan.indices(at: Position(seed: position.seed, epoch: epoch, batch: batch), order: &scratch)
  }

  // MARK: - Seed derivation

  /// The order of `count` items in `epoch` for `seed` (a permutation of `0..<count`).
  public static func permutation(count: Int, seed: UInt64, epoch: Int) -> [Int] {
    var g = SeededGenerator(seed: derivedSeed(seed, domain: 1, UInt64(bitPattern: Int64(epoch)), 0))
    var p = Array(0..<count)
    // Fisher–Yates with our own bounded draw, so orders never change with the standard library.
    var i = count - 1
    while i > 0 {
      let j = randomIndex(below: i + 1, using: &g)
      if i != j { p.swapAt(i, j) }
      i -= 1
    }
    return p
  }

  /// The generator batch `batch` of `epoch` hands to `BatchSource.makeBatch` (augmentation).
  public static func batchGenerator(seed: UInt64, epoch: Int, batch: Int) -> SeededGenerator {
    let e = UInt64(bitPattern: Int64(epoch)), b = UInt64(bitPattern: Int64(batch))
    return SeededGenerator(seed: derivedSeed(seed, domain: 2, e, b))
  }

  /// Mixes a seed with a domain tag and two counters (SplitMix64 finaliser after each).
  static func derivedSeed(_ seed: UInt64, domain: UInt64, _ a: UInt64, _ b: UInt64) -> UInt64 {
    func mix(_ x: UInt64) -> UInt64 {
      var z = x &+ 0x9E37_79B9_7F4A_7C15
      z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
      z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
      return z ^ (z >> 31)
    }
    return mix(mix(mix(mix(seed) ^ domain) ^ a) ^ b)
  }
}

extension BatchLoader: Sequence {
  /// Iterates by calling `next()` on the loader (so iterating moves the loader's position).
  public struct Iterator: IteratorProtocol {
    let loader: BatchLoader
    /// The loader's next batch.
    public mutating func next() -> Batch? { loader.next() }
  }

  /// An iterator over the loader's remaining batches.
  public func makeIterator() -> Iterator { Iterator(loader: self) }
}

/// A uniform integer in `0..<n` by rejection (no modulo bias), independent of the standard
/// library's algorithm so saved orders stay valid across toolchains.
func randomIndex(below n: Int, using g: inout some RandomNumberGenerator) -> Int {
  precondition(n > 0, "[randomIndex] bound must be positive")
  let bound = UInt64(n)
  let limit = UInt64.max - UInt64.max % bound  // multiples of bound below this are unbiased
  while true {
    let x = g.next()
    if x < limit { return Int(x % bound) }
  }
}

// MARK: - Plan

/// One epoch's item order.
struct EpochOrder {
  var seed: UInt64
  var epoch: Int
  var items: [Int]
}

/// The pure part of a loader: which items and which generator each position gets. `Sendable` so
/// the background thread can own a copy.
struct BatchPlan: Sendable {
  let source: any BatchSource
  let batchSize: Int
  let shuffle: Bool
  let dropLast: Bool
  let epochs: Int?
  let count: Int
  let batchesPerEpoch: Int
  let shard: BatchShard

  init(source: any BatchSource, batchSize: Int, shuffle: Bool, dropLast: Bool, epochs: Int?, shard: BatchShard) {
    self.shard = shard
    self.source = source
    self.batchSize = batchSize
    self.shuffle = shuffle
    self.dropLast = dropLast
    self.epochs = epochs
    self.count = source.count
    self.batchesPerEpoch = dropLast ? count / batchSize : (count + batchSize - 1) / batchSize
  }

  func isFinished(_ p: BatchLoader.Position) -> Bool { epochs.map { p.epoch >= $0 } ?? false }

  func advanced(_ p: BatchLoader.Position) -> BatchLoader.Position {
    p.batch + 1 < batchesPerEpoch
      ? BatchLoader.Position(seed: p.seed, epoch: p.epoch, batch: p.batch + 1)
      : BatchLoader.Position(seed: p.seed, epoch: p.epoch + 1, batch: 0)
  }

  /// The items of the batch at `p`, reusing `order` when it is already that epoch's.
  func indices(at p: BatchLoader.Position, order: inout EpochOrder?) -> [Int] {
    let lo = p.batch * batchSize
    let hi = min(lo + batchSize, count)
    guard shuffle else { return Array(lo..<hi) }
    if order?.epoch != p.epoch || order?.seed != p.seed {
      order = EpochOrder(seed: p.seed, epoch: p.epoch,
                         items: BatchLoader.permutation(count: count, seed: p.seed, epoch: p.epoch))
    }
    return Array(order?.items[lo..<hi] ?? [])
  }

  /// The batch at `p` (this process's rows of it).
  func batch(at p: BatchLoader.Position, order: inout EpochOrder?) -> Batch {
    var g = BatchLoader.batchGenerator(seed: p.seed, epoch: p.epoch, batch: p.batch)
    let whole = source.makeBatch(indices: indices(at: p, order: &order), generator: &g)
    // Every process makes the whole batch and keeps its rows: augmentation and random text
    // windows are drawn row after row from one generator, so this is the only way each row gets
    // the draws it gets in one process. Making a batch is cheap next to a training step.
    return shard.count == 1 ? whole : whole.rows(shard.rows(of: whole.inputs.shape.first ?? 0))
  }
}

// MARK: - Background producer

/// A thread that makes the batches of a plan from a start position into a bounded FIFO.
///
/// All mutable state is guarded by `condition`; batches are made outside the lock. `stop()`
/// returns only after the thread has finished, so no batch is made after the loader moved on.
final class Prefetcher: @unchecked Sendable {
  private let condition = NSCondition()
  private let plan: BatchPlan
  private let capacity: Int
  // Guarded by `condition`:
  private var buffer: [Batch] = []
  private var stopRequested = false
  private var running = true

  init(plan: BatchPlan, start: BatchLoader.Position, capacity: Int) {
    self.plan = plan
    self.capacity = capacity
    let thread = Thread { [self] in self.produce(from: start) }
    thread.name = "genai.BatchLoader"
    thread.start()
  }

  private func produce(from start: BatchLoader.Position) {
    var position = start
    var order: EpochOrder?
    while !plan.isFinished(position) {
      condition.lock()
      while buffer.count >= capacity && !stopRequested { condition.wait() }
      let stop = stopRequested
      condition.unlock()
      if stop { break }
      let batch = plan.batch(at: position, order: &order)
      position = plan.advanced(position)
      condition.lock()
      buffer.append(batch)
      condition.broadcast()
      condition.unlock()
    }
    condition.lock()
    running = false
    condition.broadcast()
    condition.unlock()
  }

  /// The next batch in order, waiting for it if needed; `nil` once the thread has ended with
  /// nothing left.
  func take() -> Batch? {
    condition.lock()
    defer { condition.unlock() }
    while buffer.isEmpty && running { condition.wait() }
    guard !buffer.isEmpty else { return nil }
    let batch = buffer.removeFirst()
    condition.broadcast()
    return batch
  }

  /// Asks the thread to end and waits until it has.
  func stop() {
    condition.lock()
    stopRequested = true
    condition.broadcast()
    while running { condition.wait() }
    buffer.removeAll()
    condition.unlock()
  }
}
