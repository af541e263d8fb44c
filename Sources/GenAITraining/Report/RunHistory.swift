import Foundation

/// A run's `metrics.jsonl` sorted into its three kinds of lines: training steps, evaluations
/// (`"kind": "eval"`) and GAN monitor events (`"kind": "monitor"`).
///
/// Reading is forgiving, because a report may be made while the run is still writing: a line
/// that is not a JSON object (say, half written) is counted in `skippedLines` and left out.
/// `null` values (non-finite numbers, see `MetricsLog`) read as NaN.
public struct RunHistory: Sendable {
  /// Training lines in file order: every numeric field by key (`step`, `d_loss`, ...).
  public var training: [[String: Double]] = []
  /// Evaluation lines in file order: `step`, each metric by name, ceilings under `real.<name>`.
  public var evaluations: [[String: Double]] = []
  /// Monitor events in file order.
  public var monitor: [MonitorEvent] = []
  /// Lines that were not JSON objects.
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
    for line in text.split(whereSeparator: \.isNewline) where !line.allSatisfy(\.isWhitespace) {
      guard let object = try? JSONSerialization.jsonObject(with: Data(line.utf8)) as? [String: Any] else {
        skippedLines += 1
        continue
      }
      let kind = object["kind"] as? String
      if kind == "monitor" {
        monitor.append(
          MonitorEvent(
            step: Self.number(object["step"]).map { Int($0) } ?? 0, action: object["action"] as? String ?? "?",
            reason: object["reason"] as? String ?? ""))
        continue
      }
      var values: [String: Double] = [:]
      for (key, value) in object where key != "kind" {
        if value is NSNull {
          values[key] = .nan
        } else if let number = Self.number(value) {
          values[key] = number
        }
      }
      if kind == "eval" {
        evaluations.append(values)
      } else if kind == nil {
        training.append(values)
      }
    }
  }

  private static func number(_ value: Any?) -> Double? {
    switch value {
    case let d as Double: return d
    case let i as Int: return Double(i)
    case let n as NSNumber: return n.doubleValue
    default: return nil
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
