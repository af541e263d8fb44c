import Foundation
import GenAIModels

/// The best `k` checkpoints of a run by its main metric, kept beside the newest ones:
///
/// ```
/// RUN/checkpoints/best/step-001500.safetensors
/// RUN/checkpoints/best.json   [{"step": 1500, "metric": "fid", "value": 21.3, "better": "lower"}, ...] best first
/// ```
/// `genai sample --best RUN` reads `best.json` and samples from the first entry.
public struct BestCheckpoints: Sendable {
  /// One kept checkpoint.
  public struct Entry: Codable, Equatable, Sendable {
    /// Its training step.
    public var step: Int
    /// The metric it was ranked by.
    public var metric: String
    /// The metric's value at that step.
    public var value: Double
    /// Which way is better.
    public var better: MetricDirection
  }

  /// The run.
  public let run: RunDirectory

  /// The best checkpoints of `run`.
  public init(run: RunDirectory) { self.run = run }

  /// `checkpoints/best/`.
  public var folder: URL { run.checkpointsURL.appending(path: "best", directoryHint: .isDirectory) }
  /// `checkpoints/best.json`.
  public var indexURL: URL { run.checkpointsURL.appending(path: "best.json") }

  /// The file of the best checkpoint of `step`.
  public func url(step: Int) -> URL { folder.appending(path: "step-" + String(format: "%06d", step) + ".safetensors") }

  /// The kept entries, best first (empty when none).
  public func entries() -> [Entry] {
    guard let data = FileManager.default.contents(atPath: indexURL.path) else { return [] }
    return (try? JSONDecoder().decode([Entry].self, from: data)) ?? []
  }

  /// The best checkpoint's entry and file, when there is one whose file still exists.
  public var best: (entry: Entry, url: URL)? {
    entries().lazy.map { ($0, url(step: $0.step)) }.first { FileManager.default.fileExists(atPath: $0.1.path) }
  }

  /// Whether `value` beats every kept entry (true when none is kept).
  public func improves(_ value: Double, better: MetricDirection) -> Bool {
    guard let top = entries().first else { return value.isFinite }
    return Self.isBetter(value, than: top.value, better)
  }

  static func isBetter(_ a: Double, than b: Double, _ better: MetricDirection) -> Bool {
    guard a.isFinite else { return false }
    guard b.isFinite else { return true }
    return better == .higher ? a > b : a < b
  }

  /// Ranks `value` of `step` among the kept entries; when it is among the best `keep`, calls
  /// `save` with the file to write the checkpoint to, rewrites `best.json` (atomically) and deletes
  /// the files of entries that dropped out. Returns whether it was kept.
  /// - Throws: what `save` throws; `TrainingError` when the folder or index cannot be written.
  @discardableResult
  public func record(step: Int, metric: String, value: Double, better: MetricDirection, keep: Int, save: (URL) throws -> Void) throws -> Bool {
    guard value.isFinite, keep >= 1 else { return false }
    var all = entries().filter { $0.step != step && $0.metric == metric }
    all.append(Entry(step: step, metric: metric, value: value, better: better))
    // Stable: on ties the earlier step stays ahead.
    all = all.enumerated().sorted { l, r in
      Self.isBetter(l.element.value, than: r.element.value, better)
        || (l.element.value == r.element.value && l.element.step < r.element.step)
    }.map(\.element)
    let kept = Array(all.prefix(keep))
    guard kept.contains(where: { $0.step == step }) else { return false }
    do {
      try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
    } catch {
      throw TrainingError("cannot create \(folder.path): \(error.localizedDescription)")
    }
    try save(url(step: step))
    do {
      let encoder = JSONEncoder()
      encoder.outputFormatting = [.prettyPrinted, .sortedKeys]
      try encoder.encode(kept).write(to: indexURL, options: .atomic)
    } catch {
      throw TrainingError("cannot write \(indexURL.path): \(error.localizedDescription)")
    }
    for dropped in all.dropFirst(keep) { try? FileManager.default.removeItem(at: url(step: dropped.step)) }
    return true
  }
}
