import Foundation
import GenAITestSupport

#if canImport(Glibc)
  import Glibc
#endif

/// Headless Chromium driven over the DevTools protocol on a pipe (`--remote-debugging-pipe`:
/// commands go in on the browser's fd 3, answers and events come out on its fd 4, each message
/// JSON ended by a NUL byte): open a page, run JavaScript in it, collect console errors and
/// exceptions, take a screenshot.
final class DevToolsBrowser {
  private var pid: pid_t
  private let toBrowser: Int32
  private let fromBrowser: Int32
  private var nextID = 1
  private var pending = [UInt8]()
  private var session: String?
  /// Console messages of level error or warning, and uncaught exceptions, as text.
  private(set) var problems: [String] = []

  /// The first Chromium on PATH.
  static func find() -> String? {
    ["chromium", "chromium-headless-shell", "chromium-browser", "google-chrome"].lazy
      .compactMap { TestEnvironment.executable(named: $0)?.path }.first
  }

  /// Starts `executable` headless with a fresh profile in `profile`.
  init(executable: String, profile: URL) throws {
    var commands: [Int32] = [0, 0]
    var answers: [Int32] = [0, 0]
    guard pipe(&commands) == 0, pipe(&answers) == 0 else { throw BrowserError("pipe failed") }
    var actions = posix_spawn_file_actions_t()
    posix_spawn_file_actions_init(&actions)
    defer { posix_spawn_file_actions_destroy(&actions) }
    posix_spawn_file_actions_adddup2(&actions, commands[0], 3)
    posix_spawn_file_actions_adddup2(&actions, answers[1], 4)
    posix_spawn_file_actions_addopen(&actions, 1, "/dev/null", O_WRONLY, 0)
    posix_spawn_file_actions_addopen(&actions, 2, "/dev/null", O_WRONLY, 0)
    let arguments = [
      executable, "--headless", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage", "--no-first-run",
      "--hide-scrollbars", "--remote-debugging-pipe", "--user-data-dir=\(profile.path)", "--window-size=1300,1000", "about:blank",
    ]
    var argv = arguments.map { strdup($0) } + [nil]
    defer { argv.forEach { free($0) } }
    var child: pid_t = 0
    guard posix_spawn(&child, executable, &actions, nil, &argv, environ) == 0 else { throw BrowserError("cannot start \(executable)") }
    pid = child
    Glibc.close(commands[0])
    Glibc.close(answers[1])
    toBrowser = commands[1]
    fromBrowser = answers[0]
  }

  deinit { close() }

  /// Ends the browser: the page is left (no more polling or streams), the browser asked to
  /// close and given a moment, then killed. A server torn down while a browser still opens
  /// connections can trap inside SwiftNIO, so tests close the browser this way first.
  func close() {
    guard pid > 0 else { return }
    _ = try? send("Page.navigate", ["url": "about:blank"], timeout: 5)
    _ = try? send("Browser.close", [:], timeout: 5, toPage: false)
    for _ in 0..<50 {
      var status: Int32 = 0
      if waitpid(pid, &status, WNOHANG) == pid { pid = 0; break }
      usleep(100_000)
    }
    if pid == 0 {
      Glibc.close(toBrowser)
      Glibc.close(fromBrowser)
      usleep(1_000_000)  // its helper processes, and the connections they opened, go with it
      return
    }
    kill(pid, SIGKILL)
    var status: Int32 = 0
    waitpid(pid, &status, 0)
    Glibc.close(toBrowser)
    Glibc.close(fromBrowser)
    pid = 0
  }

  /// Sends `method` (to the page's session once `open` attached one) and returns its result.
  /// - Throws: `BrowserError` for a protocol error or no answer within `timeout` seconds.
  @discardableResult
  func send(_ method: String, _ params: [String: Any] = [:], timeout: Double = 120, toPage: Bool = true) throws -> [String: Any] {
    let id = nextID
    nextID += 1
    var message: [String: Any] = ["id": id, "method": method, "params": params]
    if toPage, let session { message["sessionId"] = session }
    let bytes = try JSONSerialization.data(withJSONObject: message) + [0]
    try bytes.withUnsafeBytes { raw in
      var offset = 0
      while offset < raw.count {
        let n = write(toBrowser, raw.baseAddress! + offset, raw.count - offset)
        guard n > 0 else { throw BrowserError("write to the browser failed") }
        offset += n
      }
    }
    let deadline = Date().addingTimeInterval(timeout)
    while true {
      let answer = try readMessage(until: deadline)
      if let event = answer["method"] as? String { record(event, answer["params"] as? [String: Any] ?? [:]); continue }
      guard answer["id"] as? Int == id else { continue }
      if let error = answer["error"] as? [String: Any] { throw BrowserError("\(method): \(error["message"] ?? error)") }
      return answer["result"] as? [String: Any] ?? [:]
    }
  }

