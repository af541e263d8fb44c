import Foundation

/// A run's `metrics.jsonl`: one `MetricsLine` per line (training steps, evaluations, monitor
/// events), appended as the run goes, written and read through `JSONLines`.
public struct MetricsLog: Sendable {
  /// The file.
  public let url: URL
  /// Whether lines are written: `false` on the processes of a data-parallel run other than the
  /// first, which alone writes the run folder.
  public let writes: Bool

  /// The half-written last line removed when the log was opened (left by a run that was
  /// killed mid-line), for a note to the user; `nil` when the file was whole.
  public let droppedTail: JSONLines.DroppedTail?

  /// The log at `url`, created when missing so an unwritable run folder fails before training,
  /// and repaired when it ends in a torn line (see `JSONLines.append`).
  /// - Throws: `TrainingError` naming the file.
  public init(url: URL, writes: Bool = true) throws {
    self.url = url
    self.writes = writes
    droppedTail = writes ? try JSONLines.append([MetricsLine](), to: url) : nil
  }

  /// Appends `line`.
  /// - Throws: `TrainingError` naming the file.
  public func append(_ line: MetricsLine) throws { if writes { try JSONLines.append([line], to: url) } }

  /// Every line of the metrics file at `url` (for reports, evaluations and tests); a torn last
  /// line is left out (see `JSONLines.decode`).
  /// - Throws: `TrainingError` naming the file, and the line and field for a line that is not a
  ///   metrics line.
  public static func read(_ url: URL) throws -> [MetricsLine] { try JSONLines.read(MetricsLine.self, from: url) }
}
