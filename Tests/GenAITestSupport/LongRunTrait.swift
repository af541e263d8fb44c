import Foundation
import Testing

extension Trait where Self == ConditionTrait {
  /// Runs a long training run (minutes on a release build) only when the environment variable
  /// `variable` is `1`; otherwise it is reported as skipped with the command that runs it.
  ///
  /// ```swift
  /// @Test(.longRun(filter: "ClassifierLongRun"), .requiresSharedData(.fashionMNIST))
  /// ```
  public static func longRun(
    filter: String, variable: String = "GENAI_LONG", sourceLocation: SourceLocation = #_sourceLocation
  ) -> Self {
    .enabled(
      if: ProcessInfo.processInfo.environment[variable] == "1",
      Comment(rawValue: "long run, off by default: \(variable)=1 swift test -c release --filter \(filter)"),
      sourceLocation: sourceLocation)
  }
}
