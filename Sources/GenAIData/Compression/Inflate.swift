/// The RFC 1951 DEFLATE decoder ("inflate") for raw streams; `Zlib` and `Gzip` wrap it.
///
/// It decodes stored, fixed-Huffman and dynamic-Huffman blocks from a contiguous byte buffer with a
/// 64-bit bit buffer and two-level lookup tables (10-bit first level). Every malformed input throws
/// a `CompressionError`: each decoding step consumes at least one bit or throws, so truncated or
/// hostile input can neither crash the decoder nor make it loop forever.
public enum Inflate {
  /// Decodes a raw DEFLATE stream (no zlib or gzip wrapper).
  ///
  /// - Parameters:
  ///   - bytes: the compressed stream, which must end exactly at the end of its final block
  ///     (up to the padding bits of the last byte).
  ///   - limit: the most bytes the output may hold; `nil` for no limit. Use it on untrusted input:
  ///     DEFLATE expands up to 1032:1, so a small input can claim gigabytes.
  /// - Returns: the decoded bytes.
  /// - Throws: `CompressionError` describing the first problem found, including
  ///   `.trailingData` when bytes follow the final block.
  public static func decompress(raw bytes: [UInt8], limit: Int? = nil) throws(CompressionError) -> [UInt8] {
    try bytes.withUnsafeBufferPointer { (input) throws(CompressionError) -> [UInt8] in
      let output = InflateOutput(capacityHint: defaultCapacityHint(inputCount: input.count), limit: limit)
      let end = try inflate(input, from: 0, into: output)
      if end < input.count {
        throw .trailingData(format: "DEFLATE", offset: end, count: input.count - end)
      }
      return output.toArray()
    }
  }

  /// An initial output capacity when the decoded size is unknown. Typical data compresses 2–5x,
  /// and reserving untouched memory is cheap, so 4x avoids most regrowth.
  static func defaultCapacityHint(inputCount: Int) -> Int {
    Swift.max(1 << 16, inputCount.multipliedReportingOverflow(by: 4).overflow ? Int.max : inputCount * 4)
  }

  /// Decodes one DEFLATE stream that starts at `start` in `input`, appending to `output`.
  ///
  /// Back-references may reach only as far as the output this call produced, so streams decoded
  /// one after another into the same output (gzip members) stay independent.
  /// - Returns: the offset of the first byte after the stream (its last byte may be partly padding).
  static func inflate(
    _ input: UnsafeBufferPointer<UInt8>, from start: Int, into output: InflateOutput
  ) throws(CompressionError) -> Int {
    var inflater = Inflater(input: input, position: start, output: output)
    try inflater.run()
    return inflater.endOfStream
  }

  /// Bits of the first-level literal/length and distance tables: codes of up to 10 bits (nearly
  /// all of them in practice) decode in one lookup, and the tables (4 KiB each) stay in L1.
  static let rootBits = 10

  /// The fixed literal/length and distance tables of block type 1, built once.
  static let fixedTables: (literals: HuffmanDecodingTable, distances: HuffmanDecodingTable) = {
    // The fixed code lengths are constants of the format and form complete codes, so building
    // their tables cannot fail.
    do {
      return (
        try HuffmanDecodingTable(
          codeLengths: DeflateFormat.fixedLiteralLengthCodeLengths, alphabet: .literalLength, rootBits: rootBits),
        try HuffmanDecodingTable(
          codeLengths: DeflateFormat.fixedDistanceCodeLengths, alphabet: .distance, rootBits: rootBits)
      )
    } catch {
      fatalError("the fixed DEFLATE codes are invalid: \(error)")
    }
  }()
}

/// The decoder's growable output buffer.
///
/// A manually managed allocation rather than `[UInt8].append`: the hot loop writes through a raw
/// pointer without per-byte uniqueness and capacity checks, and match copies may write up to
/// `slack` bytes past the logical end in 8-byte words. The result is copied into an array once.
final class InflateOutput {
  /// Bytes allocated beyond `capacity` so 8-byte match copies may overshoot the end.
  static let slack = 16

