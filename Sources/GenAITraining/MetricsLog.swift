import Foundation

/// Appends one JSON object per line to `metrics.jsonl`: `{"step": 100, "d_loss": 1.23, ...}`.
/// Keys are sorted; non-finite numbers are written as `null` (JSON has no NaN).
public final class MetricsLog {
  /// The file.
  public let url: URL
  private let handle: FileHandle

  /// Opens `url` for appending, creating it when missing.
  /// - Throws: `TrainingError` naming the file.
  public init(url: URL) throws {
    self.url = url
    if !FileManager.default.fileExists(atPath: url.path) {
      guard FileManager.default.createFile(atPath: url.path, contents: nil) else {
        throw TrainingError("cannot create \(url.path)")
      }
    }
    do {
      handle = try FileHandle(forWritingTo: url)
      try handle.seekToEnd()
    } catch {
      throw TrainingError("cannot open \(url.path) for appending: \(error.localizedDescription)")
    }
  }

  deinit { try? handle.close() }

  /// Appends `values` (plus any text `fields`) as one line.
  public func append(_ values: [String: Double], fields: [String: String] = [:]) {
    try? handle.write(contentsOf: Data((Self.line(values, fields: fields) + "\n").utf8))
  }

  /// The JSON line for `values` and `fields`, keys sorted.
  public static func line(_ values: [String: Double], fields: [String: String] = [:]) -> String {
    var parts: [(String, String)] = values.map { key, value in
      let number: String
      if !value.isFinite {
        number = "null"
      } else if value == value.rounded(), abs(value) < 1e15 {
        number = String(Int64(value))
      } else {
        number = String(value)
      }
      return (key, number)
    }
    parts += fields.map { ($0.key, quoted($0.value)) }
    return "{" + parts.sorted { $0.0 < $1.0 }.map { "\(quoted($0.0)): \($0.1)" }.joined(separator: ", ") + "}"
  }

  private static func quoted(_ s: String) -> String {
    var out = "\""
    for scalar in s.unicodeScalars {
      switch scalar {
      case "\"": out += "\\\""
      case "\\": out += "\\\\"
      case "\n": out += "\\n"
      case "\t": out += "\\t"
      default:
        if scalar.value < 0x20 { out += String(format: "\\u%04x", scalar.value) } else { out.unicodeScalars.append(scalar) }
      }
    }
    return out + "\""
  }

  /// Reads every line of a metrics file as a dictionary (for reports and tests).
  /// - Throws: `TrainingError` naming the file and line when a line is not a JSON object.
  public static func read(_ url: URL) throws -> [[String: Any]] {
    guard let data = FileManager.default.contents(atPath: url.path) else {
      throw TrainingError("cannot read \(url.path)")
    }
    return try String(decoding: data, as: UTF8.self).split(separator: "\n").enumerated().map { index, line in
      guard let object = try? JSONSerialization.jsonObject(with: Data(line.utf8)) as? [String: Any] else {
        throw TrainingError("\(url.path):\(index + 1): not a JSON object")
      }
      return object
    }
  }
}
