import CGenAIKernels
import Foundation
import Synchronization

/// A tiny fork-join pool for splitting kernels across cores.
///
/// `DispatchQueue.concurrentPerform` gave no speed-up on this 2-core machine, and a parked
/// thread takes 15-40 µs to wake (docs/DESIGN.md). Workers here spin, then yield, for about 1 ms
/// after each job before parking, so back-to-back kernels in a training step pay well under a
/// microsecond a dispatch.
public final class ThreadPool: @unchecked Sendable {
  /// The process-wide pool, one thread per core (the caller counts as one).
  /// `GENAI_THREADS` overrides the count (e.g. `1` to measure single-core speed).
  public static let shared = ThreadPool(threads: defaultThreadCount(ProcessInfo.processInfo.environment))

  /// `GENAI_THREADS`, else the cores shared among the processes an MPI launcher started on this
  /// machine (Open MPI's `OMPI_COMM_WORLD_LOCAL_SIZE`), so that N data-parallel processes on one
  /// machine do not each start a thread per core.
  static func defaultThreadCount(_ environment: [String: String]) -> Int {
    if let n = environment["GENAI_THREADS"].flatMap({ Int($0) }) { return n }
    let local = environment["OMPI_COMM_WORLD_LOCAL_SIZE"].flatMap { Int($0) } ?? 1
    return Swift.max(1, ProcessInfo.processInfo.activeProcessorCount / Swift.max(local, 1))
  }

  /// Threads that run chunks, the calling thread included.
  public let threadCount: Int
  /// One word so that a chunk is claimed atomically with the job it belongs to:
  /// generation (bits 40...) | chunk count (bits 20..<40) | next chunk (bits 0..<20).
  private let ticket = Atomic<UInt64>(0)
  private let pending = Atomic<Int>(0)
  private let busy = Atomic<Bool>(false)
  private let parked = Atomic<Int>(0)
  private let condition = NSCondition()
  nonisolated(unsafe) private var job: ((Int) -> Void)?
  /// The caller's kernel-path override (`withKernelPath`), which workers adopt for the job.
  nonisolated(unsafe) private var jobPath: Int32 = -1
  private static let field: UInt64 = (1 << 20) - 1
  /// Checks between yields before a worker parks: about 1 ms where a yield with no other thread
  /// waiting costs ~0.5 µs.
  private static let yieldsBeforeParking = 2_000

  /// A pool that runs work on `threads` threads (the caller plus `threads - 1` workers).
  public init(threads: Int) {
    threadCount = max(1, threads)
    for _ in 1..<threadCount {
      let t = Thread { [unowned self] in self.workerLoop() }
      t.stackSize = 1 << 20
      t.start()
    }
  }

  /// Runs `body(chunk)` for every chunk in `0..<chunks`, spread over the pool's threads; returns
  /// when all have finished. A call made while the pool is busy (nested) runs serially.
  public func run(chunks: Int, _ body: (Int) -> Void) {
    if chunks <= 1 || threadCount == 1 || chunks > Int(Self.field)
      || !busy.compareExchange(expected: false, desired: true, ordering: .acquiring).exchanged
    {
      for c in 0..<chunks { body(c) }
      return
    }
    withoutActuallyEscaping(body) { escaping in
      job = escaping
      jobPath = genai_thread_path_get()
      pending.store(chunks, ordering: .relaxed)
      let gen = (ticket.load(ordering: .relaxed) >> 40) &+ 1
      ticket.store((gen << 40) | (UInt64(chunks) << 20), ordering: .sequentiallyConsistent)
      if parked.load(ordering: .sequentiallyConsistent) > 0 {
        condition.lock()
        condition.broadcast()
        condition.unlock()
      }
      drainChunks()
      // A chunk is only claimed while its generation is current, and the generation cannot
      // move on until every claimed chunk is done, so `job` outlives every call to it.
      while pending.load(ordering: .acquiring) > 0 {}
      job = nil
    }
    busy.store(false, ordering: .releasing)
  }

  /// Claims and runs chunks of the current job until none are left.
  private func drainChunks() {
    while true {
      let t = ticket.load(ordering: .acquiring)
      let next = t & Self.field
      let total = (t >> 20) & Self.field
      if next >= total { return }
      if ticket.compareExchange(expected: t, desired: t + 1, ordering: .acquiringAndReleasing).exchanged {
        job?(Int(next))
        pending.subtract(1, ordering: .releasing)
      }
    }
  }

  private func workerLoop() {
    var seen = ticket.load(ordering: .acquiring) >> 40
    while true {
      // Spin for the next job, then keep checking between `sched_yield`s (up to about 1 ms in
      // all), then park. A training step has gaps of serial work (Adam, the graph walk) longer
      // than the spin; a worker that parked in one took 15-40 µs to wake for the next product
      // while the caller waited (char-gpt's step was 7% slower on 2 idle cores). Yielding instead
      // of spinning on gives the core away when another thread wants it: spinning on for the
      // whole millisecond cut char-gpt's steps/s with a busy loop on the other core by a third.
      var spins = 0
      while ticket.load(ordering: .acquiring) >> 40 == seen && spins < 100_000 { spins += 1 }
      var yields = 0
      while ticket.load(ordering: .acquiring) >> 40 == seen && yields < Self.yieldsBeforeParking {
        sched_yield()
        yields += 1
      }
      if ticket.load(ordering: .acquiring) >> 40 == seen {
        condition.lock()
        parked.add(1, ordering: .sequentiallyConsistent)
        while ticket.load(ordering: .sequentiallyConsistent) >> 40 == seen { condition.wait() }
        parked.subtract(1, ordering: .releasing)
        condition.unlock()
      }
      seen = ticket.load(ordering: .acquiring) >> 40
      let path = jobPath
      if path >= 0 { genai_thread_path_set(path) }
      drainChunks()
      if path >= 0 { genai_thread_path_set(-1) }
    }
  }
}

/// Splits `0..<count` into ranges of at least `grain` elements and runs `body` on them in
/// parallel. Small counts run inline on the caller, paying nothing.
@inline(__always)
public func parallelFor(_ count: Int, grain: Int = 32_768, _ body: (Range<Int>) -> Void) {
  let pool = ThreadPool.shared
  let chunks = min(pool.threadCount, count / max(grain, 1))
  if chunks <= 1 {
    body(0..<count)
    return
  }
  let per = (count + chunks - 1) / chunks
  pool.run(chunks: chunks) { c in
    let lo = c * per
    let hi = min(count, lo + per)
    if lo < hi { body(lo..<hi) }
  }
}
