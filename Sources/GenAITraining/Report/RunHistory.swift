import Foundation

/// A run's `metrics.jsonl` sorted into its three kinds of lines: training steps, evaluations
/// (`"kind": "eval"`) and GAN monitor events (`"kind": "monitor"`).
///
/// Reading is forgiving, because a report may be made while the run is still writing: a line
/// that is not a `MetricsLine` (say, half written) is counted in `skippedLines` and left out.
/// `null` values (non-finite numbers) read as NaN.
public struct RunHistory: Sendable {
  /// Training lines in file order: every numeric field by key (`step`, `d_loss`, ...).
  public var training: [[String: Double]] = []
  /// Evaluation lines in file order: `step`, each metric by name, ceilings under `real.<name>`.
  public var evaluations: [[String: Double]] = []
  /// Monitor events in file order.
  public var monitor: [MonitorEvent] = []
  /// Lines that were not metrics lines.
  public var skippedLines = 0

  /// Keys of training lines that are bookkeeping rather than values to plot.
  public static let bookkeepingKeys: Set<String> = ["step", "epoch", "time", "steps_per_s"]

  /// An empty history.
  public init() {}

  /// Reads `url`; a missing file is an empty history.
  public init(contentsOf url: URL) {
    let data = FileManager.default.contents(atPath: url.path) ?? Data()
    self.init(jsonLines: String(decoding: data, as: UTF8.self))
  }

  /// Parses JSON lines.
  public init(jsonLines text: String) {
    let (lines, errors) = JSONLines.decode(MetricsLine.self, lines: Data(text.utf8), source: "metrics.jsonl")
    skippedLines = errors.count
    for line in lines {
      switch line {
      case .training(let step): training.append(step.values)
      case .evaluation(let evaluation): evaluations.append(evaluation.values)
      case .monitor(let event): monitor.append(event)
      }
    }
  }

  /// The keys of training values to plot (all but `bookkeepingKeys`), sorted.
  public var trainingKeys: [String] {
    Array(Set(training.flatMap(\.keys)).subtracting(Self.bookkeepingKeys)).sorted()
  }

  /// The training values grouped into plots: losses (keys containing `loss`), accuracies
  /// (`acc`), other terms (`kl`, `recon`, `beta`, ...), and the training rate; empty groups
  /// are left out.
  public var trainingGroups: [(title: String, keys: [String])] {
    let keys = trainingKeys
    let losses = keys.filter { $0.contains("loss") }
    let accuracies = keys.filter { !$0.contains("loss") && $0.contains("acc") }
    let others = keys.filter { !losses.contains($0) && !accuracies.contains($0) }
    let rate = training.contains { $0["steps_per_s"] != nil } ? ["steps_per_s"] : []
    return [("Losses", losses), ("Accuracies", accuracies), ("Other training terms", others), ("Training speed (steps/s)", rate)]
      .filter { !$0.keys.isEmpty }
  }

  /// The metric names of evaluation lines (all but `step` and the `real.` ceilings), sorted.
  public var evaluationMetrics: [String] {
    Array(Set(evaluations.flatMap(\.keys)).filter { $0 != "step" && !$0.hasPrefix("real.") }).sorted()
  }

  /// `(step, value)` of `key` in `lines`, in step order; a line without the key is a gap.
  public static func points(_ key: String, in lines: [[String: Double]]) -> [(x: Double, y: Double?)] {
    lines.compactMap { line -> (x: Double, y: Double?)? in
      guard let step = line["step"], step.isFinite else { return nil }
      return (x: step, y: line[key])
    }.sorted { $0.x < $1.x }
  }
}
