import Foundation
import Testing

/// Runs Scripts/check-kernels.sh: the C kernels against double-precision references on every
/// path of this machine, and the arm64 build (NEON and portable micro-kernels) cross-compiled and
/// run under qemu. Needs the aarch64 cross compiler and qemu user-mode emulation; without them the
/// test is skipped with the reason (.ci/run installs them where apt-get works).
@Suite struct KernelScriptTests {
  static let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
    .deletingLastPathComponent()
  static let script = root.appending(path: "Scripts/check-kernels.sh")

  /// The first of `names` found on PATH.
  static func onPath(_ names: [String]) -> String? {
    let dirs = (ProcessInfo.processInfo.environment["PATH"] ?? "/usr/bin:/bin").split(separator: ":")
    for name in names {
      for dir in dirs {
        let candidate = "\(dir)/\(name)"
        if FileManager.default.isExecutableFile(atPath: candidate) { return candidate }
      }
    }
    return nil
  }

  static var crossToolsAvailable: Bool {
    onPath(["aarch64-linux-gnu-gcc"]) != nil && onPath(["qemu-aarch64-static", "qemu-aarch64"]) != nil
      && onPath(["bash"]) != nil
  }

  @Test(
    .enabled(
      if: crossToolsAvailable,
      "needs aarch64-linux-gnu-gcc and qemu-aarch64 on PATH (apt-get install gcc-aarch64-linux-gnu libc6-dev-arm64-cross qemu-user)"
    ))
  func kernelsMatchReferencesNativelyAndOnArm64UnderQemu() throws {
    let log = FileManager.default.temporaryDirectory.appending(path: "genai-check-kernels-\(UUID().uuidString).log")
    _ = FileManager.default.createFile(atPath: log.path, contents: nil)
    defer { try? FileManager.default.removeItem(at: log) }
    let process = Process()
    process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
    process.arguments = ["bash", Self.script.path]
    process.currentDirectoryURL = Self.root
    let handle = try FileHandle(forWritingTo: log)
    process.standardOutput = handle
    process.standardError = handle
    try process.run()
    // About a minute on two cores; the deadline only guards against a hang (e.g. under qemu).
    let deadline = Date().addingTimeInterval(600)
    while process.isRunning && Date() < deadline { Thread.sleep(forTimeInterval: 0.1) }
    let timedOut = process.isRunning
    if timedOut { process.terminate() }
    process.waitUntilExit()
    try handle.close()
    let output = String(decoding: FileManager.default.contents(atPath: log.path) ?? Data(), as: UTF8.self)
    // The failures and the summary are what matter; the full output can be long.
    let lines = output.split(separator: "\n", omittingEmptySubsequences: false)
    let failures = lines.filter { $0.hasPrefix("FAIL") || $0.contains("FAILED") || $0.hasPrefix("       [") }
    let summary = lines.drop { !$0.hasPrefix("check-kernels summary") }
    let report = (failures.prefix(40) + ["..."] + summary).joined(separator: "\n")
    #expect(!timedOut, "Scripts/check-kernels.sh did not finish within 600 s:\n\(output.suffix(4000))")
    #expect(
      process.terminationStatus == 0,
      "Scripts/check-kernels.sh exited with \(process.terminationStatus):\n\(summary.isEmpty ? String(output.suffix(4000)) : report)")
    #expect(output.contains("aarch64 gcc under"), "the aarch64 stage did not run:\n\(output.suffix(4000))")
  }
}
