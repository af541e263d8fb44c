/// The chunk layer of PNG (spec §5): after the 8-byte signature, chunks of a 4-byte big-endian
/// length, a 4-letter type, the data and a CRC-32 of type and data.
enum PNGChunks {
  /// The 8 bytes every PNG file starts with.
  static let signature: [UInt8] = [0x89, 0x50, 0x4E, 0x47, 0x0D, 0x0A, 0x1A, 0x0A]

  /// The largest chunk length the spec allows (2³¹ − 1).
  static let maxLength = Int(Int32.max)

  /// One chunk: its type and where its data lies in the file.
  struct Chunk {
    /// The 4-letter type, e.g. `"IHDR"`.
    var type: String
    /// The data's byte range in the file.
    var data: Range<Int>
    /// Whether a decoder must understand the chunk (the first letter is upper case).
    var isCritical: Bool
  }

  /// The chunks of `bytes`, from `IHDR` to `IEND` inclusive (anything after `IEND` is ignored),
  /// each one's length and CRC-32 checked.
  /// - Throws: `DataError` naming `file` for a wrong signature, a truncated or overlong chunk,
  ///   an invalid chunk type, a CRC mismatch (naming the chunk) or a missing `IEND`.
  static func parse(_ bytes: [UInt8], file: String) throws(DataError) -> [Chunk] {
    try bytes.withUnsafeBufferPointer { (b) throws(DataError) -> [Chunk] in
      guard b.count >= 8, Array(b[0..<8]) == signature else {
        let head = b.prefix(8).map { ($0 < 16 ? "0" : "") + String($0, radix: 16) }.joined(separator: " ")
        throw DataError(
          file: file, "not a PNG file: the signature is [\(head)], expected [89 50 4e 47 0d 0a 1a 0a]")
      }
      var chunks: [Chunk] = []
      var offset = 8
      while true {
        let left = b.count - offset
        guard left >= 8 else {
          let what =
            left == 0
            ? "the file ends after \(chunks.last.map { "chunk \($0.type)" } ?? "the signature")"
            : "a chunk header at offset \(offset) needs 8 bytes, \(left) left"
          throw DataError(file: file, "truncated PNG: \(what), before the IEND chunk")
        }
        let length = Int(readUInt32(b, offset))
        let typeBytes = Array(b[(offset + 4)..<(offset + 8)])
        guard typeBytes.allSatisfy({ (65...90).contains($0) || (97...122).contains($0) }) else {
          let hex = typeBytes.map { String($0, radix: 16) }.joined(separator: " ")
          throw DataError(file: file, "invalid PNG chunk type [\(hex)] at offset \(offset + 4) (the file is corrupt)")
        }
        let type = String(decoding: typeBytes, as: UTF8.self)
        guard length <= maxLength else {
          throw DataError(file: file, "PNG chunk \(type): length \(length) exceeds the maximum 2^31-1")
        }
        guard left - 12 >= length else {
          throw DataError(
            file: file,
            "truncated PNG: chunk \(type) at offset \(offset) needs \(length + 12) bytes, \(left) left")
        }
        let dataStart = offset + 8
        let stored = readUInt32(b, dataStart + length)
        let computed = CRC32.checksum(b[(offset + 4)..<(dataStart + length)])
        guard stored == computed else {
          throw DataError(
            file: file,
            "PNG chunk \(type): CRC mismatch (stored 0x\(String(stored, radix: 16)), "
              + "computed 0x\(String(computed, radix: 16)); the file is corrupt)")
        }
        chunks.append(Chunk(type: type, data: dataStart..<(dataStart + length), isCritical: typeBytes[0] & 0x20 == 0))
        offset = dataStart + length + 4
        if type == "IEND" { return chunks }
      }
    }
  }

  /// The big-endian 32-bit value at `offset`.
  @inline(__always) static func readUInt32(_ b: UnsafeBufferPointer<UInt8>, _ offset: Int) -> UInt32 {
    UInt32(b[offset]) << 24 | UInt32(b[offset + 1]) << 16 | UInt32(b[offset + 2]) << 8 | UInt32(b[offset + 3])
  }

  /// Appends a chunk of `type` (4 ASCII letters) holding `data`, with its length and CRC.
  static func append(_ type: String, _ data: [UInt8], to out: inout [UInt8]) {
    let typeBytes = Array(type.utf8)
    precondition(typeBytes.count == 4, "[PNG] chunk type must be 4 letters")
    appendUInt32(UInt32(data.count), to: &out)
    var crc = CRC32()
    crc.update(typeBytes)
    crc.update(data)
    out.append(contentsOf: typeBytes)
    out.append(contentsOf: data)
    appendUInt32(crc.value, to: &out)
  }

  /// Appends `value` as four big-endian bytes.
  static func appendUInt32(_ value: UInt32, to out: inout [UInt8]) {
    out.append(contentsOf: [
      UInt8(value >> 24), UInt8(value >> 16 & 0xFF), UInt8(value >> 8 & 0xFF), UInt8(value & 0xFF),
    ])
  }
}
