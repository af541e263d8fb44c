import Testing

// A test that returns early when its data is missing is reported as passed, and a whole suite
// can then "pass" on a machine without the data while checking nothing. The trait below makes
// such a test skip instead, visibly, with the folder it looked for:
// `Test "…" skipped: "shared data not present: …/shared/data/fashion-mnist"`.

extension Trait where Self == ConditionTrait {
  /// Runs the test only when every one of `datasets` is in the shared-data folder
  /// (`SharedData.root`); elsewhere it is reported as skipped, naming what is missing.
  ///
  /// ```swift
  /// @Test(.requiresSharedData(.shakespeare))
  /// func loadsTinyShakespeare() throws {
  ///   let url = try #require(SharedData.file(.shakespeare, "tiny.txt"))
  ///   …
  /// }
  /// ```
  public static func requiresSharedData(
    _ datasets: SharedData.Dataset..., sourceLocation: SourceLocation = #_sourceLocation
  ) -> Self {
    // The comment is only shown when the test is skipped, so it names the missing datasets.
    let missing = datasets.filter { !SharedData.has($0) }.map { SharedData.location(of: $0).path }
    return .enabled(
      if: datasets.allSatisfy { SharedData.has($0) },
      Comment(rawValue: "shared data not present: \(missing.joined(separator: ", "))"),
      sourceLocation: sourceLocation)
  }
}
