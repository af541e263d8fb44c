import Foundation

/// Shows training progress: on a terminal, one redrawn line on stderr with a bar, rate, ETA and
/// the live losses; otherwise (a pipe, a log file, CI) a plain line every `logEvery` steps on
/// stdout, e.g. `epoch 1 step 100/3000 [D loss: 1.2104, G loss: 0.8421] 3.9 steps/s ETA 12m21s`.
public final class TrainingProgress {
  /// Whether the redrawn terminal bar is used.
  public let interactive: Bool
  /// Plain-mode line interval in steps.
  public let logEvery: Int
  private let total: Int
  private let startStep: Int
  private let start = Date()
  private var lastDraw = Date.distantPast
  private let write: (String) -> Void

  /// Progress towards `total` steps starting at `startStep`.
  /// - Parameters:
  ///   - interactive: `nil` detects a terminal on stderr.
  ///   - write: where plain lines go (stdout by default).
  public init(
    total: Int, startStep: Int, logEvery: Int, interactive: Bool? = nil,
    write: @escaping (String) -> Void = { print($0); fflush(nil) }
  ) {
    self.total = total
    self.startStep = startStep
    self.logEvery = max(1, logEvery)
    self.interactive = interactive ?? (isatty(STDERR_FILENO) == 1 && ProcessInfo.processInfo.environment["TERM"] != "dumb")
    self.write = write
  }

  /// Steps per second since this run (or resumption) started.
  public func rate(atStep step: Int) -> Double {
    let elapsed = Date().timeIntervalSince(start)
    return elapsed > 0 ? Double(step - startStep) / elapsed : 0
  }

  /// Reports that `step` steps are done in `epoch` with `losses`.
  public func update(step: Int, epoch: Int, losses: [String: Float]) {
    let rate = rate(atStep: step)
    let eta = rate > 0 ? Double(total - step) / rate : 0
    let lossText = Self.format(losses)
    if interactive {
      // Redraw at most 10 times a second, and always on the last step.
      guard Date().timeIntervalSince(lastDraw) > 0.1 || step == total else { return }
      lastDraw = Date()
      let width = 24
      let filled = total > 0 ? width * step / total : width
      let bar = String(repeating: "█", count: filled) + String(repeating: "░", count: width - filled)
      let percent = total > 0 ? 100 * step / total : 100
      let line = "\r\(bar) \(step)/\(total) \(percent)% \(String(format: "%.2f", rate)) steps/s ETA \(Self.duration(eta)) \(lossText)"
      FileHandle.standardError.write(Data((line + "\u{1B}[K").utf8))
      if step == total { FileHandle.standardError.write(Data("\n".utf8)) }
    } else if step % logEvery == 0 || step == total {
      write("epoch \(epoch + 1) step \(step)/\(total) \(lossText) \(String(format: "%.2f", rate)) steps/s ETA \(Self.duration(eta))")
    }
  }

  /// Prints a message without breaking the bar.
  public func message(_ text: String) {
    if interactive { FileHandle.standardError.write(Data("\r\u{1B}[K".utf8)) }
    write(text)
  }

  /// `[D loss: 1.2104, G loss: 0.8421]` for GAN losses, `[loss: 1.9021]` otherwise; names
  /// ending in `_loss` print as their capitalised prefix, others as they are.
  public static func format(_ losses: [String: Float]) -> String {
    let ordered = losses.keys.sorted { a, b in
      // losses first, then the rest, each alphabetically
      let (la, lb) = (a.hasSuffix("loss"), b.hasSuffix("loss"))
      return la != lb ? la : a < b
    }
    let parts = ordered.map { key -> String in
      let value = losses[key]!
      let name = key.hasSuffix("_loss") ? key.dropLast(5).uppercased() + " loss" : key
      return "\(name): \(String(format: "%.4f", value))"
    }
    return "[" + parts.joined(separator: ", ") + "]"
  }

  /// `1h02m`, `12m21s`, `42s`.
  public static func duration(_ seconds: Double) -> String {
    guard seconds.isFinite, seconds >= 0 else { return "?" }
    let s = Int(seconds.rounded())
    if s >= 3600 { return "\(s / 3600)h" + String(format: "%02dm", (s % 3600) / 60) }
    if s >= 60 { return "\(s / 60)m" + String(format: "%02ds", s % 60) }
    return "\(s)s"
  }
}
