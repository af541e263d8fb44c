/// The one error type of the DEFLATE, zlib and gzip codecs.
///
/// Every malformed input is reported through this enum rather than a crash, and each case carries
/// enough detail (offsets, expected and found values) for its `description` to say exactly what
/// was wrong, so a bad download or a corrupt PNG can be diagnosed from the message alone.
public enum CompressionError: Error, CustomStringConvertible, Equatable, Sendable {
  /// The input ended before the stream was complete; `context` names what was being read.
  case truncated(context: String)
  /// A DEFLATE block header has the reserved block type 3.
  case invalidBlockType(Int)
  /// A stored block's LEN field is not the one's complement of its NLEN field.
  case storedLengthMismatch(length: Int, complement: Int)
  /// A dynamic block's code lengths do not describe a usable prefix code; `reason` says why.
  case invalidCodeLengths(String)
  /// The bit stream holds a code that is not in the block's Huffman code, or a reserved symbol.
  case invalidSymbol(String)
  /// A back-reference points before the start of the stream's output.
  case distanceTooFarBack(distance: Int, available: Int)
  /// The decoded output would be larger than the caller's `limit` (in bytes).
  case outputLimitExceeded(limit: Int)
  /// The stream does not start with its format's magic bytes (gzip: `1f 8b`).
  case badMagic(format: String, offset: Int, found: [UInt8])
  /// A header field is invalid or unsupported (compression method, reserved flags, FCHECK, ...).
  case invalidHeader(format: String, reason: String)
  /// A stored checksum does not match the one computed over the data.
  case checksumMismatch(format: String, field: String, stored: UInt32, computed: UInt32)
  /// A gzip member's ISIZE (decoded length modulo 2^32) does not match the decoded length.
  case sizeMismatch(stored: UInt32, actual: UInt32)
  /// Non-padding bytes follow the end of a complete stream.
  case trailingData(format: String, offset: Int, count: Int)

  /// A one-line explanation that names the format, the field and the offending values.
  public var description: String {
    switch self {
    case .truncated(let context):
      return "truncated input: the data ended while reading \(context)"
    case .invalidBlockType(let type):
      return "invalid DEFLATE block type \(type) (only 0 stored, 1 fixed and 2 dynamic exist)"
    case .storedLengthMismatch(let length, let complement):
      return "stored block LEN \(length) is not the one's complement of NLEN \(complement)"
    case .invalidCodeLengths(let reason):
      return "invalid Huffman code lengths: \(reason)"
    case .invalidSymbol(let reason):
      return "invalid Huffman-coded symbol: \(reason)"
    case .distanceTooFarBack(let distance, let available):
      return "invalid distance \(distance): only \(available) bytes have been decoded so far"
    case .outputLimitExceeded(let limit):
      return "decoded output exceeds the limit of \(limit) bytes"
    case .badMagic(let format, let offset, let found):
      let hex = found.map { $0 < 16 ? "0\(String($0, radix: 16))" : String($0, radix: 16) }
      return "bad \(format) magic at offset \(offset): found [\(hex.joined(separator: " "))]"
    case .invalidHeader(let format, let reason):
      return "invalid \(format) header: \(reason)"
    case .checksumMismatch(let format, let field, let stored, let computed):
      return "\(format) \(field) mismatch: stored 0x\(String(stored, radix: 16)), "
        + "computed 0x\(String(computed, radix: 16)) (the data is corrupt)"
    case .sizeMismatch(let stored, let actual):
      return "gzip ISIZE mismatch: trailer says \(stored) bytes, decoded \(actual) (mod 2^32)"
    case .trailingData(let format, let offset, let count):
      return "\(count) unexpected bytes after the end of the \(format) stream at offset \(offset)"
    }
  }
}
