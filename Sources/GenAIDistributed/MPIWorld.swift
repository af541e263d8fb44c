import CGenAIMPI
import Foundation
import GenAITensor

/// The processes `mpirun` started, as a `Collective`: Open MPI's `MPI_COMM_WORLD`, reached
/// through the library loaded at run time (`CGenAIMPI`), so genai needs no MPI to build or to run
/// alone.
///
/// A collective that does not complete within `timeout` seconds (a process died without the job
/// ending, hangs, or its machine is unreachable) ends every process of the job with a message;
/// process 0 names the processes that never reached it.
public final class MPIWorld: Collective, @unchecked Sendable {
  /// This process's rank.
  public let rank: Int
  /// The number of processes.
  public let size: Int
  /// The library's version line (`MPI_Get_library_version`).
  public let libraryVersion: String
  /// Seconds a collective may wait for the slowest process before the job is ended (default 300,
  /// or `GENAI_MPI_TIMEOUT`); ≤ 0 waits forever.
  public var timeout: Double
  /// Elements per all-reduce request: large gradients go out as several requests in flight
  /// together (4 Mi floats = 16 MiB each).
  public var bucketElements = 4 << 20

  /// The world of this process when it was started by `mpirun`/`mpiexec` (the launcher's
  /// environment says so), or `nil` for a process started on its own, which then runs exactly as
  /// without MPI.
  /// - Throws: `DistributedError` when launched by a launcher but the Open MPI library cannot be
  ///   loaded or started.
  public static func launched(environment: [String: String] = ProcessInfo.processInfo.environment) throws -> MPIWorld? {
    if environment["OMPI_COMM_WORLD_SIZE"] == nil {
      if environment["PMI_SIZE"] != nil || environment["PMIX_RANK"] != nil && environment["OMPI_COMM_WORLD_RANK"] == nil {
        throw DistributedError(
          "genai was started by an MPI launcher other than Open MPI's mpirun (PMI_SIZE/PMIX_RANK is set); genai supports Open MPI: install openmpi-bin and use its mpirun")
      }
      return nil
    }
    var error = [CChar](repeating: 0, count: 1024)
    if genai_mpi_load(environment["GENAI_MPI_LIBRARY"], &error, error.count) != 0 {
      throw DistributedError(
        "started by mpirun, but " + text(error)
          + " (install Open MPI, e.g. `apt-get install openmpi-bin`, or set GENAI_MPI_LIBRARY to libmpi's path)")
    }
    var rank: Int32 = 0, size: Int32 = 0
    let rc = genai_mpi_init(&rank, &size)
    guard rc == 0 else { throw DistributedError("MPI_Init failed with error code \(rc)") }
    let timeout = environment["GENAI_MPI_TIMEOUT"].flatMap(Double.init) ?? 300
    return MPIWorld(rank: Int(rank), size: Int(size), libraryVersion: version(), timeout: timeout)
  }

  /// What `genai info` reports: the library's version when it can be loaded (without starting
  /// MPI), or why not, and the world size when launched by mpirun.
  public static func probe(environment: [String: String] = ProcessInfo.processInfo.environment) -> (found: Bool, description: String) {
    var error = [CChar](repeating: 0, count: 1024)
    guard genai_mpi_load(environment["GENAI_MPI_LIBRARY"], &error, error.count) == 0 else {
      return (false, text(error))
    }
    let world = environment["OMPI_COMM_WORLD_SIZE"].map { "launched by mpirun: \($0) processes, this is rank \(environment["OMPI_COMM_WORLD_RANK"] ?? "?")" }
      ?? "not launched by mpirun (one process)"
    return (true, "\(version()); \(world)")
  }

  private static func version() -> String {
    var buffer = [CChar](repeating: 0, count: 512)
    genai_mpi_library_version(&buffer, buffer.count)
    return text(buffer)
  }

