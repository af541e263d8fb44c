/// The header of a dynamic block (RFC 1951 §3.2.7): the literal/length and distance code lengths,
/// run-length coded with symbols 16–18, themselves Huffman coded with the code-length code.
struct DeflateDynamicHeader {
  /// HLIT + 257: literal/length lengths sent (trailing unused symbols are cut).
  let literalCount: Int
  /// HDIST + 1: distance lengths sent.
  let distanceCount: Int
  /// HCLEN + 4: code-length code lengths sent, in `DeflateFormat.codeLengthOrder`.
  let codeLengthCount: Int
  /// The code-length code's lengths, by symbol 0–18.
  let codeLengthLengths: [UInt8]
  /// The code-length code, bit-reversed for writing.
  let codeLengthCodes: [UInt32]
  /// The run-length coded lengths: `symbol | extraValue << 5`.
  let items: [UInt16]
  /// The header's size in bits, after the 3-bit block header.
  let bitCount: Int

  init(literalLengths: [UInt8], distanceLengths: [UInt8]) {
    var literalCount = DeflateFormat.literalLengthSymbols
    while literalCount > 257 && literalLengths[literalCount - 1] == 0 { literalCount -= 1 }
    var distanceCount = DeflateFormat.distanceSymbols
    while distanceCount > 1 && distanceLengths[distanceCount - 1] == 0 { distanceCount -= 1 }
    self.literalCount = literalCount
    self.distanceCount = distanceCount
    let sequence = Array(literalLengths[0..<literalCount]) + Array(distanceLengths[0..<distanceCount])

    // Run-length code the sequence: 16 repeats the previous length 3–6 times, 17 and 18 give
    // 3–10 and 11–138 zeros.
    var items: [UInt16] = []
    var frequencies = [Int](repeating: 0, count: 19)
    func add(_ symbol: Int, _ extra: Int = 0) {
      items.append(UInt16(symbol | extra << 5))
      frequencies[symbol] += 1
    }
    var i = 0
    while i < sequence.count {
      let value = sequence[i]
      var run = 1
      while i + run < sequence.count && sequence[i + run] == value { run += 1 }
      i += run
      if value == 0 {
        while run >= 11 {
          let n = Swift.min(run, 138)
          add(18, n - 11)
          run -= n
        }
        if run >= 3 {
          add(17, run - 3)
          run = 0
        }
      } else {
        add(Int(value))
        run -= 1
        while run >= 3 {
          let n = Swift.min(run, 6)
          add(16, n - 3)
          run -= n
        }
      }
      for _ in 0..<run { add(Int(value)) }
    }
    self.items = items

    let codeLengthLengths = HuffmanEncoding.codeLengths(frequencies, maxLength: 7)
    self.codeLengthLengths = codeLengthLengths
    codeLengthCodes = HuffmanEncoding.reversedCodes(codeLengthLengths)
    var codeLengthCount = 19
    while codeLengthCount > 4 && codeLengthLengths[DeflateFormat.codeLengthOrder[codeLengthCount - 1]] == 0 {
      codeLengthCount -= 1
    }
    self.codeLengthCount = codeLengthCount

    var bits = 5 + 5 + 4 + 3 * codeLengthCount
    for symbol in 0..<19 { bits += frequencies[symbol] * Int(codeLengthLengths[symbol]) }
    bits += frequencies[16] * 2 + frequencies[17] * 3 + frequencies[18] * 7
    bitCount = bits
  }

  /// The number of extra bits after code-length symbol `symbol`.
  static func extraBits(_ symbol: Int) -> Int {
    switch symbol {
    case 16: 2
    case 17: 3
    case 18: 7
    default: 0
    }
  }

  /// Writes the header (everything after BFINAL and BTYPE).
  func write(to writer: inout DeflateBitWriter) {
    writer.write(UInt32(literalCount - 257), 5)
    writer.write(UInt32(distanceCount - 1), 5)
    writer.write(UInt32(codeLengthCount - 4), 4)
    for i in 0..<codeLengthCount {
      writer.write(UInt32(codeLengthLengths[DeflateFormat.codeLengthOrder[i]]), 3)
    }
    for item in items {
      let symbol = Int(item & 31)
      let extra = UInt32(item >> 5)
      let length = Int(codeLengthLengths[symbol])
      writer.write(codeLengthCodes[symbol] | extra << UInt32(length), length + DeflateDynamicHeader.extraBits(symbol))
    }
  }
}
