import Foundation
import GenAITensor
import Synchronization
import Testing

@testable import GenAIData

/// Tests of `BatchLoader`: seeded epochs, drop-last, labels, exact resume from a saved position
/// (augmentation draws included), the background thread matching synchronous mode, and shutdown.

// MARK: - Helpers (file-private, prefixed so they cannot clash with other test files)

/// Items 0..<count; a batch's inputs are `[B, 2]` rows `(index, augmentation draw)`, its labels the
/// indices mod 10, and an optional delay per batch makes the producer slow.
private struct BatchingTestSource: BatchSource {
  let count: Int
  var delay: TimeInterval = 0
  let made: BatchingTestCounter?

  init(count: Int, delay: TimeInterval = 0, counter: BatchingTestCounter? = nil) {
    self.count = count
    self.delay = delay
    self.made = counter
  }

  func makeBatch(indices: [Int], generator: inout SeededGenerator) -> Batch {
    if delay > 0 { Thread.sleep(forTimeInterval: delay) }
    made?.increment()
    var values: [Float] = []
    for i in indices { values += [Float(i), generator.nextUniform()] }
    let inputs = (try? Tensor(shape: [indices.count, 2], values)) ?? Tensor.zeros([0])
    return Batch(inputs: inputs, labels: IndexTensor(indices.map { $0 % 10 }))
  }
}

/// Counts batches made (from any thread).
private final class BatchingTestCounter: Sendable {
  let value = Atomic<Int>(0)
  func increment() { value.add(1, ordering: .relaxed) }
  var count: Int { value.load(ordering: .relaxed) }
}

/// A batch reduced to comparable values.
private struct BatchingTestSnapshot: Equatable {
  var inputs: [Float]
  var labels: [Int]
  init(_ b: Batch) {
    inputs = b.inputs.scalars
    labels = b.labels?.values ?? []
  }
  var indices: [Int] { stride(from: 0, to: inputs.count, by: 2).map { Int(inputs[$0]) } }
}

private func batchingTestDrain(_ loader: BatchLoader, limit: Int = 10_000) -> [BatchingTestSnapshot] {
  var out: [BatchingTestSnapshot] = []
  while out.count < limit, let b = loader.next() { out.append(BatchingTestSnapshot(b)) }
  return out
}

// MARK: - Epochs and order

@Test func batchEveryItemOncePerEpochWithAShortLastBatch() throws {
  let loader = try BatchLoader(BatchingTestSource(count: 103), batchSize: 10, seed: 5, epochs: 2, prefetch: 0)
  #expect(loader.batchesPerEpoch == 11)
  let batches = batchingTestDrain(loader)
  #expect(batches.count == 22)
  for epoch in 0..<2 {
    let slice = batches[(epoch * 11)..<((epoch + 1) * 11)]
    #expect(slice.map(\.indices.count) == Array(repeating: 10, count: 10) + [3])
    #expect(slice.flatMap(\.indices).sorted() == Array(0..<103))
    #expect(slice.allSatisfy { $0.labels == $0.indices.map { $0 % 10 } })
  }
  // Epochs are shuffled differently, and not left in index order.
  #expect(batches[0].indices != batches[11].indices)
  #expect(batches[0..<11].flatMap(\.indices) != Array(0..<103))
  #expect(loader.next() == nil)
  #expect(loader.position == BatchLoader.Position(seed: 5, epoch: 2, batch: 0))
}

@Test func batchDropLastLeavesOutTheShortBatch() throws {
  let loader = try BatchLoader(BatchingTestSource(count: 103), batchSize: 10, dropLast: true, seed: 5, epochs: 1)
  #expect(loader.batchesPerEpoch == 10)
  let batches = batchingTestDrain(loader)
  #expect(batches.count == 10 && batches.allSatisfy { $0.indices.count == 10 })
  #expect(Set(batches.flatMap(\.indices)).count == 100)
  // Too few items for one full batch: an error rather than an endless loop of empty epochs.
  #expect(throws: DataError.self) {
    try BatchLoader(BatchingTestSource(count: 5), batchSize: 10, dropLast: true)
  }
}

@Test func batchSeededOrderIsReproducible() throws {
  let a = batchingTestDrain(try BatchLoader(BatchingTestSource(count: 50), batchSize: 8, seed: 11, epochs: 3))
  let b = batchingTestDrain(try BatchLoader(BatchingTestSource(count: 50), batchSize: 8, seed: 11, epochs: 3))
  let c = batchingTestDrain(try BatchLoader(BatchingTestSource(count: 50), batchSize: 8, seed: 12, epochs: 3))
  #expect(a == b)
  #expect(a != c)
  // Unshuffled: index order, every epoch.
  let plain = batchingTestDrain(try BatchLoader(BatchingTestSource(count: 10), batchSize: 4, shuffle: false, epochs: 2))
  #expect(plain.map(\.indices) == [[0, 1, 2, 3], [4, 5, 6, 7], [8, 9], [0, 1, 2, 3], [4, 5, 6, 7], [8, 9]])
  // The permutation is a pure function of (seed, epoch).
  #expect(BatchLoader.permutation(count: 50, seed: 11, epoch: 0).prefix(8).map { $0 } == a[0].indices)
}