  /// Opens `url` in a new tab and waits until it has loaded.
  func open(_ url: String) throws {
    let target = try send("Target.createTarget", ["url": "about:blank"], toPage: false)
    let attached = try send("Target.attachToTarget", ["targetId": target["targetId"] ?? "", "flatten": true], toPage: false)
    session = attached["sessionId"] as? String
    try send("Runtime.enable")
    try send("Page.enable")
    try send("Page.navigate", ["url": url])
    try waitFor("document.readyState === 'complete'")
  }

  /// The value of `expression` in the page (a promise is awaited).
  /// - Throws: `BrowserError` with the exception's text when it throws.
  @discardableResult
  func evaluate(_ expression: String, timeout: Double = 120) throws -> Any? {
    let result = try send(
      "Runtime.evaluate", ["expression": expression, "awaitPromise": true, "returnByValue": true], timeout: timeout)
    if let exception = result["exceptionDetails"] as? [String: Any] {
      throw BrowserError("\(expression): \((exception["exception"] as? [String: Any])?["description"] ?? exception["text"] ?? "")")
    }
    return (result["result"] as? [String: Any])?["value"]
  }

  /// Polls `condition` (a JavaScript expression) until it is true.
  /// - Throws: `BrowserError` when it is not within `timeout` seconds.
  func waitFor(_ condition: String, timeout: Double = 180) throws {
    let deadline = Date().addingTimeInterval(timeout)
    while Date() < deadline {
      if try evaluate("Boolean(\(condition))") as? Bool == true { return }
      usleep(100_000)
    }
    throw BrowserError("timed out waiting for \(condition)")
  }

  /// A PNG of the page as it is shown.
  func screenshot() throws -> Data {
    let result = try send("Page.captureScreenshot", ["format": "png"])
    guard let text = result["data"] as? String, let data = Data(base64Encoded: text) else { throw BrowserError("no screenshot") }
    return data
  }

  private func record(_ event: String, _ params: [String: Any]) {
    switch event {
    case "Runtime.consoleAPICalled":
      let type = params["type"] as? String ?? ""
      guard ["error", "warning", "assert"].contains(type) else { return }
      let values = (params["args"] as? [[String: Any]] ?? []).map { "\($0["value"] ?? $0["description"] ?? "")" }
      problems.append("console.\(type): \(values.joined(separator: " "))")
    case "Runtime.exceptionThrown":
      let details = params["exceptionDetails"] as? [String: Any] ?? [:]
      problems.append("exception: \((details["exception"] as? [String: Any])?["description"] ?? details["text"] ?? "")")
    default: break
    }
  }

  private func readMessage(until deadline: Date) throws -> [String: Any] {
    while true {
      if let end = pending.firstIndex(of: 0) {
        let message = Data(pending[..<end])
        pending.removeSubrange(...end)
        return (try JSONSerialization.jsonObject(with: message)) as? [String: Any] ?? [:]
      }
      let left = Int32(max(0, deadline.timeIntervalSinceNow * 1000))
      guard left > 0 else { throw BrowserError("no answer from the browser in time") }
      var descriptor = pollfd(fd: fromBrowser, events: Int16(POLLIN), revents: 0)
      guard poll(&descriptor, 1, left) > 0 else { continue }
      var chunk = [UInt8](repeating: 0, count: 1 << 16)
      let n = read(fromBrowser, &chunk, chunk.count)
      guard n > 0 else { throw BrowserError("the browser closed its pipe") }
      pending += chunk[..<n]
    }
  }
}

/// A failure to drive the browser.
struct BrowserError: Error, CustomStringConvertible {
  let description: String
  init(_ description: String) { self.description = description }
}
