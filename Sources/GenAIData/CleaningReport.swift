/// What cleaning did to a dataset: what was kept, and each file skipped or changed with the
/// reason, printed as a short table.
public struct CleaningReport: Sendable, Equatable, CustomStringConvertible {
  /// Why a file was skipped or changed.
  public enum Issue: String, Sendable, CaseIterable {
    /// The same content as a file already kept (by content hash).
    case duplicate
    /// The file could not be decoded (the reason says why).
    case corrupt
    /// The file decoded but has the wrong size or shape for the dataset.
    case wrongSize = "wrong size"
    /// The file holds no data (an empty text, a zero-length clip).
    case empty
    /// An audio clip whose level never rises above the silence threshold.
    case silent
    /// A text file that is not valid UTF-8.
    case notUTF8 = "not UTF-8"
    /// Kept but changed: silence trimmed, loudness normalised, ...
    case modified
  }

  /// One skipped or changed file.
  public struct Entry: Sendable, Equatable {
    /// The file's path (relative to the dataset root where possible).
    public var file: String
    /// The kind of problem.
    public var issue: Issue
    /// Details, e.g. `"PNG chunk IDAT: CRC mismatch"`.
    public var reason: String

    /// Creates an entry.
    public init(file: String, issue: Issue, reason: String) {
      self.file = file
      self.issue = issue
      self.reason = reason
    }
  }

  /// Number of items kept.
  public var kept = 0
  /// Files skipped or changed, in the order met.
  public var entries: [Entry] = []

  /// An empty report.
  public init() {}

  /// Adds an entry.
  public mutating func record(_ file: String, _ issue: Issue, _ reason: String) {
    entries.append(Entry(file: file, issue: issue, reason: reason))
  }

  /// Entries of one kind.
  public func entries(_ issue: Issue) -> [Entry] { entries.filter { $0.issue == issue } }

  /// Counts per issue, then one line per entry (the first `limit`), as a plain-text table.
  public func table(limit: Int = 20) -> String {
    var lines = ["kept: \(kept)"]
    for issue in Issue.allCases {
      let n = entries(issue).count
      if n > 0 { lines.append("\(issue.rawValue): \(n)") }
    }
    if !entries.isEmpty {
      let width = min(48, entries.map(\.file.count).max() ?? 0)
      lines.append("")
      for e in entries.prefix(limit) {
        let name = e.file.count > width ? "…" + e.file.suffix(width - 1) : e.file.padding(toLength: width, withPad: " ", startingAt: 0)
        lines.append("  \(name)  \(e.issue.rawValue.padding(toLength: 10, withPad: " ", startingAt: 0))  \(e.reason)")
      }
      if entries.count > limit { lines.append("  ... and \(entries.count - limit) more") }
    }
    return lines.joined(separator: "\n")
  }

  /// The table.
  public var description: String { table() }
}
