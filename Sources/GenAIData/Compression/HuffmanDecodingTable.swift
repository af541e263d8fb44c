/// A two-level lookup table that decodes one canonical Huffman code of a DEFLATE block.
///
/// Decoding bit by bit costs a branch per bit; instead the decoder peeks `rootBits` bits and
/// indexes the first-level table, which resolves every code of at most `rootBits` bits in one
/// lookup (codes are short for frequent symbols, so that is nearly all of them). A longer code's
/// root entry is a link to a small second-level table indexed by the code's remaining bits.
/// DEFLATE sends codes most-significant-bit first but packs bits least-significant first, so
/// tables are indexed by bit-reversed codes: then the next bits of the stream, taken as an
/// integer, are the index.
///
/// Each entry is a `UInt32`:
/// - bits 0–4: the bits to consume (the code length; `rootBits` for a link; the remaining length
///   in a second-level table; 1 for bits that start no code),
/// - bits 8–11: extra bits that follow the symbol (length and distance symbols), or a link's
///   second-level index width,
/// - bits 12–14: the kind (`literal`, `lengthOrDistance`, `endOfBlock`, `link`, `invalid`),
/// - bits 16–31: the value (literal byte, length or distance base, code-length symbol, link
///   offset; for `invalid`, the reserved symbol, or `unassigned` when no code has these bits).
struct HuffmanDecodingTable: Sendable {
  /// Mask of the bits-to-consume field.
  static let lengthMask: UInt32 = 0x1F
  /// Mask of the kind field.
  static let kindMask: UInt32 = 7 << 12
  /// A literal byte, or a code-length symbol (0–18).
  static let literal: UInt32 = 0 << 12
  /// A match length or distance: `value` is the base, `extra` bits follow.
  static let lengthOrDistance: UInt32 = 1 << 12
  /// The end-of-block symbol 256.
  static let endOfBlock: UInt32 = 2 << 12
  /// A link to a second-level table at offset `value`, indexed by `extra` further bits.
  static let link: UInt32 = 3 << 12
  /// No valid symbol: a reserved symbol, or bits that start no code (`value == unassigned`).
  static let invalid: UInt32 = 4 << 12
  /// The `value` of an invalid entry that no code reaches.
  static let unassigned: UInt32 = 0xFFFF

  /// The alphabet a table decodes, which decides what each symbol's entry means.
  enum Alphabet: Sendable {
    /// Literal bytes, end of block and match lengths (symbols 0–287).
    case literalLength
    /// Match distances (symbols 0–31).
    case distance
    /// The code-length code of a dynamic block header (symbols 0–18).
    case codeLength

    /// The alphabet's name as error messages use it.
    var name: String {
      switch self {
      case .literalLength: "literal/length"
      case .distance: "distance"
      case .codeLength: "code-length"
      }
    }
  }

  /// The number of bits the first-level table is indexed by.
  let rootBits: Int
  /// The first-level table (`1 << rootBits` entries) followed by every second-level table.
  let entries: [UInt32]

  /// Packs a table entry.
  @inline(__always)
  static func entry(kind: UInt32, value: Int, extra: Int, length: Int) -> UInt32 {
    kind | UInt32(truncatingIfNeeded: value) << 16 | UInt32(truncatingIfNeeded: extra) << 8
      | UInt32(truncatingIfNeeded: length)
  }

  /// The entry of `symbol` in `alphabet`, without its length field.
  static func symbolEntry(_ symbol: Int, in alphabet: Alphabet) -> UInt32 {
    switch alphabet {
    case .codeLength:
      return entry(kind: literal, value: symbol, extra: 0, length: 0)
    case .literalLength:
      if symbol < 256 { return entry(kind: literal, value: symbol, extra: 0, length: 0) }
      if symbol == DeflateFormat.endOfBlock { return entry(kind: endOfBlock, value: 0, extra: 0, length: 0) }
      if symbol < DeflateFormat.literalLengthSymbols {
        let i = symbol - 257
        return entry(
          kind: lengthOrDistance, value: DeflateFormat.lengthBase[i], extra: DeflateFormat.lengthExtraBits[i],
          length: 0)
      }
      return entry(kind: invalid, value: symbol, extra: 0, length: 0)
    case .distance:
      if symbol < DeflateFormat.distanceSymbols {
        return entry(
          kind: lengthOrDistance, value: DeflateFormat.distanceBase[symbol],
          extra: DeflateFormat.distanceExtraBits[symbol], length: 0)
      }
      return entry(kind: invalid, value: symbol, extra: 0, length: 0)
    }
  }

