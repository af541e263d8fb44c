/// A setting out of its range: which one, by its field name (`batchSize`, as in `config.json`),
/// and what is wrong with its value (`must be at least 1, got 0`).
///
/// The library names the field, not where the value came from: the command line presents the
/// error as its flag (`--batch-size must be at least 1, got 0`), and loading a file as the file's
/// field (`config.json: field "batchSize" must be at least 1, got 0`).
public struct SettingError: Error, Equatable, Sendable, CustomStringConvertible {
  /// The setting's field name, as the Swift property and the JSON key spell it (`batchSize`).
  public let field: String
  /// What is wrong, phrased to follow the setting's name (`must be at least 1, got 0`).
  public let problem: String

  /// An error in `field`.
  public init(_ field: String, _ problem: String) {
    self.field = field
    self.problem = problem
  }

  /// The same problem in the field `parent.field` (`charRNN.hiddenSize`), for settings nested
  /// in a group of options.
  public func nested(in parent: String) -> SettingError { SettingError(parent + "." + field, problem) }

  /// `field "batchSize" must be at least 1, got 0`.
  public var description: String { "field \"\(field)\" \(problem)" }

  /// Throws `SettingError(field, problem)` unless `condition` holds.
  public static func check(_ condition: Bool, _ field: String, _ problem: @autoclosure () -> String) throws {
    if !condition { throw SettingError(field, problem()) }
  }

  /// Throws unless `value` lies in `range` (`must be in 1...8192, got 0`). Upper bounds keep a
  /// typo from asking for tensors larger than memory.
  public static func check(_ value: Int, in range: ClosedRange<Int>, _ field: String) throws {
    try check(range.contains(value), field, "must be in \(range.lowerBound)...\(range.upperBound), got \(value)")
  }

  /// Throws unless `value` is a finite number above 0 (`nan`, `inf`, `0` and negatives are refused).
  public static func checkPositive(_ value: Float, _ field: String) throws {
    try check(value > 0 && value.isFinite, field, "must be a positive number, got \(value)")
  }

  /// Throws unless `value` is a finite number at least 0.
  public static func checkNonNegative(_ value: Float, _ field: String) throws {
    try check(value >= 0 && value.isFinite, field, "must be a number >= 0, got \(value)")
  }

  /// Throws unless `value` is a dropout probability in [0, 1).
  public static func checkDropout(_ value: Float, _ field: String) throws {
    try check(value >= 0 && value < 1, field, "must be in [0, 1), got \(value)")
  }
}