  private init(rank: Int, size: Int, libraryVersion: String, timeout: Double) {
    self.rank = rank
    self.size = size
    self.libraryVersion = libraryVersion
    self.timeout = timeout
  }

  /// Sums in place over all processes.
  public func sum(_ values: UnsafeMutableBufferPointer<Float>) {
    allReduce(values.baseAddress, values.count, type: Int32(GENAI_MPI_FLOAT), op: Int32(GENAI_MPI_SUM))
  }

  /// Sums in place over all processes.
  public func sum(_ values: UnsafeMutableBufferPointer<Double>) {
    allReduce(values.baseAddress, values.count, type: Int32(GENAI_MPI_DOUBLE), op: Int32(GENAI_MPI_SUM))
  }

  /// Element-wise maxima in place over all processes.
  public func max(_ values: UnsafeMutableBufferPointer<Double>) {
    allReduce(values.baseAddress, values.count, type: Int32(GENAI_MPI_DOUBLE), op: Int32(GENAI_MPI_MAX))
  }

  /// All-reduces so far, their bytes, and the seconds spent in them (waiting for the slowest
  /// process included), for `summary`.
  public private(set) var reductions = (count: 0, bytes: 0, seconds: 0.0)

  /// "2 processes; 640 all-reduces of 12.3 MB in all, 1.52 s (2.4 ms each)".
  public var summary: String {
    let (n, bytes, seconds) = reductions
    return String(format: "%d processes; %d all-reduces of %.1f MB in all, %.2f s (%.2f ms each)",
                  size, n, Double(bytes) / 1e6, seconds, n > 0 ? seconds / Double(n) * 1000 : 0)
  }

  private func allReduce(_ buffer: UnsafeMutableRawPointer?, _ count: Int, type: Int32, op: Int32) {
    guard size > 1, let buffer, count > 0 else { return }
    let start = DispatchTime.now().uptimeNanoseconds
    defer {
      reductions.count += 1
      reductions.bytes += count * (type == Int32(GENAI_MPI_DOUBLE) ? 8 : 4)
      reductions.seconds += Double(DispatchTime.now().uptimeNanoseconds - start) / 1e9
    }
    var missing = [Int32](repeating: 0, count: 16)
    var missingCount: Int32 = -1
    let rc = genai_mpi_allreduce(buffer, count, type, op, bucketElements, timeout, &missing, Int32(missing.count), &missingCount)
    switch Int(rc) {
    case Int(GENAI_MPI_OK): return
    case Int(GENAI_MPI_TIMEOUT):
      let who: String
      if missingCount > 0 {
        who = "process(es) \(missing.prefix(Int(missingCount)).map(String.init).joined(separator: ", ")) never reached it or stopped answering in it (hung, stopped or unreachable)"
      } else if rank == 0 {
        who = "every process reached it but it did not complete (a network problem?)"
      } else {
        who = "process 0, which watches the others, did not end the job either, so it is probably process 0 that hangs"
      }
      abort("no all-reduce answer within \(Int(timeout)) s (GENAI_MPI_TIMEOUT): \(who)")
    default:
      abort("MPI_Iallreduce failed")
    }
  }

  /// Prints `message` with this process's rank and ends every process of the job.
  public func abort(_ message: String) -> Never {
    FileHandle.standardError.write(Data("genai: process \(rank) of \(size): \(message); ending the job\n".utf8))
    genai_mpi_abort(3)
    exit(3)
  }

  /// Ends MPI for this process (once, before a normal exit).
  public func finalize() { genai_mpi_finalize() }
}

/// The NUL-terminated text in `buffer`.
private func text(_ buffer: [CChar]) -> String {
  String(decoding: buffer.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, as: UTF8.self)
}

/// An MPI problem at start-up, with what to do about it.
public struct DistributedError: Error, CustomStringConvertible {
  /// What went wrong.
  public let description: String
  /// An error saying `description`.
  public init(_ description: String) { self.description = description }
}
