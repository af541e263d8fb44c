import Foundation

/// JSON as genai writes it: keys sorted (so lines diff and read the same every time) and slashes
/// left unescaped (so paths look like paths). The `.jsonl` logs (`metrics.jsonl`,
/// `ratings.jsonl`, `samples/index.jsonl`) hold one object per line; the provenance of a sample
/// (text sidecar, WAV comment) is one such object.
public enum JSONLines {
  /// `value` as one line of JSON, without the newline.
  /// - Throws: `EncodingError` (a non-finite number that its type writes as a number).
  public static func line(_ value: some Encodable) throws -> String {
    let encoder = JSONEncoder()
    encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
    return String(decoding: try encoder.encode(value), as: UTF8.self)
  }

  /// Every line of `url` decoded as `T` (blank lines and a torn last line skipped, see `decode`).
  /// - Throws: `TrainingError` naming the file when it cannot be read, or `FILE:LINE` and what
  ///   was wrong for the first line that is not a `T`.
  public static func read<T: Decodable>(_ type: T.Type, from url: URL) throws -> [T] {
    guard let data = FileManager.default.contents(atPath: url.path) else { throw TrainingError("cannot read \(url.path)") }
    let (values, errors) = decode(type, lines: data, source: url.path)
    if let first = errors.first { throw first }
    return values
  }

  /// The lines of `data` that decode as `T`, and an error naming `source:LINE` for each that does
  /// not, for readers that carry on past a bad line.
  ///
  /// A torn last line (no newline after it and not even complete JSON) is neither a value nor an
  /// error: it is a line being written right now, or one cut off when its writer was killed, and
  /// the next `append` removes it. A complete JSON object of the wrong shape is still an error.
  public static func decode<T: Decodable>(_ type: T.Type, lines data: Data, source: String) -> (values: [T], errors: [TrainingError]) {
    var values: [T] = []
    var errors: [TrainingError] = []
    let decoder = JSONDecoder()
    // Bytes, not Characters: "\r\n" is one Character, and a "\r" left at the end is JSON whitespace.
    let lines = data.split(separator: UInt8(ascii: "\n"), omittingEmptySubsequences: false)
    for (index, line) in lines.enumerated()
    where !line.allSatisfy({ $0 == UInt8(ascii: " ") || $0 == UInt8(ascii: "\t") || $0 == UInt8(ascii: "\r") }) {
      do {
        values.append(try decoder.decode(T.self, from: Data(line)))
      } catch {
        if index == lines.count - 1 && isTorn(line) { continue }
        errors.append(TrainingError("\(source):\(index + 1): \(reason(error))"))
      }
    }
    return (values, errors)
  }

  /// Whether `line`, the last of its file and without a newline, is not complete JSON: the start
  /// of a line whose writer has not finished (or never will).
  static func isTorn(_ line: some Collection<UInt8>) -> Bool {
    (try? JSONSerialization.jsonObject(with: Data(line), options: [.fragmentsAllowed])) == nil
  }

  /// What a decoding error says, led by its field (lines are flat), without `DecodingError`'s repetition.
  private static func reason(_ error: any Error) -> String {
    switch error as? DecodingError {
    case .keyNotFound(let key, _)?: "missing \"\(key.stringValue)\""
    case .typeMismatch(_, let c)?, .valueNotFound(_, let c)?, .dataCorrupted(let c)?:
      (c.codingPath.last.map { "\"\($0.stringValue)\": " } ?? "") + c.debugDescription
    default: "\(error)"
    }
  }
}
