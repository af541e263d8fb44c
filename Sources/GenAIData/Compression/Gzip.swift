/// The gzip format (RFC 1952): members of a 10-byte header (plus optional extra field, file name,
/// comment and header CRC), a DEFLATE stream, and a trailer with the CRC-32 and the length modulo
/// 2^32 of the uncompressed data. The MNIST / Fashion-MNIST `.gz` files are single-member gzip.
/// Coded by the system zlib (`libz`).
public enum Gzip {
  /// Decodes gzip data: every member, concatenated, each one's CRC-32 and ISIZE verified.
  ///
  /// Zero bytes after the last member are accepted as padding (as gzip(1) and Python do); any
  /// other data after a member must be another member.
  /// - Parameters:
  ///   - bytes: the gzip file's contents.
  ///   - limit: the most bytes the output may hold; `nil` for no limit.
  /// - Throws: `CompressionError`: `.badMagic` (also for garbage after a member), `.truncated`,
  ///   `.corrupt` (method, reserved flags, header CRC-16, invalid DEFLATE data, data CRC-32,
  ///   ISIZE) or `.outputLimitExceeded`.
  public static func decompress(_ bytes: [UInt8], limit: Int? = nil) throws(CompressionError) -> [UInt8] {
    try Inflater(bytes, format: .gzip).decodeAll(limit: limit)
  }

  /// Compresses `bytes` into a single-member gzip stream with no name, comment or timestamp.
  public static func compress(_ bytes: [UInt8], level: Zlib.Level = .default) -> [UInt8] {
    Deflater.compress(bytes, level: level, format: .gzip)
  }
}