  /// Builds the table of the canonical code with the given per-symbol code lengths (0 = unused).
  ///
  /// - Throws: `CompressionError.invalidCodeLengths` when a length exceeds 15, when the lengths
  ///   over-subscribe the code space (the code would be ambiguous), or when they leave it
  ///   incomplete — except for the one incompleteness RFC 1951 permits and zlib accepts: a
  ///   literal/length or distance code of a single one-bit code. No code at all is accepted
  ///   (a block of literals only has no distance codes); the code-length code must be complete.
  init(codeLengths: [UInt8], alphabet: Alphabet, rootBits: Int) throws(CompressionError) {
    self.rootBits = rootBits
    let rootSize = 1 << rootBits
    // Length 1 so that, at the end of input, a lookup with no real bits left reads as truncation.
    let unassignedEntry = HuffmanDecodingTable.entry(
      kind: HuffmanDecodingTable.invalid, value: Int(HuffmanDecodingTable.unassigned), extra: 0, length: 1)

    var counts = [Int](repeating: 0, count: 16)
    var maxLength = 0
    for length in codeLengths {
      guard length <= 15 else {
        throw .invalidCodeLengths("\(alphabet.name) code length \(length) exceeds 15")
      }
      counts[Int(length)] += 1
      maxLength = Swift.max(maxLength, Int(length))
    }
    counts[0] = 0
    var table = [UInt32](repeating: unassignedEntry, count: rootSize)
    if maxLength == 0 {
      guard alphabet != .codeLength else {
        throw .invalidCodeLengths("the code-length code has no codes")
      }
      entries = table
      return
    }

    // Kraft: `left` is the number of unused codes of the current length.
    var left = 1
    for length in 1...15 {
      left = left << 1 - counts[length]
      guard left >= 0 else {
        throw .invalidCodeLengths("the \(alphabet.name) code is over-subscribed (ambiguous)")
      }
    }
    if left > 0 {
      let singleOneBitCode = maxLength == 1 && counts[1] == 1 && alphabet != .codeLength
      guard singleOneBitCode else {
        throw .invalidCodeLengths("the \(alphabet.name) code is incomplete")
      }
    }

    // Canonical codes (RFC 1951 §3.2.2), stored bit-reversed to match the packing order.
    var nextCode = [Int](repeating: 0, count: 16)
    var code = 0
    for length in 1...15 {
      code = (code + counts[length - 1]) << 1
      nextCode[length] = code
    }
    var reversed = [Int](repeating: 0, count: codeLengths.count)
    for (symbol, length) in codeLengths.enumerated() where length > 0 {
      var c = nextCode[Int(length)]
      nextCode[Int(length)] += 1
      var r = 0
      for _ in 0..<Int(length) {
        r = r << 1 | c & 1
        c >>= 1
      }
      reversed[symbol] = r
    }

    // Second-level tables: one per root prefix shared by codes longer than `rootBits`, sized for
    // the longest code with that prefix.
    if maxLength > rootBits {
      var longest = [Int](repeating: 0, count: rootSize)
      for (symbol, length) in codeLengths.enumerated() where Int(length) > rootBits {
        let prefix = reversed[symbol] & (rootSize - 1)
        longest[prefix] = Swift.max(longest[prefix], Int(length))
      }
      for prefix in 0..<rootSize where longest[prefix] > 0 {
        let bits = longest[prefix] - rootBits
        table[prefix] = HuffmanDecodingTable.entry(
          kind: HuffmanDecodingTable.link, value: table.count, extra: bits, length: rootBits)
        table.append(contentsOf: repeatElement(unassignedEntry, count: 1 << bits))
      }
    }

    // Fill: a code of length l owns every index whose low l bits are its reversed code.
    for (symbol, length) in codeLengths.enumerated() where length > 0 {
      let l = Int(length)
      let e = HuffmanDecodingTable.symbolEntry(symbol, in: alphabet)
      if l <= rootBits {
        var i = reversed[symbol]
        while i < rootSize {
          table[i] = e | UInt32(l)
          i += 1 << l
        }
      } else {
        let linkEntry = table[reversed[symbol] & (rootSize - 1)]
        let offset = Int(linkEntry >> 16)
        let bits = Int((linkEntry >> 8) & 0xF)
        let l2 = l - rootBits
        var i = reversed[symbol] >> rootBits
        while i < 1 << bits {
          table[offset + i] = e | UInt32(l2)
          i += 1 << l2
        }
      }
    }
    entries = table
  }
}
