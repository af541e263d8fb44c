/// Reading and writing PNG text chunks (spec §11.3.4): `tEXt` (Latin-1), `zTXt` (Latin-1,
/// zlib-compressed) and `iTXt` (UTF-8, optionally compressed, with a language tag).
enum PNGTextChunks {
  /// The entry in a `tEXt`, `zTXt` or `iTXt` chunk's data, or `nil` when it is malformed (text
  /// chunks are ancillary: a bad one is skipped, not an error).
  static func decode(type: String, _ data: ArraySlice<UInt8>) -> PNGText? {
    guard let nul = data.firstIndex(of: 0), nul > data.startIndex, nul - data.startIndex <= 79 else { return nil }
    let key = latin1(data[data.startIndex..<nul])
    var rest = data[(nul + 1)...]
    switch type {
    case "tEXt":
      return PNGText(key: key, value: latin1(rest))
    case "zTXt":
      guard rest.first == 0, let text = inflate(rest.dropFirst()) else { return nil }
      return PNGText(key: key, value: latin1(text[...]))
    case "iTXt":
      guard rest.count >= 2 else { return nil }
      let compressed = rest[rest.startIndex] == 1
      rest = rest.dropFirst(2)
      // Language tag, then translated keyword, each NUL-terminated.
      for _ in 0..<2 {
        guard let end = rest.firstIndex(of: 0) else { return nil }
        rest = rest[(end + 1)...]
      }
      if compressed {
        guard let text = inflate(rest) else { return nil }
        return PNGText(key: key, value: String(decoding: text, as: UTF8.self))
      }
      return PNGText(key: key, value: String(decoding: rest, as: UTF8.self))
    default:
      return nil
    }
  }

  /// The chunk type and data that store `entry`: `tEXt` when the value is Latin-1 without NUL,
  /// else an uncompressed UTF-8 `iTXt`.
  /// - Precondition: `PNGText.isValidKey(entry.key)`.
  static func encode(_ entry: PNGText) -> (type: String, data: [UInt8]) {
    precondition(PNGText.isValidKey(entry.key), "[PNG] invalid text keyword \"\(entry.key)\" (1-79 Latin-1 characters)")
    let key = entry.key.unicodeScalars.map { UInt8($0.value) }
    if entry.value.unicodeScalars.allSatisfy({ $0.value <= 255 && $0.value != 0 }) {
      return ("tEXt", key + [0] + entry.value.unicodeScalars.map { UInt8($0.value) })
    }
    // Keyword, NUL, compression flag 0, method 0, empty language tag and translated keyword.
    return ("iTXt", key + [0, 0, 0, 0, 0] + Array(entry.value.utf8))
  }

  /// Latin-1 bytes as a string.
  private static func latin1(_ bytes: ArraySlice<UInt8>) -> String {
    String(String.UnicodeScalarView(bytes.map { Unicode.Scalar($0) }))
  }

  /// A zlib stream's contents (at most 1 MiB), or `nil` when it is not a valid one.
  private static func inflate(_ bytes: ArraySlice<UInt8>) -> [UInt8]? {
    try? Zlib.decompress(Array(bytes), limit: 1 << 20)
  }
}