@Test func batchBadArgumentsAreErrors() throws {
  #expect(throws: DataError.self) { try BatchLoader(BatchingTestSource(count: 0), batchSize: 4) }
  #expect(throws: DataError.self) { try BatchLoader(BatchingTestSource(count: 10), batchSize: 0) }
  #expect(throws: DataError.self) { try BatchLoader(BatchingTestSource(count: 10), batchSize: 2, prefetch: 3) }
  let loader = try BatchLoader(BatchingTestSource(count: 10), batchSize: 4, epochs: 2)
  #expect(throws: DataError.self) { try loader.restore(BatchLoader.Position(seed: 0, epoch: 0, batch: 4)) }
  #expect(throws: DataError.self) { try loader.restore(BatchLoader.Position(seed: 0, epoch: 3, batch: 0)) }
  // The batch after the last of an epoch is the start of the next.
  try loader.restore(BatchLoader.Position(seed: 0, epoch: 0, batch: 3))
  #expect(loader.position == BatchLoader.Position(seed: 0, epoch: 1, batch: 0))
}

// MARK: - Resume

@Test(arguments: [0, 1, 2])
func batchRestoredPositionContinuesIdentically(prefetch: Int) throws {
  let source = BatchingTestSource(count: 37)
  let full = batchingTestDrain(try BatchLoader(source, batchSize: 5, seed: 42, epochs: 3, prefetch: prefetch))
  #expect(full.count == 24)
  for stopAfter in [1, 7, 8, 13, 23] {  // mid-epoch, at epoch ends, one before the end
    let first = try BatchLoader(source, batchSize: 5, seed: 42, epochs: 3, prefetch: prefetch)
    let head = batchingTestDrain(first, limit: stopAfter)
    // Through a checkpoint: JSON and back.
    let saved = try JSONEncoder().encode(first.position)
    first.close()
    let position = try JSONDecoder().decode(BatchLoader.Position.self, from: saved)
    let resumed = try BatchLoader(source, batchSize: 5, seed: 999, epochs: 3, prefetch: prefetch, position: position)
    let tail = batchingTestDrain(resumed)
    // Same items *and* the same augmentation draws (the second input column).
    #expect(head + tail == full, "resume after \(stopAfter) batches")
  }
}

@Test func batchRestoreMovesARunningLoader() throws {
  let loader = try BatchLoader(BatchingTestSource(count: 20), batchSize: 3, seed: 3, prefetch: 2)
  let start = batchingTestDrain(loader, limit: 10)
  try loader.restore(BatchLoader.Position(seed: 3, epoch: 0, batch: 2))
  #expect(batchingTestDrain(loader, limit: 8) == Array(start[2..<10]))
  #expect(loader.indices(epoch: 1, batch: 0) == start[7].indices)
}

// MARK: - Background thread

@Test func batchBackgroundThreadMatchesSynchronousMode() throws {
  let source = BatchingTestSource(count: 64)
  let sync = batchingTestDrain(try BatchLoader(source, batchSize: 6, seed: 8, epochs: 4, prefetch: 0))
  let one = batchingTestDrain(try BatchLoader(source, batchSize: 6, seed: 8, epochs: 4, prefetch: 1))
  let two = batchingTestDrain(try BatchLoader(source, batchSize: 6, seed: 8, epochs: 4, prefetch: 2))
  #expect(sync.count == 44)
  #expect(one == sync)
  #expect(two == sync)
}

@Test func batchBackgroundThreadWorksAheadButStaysBounded() throws {
  let counter = BatchingTestCounter()
  let loader = try BatchLoader(BatchingTestSource(count: 1_000, counter: counter), batchSize: 10, seed: 1, prefetch: 2)
  _ = loader.next()
  // While "training", the thread fills its queue of 2 and then waits.
  let deadline = Date().addingTimeInterval(2)
  while counter.count < 3 && Date() < deadline { Thread.sleep(forTimeInterval: 0.005) }
  Thread.sleep(forTimeInterval: 0.05)
  #expect(counter.count == 3)  // the batch taken + 2 queued, no more
  loader.close()
}

