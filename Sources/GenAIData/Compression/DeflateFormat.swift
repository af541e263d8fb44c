/// Constants of the DEFLATE format (RFC 1951 §3.2.5–3.2.7) shared by the decoder and the encoder.
enum DeflateFormat {
  /// The largest distance a back-reference may span: the sliding window.
  static let windowSize = 32768
  /// The shortest match a length code can express.
  static let minMatch = 3
  /// The longest match a length code can express.
  static let maxMatch = 258
  /// The literal/length symbol that ends a block.
  static let endOfBlock = 256
  /// Literal/length symbols that can appear in a valid stream (286 and 287 are reserved).
  static let literalLengthSymbols = 286
  /// Distance symbols that can appear in a valid stream (30 and 31 are reserved).
  static let distanceSymbols = 30
  /// A stored block holds at most this many bytes (its LEN field is 16 bits).
  static let maxStoredBlock = 65535

  /// Base match length of length symbols 257...285.
  static let lengthBase: [Int] = [
    3, 4, 5, 6, 7, 8, 9, 10, 11, 13, 15, 17, 19, 23, 27, 31, 35, 43, 51, 59, 67, 83, 99, 115, 131, 163, 195,
    227, 258,
  ]
  /// Extra bits after length symbols 257...285.
  static let lengthExtraBits: [Int] = [
    0, 0, 0, 0, 0, 0, 0, 0, 1, 1, 1, 1, 2, 2, 2, 2, 3, 3, 3, 3, 4, 4, 4, 4, 5, 5, 5, 5, 0,
  ]
  /// Base distance of distance symbols 0...29.
  static let distanceBase: [Int] = [
    1, 2, 3, 4, 5, 7, 9, 13, 17, 25, 33, 49, 65, 97, 129, 193, 257, 385, 513, 769, 1025, 1537, 2049, 3073,
    4097, 6145, 8193, 12289, 16385, 24577,
  ]
  /// Extra bits after distance symbols 0...29.
  static let distanceExtraBits: [Int] = [
    0, 0, 0, 0, 1, 1, 2, 2, 3, 3, 4, 4, 5, 5, 6, 6, 7, 7, 8, 8, 9, 9, 10, 10, 11, 11, 12, 12, 13, 13,
  ]
  /// The order in which a dynamic block header lists the code-length code's lengths: the format
  /// puts the usually-unused lengths last so that HCLEN can cut them off.
  static let codeLengthOrder: [Int] = [16, 17, 18, 0, 8, 7, 9, 6, 10, 5, 11, 4, 12, 3, 13, 2, 14, 1, 15]

  /// Code lengths of the fixed literal/length code (block type 1), all 288 symbols.
  static let fixedLiteralLengthCodeLengths: [UInt8] =
    [UInt8](repeating: 8, count: 144) + [UInt8](repeating: 9, count: 112)
    + [UInt8](repeating: 7, count: 24) + [UInt8](repeating: 8, count: 8)
  /// Code lengths of the fixed distance code: all 32 symbols get 5 bits (30 and 31 are reserved).
  static let fixedDistanceCodeLengths = [UInt8](repeating: 5, count: 32)
}