  /// The start of the buffer.
  private(set) var pointer: UnsafeMutablePointer<UInt8>
  /// The number of bytes decoded so far.
  var count = 0
  /// Bytes that may be written before the buffer must grow (never more than `limit`).
  private(set) var capacity: Int
  /// The most bytes the output may hold.
  let limit: Int

  /// Creates an empty buffer with room for about `capacityHint` bytes, holding at most `limit`.
  init(capacityHint: Int, limit: Int?) {
    self.limit = Swift.max(0, limit ?? Int.max)
    capacity = Swift.min(Swift.max(capacityHint, 0), self.limit)
    pointer = .allocate(capacity: capacity + InflateOutput.slack)
  }

  deinit { pointer.deallocate() }

  /// Makes room for `extra` more bytes, or throws when that would pass the limit.
  func reserve(_ extra: Int) throws(CompressionError) {
    if extra <= capacity - count { return }
    guard extra <= limit - count else { throw .outputLimitExceeded(limit: limit) }
    // Doubling keeps the total copying linear in the output size.
    let doubled = capacity > limit / 2 ? limit : capacity * 2
    let newCapacity = Swift.max(doubled, count + extra)
    let newPointer = UnsafeMutablePointer<UInt8>.allocate(capacity: newCapacity + InflateOutput.slack)
    newPointer.update(from: pointer, count: count)
    pointer.deallocate()
    pointer = newPointer
    capacity = newCapacity
  }

  /// Appends `count` bytes from `source`.
  func append(_ source: UnsafePointer<UInt8>, count n: Int) throws(CompressionError) {
    try reserve(n)
    (pointer + count).update(from: source, count: n)
    count += n
  }

  /// The decoded bytes as an array.
  func toArray() -> [UInt8] {
    [UInt8](unsafeUninitializedCapacity: count) { buffer, initialized in
      if count > 0 { buffer.baseAddress!.update(from: pointer, count: count) }
      initialized = count
    }
  }
}

/// The state of one DEFLATE stream being decoded.
///
/// Bits are read least-significant first from a 64-bit buffer. `position` is the next input byte
/// not yet in the buffer and `bitCount` the number of buffered bits not yet consumed, so the
/// stream has consumed exactly `8·position − bitCount` bits. The fast refill may also leave
/// not-yet-counted input bits above `bitCount`; they are the very bits a later refill puts there.
struct Inflater {
  /// The compressed bytes.
  let input: UnsafeBufferPointer<UInt8>
  /// The next input byte to load into the bit buffer.
  var position: Int
  /// Buffered input bits, next bit in bit 0.
  var bitBuffer: UInt64 = 0
  /// How many bits of `bitBuffer` are valid and unconsumed.
  var bitCount = 0
  /// Where decoded bytes go.
  let output: InflateOutput
  /// The output count when this stream started: back-references may not reach before it.
  let streamStart: Int

  init(input: UnsafeBufferPointer<UInt8>, position: Int, output: InflateOutput) {
    self.input = input
    self.position = position
    self.output = output
    streamStart = output.count
  }

  /// The offset of the first input byte after the consumed bits (a partly used byte counts).
  var endOfStream: Int { position - bitCount / 8 }

  /// Tops the bit buffer up to at least 57 bits, or with all remaining input near its end.
  @inline(__always)
  mutating func refill() {
    if position &+ 8 <= input.count {
      // Branch-free refill: load 8 bytes, keep the whole bytes that fit above the unconsumed bits.
      let word = UnsafeRawPointer(input.baseAddress.unsafelyUnwrapped + position).loadUnaligned(as: UInt64.self)
      bitBuffer |= UInt64(littleEndian: word) &<< UInt64(bitCount)
      position &+= (63 &- bitCount) &>> 3
      bitCount |= 56
    } else {
      while bitCount <= 56 && position < input.count {
        bitBuffer |= UInt64(input[position]) &<< UInt64(bitCount)
        position &+= 1
        bitCount &+= 8
      }
    }
  }

  /// Reads an `n`-bit integer (n ≤ 32), least-significant bit first.
  @inline(__always)
  mutating func readBits(_ n: Int, _ context: String) throws(CompressionError) -> Int {
    if bitCount < n {
      refill()
      guard bitCount >= n else { throw .truncated(context: context) }
    }
    let value = Int(truncatingIfNeeded: bitBuffer & ((1 &<< UInt64(n)) &- 1))
    bitBuffer &>>= UInt64(n)
    bitCount &-= n
    return value
  }

