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

  /// Every line of `url` decoded as `T`, blank lines skipped, and a torn last line too: one with
  /// no newline after it that is not even complete JSON is a line being written right now, or one
  /// cut off when its writer was killed (the next `append` removes it). A complete JSON object of
  /// the wrong shape is an error wherever it is, and so is any bad line before the last.
  /// - Throws: `TrainingError` naming the file when it cannot be read, or `FILE:LINE` and what
  ///   was wrong for the first line that is not a `T`.
  public static func read<T: Decodable>(_ type: T.Type, from url: URL) throws -> [T] {
    guard let data = FileManager.default.contents(atPath: url.path) else { throw TrainingError("cannot read \(url.path)") }
    var (values, errors) = decode(type, lines: data, source: url.path)
    // A torn last line fails to decode, so it is the last error.
    let tail = data[(data.lastIndex(of: UInt8(ascii: "\n")).map { $0 + 1 } ?? data.startIndex)...]
    if !errors.isEmpty && !isBlank(tail) && isTorn(tail) { errors.removeLast() }
    if let first = errors.first { throw first }
    return values
  }

  /// The lines of `data` that decode as `T`, and an error naming `source:LINE` for each that does
  /// not, for readers that carry on past a half-written last line (and may note it).
  public static func decode<T: Decodable>(_ type: T.Type, lines data: Data, source: String) -> (values: [T], errors: [TrainingError]) {
    var values: [T] = []
    var errors: [TrainingError] = []
    let decoder = JSONDecoder()
    // Split on bytes: a "\r" left at the end of a line is JSON whitespace.
    for (index, line) in data.split(separator: UInt8(ascii: "\n"), omittingEmptySubsequences: false).enumerated()
    where !isBlank(line) {
      do {
        values.append(try decoder.decode(T.self, from: Data(line)))
      } catch {
        errors.append(TrainingError("\(source):\(index + 1): \(reason(error))"))
      }
    }
    return (values, errors)
  }

  /// Whether `line` holds nothing but spaces, tabs and carriage returns (JSON whitespace; bytes,
  /// not Characters: "\r\n" is one Character).
  static func isBlank(_ line: some Collection<UInt8>) -> Bool {
    line.allSatisfy { $0 == UInt8(ascii: " ") || $0 == UInt8(ascii: "\t") || $0 == UInt8(ascii: "\r") }
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
