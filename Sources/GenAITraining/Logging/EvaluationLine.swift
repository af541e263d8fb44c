import Foundation

/// An evaluation's summary line in `metrics.jsonl` (the full report is `RUN/evals/step-N.json`):
/// `{"fid": 41.5, "kind": "eval", "real.fid": 3.2, "step": 500}`.
public struct EvaluationLine: Codable, Equatable, Sendable {
  /// The training step of the checkpoint evaluated.
  public var step: Int
  /// Each metric by name (`fid`, `val_loss`, ...) and its value on real data under
  /// `real.<name>`; NaN for a non-finite value.
  public var metrics: [String: Double]
  /// Who measured it when not the training loop (`genai eval`).
  public var source: String?
  /// The checkpoint file's name, when not the training loop's checkpoint of `step`.
  public var checkpoint: String?

  private static let source = MetricsKey("source"), checkpoint = MetricsKey("checkpoint")

  /// `step` and the metrics by their keys in the file.
  public var values: [String: Double] { metrics.merging(["step": Double(step)]) { _, step in step } }
}

// In an extension, so that the memberwise initialiser stays.
extension EvaluationLine {
  /// The line summarising `report`.
  public init(_ report: EvaluationReport, source: String? = nil, checkpoint: String? = nil) {
    var metrics: [String: Double] = [:]
    for m in report.metrics {
      metrics[m.name] = m.value
      if let ceiling = m.ceiling { metrics["real." + m.name] = ceiling }
    }
    self.init(step: report.step, metrics: metrics, source: source, checkpoint: checkpoint)
  }

  /// Reads a line; its numbers other than `step` are the metrics.
  /// - Throws: `DecodingError` when `step` is missing or `source`/`checkpoint` is not text.
  public init(from decoder: any Decoder) throws {
    let fields = try decoder.container(keyedBy: MetricsKey.self)
    step = try fields.decode(Int.self, forKey: .step)
    source = try fields.decodeIfPresent(String.self, forKey: Self.source)
    checkpoint = try fields.decodeIfPresent(String.self, forKey: Self.checkpoint)
    metrics = fields.numbers(Double.self, except: [.kind, .step])
  }

  /// Writes the fields at the top level (`kind` is the enclosing `MetricsLine`'s).
  public func encode(to encoder: any Encoder) throws {
    var fields = encoder.container(keyedBy: MetricsKey.self)
    try fields.encode(step, forKey: .step)
    for (name, value) in metrics { try fields.encodeNumber(value, forKey: MetricsKey(name)) }
    try fields.encodeIfPresent(source, forKey: Self.source)
    try fields.encodeIfPresent(checkpoint, forKey: Self.checkpoint)
  }
}