@Test func batchShutdownDoesNotHang() throws {
  let start = Date()
  // A slow producer that is mid-batch when the loader is closed, and an endless loader
  // released without close: both return promptly.
  let slow = try BatchLoader(BatchingTestSource(count: 100, delay: 0.05), batchSize: 4, epochs: nil, prefetch: 2)
  _ = slow.next()
  slow.close()
  slow.close()  // closing twice is harmless
  #expect(slow.next() != nil)  // and the loader can go on: a new thread starts
  do {
    let endless = try BatchLoader(BatchingTestSource(count: 10), batchSize: 2, epochs: nil, prefetch: 2)
    _ = endless.next()
  }  // released here: deinit stops the thread
  let unused = try BatchLoader(BatchingTestSource(count: 10), batchSize: 2, prefetch: 1)
  unused.close()  // never started
  #expect(Date().timeIntervalSince(start) < 2)
}

@Test func batchLoaderIsASequence() throws {
  let loader = try BatchLoader(BatchingTestSource(count: 9), batchSize: 4, epochs: 1)
  var sizes: [Int] = []
  for batch in loader { sizes.append(batch.inputs.shape[0]) }
  #expect(sizes == [4, 4, 1])
}

// MARK: - Sources

@Test func batchTensorSourceCarriesLabelsAndAugments() throws {
  let inputs = try Tensor(shape: [5, 2], (0..<10).map(Float.init))
  let source = try TensorBatchSource(inputs: inputs, labels: [7, 8, 9, 0, 1])
  var g = SeededGenerator(seed: 0)
  let batch = source.makeBatch(indices: [3, 0], generator: &g)
  #expect(batch.inputs.shape == [2, 2])
  #expect(batch.inputs.scalars == [6, 7, 0, 1])
  #expect(batch.labels?.values == [0, 7])
  #expect(throws: DataError.self) { try TensorBatchSource(inputs: inputs, labels: [1]) }

  // Augmentation draws from the batch generator, so a resumed run repeats it.
  let noisy = try TensorBatchSource(inputs: inputs) { x, g in
    let noise = x.scalars.map { _ in g.nextUniform() }
    return x + ((try? Tensor(shape: x.shape, noise)) ?? Tensor.zeros(x.shape))
  }
  let run = try BatchLoader(noisy, batchSize: 2, seed: 4, epochs: 2).map(\.inputs.scalars)
  let resumed = try BatchLoader(noisy, batchSize: 2, epochs: 2, position: .init(seed: 4, epoch: 1, batch: 1)).map(\.inputs.scalars)
  #expect(Array(run[4...]) == resumed)
  #expect(run[0] != inputs.scalars[0..<4].map { $0 })
}

@Test func batchTextWindowsResumeExactly() throws {
  let windows = try TextWindows(ids: (0..<500).map { $0 % 37 }, length: 16)
  let loader = try BatchLoader(windows, batchSize: 4, seed: 21, epochs: 2)
  #expect(loader.batchesPerEpoch == 8)  // 31 windows per epoch, batches of 4
  let all = loader.map { $0.tokens?.values ?? [] }
  let resumed = try BatchLoader(windows, batchSize: 4, epochs: 2, position: .init(seed: 21, epoch: 1, batch: 3))
  #expect(resumed.map { $0.tokens?.values ?? [] } == Array(all[11...]))
}

// MARK: - Shards (data-parallel training)

@Suite("BatchLoader shards") struct BatchLoaderShardTests {
  /// Three processes' shards of every batch, put side by side, are one process's batches: the
  /// same items in the same order, epoch after epoch.
  @Test func shardsPartitionEveryGlobalBatch() throws {
    let source = BatchingTestSource(count: 50)
    let whole = try BatchLoader(source, batchSize: 12, dropLast: true, seed: 4, prefetch: 0)
    let shards = try (0..<3).map {
      try BatchLoader(source, batchSize: 12, dropLast: true, seed: 4, prefetch: 0, shard: BatchShard(index: $0, count: 3))
    }
    for _ in 0..<10 {  // 4 batches an epoch: crosses two epoch boundaries
      let expected = try #require(whole.next()).labels?.values
      let parts = try shards.map { try #require($0.next()) }
      #expect(parts.allSatisfy { $0.inputs.shape[0] == 4 })
      #expect(parts.flatMap { $0.labels?.values ?? [] } == expected)
      #expect(shards.allSatisfy { $0.position == whole.position })
    }
  }

  /// A batch the processes cannot share evenly is refused with the sizes named.
  @Test func unevenShardsAreRefused() {
    #expect(throws: DataError.self) {
      try BatchLoader(BatchingTestSource(count: 50), batchSize: 10, dropLast: true, shard: BatchShard(index: 0, count: 3))
    }
    #expect(throws: DataError.self) {
      try BatchLoader(BatchingTestSource(count: 50), batchSize: 12, dropLast: false, shard: BatchShard(index: 0, count: 3))
    }
  }
}
