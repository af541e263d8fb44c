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
  let outputURL: URL

  /// Starts `genai arguments`, its output going to `log`. With `fileSizeLimitBlocks`, it runs
  /// under `ulimit -f` of that many blocks (512 or 1024 bytes, as the shell counts them).
  init(_ arguments: [String], log: URL, fileSizeLimitBlocks: Int? = nil) throws {
    guard let executable = Self.executable else { throw TrainingError(Self.missingReason) }
    if let blocks = fileSizeLimitBlocks {
      process.executableURL = URL(fileURLWithPath: "/bin/sh")
      process.arguments = ["-c", "ulimit -f \(blocks) && exec \"$0\" \"$@\"", executable.path] + arguments
    } else {
      process.executableURL = executable
      process.arguments = arguments
    }
    outputURL = log
    _ = FileManager.default.createFile(atPath: log.path, contents: nil)
    let handle = try FileHandle(forWritingTo: log)
    process.standardOutput = handle
    process.standardError = handle
    process.standardInput = FileHandle.nullDevice
    try process.run()
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
    let output = String(decoding: FileManager.default.contents(atPath: outputURL.path) ?? Data(), as: UTF8.self)
    return Result(status: process.terminationStatus, killedBySignal: process.terminationReason == .uncaughtSignal, output: output)
  }

  /// Runs `genai arguments` to the end (at most `seconds`).
  static func run(_ arguments: [String], log: URL, fileSizeLimitBlocks: Int? = nil, seconds: Double = 120) throws -> Result {
    try GenAIProcess(arguments, log: log, fileSizeLimitBlocks: fileSizeLimitBlocks).wait(seconds: seconds)
  }
}
