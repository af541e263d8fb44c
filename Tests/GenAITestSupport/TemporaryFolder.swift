import Foundation

/// Fresh folders for tests that write files, one per test so tests running in parallel never
/// share one.
public enum TemporaryFolder {
  /// A new, empty folder `genai-<label>-<UUID>` in the system's temporary directory. The caller
  /// removes it: `defer { try? FileManager.default.removeItem(at: folder) }`.
  /// - Throws: the file system's error when the folder cannot be created.
  public static func make(_ label: String) throws -> URL {
    let url = FileManager.default.temporaryDirectory.appending(path: "genai-\(label)-\(UUID().uuidString)")
    try FileManager.default.createDirectory(at: url, withIntermediateDirectories: true)
    return url
  }
}