  /// Decodes blocks until the one marked final.
  mutating func run() throws(CompressionError) {
    while true {
      let header = try readBits(3, "a block header")
      switch header >> 1 {
      case 0:
        try storedBlock()
      case 1:
        let fixed = Inflate.fixedTables
        try huffmanBlock(literals: fixed.literals, distances: fixed.distances)
      case 2:
        let (literals, distances) = try dynamicTables()
        try huffmanBlock(literals: literals, distances: distances)
      default:
        throw .invalidBlockType(3)
      }
      if header & 1 == 1 { return }
    }
  }

  /// Copies a stored block (RFC 1951 §3.2.4): byte-aligned LEN, NLEN, then LEN raw bytes.
  mutating func storedBlock() throws(CompressionError) {
    // Skip to the byte boundary, then hand the buffered whole bytes back to the input so the
    // header and data can be read (and copied) straight from it.
    let padding = bitCount & 7
    bitBuffer &>>= UInt64(padding)
    bitCount -= padding
    position -= bitCount >> 3
    bitBuffer = 0
    bitCount = 0
    guard input.count - position >= 4 else { throw .truncated(context: "a stored block's LEN and NLEN") }
    let length = Int(input[position]) | Int(input[position + 1]) << 8
    let complement = Int(input[position + 2]) | Int(input[position + 3]) << 8
    guard length ^ complement == 0xFFFF else {
      throw .storedLengthMismatch(length: length, complement: complement)
    }
    position += 4
    let available = input.count - position
    guard available >= length else {
      throw .truncated(context: "a stored block (\(length) bytes declared, \(available) present)")
    }
    if length > 0 {
      try output.append(input.baseAddress.unsafelyUnwrapped + position, count: length)
    }
    position += length
  }

  /// Decodes one symbol of the code-length code (dynamic headers only; not speed-critical).
  mutating func codeLengthSymbol(_ table: HuffmanDecodingTable) throws(CompressionError) -> Int {
    typealias T = HuffmanDecodingTable
    refill()
    let entry = table.entries[Int(truncatingIfNeeded: bitBuffer) & ((1 << table.rootBits) - 1)]
    let n = Int(entry & T.lengthMask)
    guard n <= bitCount else { throw .truncated(context: "the code lengths of a dynamic block") }
    guard entry & T.kindMask != T.invalid else {
      throw .invalidSymbol("bits that start no code of the code-length code")
    }
    bitBuffer &>>= UInt64(n)
    bitCount -= n
    return Int(entry >> 16)
  }

