import Foundation
import GenAI
#if canImport(Glibc)
  import Glibc
#endif

/// The built `genai` executable run as a child process, for tests that must kill it or limit
/// what it may write: the in-process `GenAICommand` cannot be killed without the test.
struct GenAIProcess {
  /// `$GENAI_EXECUTABLE`, else the `genai` that SwiftPM built beside this test bundle
  /// (`.build/<configuration>/genai`: `swift test` builds every product), else `nil`.
  static let executable: URL? = {
    if let given = ProcessInfo.processInfo.environment["GENAI_EXECUTABLE"] { return URL(fileURLWithPath: given) }
    let bundle = Bundle.main.executableURL ?? URL(fileURLWithPath: CommandLine.arguments[0])
    let candidate = bundle.resolvingSymlinksInPath().deletingLastPathComponent().appending(path: "genai")
    return FileManager.default.isExecutableFile(atPath: candidate.path) ? candidate : nil
  }()

  /// Why the subprocess tests cannot run here, for `.enabled(if:)`.
  static let missingReason = "the built genai executable was not found beside the test bundle (set GENAI_EXECUTABLE)"

  /// How a run ended and what it printed (stdout and stderr together).
  struct Result {
    var status: Int32
    var killedBySignal: Bool
    var output: String
  }

  let process = Process()
  /// What the process prints, gathered from a pipe (a log file would fall under `ulimit -f` too).
  private let output = Output()
  private let done = DispatchSemaphore(value: 0)

  /// Bytes read from the child's pipe on another thread.
  private final class Output: @unchecked Sendable {
    private let lock = NSLock()
    private var data = Data()
    func append(_ more: Data) { lock.withLock { data.append(more) } }
    var text: String { lock.withLock { String(decoding: data, as: UTF8.self) } }
  }

  /// Starts `genai arguments`. With `fileSizeLimitBlocks`, it runs under `ulimit -f` of that
  /// many blocks (512 or 1024 bytes, as the shell counts them).
  init(_ arguments: [String], fileSizeLimitBlocks: Int? = nil) throws {
    guard let executable = Self.executable else { throw TrainingError(Self.missingReason) }
    if let blocks = fileSizeLimitBlocks {
      process.executableURL = URL(fileURLWithPath: "/bin/sh")
      process.arguments = ["-c", "ulimit -f \(blocks) && exec \"$0\" \"$@\"", executable.path] + arguments
    } else {
      process.executableURL = executable
      process.arguments = arguments
    }
    let pipe = Pipe()
    process.standardOutput = pipe
    process.standardError = pipe
    process.standardInput = FileHandle.nullDevice
    try process.run()
    let (reader, output, done) = (pipe.fileHandleForReading, output, done)
    Thread.detachNewThread {
      while case let chunk = reader.availableData, !chunk.isEmpty { output.append(chunk) }
      done.signal()
    }
  }

  /// Sends SIGKILL (if it still runs) and waits for the end.
  func kill() -> Result {
    if process.isRunning { _ = Glibc.kill(process.processIdentifier, SIGKILL) }
    return wait(seconds: 30)
  }

  /// Waits up to `seconds` for the process to end (then kills it) and returns how it ended.
  func wait(seconds: Double) -> Result {
    let deadline = Date().addingTimeInterval(seconds)
    while process.isRunning && Date() < deadline { Thread.sleep(forTimeInterval: 0.01) }
    if process.isRunning {
      _ = Glibc.kill(process.processIdentifier, SIGKILL)
    }
    process.waitUntilExit()
    // The pipe ends when the process does; the wait is bounded in case something inherited it.
    _ = done.wait(timeout: .now() + 10)
    return Result(status: process.terminationStatus, killedBySignal: process.terminationReason == .uncaughtSignal, output: output.text)
  }

  /// Runs `genai arguments` to the end (at most `seconds`).
  static func run(_ arguments: [String], fileSizeLimitBlocks: Int? = nil, seconds: Double = 120) throws -> Result {
    try GenAIProcess(arguments, fileSizeLimitBlocks: fileSizeLimitBlocks).wait(seconds: seconds)
  }
}
