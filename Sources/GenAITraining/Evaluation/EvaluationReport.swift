import Foundation
import GenAIModels

/// One metric of an evaluation, with the same metric on real held-out data beside it.
public struct MetricResult: Codable, Equatable, Sendable {
  /// Short name, also the key in `metrics.jsonl` (`fid`, `kid`, `is`, `precision`, `val_loss`).
  public var name: String
  /// The value for the model's samples.
  public var value: Double
  /// The same metric on real held-out data (the best a model can hope for), when it applies.
  public var ceiling: Double?
  /// The unit (`nats`, `bits/dim`, `bits/char`, `%`, or empty).
  public var unit: String
  /// Which way is better.
  public var better: MetricDirection
  /// Extra detail for the table, e.g. `± 0.002 over 10 subsets`.
  public var detail: String?

  /// A result.
  public init(name: String, value: Double, ceiling: Double? = nil, unit: String = "", better: MetricDirection, detail: String? = nil) {
    self.name = name
    self.value = value
    self.ceiling = ceiling
    self.unit = unit
    self.better = better
    self.detail = detail
  }
}

/// How a group of metrics was measured: the feature network and its checkpoint hash, the sample
/// counts, the reference data and the preprocessing. Printed under the table so a number can be
/// compared only with numbers measured the same way.
public struct ProtocolCard: Codable, Equatable, Sendable {
  /// The metrics the card covers, e.g. `"fid, kid, is, precision, recall"`.
  public var metrics: String
  /// Ordered `(field, value)` lines, e.g. `("feature network", "classifier-fashion-mnist, sha256 3fa2…")`.
  public var fields: [Field]

  /// One line of a card.
  public struct Field: Codable, Equatable, Sendable {
    /// What the line is about (`feature network`, `samples`, `reference`, `preprocessing`).
    public var name: String
    /// The value.
    public var value: String
    /// A line.
    public init(_ name: String, _ value: String) {
      self.name = name
      self.value = value
    }
  }

  /// A card.
  public init(metrics: String, fields: [Field]) {
    self.metrics = metrics
    self.fields = fields
  }
}

/// Everything one `genai eval` (or an evaluation during training) measured, saved as
/// `RUN/evals/step-N.json` and summarised as an `EvaluationLine` in `metrics.jsonl`.
public struct EvaluationReport: Codable, Equatable, Sendable {
  /// The run folder's name.
  public var run: String
  /// The recipe (`dcgan`, `vae`, `char-gpt`, ...).
  public var recipe: String
  /// The training step of the checkpoint evaluated.
  public var step: Int
  /// The checkpoint file's name.
  public var checkpoint: String
  /// When it was measured (ISO 8601, UTC).
  public var date: String
  /// The results, in table order.
  public var metrics: [MetricResult]
  /// How they were measured.
  public var protocols: [ProtocolCard]
  /// Warnings (too few samples for the feature size, a missing feature network, ...).
  public var warnings: [String]

  /// A report.
  public init(
    run: String, recipe: String, step: Int, checkpoint: String, date: Date = Date(), metrics: [MetricResult] = [],
    protocols: [ProtocolCard] = [], warnings: [String] = []
  ) {
    self.run = run
    self.recipe = recipe
    self.step = step
    self.checkpoint = checkpoint
    self.date = ISO8601DateFormatter().string(from: date)
    self.metrics = metrics
    self.protocols = protocols
    self.warnings = warnings
  }

  /// The result named `name`, if measured.
  public func metric(_ name: String) -> MetricResult? { metrics.first { $0.name == name } }

  /// Pretty, sorted JSON.
  public func encoded() throws -> Data {
    let encoder = JSONEncoder()
    encoder.outputFormatting = [.prettyPrinted, .sortedKeys]
    return try encoder.encode(self)
  }
}