  /// Reads a dynamic block's header (RFC 1951 §3.2.7) and builds its two decoding tables.
  mutating func dynamicTables() throws(CompressionError) -> (HuffmanDecodingTable, HuffmanDecodingTable) {
    let context = "a dynamic block header"
    let literalCount = try readBits(5, context) + 257
    let distanceCount = try readBits(5, context) + 1
    let codeLengthCount = try readBits(4, context) + 4
    // HLIT can say 288 and HDIST 32, but symbols 286–287 and 30–31 never occur; zlib rejects
    // such headers too.
    guard literalCount <= DeflateFormat.literalLengthSymbols else {
      throw .invalidCodeLengths("HLIT declares \(literalCount) literal/length codes; at most 286 exist")
    }
    guard distanceCount <= DeflateFormat.distanceSymbols else {
      throw .invalidCodeLengths("HDIST declares \(distanceCount) distance codes; at most 30 exist")
    }

    var codeLengthLengths = [UInt8](repeating: 0, count: 19)
    for i in 0..<codeLengthCount {
      codeLengthLengths[DeflateFormat.codeLengthOrder[i]] = UInt8(try readBits(3, context))
    }
    let codeLengthTable = try HuffmanDecodingTable(
      codeLengths: codeLengthLengths, alphabet: .codeLength, rootBits: 7)

    // Literal/length and distance lengths form one sequence; runs may cross from one to the other.
    let total = literalCount + distanceCount
    var lengths = [UInt8](repeating: 0, count: total)
    var i = 0
    while i < total {
      let symbol = try codeLengthSymbol(codeLengthTable)
      if symbol < 16 {
        lengths[i] = UInt8(symbol)
        i += 1
        continue
      }
      let repeated: UInt8
      let run: Int
      switch symbol {
      case 16:
        guard i > 0 else { throw .invalidCodeLengths("repeat code 16 has no previous length to repeat") }
        repeated = lengths[i - 1]
        run = 3 + (try readBits(2, "the code lengths of a dynamic block"))
      case 17:
        repeated = 0
        run = 3 + (try readBits(3, "the code lengths of a dynamic block"))
      default:
        repeated = 0
        run = 11 + (try readBits(7, "the code lengths of a dynamic block"))
      }
      guard run <= total - i else {
        throw .invalidCodeLengths("a repeat code runs \(run - (total - i)) lengths past the \(total) declared")
      }
      for j in i..<(i + run) { lengths[j] = repeated }
      i += run
    }
    guard lengths[DeflateFormat.endOfBlock] != 0 else {
      throw .invalidCodeLengths("the end-of-block symbol 256 has no code")
    }
    let literals = try HuffmanDecodingTable(
      codeLengths: Array(lengths[0..<literalCount]), alphabet: .literalLength, rootBits: Inflate.rootBits)
    let distances = try HuffmanDecodingTable(
      codeLengths: Array(lengths[literalCount...]), alphabet: .distance, rootBits: Inflate.rootBits)
    return (literals, distances)
  }

  /// Decodes the symbols of a Huffman block up to and including its end-of-block symbol.
  mutating func huffmanBlock(
    literals: HuffmanDecodingTable, distances: HuffmanDecodingTable
  ) throws(CompressionError) {
    try literals.entries.withUnsafeBufferPointer { (lit) throws(CompressionError) in
      try distances.entries.withUnsafeBufferPointer { (dist) throws(CompressionError) in
        try decodeSymbols(lit.baseAddress.unsafelyUnwrapped, dist.baseAddress.unsafelyUnwrapped)
      }
    }
  }

  /// The error for an `invalid` literal/length or distance entry.
  static func invalidEntryError(_ entry: UInt32, _ alphabet: String) -> CompressionError {
    let value = entry >> 16
    if value == HuffmanDecodingTable.unassigned {
      return .invalidSymbol("bits that start no code of the block's \(alphabet) code")
    }
    return .invalidSymbol("reserved \(alphabet) symbol \(value)")
  }

