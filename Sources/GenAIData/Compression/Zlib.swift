/// The zlib format (RFC 1950): a 2-byte header, a DEFLATE stream and a big-endian Adler-32 of the
/// uncompressed data. PNG's IDAT chunks, concatenated, are one zlib stream. Coded by the system
/// zlib (`libz`).
public enum Zlib {
  /// How hard the encoder looks for repeated strings (zlib's levels 0 to 9).
  public enum Level: Int32, Sendable, Hashable, CaseIterable {
    /// No compression: the data is framed in stored blocks (5 bytes of overhead per 64 KiB).
    case storedOnly = 0
    /// zlib level 1: fastest, somewhat larger output.
    case fast = 1
    /// zlib level 6, its default balance of speed and size.
    case `default` = 6
    /// zlib level 9: slowest, smallest output.
    case best = 9
  }

  /// Decodes a zlib stream; zlib verifies its header and Adler-32 checksum.
  ///
  /// - Parameters:
  ///   - bytes: one complete zlib stream; nothing may follow its checksum.
  ///   - limit: the most bytes the output may hold; `nil` for no limit. Use it on untrusted input:
  ///     DEFLATE expands up to 1032:1, so a small input can claim gigabytes.
  /// - Throws: `CompressionError`: `.truncated`, `.corrupt` (a bad header, an invalid DEFLATE
  ///   block, an Adler-32 mismatch, a preset dictionary, which is unsupported),
  ///   `.outputLimitExceeded` or `.trailingData`.
  public static func decompress(_ bytes: [UInt8], limit: Int? = nil) throws(CompressionError) -> [UInt8] {
    let inflater = try Inflater(bytes, format: .zlib)
    let output = try inflater.decodeAll(limit: limit)
    guard inflater.consumed == bytes.count else {
      throw .trailingData(format: "zlib", offset: inflater.consumed, count: bytes.count - inflater.consumed)
    }
    return output
  }

  /// Compresses `bytes` into a zlib stream (32 KiB window, no preset dictionary).
  public static func compress(_ bytes: [UInt8], level: Level = .default) -> [UInt8] {
    Deflater.compress(bytes, level: level, format: .zlib)
  }
}
