/// The one error type of the zlib and gzip codecs (`Zlib`, `Gzip`).
///
/// Every malformed input is reported through this enum rather than a crash, and each case says
/// which format and which part of it was wrong, so a bad download or a corrupt PNG can be
/// diagnosed from the message alone.
public enum CompressionError: Error, CustomStringConvertible, Equatable, Sendable {
  /// The input ended before the stream was complete; `context` names what was being read.
  case truncated(context: String)
  /// The decoded output would be larger than the caller's `limit` (in bytes).
  case outputLimitExceeded(limit: Int)
  /// The stream does not start with its format's magic bytes (gzip: `1f 8b`).
  case badMagic(format: String, offset: Int, found: [UInt8])
  /// zlib rejected the data: a bad header field, an invalid DEFLATE block or code, a distance too
  /// far back, or a checksum or length mismatch; `reason` says which (zlib's own words where we
  /// have no plainer ones).
  case corrupt(format: String, reason: String)
  /// Non-padding bytes follow the end of a complete stream.
  case trailingData(format: String, offset: Int, count: Int)

  /// A one-line explanation that names the format, the field and the offending values.
  public var description: String {
    switch self {
    case .truncated(let context):
      return "truncated input: the data ended while reading \(context)"
    case .outputLimitExceeded(let limit):
      return "decoded output exceeds the limit of \(limit) bytes"
    case .badMagic(let format, let offset, let found):
      let hex = found.map { $0 < 16 ? "0\(String($0, radix: 16))" : String($0, radix: 16) }
      return "bad \(format) magic at offset \(offset): found [\(hex.joined(separator: " "))]"
    case .corrupt(let format, let reason):
      return "corrupt \(format) data: \(reason)"
    case .trailingData(let format, let offset, let count):
      return "\(count) unexpected bytes after the end of the \(format) stream at offset \(offset)"
    }
  }
}
