import Foundation

/// A training step's line in `metrics.jsonl`: what the recipe's step reported, by name, beside
/// the loop's bookkeeping, all at the top level as the plots and scripts read them:
/// `{"d_loss": 1.2, "epoch": 0, "g_loss": 0.7, "peak_rss_mb": 210, "step": 10, "steps_per_s": 3.1, "time": 1764400000}`.
public struct TrainingLine: Codable, Equatable, Sendable {
  /// The step just taken.
  public var step: Int
  /// The epoch it was in (absent from the oldest logs).
  public var epoch: Int?
  /// The recipe's losses and other terms (`d_loss`, `d_acc_real`, `kl`, ...); NaN for a
  /// non-finite value, which is written as `null`.
  public var losses: [String: Float]
  /// Steps per second since the previous line.
  public var stepsPerSecond: Double?
  /// When (seconds since 1970).
  public var time: Double?
  /// The process's peak resident memory so far, in MB.
  public var peakMemoryMB: Double?

  private static let bookkeeping: Set<MetricsKey> = [.kind, .step, .epoch, .stepsPerSecond, .time, .peakMemory]

  /// Every value by its key in the file, as the report plots them.
  public var values: [String: Double] {
    var values = losses.mapValues(Double.init)
    let bookkeeping: [(MetricsKey, Double?)] = [
      (.step, Double(step)), (.epoch, epoch.map(Double.init)), (.stepsPerSecond, stepsPerSecond), (.time, time), (.peakMemory, peakMemoryMB),
    ]
    for (key, value) in bookkeeping { values[key.stringValue] = value }
    return values
  }
}

// In an extension, so that the memberwise initialiser stays.
extension TrainingLine {
  /// Reads a line; fields other than the bookkeeping are the recipe's.
  /// - Throws: `DecodingError` when `step` is missing or a bookkeeping field is not a number.
  public init(from decoder: any Decoder) throws {
    let fields = try decoder.container(keyedBy: MetricsKey.self)
    step = try fields.decode(Int.self, forKey: .step)
    epoch = try fields.decodeIfPresent(Int.self, forKey: .epoch)
    stepsPerSecond = try fields.decodeIfPresent(Double.self, forKey: .stepsPerSecond)
    time = try fields.decodeIfPresent(Double.self, forKey: .time)
    peakMemoryMB = try fields.decodeIfPresent(Double.self, forKey: .peakMemory)
    losses = fields.numbers(Float.self, except: Self.bookkeeping)
  }

  /// Writes the fields at the top level.
  public func encode(to encoder: any Encoder) throws {
    var fields = encoder.container(keyedBy: MetricsKey.self)
    try fields.encode(step, forKey: .step)
    try fields.encodeIfPresent(epoch, forKey: .epoch)
    for (name, value) in losses { try fields.encodeNumber(value, forKey: MetricsKey(name)) }
    try fields.encodeNumber(stepsPerSecond, forKey: .stepsPerSecond)
    try fields.encodeNumber(time, forKey: .time)
    try fields.encodeNumber(peakMemoryMB, forKey: .peakMemory)
  }
}
