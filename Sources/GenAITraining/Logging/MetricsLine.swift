import Foundation

/// One line of `metrics.jsonl`, told apart by its `kind` field: none for a training step,
/// `"eval"` for an evaluation, `"monitor"` for what the GAN health monitor did.
public enum MetricsLine: Codable, Equatable, Sendable {
  /// `{"d_loss": 1.2, "g_loss": 0.7, "step": 10, "steps_per_s": 3.1, ...}`.
  case training(TrainingLine)
  /// `{"fid": 41.5, "kind": "eval", "real.fid": 3.2, "step": 500}`.
  case evaluation(EvaluationLine)
  /// `{"action": "rollback", "detail": "...", "kind": "monitor", "reason": "...", "step": 600}`.
  case monitor(MonitorEvent)

  /// The training line, if this is one.
  public var training: TrainingLine? { if case .training(let line) = self { line } else { nil } }
  /// The evaluation line, if this is one.
  public var evaluation: EvaluationLine? { if case .evaluation(let line) = self { line } else { nil } }
  /// The monitor event, if this is one.
  public var monitor: MonitorEvent? { if case .monitor(let event) = self { event } else { nil } }

  /// Reads a line by its `kind`.
  /// - Throws: `DecodingError` for an unknown kind or a line that is not of its kind.
  public init(from decoder: any Decoder) throws {
    let fields = try decoder.container(keyedBy: MetricsKey.self)
    switch try fields.decodeIfPresent(String.self, forKey: .kind) {
    case nil: self = .training(try TrainingLine(from: decoder))
    case "eval": self = .evaluation(try EvaluationLine(from: decoder))
    case "monitor": self = .monitor(try MonitorEvent(from: decoder))
    case let kind?:
      throw DecodingError.dataCorruptedError(
        forKey: .kind, in: fields, debugDescription: "\"\(kind)\" is not a kind of line (expected eval, monitor, or none for a training step)")
    }
  }

  /// Writes the line's fields and, for evaluations and monitor events, its `kind`.
  public func encode(to encoder: any Encoder) throws {
    var fields = encoder.container(keyedBy: MetricsKey.self)
    switch self {
    case .training(let line): try line.encode(to: encoder)
    case .evaluation(let line):
      try fields.encode("eval", forKey: .kind)
      try line.encode(to: encoder)
    case .monitor(let event):
      try fields.encode("monitor", forKey: .kind)
      try event.encode(to: encoder)
    }
  }
}

/// A field of a metrics line by name, for the lines whose numbers are named by the recipe or
/// the evaluation (`d_loss`, `fid`, ...) rather than known in advance.
struct MetricsKey: CodingKey, Hashable {
  let stringValue: String
  var intValue: Int? { nil }
  init(_ name: String) { stringValue = name }
  init(stringValue: String) { self.stringValue = stringValue }
  init?(intValue: Int) { nil }

  static let kind = MetricsKey("kind")
  static let step = MetricsKey("step")
  static let epoch = MetricsKey("epoch")
  static let stepsPerSecond = MetricsKey("steps_per_s")
  static let time = MetricsKey("time")
  static let peakMemory = MetricsKey("peak_rss_mb")
}

extension KeyedEncodingContainer<MetricsKey> {
  /// Writes `value` (when there is one) under `key`, or `null` when it is not finite (JSON has no NaN or infinity).
  mutating func encodeNumber(_ value: (some BinaryFloatingPoint & Encodable)?, forKey key: MetricsKey) throws {
    guard let value else { return }
    if value.isFinite { try encode(value, forKey: key) } else { try encodeNil(forKey: key) }
  }
}

extension KeyedDecodingContainer<MetricsKey> {
  /// Every number but those under `known`, by name; `null` reads as NaN. Fields that are
  /// neither (text, lists) are not measurements and are left out.
  func numbers<F: BinaryFloatingPoint & Decodable>(_ type: F.Type, except known: Set<MetricsKey>) -> [String: F] {
    var numbers: [String: F] = [:]
    for key in allKeys where !known.contains(key) {
      if (try? decodeNil(forKey: key)) == true {
        numbers[key.stringValue] = .nan
      } else if let value = try? decode(F.self, forKey: key) {
        numbers[key.stringValue] = value
      }
    }
    return numbers
  }
}
