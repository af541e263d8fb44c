/// The gzip format (RFC 1952): members of a 10-byte header (plus optional extra field, file name,
/// comment and header CRC), a DEFLATE stream, and a trailer with the CRC-32 and the length modulo
/// 2^32 of the uncompressed data. The MNIST / Fashion-MNIST `.gz` files are single-member gzip.
public enum Gzip {
  /// Header flag: a header CRC-16 follows the optional fields.
  static let flagHeaderCRC: UInt8 = 0x02
  /// Header flag: an extra field (2-byte length, then data) follows the fixed header.
  static let flagExtra: UInt8 = 0x04
  /// Header flag: a zero-terminated original file name follows.
  static let flagName: UInt8 = 0x08
  /// Header flag: a zero-terminated comment follows.
  static let flagComment: UInt8 = 0x10
  /// Flag bits RFC 1952 reserves; a decoder must reject them.
  static let reservedFlags: UInt8 = 0xE0

  /// Decodes gzip data: every member, concatenated, each one's CRC-32 and ISIZE verified.
  ///
  /// Zero bytes after the last member are accepted as padding (as gzip(1) and Python do); any
  /// other data after a member must be another member.
  /// - Parameters:
  ///   - bytes: the gzip file's contents.
  ///   - limit: the most bytes the output may hold; `nil` for no limit.
  /// - Throws: `CompressionError`: `.badMagic`, `.invalidHeader` (method, reserved flags),
  ///   `.checksumMismatch` (header CRC-16 or data CRC-32), `.sizeMismatch` (ISIZE), `.truncated`,
  ///   or any DEFLATE error.
  public static func decompress(_ bytes: [UInt8], limit: Int? = nil) throws(CompressionError) -> [UInt8] {
    try bytes.withUnsafeBufferPointer { (input) throws(CompressionError) -> [UInt8] in
      guard !input.isEmpty else { throw .truncated(context: "the gzip header (the input is empty)") }
      let output = InflateOutput(capacityHint: capacityHint(input), limit: limit)
      var offset = 0
      var member = 1
      while true {
        let dataStart = try headerEnd(input, at: offset, member: member)
        let memberStart = output.count
        let end = try Inflate.inflate(input, from: dataStart, into: output)
        let which = member == 1 ? "" : " of member \(member)"
        guard input.count - end >= 8 else {
          throw .truncated(context: "the gzip trailer (CRC-32 and ISIZE)\(which): \(input.count - end) of 8 bytes")
        }
        let storedCRC = readLE32(input, at: end)
        let storedSize = readLE32(input, at: end + 4)
        var crc = CRC32()
        crc.update(UnsafeRawBufferPointer(start: output.pointer + memberStart, count: output.count - memberStart))
        guard crc.value == storedCRC else {
          throw .checksumMismatch(format: "gzip", field: "CRC-32\(which)", stored: storedCRC, computed: crc.value)
        }
        let actualSize = UInt32(truncatingIfNeeded: output.count - memberStart)
        guard actualSize == storedSize else { throw .sizeMismatch(stored: storedSize, actual: actualSize) }
        offset = end + 8
        if input[offset...].allSatisfy({ $0 == 0 }) { break }
        member += 1
      }
      return output.toArray()
    }
  }

  /// Compresses `bytes` into a single-member gzip stream with no name, comment or timestamp.
  public static func compress(_ bytes: [UInt8], level: Deflate.Level = .default) -> [UInt8] {
    let deflated = Deflate.compress(raw: bytes, level: level)
    let crc = CRC32.checksum(bytes)
    let size = UInt32(truncatingIfNeeded: bytes.count)
    // XFL 2 = slowest/best, 4 = fastest; OS 255 = unknown (as Python writes), MTIME 0 = none.
    let xfl: UInt8 = level == .best ? 2 : level == .fast ? 4 : 0
    var out: [UInt8] = [0x1F, 0x8B, 8, 0, 0, 0, 0, 0, xfl, 255]
    out.reserveCapacity(deflated.count + 18)
    out.append(contentsOf: deflated)
    for value in [crc, size] {
      for shift in stride(from: 0, to: 32, by: 8) { out.append(UInt8(truncatingIfNeeded: value >> UInt32(shift))) }
    }
    return out
  }

  /// A little-endian 32-bit field.
  static func readLE32(_ input: UnsafeBufferPointer<UInt8>, at i: Int) -> UInt32 {
    UInt32(input[i]) | UInt32(input[i + 1]) << 8 | UInt32(input[i + 2]) << 16 | UInt32(input[i + 3]) << 24
  }

  /// An output capacity guess: the last member's ISIZE (exact for the usual single member), unless
  /// it is implausible for the input's size (DEFLATE expands at most about 1032:1).
  static func capacityHint(_ input: UnsafeBufferPointer<UInt8>) -> Int {
    let fallback = Inflate.defaultCapacityHint(inputCount: input.count)
    guard input.count >= 18 else { return fallback }
    let isize = Int(readLE32(input, at: input.count - 4))
    return isize > 0 && isize / 1032 <= input.count ? isize : fallback
  }

  /// Parses the member header at `offset` and returns where its DEFLATE data starts.
  static func headerEnd(
    _ input: UnsafeBufferPointer<UInt8>, at offset: Int, member: Int
  ) throws(CompressionError) -> Int {
    let which = member == 1 ? "the gzip header" : "the header of gzip member \(member)"
    let available = input.count - offset
    guard available >= 2, input[offset] == 0x1F, input[offset + 1] == 0x8B else {
      if available >= 2 || (available == 1 && input[offset] != 0x1F) {
        throw .badMagic(
          format: "gzip", offset: offset, found: Array(input[offset..<Swift.min(offset + 2, input.count)]))
      }
      throw .truncated(context: "\(which) (\(available) of 10 bytes)")
    }
    guard available >= 10 else { throw .truncated(context: "\(which) (\(available) of 10 bytes)") }
    guard input[offset + 2] == 8 else {
      throw .invalidHeader(format: "gzip", reason: "compression method \(input[offset + 2]), expected 8 (deflate)")
    }
    let flags = input[offset + 3]
    guard flags & reservedFlags == 0 else {
      throw .invalidHeader(format: "gzip", reason: "reserved flag bits set (FLG = 0x\(String(flags, radix: 16)))")
    }
    var i = offset + 10
    if flags & flagExtra != 0 {
      guard input.count - i >= 2 else { throw .truncated(context: "the length of the gzip extra field") }
      let extraLength = Int(input[i]) | Int(input[i + 1]) << 8
      i += 2
      guard input.count - i >= extraLength else {
        throw .truncated(context: "the gzip extra field (\(extraLength) bytes declared, \(input.count - i) present)")
      }
      i += extraLength
    }
    for (flag, field) in [(flagName, "file name"), (flagComment, "comment")] where flags & flag != 0 {
      // Zero-terminated Latin-1 text; only its end matters here.
      while i < input.count && input[i] != 0 { i += 1 }
      guard i < input.count else { throw .truncated(context: "the gzip \(field) (no terminating zero)") }
      i += 1
    }
    if flags & flagHeaderCRC != 0 {
      guard input.count - i >= 2 else { throw .truncated(context: "the gzip header CRC-16") }
      let stored = UInt32(input[i]) | UInt32(input[i + 1]) << 8
      let computed = CRC32.update(0, UnsafeRawBufferPointer(UnsafeBufferPointer(rebasing: input[offset..<i]))) & 0xFFFF
      guard stored == computed else {
        throw .checksumMismatch(format: "gzip", field: "header CRC-16", stored: stored, computed: computed)
      }
      i += 2
    }
    return i
  }
}
