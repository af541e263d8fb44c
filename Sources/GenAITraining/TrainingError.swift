/// A problem with a training run's request: an unknown recipe, missing data, a run of another
/// recipe, a bad option. The message names the file or option and what was expected.
public struct TrainingError: Error, CustomStringConvertible, Equatable, Sendable {
  /// What is wrong.
  public let message: String
  /// An error with `message`.
  public init(_ message: String) { self.message = message }
  /// The message.
  public var description: String { message }
}
