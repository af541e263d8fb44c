import Foundation

/// Where data comes from, as `--data` names it and a run's `config.json` records it:
/// - a dataset of the catalogue by name (`DatasetCatalog.choices`: `fashion-mnist`, `mnist`,
///   `shakespeare`, `shakespeare-full`, `spoken-digits`; any case, `_` for `-`), found in the
///   data directory;
/// - `shapes`: the built-in procedurally drawn shapes (no files needed);
/// - the user's own files: `images:PATH` (a folder of PNG images, sub-folders as classes),
///   `text:PATH` (a UTF-8 text file, or a folder of `.txt` files), `wav:PATH` (a folder of WAV
///   files, sub-folders as classes; `audio:PATH` says the same). A leading `~/` in PATH is the
///   home folder; a relative PATH starts from the current directory.
///
/// Parsed once where it enters (the command line, a `config.json`), and written back as
/// `description`, the form it would be typed in.
public enum DataSpec: Sendable, Equatable, CustomStringConvertible {
  /// A dataset of the catalogue.
  case named(NamedDataset)
  /// The built-in shapes (`ProceduralShapes`).
  case shapes
  /// The user's own files of a kind, at `path`.
  case files(DatasetKind, path: String)

  /// The name of the built-in shapes.
  public static let shapesName = "shapes"

  /// The prefix of the user's own files of `kind`: `images`, `text`, `wav`. The kind's own
  /// name (`audio`) is accepted too.
  public static func prefix(for kind: DatasetKind) -> String {
    switch kind {
    case .images: return "images"
    case .text: return "text"
    case .audio: return "wav"
    }
  }

  /// Parses `spec` (surrounding spaces ignored; names and prefixes in any case).
  /// - Throws: `DataError` for an unknown name or prefix, or an empty path; the message lists
  ///   what is accepted.
  public init(parsing spec: String) throws(DataError) {
    let trimmed = spec.trimmingCharacters(in: .whitespaces)
    if let colon = trimmed.firstIndex(of: ":") {
      let prefix = trimmed[..<colon].lowercased()
      guard let kind = DatasetKind.allCases.first(where: { prefix == Self.prefix(for: $0) || prefix == $0.rawValue }) else {
        throw DataError(file: trimmed, "unknown kind of files \"\(prefix):\"; \(Self.choices)")
      }
      var path = trimmed[trimmed.index(after: colon)...].trimmingCharacters(in: .whitespaces)
      guard !path.isEmpty else {
        throw DataError(file: trimmed, "no path after \"\(prefix):\"; give one, e.g. \(Self.prefix(for: kind)):./my-files")
      }
      if path == "~" || path.hasPrefix("~/") {
        path = FileManager.default.homeDirectoryForCurrentUser.path + path.dropFirst()
      }
      self = .files(kind, path: path)
      return
    }
    guard !trimmed.isEmpty else { throw DataError(file: "dataset", "none given; \(Self.choices)") }
    if trimmed.lowercased() == Self.shapesName {
      self = .shapes
    } else if let dataset = DatasetCatalog.dataset(named: trimmed) {
      self = .named(dataset)
    } else {
      throw DataError(file: trimmed, "unknown dataset; \(Self.choices)")
    }
  }

  /// What the data holds.
  public var kind: DatasetKind {
    switch self {
    case .named(let dataset): return dataset.kind
    case .shapes: return .images
    case .files(let kind, _): return kind
    }
  }

  /// The spec as it would be typed: `mnist`, `shapes`, `text:/path/file.txt`.
  public var description: String {
    switch self {
    case .named(let dataset): return dataset.name
    case .shapes: return Self.shapesName
    case .files(let kind, let path): return Self.prefix(for: kind) + ":" + path
    }
  }

  /// Every name accepted without a path: the catalogue's datasets, then `shapes`.
  public static var names: [String] { DatasetCatalog.choices.map(\.name) + [shapesName] }

  /// `fashion-mnist, ..., shapes, or your own files as images:PATH, text:PATH, wav:PATH`.
  public static var forms: String {
    "\(names.joined(separator: ", ")), or your own files as "
      + DatasetKind.allCases.map { prefix(for: $0) + ":PATH" }.joined(separator: ", ")
  }

  /// What errors say is accepted: `use one of ` and `forms`.
  static var choices: String { "use one of " + forms }

  /// Every accepted form with a note on each, for help texts: `shakespeare (tiny.txt), ...,
  /// shapes (built in, no files needed), or images:PATH (a folder of PNG images, ...), ...`.
  public static var help: String {
    let named = DatasetCatalog.choices.map { dataset -> String in
      guard case .text(let file, _) = dataset.layout else { return dataset.name }
      return "\(dataset.name) (\(file))"
    }
    let files = DatasetKind.allCases.map { kind -> String in
      switch kind {
      case .images: return "images:PATH (a folder of PNG images, sub-folders as classes)"
      case .text: return "text:PATH (a UTF-8 text file, or a folder of .txt files)"
      case .audio: return "wav:PATH (a folder of WAV files, sub-folders as classes)"
      }
    }
    return (named + ["\(shapesName) (built in, no files needed)"]).joined(separator: ", ")
      + ", or " + files.joined(separator: ", ")
  }
}

extension DataSpec: Codable {
  /// Reads the spec as a string, as `encode(to:)` writes it.
  /// - Throws: `DecodingError.dataCorrupted` at the field's coding path, with the parse error's
  ///   message, for a string that is not a spec.
  public init(from decoder: any Decoder) throws {
    let container = try decoder.singleValueContainer()
    let text = try container.decode(String.self)
    do {
      self = try DataSpec(parsing: text)
    } catch {
      throw DecodingError.dataCorruptedError(in: container, debugDescription: error.description)
    }
  }

  /// Writes `description`.
  public func encode(to encoder: any Encoder) throws {
    var container = encoder.singleValueContainer()
    try container.encode(description)
  }
}
