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

  /// Appends `values` to `url` (created when missing), one line each, in one write with
  /// `O_APPEND`, so concurrent writers (training, `genai eval`) never split each other's lines.
  /// - Throws: `TrainingError` naming the file.
  public static func append(_ values: [some Encodable], to url: URL) throws {
    let text = try values.map { try line($0) + "\n" }.joined()
    let fd = open(url.path, O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC, 0o644)
    guard fd >= 0 else { throw TrainingError("cannot open \(url.path) for appending: \(String(cString: strerror(errno)))") }
    do { try FileHandle(fileDescriptor: fd, closeOnDealloc: true).write(contentsOf: Data(text.utf8)) } catch {
      throw TrainingError("cannot append to \(url.path): \(error.localizedDescription)")
    }
  }

  /// Every line of `url` decoded as `T` (blank lines skipped).
  /// - Throws: `TrainingError` naming the file when it cannot be read, or `FILE:LINE` and what
  ///   was wrong for the first line that is not a `T`.
  public static func read<T: Decodable>(_ type: T.Type, from url: URL) throws -> [T] {
    guard let data = FileManager.default.contents(atPath: url.path) else { throw TrainingError("cannot read \(url.path)") }
    let (values, errors) = decode(type, lines: data, source: url.path)
    if let first = errors.first { throw first }
    return values
  }

  /// The lines of `data` that decode as `T`, and an error naming `source:LINE` for each that does
  /// not, for readers that carry on past a half-written last line.
  public static func decode<T: Decodable>(_ type: T.Type, lines data: Data, source: String) -> (values: [T], errors: [TrainingError]) {
    var values: [T] = []
    var errors: [TrainingError] = []
    let decoder = JSONDecoder()
    // Bytes, not Characters: "\r\n" is one Character, and a "\r" left at the end is JSON whitespace.
    for (index, line) in data.split(separator: UInt8(ascii: "\n"), omittingEmptySubsequences: false).enumerated()
    where !line.allSatisfy({ $0 == UInt8(ascii: " ") || $0 == UInt8(ascii: "\t") || $0 == UInt8(ascii: "\r") }) {
      do {
        values.append(try decoder.decode(T.self, from: Data(line)))
      } catch {
        errors.append(TrainingError("\(source):\(index + 1): \(reason(error))"))
      }
    }
    return (values, errors)
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
