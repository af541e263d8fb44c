import Foundation
import GenAITestSupport
import Testing

/// The test helper that finds ../shared/data: it decides whether data-dependent tests run or are
/// skipped, so a wrong answer would hide them (skip) or break them (run without the files).
@Suite struct SharedDataLookupTests {
  @Test func aDatasetIsPresentOnlyWithAllItsEntries() throws {
    let root = try TemporaryFolder.make("shared-data")
    defer { try? FileManager.default.removeItem(at: root) }
    #expect(SharedData.Dataset.allCases.allSatisfy { !SharedData.has($0, in: root) })
    #expect(SharedData.folder(.shakespeare, in: root) == nil)
    #expect(SharedData.file(.shakespeare, "tiny.txt", in: root) == nil)
    #expect(SharedData.directory(containing: .shakespeare, in: root) == nil)

    let shakespeare = SharedData.location(of: .shakespeare, in: root)
    #expect(shakespeare.lastPathComponent == "shakespeare")
    try FileManager.default.createDirectory(at: shakespeare, withIntermediateDirectories: true)
    try Data("x".utf8).write(to: shakespeare.appending(path: "tiny.txt"))
    #expect(!SharedData.has(.shakespeare, in: root), "shakespeare.txt is still missing")
    try Data("x".utf8).write(to: shakespeare.appending(path: "shakespeare.txt"))
    #expect(SharedData.has(.shakespeare, in: root))
    #expect(SharedData.file(.shakespeare, "tiny.txt", in: root)?.path == shakespeare.appending(path: "tiny.txt").path)
    #expect(SharedData.directory(containing: .shakespeare, in: root)?.path == root.path)
    #expect(SharedData.directory(containing: .shakespeare, .spokenDigits, in: root) == nil)
  }

  @Test func theEnvironmentOverridesTheFolder() {
    // Without the variable: shared/data beside the repository root (the folder of Package.swift).
    let repository = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
      .deletingLastPathComponent()
    #expect(FileManager.default.fileExists(atPath: repository.appending(path: "Package.swift").path))
    let beside = repository.deletingLastPathComponent().appending(path: "shared/data").standardizedFileURL.path
    #expect(SharedData.root(environment: [:]).standardizedFileURL.path == beside)
    #expect(SharedData.root(environment: [SharedData.environmentKey: ""]).standardizedFileURL.path == beside)
    #expect(SharedData.root(environment: [SharedData.environmentKey: "/nowhere/data"]).path == "/nowhere/data")
  }

  /// The trait is true exactly when its datasets are there, and the skip comment names the
  /// folder of each missing one.
  @Test func theTraitFollowsThePresenceOfItsDatasets() async throws {
    for dataset in SharedData.Dataset.allCases {
      let trait = ConditionTrait.requiresSharedData(dataset)
      #expect(try await trait.evaluate() == SharedData.has(dataset), "\(dataset)")
      let comment = trait.comments.map(\.rawValue).joined()
      #expect(comment.contains(SharedData.location(of: dataset).path) == !SharedData.has(dataset), "\(comment)")
    }
  }
}
