import Foundation

/// The folder the named datasets live in (`<dir>/fashion-mnist/`, `<dir>/shakespeare/`, ...).
///
/// Chosen in this order, first match wins:
/// 1. an explicit URL (the CLI's `--data-dir`), used even if it does not exist yet;
/// 2. the environment variable `GENAI_DATA`, likewise;
/// 3. `./data`, if it is a folder;
/// 4. `../shared/data`, if it is a folder (this project's layout: a checkout next to `shared/`);
/// 5. otherwise `./data` (it does not exist: that is where to put downloads).
///
/// Relative paths are resolved against the current directory.
public struct DataDirectory: Sendable, Equatable, CustomStringConvertible {
  /// How the folder was chosen.
  public enum Origin: String, Sendable, Equatable {
    /// Given explicitly (`--data-dir`).
    case explicit = "--data-dir"
    /// From the `GENAI_DATA` environment variable.
    case environment = "GENAI_DATA"
    /// `./data` exists.
    case localData = "./data"
    /// `../shared/data` exists.
    case sharedData = "../shared/data"
    /// Nothing found; `./data` is the default place.
    case fallback = "default ./data (not found)"
  }

  /// The environment variable that names the data folder.
  public static let environmentVariable = "GENAI_DATA"

  /// The folder.
  public let url: URL
  /// How it was chosen.
  public let origin: Origin

  /// A data directory at `url`, taken as given.
  public init(url: URL, origin: Origin = .explicit) {
    self.url = url.standardizedFileURL
    self.origin = origin
  }

  /// Picks the data folder as described in the type's documentation.
  /// - Parameters:
  ///   - explicit: a folder the user named, or `nil`.
  ///   - environment: the environment to read `GENAI_DATA` from.
  ///   - currentDirectory: the folder relative paths start from.
  public static func resolve(
    explicit: URL? = nil,
    environment: [String: String] = ProcessInfo.processInfo.environment,
    currentDirectory: URL = URL(fileURLWithPath: FileManager.default.currentDirectoryPath, isDirectory: true)
  ) -> DataDirectory {
    if let explicit { return DataDirectory(url: explicit, origin: .explicit) }
    if let env = environment[environmentVariable], !env.isEmpty {
      return DataDirectory(url: resolvePath(env, from: currentDirectory), origin: .environment)
    }
    let local = currentDirectory.appending(path: "data", directoryHint: .isDirectory)
    if isDirectory(local) { return DataDirectory(url: local, origin: .localData) }
    let shared = currentDirectory.appending(path: "../shared/data", directoryHint: .isDirectory)
    if isDirectory(shared) { return DataDirectory(url: shared, origin: .sharedData) }
    return DataDirectory(url: local, origin: .fallback)
  }

  /// A path given on the command line, resolved against the current directory.
  public static func resolve(path: String?) -> DataDirectory {
    resolve(explicit: path.map { URL(fileURLWithPath: $0, isDirectory: true) })
  }

  /// Whether the folder exists.
  public var exists: Bool { DataDirectory.isDirectory(url) }

  /// `<url>/<relativePath>`.
  public func appending(_ relativePath: String) -> URL { url.appending(path: relativePath) }

  /// `/path/to/data (GENAI_DATA)`.
  public var description: String { "\(url.path) (\(origin.rawValue))" }

  /// `path` if absolute, else `path` inside `directory`.
  static func resolvePath(_ path: String, from directory: URL) -> URL {
    path.hasPrefix("/") ? URL(fileURLWithPath: path) : directory.appending(path: path)
  }

  static func isDirectory(_ url: URL) -> Bool {
    var isDir: ObjCBool = false
    return FileManager.default.fileExists(atPath: url.path, isDirectory: &isDir) && isDir.boolValue
  }
}
