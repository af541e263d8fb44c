import Synchronization

/// Contiguous float32 memory owned by one or more tensors (a reshape shares it).
///
/// Raw pointer storage rather than `[Float]`: arrays held in class properties paid 32x for
/// exclusivity checks in hot loops on this machine (docs/DESIGN.md). Freed buffers go back to a
/// small size-keyed cache so a training loop that allocates the same shapes every step does not
/// call `malloc` for large buffers each time.
public final class Storage: @unchecked Sendable {
  /// Start of the buffer.
  public let base: UnsafeMutablePointer<Float>
  /// Number of floats in the buffer.
  public let count: Int

  /// A buffer of `count` floats with undefined contents.
  init(uninitializedCount count: Int) {
    self.count = count
    self.base = BufferCache.shared.take(count)
    StorageStats.live.add(1, ordering: .relaxed)
    StorageStats.created.add(1, ordering: .relaxed)
  }

  /// A zero-filled buffer of `count` floats.
  convenience init(zeros count: Int) {
    self.init(uninitializedCount: count)
    base.update(repeating: 0, count: count)
  }

  /// A copy of `values`.
  convenience init(_ values: [Float]) {
    self.init(uninitializedCount: values.count)
    values.withUnsafeBufferPointer { src in
      if let s = src.baseAddress { base.update(from: s, count: values.count) }
    }
  }

  deinit {
    BufferCache.shared.give(base, count)
    StorageStats.live.subtract(1, ordering: .relaxed)
  }

  /// The buffer as a typed buffer pointer.
  @inlinable public var buffer: UnsafeMutableBufferPointer<Float> {
    UnsafeMutableBufferPointer(start: base, count: count)
  }
}

/// Counters used by tests to prove that memory returns to its baseline.
public enum StorageStats {
  /// Number of `Storage` buffers alive now.
  public static let live = Atomic<Int>(0)
  /// Number of `Storage` buffers alive now (a plain read of `live`).
  public static var liveCount: Int { live.load(ordering: .relaxed) }
  /// Number of `Storage` buffers made since the process started; it never decreases, so a loop
  /// that leaves it unchanged allocated no tensor memory (the live count cannot tell a buffer
  /// made and freed within the loop from none).
  public static let created = Atomic<Int>(0)
  /// Number of `Storage` buffers made so far (a plain read of `created`).
  public static var createdCount: Int { created.load(ordering: .relaxed) }
  /// Bytes held in the free-buffer cache.
  public static var cachedBytes: Int { BufferCache.shared.cachedBytes }
}

/// A size-keyed cache of freed buffers, bounded in total bytes.
final class BufferCache: @unchecked Sendable {
  static let shared = BufferCache()
  /// Buffers below this many floats are left to malloc, which is already fast for them.
  private let minCount = 4096
  private let maxBytes = 512 << 20
  private let state = Mutex<(free: [Int: [UInt]], bytes: Int)>(([:], 0))

  var cachedBytes: Int { state.withLock { $0.bytes } }

  func take(_ count: Int) -> UnsafeMutablePointer<Float> {
    if count >= minCount {
      // Addresses travel through the lock as integers: pointers are not `Sendable`.
      let hit: UInt? = state.withLock { s in
        guard let p = s.free[count]?.popLast() else { return nil }
        s.bytes -= count * 4
        return p
      }
      if let hit, let p = UnsafeMutablePointer<Float>(bitPattern: hit) { return p }
    }
    // 64-byte alignment for AVX-512 loads; at least one element so the pointer is valid.
    return UnsafeMutableRawPointer.allocate(byteCount: max(count, 1) * 4, alignment: 64)
      .bindMemory(to: Float.self, capacity: max(count, 1))
  }

  func give(_ p: UnsafeMutablePointer<Float>, _ count: Int) {
    if count >= minCount {
      let address = UInt(bitPattern: p)
      let kept: Bool = state.withLock { s in
        guard s.bytes + count * 4 <= maxBytes else { return false }
        s.free[count, default: []].append(address)
        s.bytes += count * 4
        return true
      }
      if kept { return }
    }
    p.deallocate()
  }

  /// Frees every cached buffer.
  func purge() {
    let all = state.withLock { s -> [UInt] in
      let ps = s.free.values.flatMap { $0 }
      s.free = [:]
      s.bytes = 0
      return ps
    }
    for a in all { UnsafeMutablePointer<Float>(bitPattern: a)?.deallocate() }
  }
}
