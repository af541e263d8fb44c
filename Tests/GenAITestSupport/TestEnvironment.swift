import Foundation

/// What the machine running the tests offers (external programs) and whether it is CI, for
/// tests that use an outside tool: they skip without it, except in CI, where a missing tool is a
/// failure (`.ci/run` installs them), not a silent skip.
public enum TestEnvironment {
  /// Whether `CI` is set to anything but empty, `0`, `false` or `no`.
  public static var isCI: Bool {
    guard let v = ProcessInfo.processInfo.environment["CI"] else { return false }
    return !["", "0", "false", "no"].contains(v.lowercased())
  }

  /// The first executable called `name` in the folders of `PATH`, or `nil`.
  public static func executable(named name: String) -> URL? {
    let path = ProcessInfo.processInfo.environment["PATH"] ?? "/usr/bin:/bin"
    for folder in path.split(separator: ":") {
      let url = URL(fileURLWithPath: String(folder)).appending(path: name)
      if FileManager.default.isExecutableFile(atPath: url.path) { return url }
    }
    return nil
  }
}