  /// The hot loop. State lives in locals (written back on exit) so it stays in registers: stores
  /// through the output pointer could otherwise alias `self` and force reloads after every byte.
  @inline(__always)
  mutating func decodeSymbols(
    _ lit: UnsafePointer<UInt32>, _ dist: UnsafePointer<UInt32>
  ) throws(CompressionError) {
    typealias T = HuffmanDecodingTable
    let rootBits = Inflate.rootBits
    let rootMask = (1 << rootBits) - 1
    let inputBase = input.baseAddress
    let inputCount = input.count
    var pos = position
    var buf = bitBuffer
    var nb = bitCount
    var out = output.pointer
    var outCount = output.count
    var capacity = output.capacity
    let windowStart = streamStart
    defer {
      position = pos
      bitBuffer = buf
      bitCount = nb
      output.count = outCount
    }

    while true {
      // Refill (see `refill()`). Afterwards there are at least 57 bits unless the input is nearly
      // exhausted: enough for a whole length/distance pair (15 + 5 + 15 + 13 = 48 bits).
      if pos &+ 8 <= inputCount {
        let word = UnsafeRawPointer(inputBase.unsafelyUnwrapped + pos).loadUnaligned(as: UInt64.self)
        buf |= UInt64(littleEndian: word) &<< UInt64(nb)
        pos &+= (63 &- nb) &>> 3
        nb |= 56
      } else {
        while nb <= 56 && pos < inputCount {
          buf |= UInt64(inputBase.unsafelyUnwrapped[pos]) &<< UInt64(nb)
          pos &+= 1
          nb &+= 8
        }
      }

      // Literal/length symbol. Bits above `nb` are zero near the end of input, so a lookup on
      // them is only trusted when the code it finds fits in the bits that are really there.
      var entry = lit[Int(truncatingIfNeeded: buf) & rootMask]
      if entry & T.kindMask == T.link {
        guard nb >= rootBits else { throw .truncated(context: "a literal/length code") }
        buf &>>= UInt64(rootBits)
        nb &-= rootBits
        let subMask = (1 &<< Int((entry &>> 8) & 0xF)) &- 1
        entry = lit[Int(entry &>> 16) &+ (Int(truncatingIfNeeded: buf) & subMask)]
      }
      // Length before validity: bits past the end of input may point at a reserved symbol.
      let codeLength = Int(entry & T.lengthMask)
      guard codeLength <= nb else { throw .truncated(context: "a literal/length code") }
      let kind = entry & T.kindMask
      guard kind != T.invalid else { throw Inflater.invalidEntryError(entry, "literal/length") }
      buf &>>= UInt64(codeLength)
      nb &-= codeLength

      if kind == T.literal {
        if outCount == capacity {
          output.count = outCount
          try output.reserve(1)
          out = output.pointer
          capacity = output.capacity
        }
        out[outCount] = UInt8(truncatingIfNeeded: entry &>> 16)
        outCount &+= 1
        continue
      }
      if kind == T.endOfBlock { return }

      // Match length: base plus extra bits.
      let lengthExtra = Int((entry &>> 8) & 0xF)
      guard lengthExtra <= nb else { throw .truncated(context: "the extra bits of a match length") }
      let length = Int(entry &>> 16) &+ Int(truncatingIfNeeded: buf & ((1 &<< UInt64(lengthExtra)) &- 1))
      buf &>>= UInt64(lengthExtra)
      nb &-= lengthExtra

      // Distance symbol and extra bits.
      var dEntry = dist[Int(truncatingIfNeeded: buf) & rootMask]
      if dEntry & T.kindMask == T.link {
        guard nb >= rootBits else { throw .truncated(context: "a distance code") }
        buf &>>= UInt64(rootBits)
        nb &-= rootBits
        let subMask = (1 &<< Int((dEntry &>> 8) & 0xF)) &- 1
        dEntry = dist[Int(dEntry &>> 16) &+ (Int(truncatingIfNeeded: buf) & subMask)]
      }
      let dCodeLength = Int(dEntry & T.lengthMask)
      guard dCodeLength <= nb else { throw .truncated(context: "a distance code") }
      guard dEntry & T.kindMask != T.invalid else { throw Inflater.invalidEntryError(dEntry, "distance") }
      buf &>>= UInt64(dCodeLength)
      nb &-= dCodeLength
      let distanceExtra = Int((dEntry &>> 8) & 0xF)
      guard distanceExtra <= nb else { throw .truncated(context: "the extra bits of a match distance") }
      let distance =
        Int(dEntry &>> 16) &+ Int(truncatingIfNeeded: buf & ((1 &<< UInt64(distanceExtra)) &- 1))
      buf &>>= UInt64(distanceExtra)
      nb &-= distanceExtra

      guard distance <= outCount &- windowStart else {
        throw .distanceTooFarBack(distance: distance, available: outCount - windowStart)
      }
      if length > capacity &- outCount {
        output.count = outCount
        try output.reserve(length)
        out = output.pointer
        capacity = output.capacity
      }

      // Copy the match. It may overlap its own output (distance < length), which repeats the
      // last `distance` bytes; copying forwards in chunks no longer than `distance` does that.
      let destination = out + outCount
      let source = destination - distance
      if distance >= 8 {
        // 8-byte words; the last one may overshoot by up to 7 bytes into the buffer's slack.
        var i = 0
        repeat {
          let word = UnsafeRawPointer(source + i).loadUnaligned(as: UInt64.self)
          UnsafeMutableRawPointer(destination + i).storeBytes(of: word, as: UInt64.self)
          i &+= 8
        } while i < length
      } else if distance == 1 {
        destination.update(repeating: source.pointee, count: length)
      } else {
        for i in 0..<length { destination[i] = source[i] }
      }
      outCount &+= length
    }
  }
}
