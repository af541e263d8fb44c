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

  /// `field "batchSize" must be at least 1, got 0`.
  public var description: String { "field \"\(field)\" \(problem)" }

  /// Throws `SettingError(field, problem)` unless `condition` holds.
  static func check(_ condition: Bool, _ field: String, _ problem: @autoclosure () -> String) throws {
    if !condition { throw SettingError(field, problem()) }
  }
}
