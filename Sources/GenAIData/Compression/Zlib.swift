/// The zlib format (RFC 1950): a 2-byte header, a DEFLATE stream and a big-endian Adler-32 of the
/// uncompressed data. PNG's IDAT chunks, concatenated, are one zlib stream.
public enum Zlib {
  /// Decodes a zlib stream, verifying its header and Adler-32 checksum.
  ///
  /// - Parameters:
  ///   - bytes: one complete zlib stream; nothing may follow its checksum.
  ///   - limit: the most bytes the output may hold; `nil` for no limit.
  /// - Throws: `CompressionError`: `.invalidHeader` for a wrong method, window size, FCHECK or a
  ///   preset dictionary (unsupported: PNG and ordinary streams never use one); `.checksumMismatch`
  ///   for a wrong Adler-32; `.truncated`; `.trailingData`; or any DEFLATE error.
  public static func decompress(_ bytes: [UInt8], limit: Int? = nil) throws(CompressionError) -> [UInt8] {
    try bytes.withUnsafeBufferPointer { (input) throws(CompressionError) -> [UInt8] in
      guard input.count >= 2 else { throw .truncated(context: "the zlib header (\(input.count) of 2 bytes)") }
      let cmf = input[0]
      let flg = input[1]
      guard cmf & 0x0F == 8 else {
        throw .invalidHeader(format: "zlib", reason: "compression method \(cmf & 0x0F), expected 8 (deflate)")
      }
      guard cmf >> 4 <= 7 else {
        throw .invalidHeader(format: "zlib", reason: "window size 2^\((cmf >> 4) + 8) exceeds 32 KiB")
      }
      guard (UInt16(cmf) << 8 | UInt16(flg)) % 31 == 0 else {
        throw .invalidHeader(
          format: "zlib",
          reason: "FCHECK fails: 0x\(String(UInt16(cmf) << 8 | UInt16(flg), radix: 16)) is not a multiple of 31")
      }
      guard flg & 0x20 == 0 else {
        throw .invalidHeader(format: "zlib", reason: "a preset dictionary (FDICT) is required, which is unsupported")
      }

      let output = InflateOutput(capacityHint: Inflate.defaultCapacityHint(inputCount: input.count), limit: limit)
      let end = try Inflate.inflate(input, from: 2, into: output)
      guard input.count - end >= 4 else {
        throw .truncated(context: "the zlib Adler-32 trailer (\(input.count - end) of 4 bytes)")
      }
      let stored =
        UInt32(input[end]) << 24 | UInt32(input[end + 1]) << 16 | UInt32(input[end + 2]) << 8
        | UInt32(input[end + 3])
      var adler = Adler32()
      adler.update(UnsafeRawBufferPointer(start: output.pointer, count: output.count))
      guard adler.value == stored else {
        throw .checksumMismatch(format: "zlib", field: "Adler-32", stored: stored, computed: adler.value)
      }
      guard end + 4 == input.count else {
        throw .trailingData(format: "zlib", offset: end + 4, count: input.count - end - 4)
      }
      return output.toArray()
    }
  }

  /// Compresses `bytes` into a zlib stream (32 KiB window, no preset dictionary).
  public static func compress(_ bytes: [UInt8], level: Deflate.Level = .default) -> [UInt8] {
    let cmf: UInt8 = 0x78  // method 8, window 2^15
    var flg = level.zlibLevelClass << 6
    flg += UInt8((31 - (UInt16(cmf) << 8 | UInt16(flg)) % 31) % 31)  // FCHECK: CMF·256 + FLG ≡ 0 (mod 31)
    let deflated = Deflate.compress(raw: bytes, level: level)
    let adler = Adler32.checksum(bytes)
    var out: [UInt8] = []
    out.reserveCapacity(deflated.count + 6)
    out.append(cmf)
    out.append(flg)
    out.append(contentsOf: deflated)
    out.append(contentsOf: [
      UInt8(adler >> 24), UInt8(truncatingIfNeeded: adler >> 16),
      UInt8(truncatingIfNeeded: adler >> 8), UInt8(truncatingIfNeeded: adler),
    ])
    return out
  }
}
