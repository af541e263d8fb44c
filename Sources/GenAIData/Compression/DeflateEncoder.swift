/// Match-finder settings of one compression level (the knobs of zlib's configuration table).
struct DeflateMatchParameters {
  /// The most hash-chain candidates examined per position.
  var maxChain: Int
  /// A match this long is good enough: stop searching.
  var niceLength: Int
  /// Whether to defer a match by one byte when the next position has a longer one.
  var lazy: Bool
  /// Lazy mode: a pending match at least this long is taken without searching the next position.
  var lazyLimit: Int
  /// Lazy mode: with a pending match at least this long, search only a quarter of the chain.
  var goodLength: Int
  /// Greedy mode: matches longer than this are not added to the hash chains (saves time on runs).
  var insertLimit: Int
}

extension DeflateMatchParameters {
  /// The settings of `level` (`.storedOnly` never searches; it gets the default's).
  init(_ level: Deflate.Level) {
    switch level {
    case .fast:
      self = DeflateMatchParameters(
        maxChain: 8, niceLength: 32, lazy: false, lazyLimit: 0, goodLength: 0, insertLimit: 16)
    case .best:
      self = DeflateMatchParameters(
        maxChain: 4096, niceLength: 258, lazy: true, lazyLimit: 258, goodLength: 32, insertLimit: 258)
    case .default, .storedOnly:
      self = DeflateMatchParameters(
        maxChain: 128, niceLength: 128, lazy: true, lazyLimit: 16, goodLength: 8, insertLimit: 258)
    }
  }
}

/// One compression run: the LZ77 match finder, the pending block of tokens and its statistics.
///
/// Noncopyable because it owns raw allocations (hash heads, chain links, tokens) that the hot
/// loops index without bounds checks; `deinit` frees them.
struct DeflateEncoder: ~Copyable {
  /// log2 of the number of hash chains.
  static let hashBits = 15
  /// Tokens per block: enough to amortise a dynamic header, few enough to adapt to changing data.
  static let blockTokens = 1 << 15
  /// Marks an empty hash chain; far enough below zero to fail every window test.
  static let noPosition = Int.min / 2
  /// `position & windowMask` is a position's slot in `previous`.
  static let windowMask = DeflateFormat.windowSize - 1

  /// The input (dangling only when `count == 0`, when it is never read).
  let data: UnsafePointer<UInt8>
  /// The input length.
  let count: Int
  /// The level's match-finder settings.
  let parameters: DeflateMatchParameters
  /// The latest position with each hash, or `noPosition`.
  let head: UnsafeMutablePointer<Int>
  /// For the position in each window slot, the previous position with the same hash.
  let previous: UnsafeMutablePointer<Int>
  /// The pending block: a literal byte (distance 0) or `distance << 16 | length`.
  let tokens: UnsafeMutablePointer<UInt32>
  /// Tokens in the pending block.
  var tokenCount = 0
  /// Literal/length symbol counts of the pending block.
  let literalFrequencies: UnsafeMutablePointer<Int>
  /// Distance symbol counts of the pending block.
  let distanceFrequencies: UnsafeMutablePointer<Int>
  /// The input offset where the pending block starts.
  var blockStart = 0
  /// The input offset after the last token (the pending block ends here).
  var emitted = 0
  /// Where the blocks go.
  var writer: DeflateBitWriter

  /// Length symbol index (0–28, i.e. symbol − 257) of each match length 3...258.
  static let lengthSymbols: [UInt8] = {
    var table = [UInt8](repeating: 0, count: DeflateFormat.maxMatch + 1)
    for (i, base) in DeflateFormat.lengthBase.enumerated() {
      let span = 1 << DeflateFormat.lengthExtraBits[i]
      for length in base..<Swift.min(base + span, DeflateFormat.maxMatch + 1) { table[length] = UInt8(i) }
    }
    table[DeflateFormat.maxMatch] = 28  // 258 has its own symbol, not 284's last extra value
    return table
  }()

  /// zlib's distance-symbol lookup: entry d−1 for distances up to 256, entry 256 + (d−1)>>7 beyond
  /// (symbols 16 and up span multiples of 128).
  static let distanceSymbols: [UInt8] = {
    var table = [UInt8](repeating: 0, count: 512)
    for (i, base) in DeflateFormat.distanceBase.enumerated() {
      for d in base..<(base + (1 << DeflateFormat.distanceExtraBits[i])) {
        let d1 = d - 1
        if d1 < 256 { table[d1] = UInt8(i) } else { table[256 + d1 >> 7] = UInt8(i) }
      }
    }
    return table
  }()

  /// The distance symbol (0–29) of `distance` (1...32768).
  @inline(__always)
  static func distanceSymbol(_ distance: Int) -> Int {
    let d1 = distance - 1
    return Int(d1 < 256 ? distanceSymbols[d1] : distanceSymbols[256 + d1 >> 7])
  }

  init(input: UnsafeBufferPointer<UInt8>, parameters: DeflateMatchParameters) {
    data = input.baseAddress ?? UnsafePointer(bitPattern: MemoryLayout<UInt64>.alignment).unsafelyUnwrapped
    count = input.count
    self.parameters = parameters
    head = .allocate(capacity: 1 << DeflateEncoder.hashBits)
    head.initialize(repeating: DeflateEncoder.noPosition, count: 1 << DeflateEncoder.hashBits)
    previous = .allocate(capacity: DeflateFormat.windowSize)
    previous.initialize(repeating: DeflateEncoder.noPosition, count: DeflateFormat.windowSize)
    tokens = .allocate(capacity: DeflateEncoder.blockTokens)
    literalFrequencies = .allocate(capacity: DeflateFormat.literalLengthSymbols)
    literalFrequencies.initialize(repeating: 0, count: DeflateFormat.literalLengthSymbols)
    distanceFrequencies = .allocate(capacity: DeflateFormat.distanceSymbols)
    distanceFrequencies.initialize(repeating: 0, count: DeflateFormat.distanceSymbols)
    writer = DeflateBitWriter(capacity: 0)
  }

  deinit {
    head.deallocate()
    previous.deallocate()
    tokens.deallocate()
    literalFrequencies.deallocate()
    distanceFrequencies.deallocate()
  }

  /// Compresses the whole input into `output`, ending with a final block.
  mutating func encode(into output: inout DeflateBitWriter) {
    // The writer moves in and out so the token-writing code can use it without extra arguments.
    swap(&writer, &output)
    if parameters.lazy { parseLazy() } else { parseGreedy() }
    flushBlock(final: true)
    swap(&writer, &output)
  }

  // MARK: - LZ77

  /// A hash of the three bytes at `p` (p + 3 ≤ count); multiplicative, top bits kept.
  @inline(__always)
  func hash(_ p: Int) -> Int {
    let v = UInt32(data[p]) | UInt32(data[p + 1]) << 8 | UInt32(data[p + 2]) << 16
    return Int(truncatingIfNeeded: (v &* 0x9E37_79B1) >> UInt32(32 - DeflateEncoder.hashBits))
  }

  /// Adds position `p` (p + 3 ≤ count) to its hash chain and returns the chain's previous head.
  @inline(__always)
  func insert(_ p: Int) -> Int {
    let h = hash(p)
    let candidate = head[h]
    previous[p & DeflateEncoder.windowMask] = candidate
    head[h] = p
    return candidate
  }

  /// How many bytes at `a` and `b` agree, up to `limit` (both ranges readable for `limit` bytes).
  @inline(__always)
  func matchLength(_ a: UnsafePointer<UInt8>, _ b: UnsafePointer<UInt8>, _ limit: Int) -> Int {
    var n = 0
    // Eight bytes at a time: the lowest differing bit of the XOR locates the first mismatch.
    while n &+ 8 <= limit {
      let x =
        UnsafeRawPointer(a + n).loadUnaligned(as: UInt64.self)
        ^ UnsafeRawPointer(b + n).loadUnaligned(as: UInt64.self)
      if x != 0 { return n &+ UInt64(littleEndian: x).trailingZeroBitCount &>> 3 }
      n &+= 8
    }
    while n < limit && a[n] == b[n] { n &+= 1 }
    return n
  }

  /// The longest match for position `p` longer than `minimum`, walking the chain from
  /// `candidate` for at most `chainLimit` links; `(0, 0)` when there is none worth sending.
  @inline(__always)
  func longestMatch(at p: Int, candidate first: Int, longerThan minimum: Int, chainLimit: Int) -> (Int, Int) {
    let maxLength = Swift.min(DeflateFormat.maxMatch, count - p)
    var best = minimum
    guard best < maxLength else { return (0, 0) }
    let nice = Swift.min(parameters.niceLength, maxLength)
    var bestDistance = 0
    var candidate = first
    var chain = chainLimit
    let lowest = p - DeflateFormat.windowSize
    let scan = data + p
    while candidate >= lowest && chain > 0 {
      let match = data + candidate
      // Cheap rejections first: a longer match must agree at index `best` and at the start.
      if match[best] == scan[best] && match[0] == scan[0] && match[1] == scan[1] {
        let length = matchLength(match, scan, maxLength)
        if length > best {
          best = length
          bestDistance = p - candidate
          if length >= nice { break }
        }
      }
      let next = previous[candidate & DeflateEncoder.windowMask]
      // Links always point backwards; anything else is a slot reused by a newer position.
      if next >= candidate { break }
      candidate = next
      chain -= 1
    }
    // A 3-byte match far back costs about as much as three literals (zlib's TOO_FAR rule).
    if bestDistance == 0 || (best == 3 && bestDistance > 4096) { return (0, 0) }
    return (best, bestDistance)
  }

  /// Greedy parsing: take the longest match at each position.
  mutating func parseGreedy() {
    var p = 0
    while p < count {
      if p + DeflateFormat.minMatch <= count {
        let candidate = insert(p)
        let (length, distance) = longestMatch(
          at: p, candidate: candidate, longerThan: 2, chainLimit: parameters.maxChain)
        if length > 0 {
          emitMatch(length: length, distance: distance)
          if length <= parameters.insertLimit {
            for q in (p + 1)..<Swift.min(p + length, count - DeflateFormat.minMatch + 1) { _ = insert(q) }
          }
          p += length
          continue
        }
      }
      emitLiteral(data[p])
      p += 1
    }
  }

  /// Lazy parsing (zlib's deflate_slow): a match found at p is held back one byte; if p + 1 has a
  /// longer match, p goes out as a literal and the longer match is held instead.
  mutating func parseLazy() {
    var p = 0
    var pending = false  // a literal at p − 1 not yet emitted, with the match found there
    var pendingLength = 0
    var pendingDistance = 0
    while p < count {
      var length = 0
      var distance = 0
      if p + DeflateFormat.minMatch <= count {
        let candidate = insert(p)
        if !(pending && pendingLength >= parameters.lazyLimit) {
          var chain = parameters.maxChain
          if pending && pendingLength >= parameters.goodLength { chain >>= 2 }
          (length, distance) = longestMatch(
            at: p, candidate: candidate, longerThan: pending ? Swift.max(pendingLength, 2) : 2, chainLimit: chain)
        }
      }
      if pending {
        if pendingLength > 0 && length == 0 {
          // The held match wins. It covers p − 1 ..< end; p is already in the chains.
          emitMatch(length: pendingLength, distance: pendingDistance)
          let end = p - 1 + pendingLength
          for q in (p + 1)..<Swift.max(p + 1, Swift.min(end, count - DeflateFormat.minMatch + 1)) {
            _ = insert(q)
          }
          p = end
          pending = false
          continue
        }
        emitLiteral(data[p - 1])
      }
      pending = true
      pendingLength = length
      pendingDistance = distance
      p += 1
    }
    // The last position cannot start a match (fewer than 3 bytes follow it).
    if pending { emitLiteral(data[p - 1]) }
  }

  // MARK: - Blocks

  @inline(__always)
  mutating func emitLiteral(_ byte: UInt8) {
    tokens[tokenCount] = UInt32(byte)
    tokenCount += 1
    literalFrequencies[Int(byte)] += 1
    emitted += 1
    if tokenCount == DeflateEncoder.blockTokens { flushBlock(final: false) }
  }

  @inline(__always)
  mutating func emitMatch(length: Int, distance: Int) {
    tokens[tokenCount] = UInt32(distance) << 16 | UInt32(length)
    tokenCount += 1
    literalFrequencies[257 + Int(DeflateEncoder.lengthSymbols[length])] += 1
    distanceFrequencies[DeflateEncoder.distanceSymbol(distance)] += 1
    emitted += length
    if tokenCount == DeflateEncoder.blockTokens { flushBlock(final: false) }
  }

  /// Bits the pending block's symbols take with the given code lengths (header excluded).
  func payloadBits(_ literalLengths: [UInt8], _ distanceLengths: [UInt8]) -> Int {
    var bits = 0
    for s in 0..<DeflateFormat.literalLengthSymbols {
      let f = literalFrequencies[s]
      bits += f * Int(literalLengths[s])
      if s > 256 { bits += f * DeflateFormat.lengthExtraBits[s - 257] }
    }
    for s in 0..<DeflateFormat.distanceSymbols {
      bits += distanceFrequencies[s] * (Int(distanceLengths[s]) + DeflateFormat.distanceExtraBits[s])
    }
    return bits
  }

  /// Sends the pending block in its cheapest form, then starts a new one.
  mutating func flushBlock(final: Bool) {
    literalFrequencies[DeflateFormat.endOfBlock] = 1
    let literalLengths = HuffmanEncoding.codeLengths(
      Array(UnsafeBufferPointer(start: literalFrequencies, count: DeflateFormat.literalLengthSymbols)), maxLength: 15)
    let distanceLengths = HuffmanEncoding.codeLengths(
      Array(UnsafeBufferPointer(start: distanceFrequencies, count: DeflateFormat.distanceSymbols)), maxLength: 15)
    let header = DeflateDynamicHeader(literalLengths: literalLengths, distanceLengths: distanceLengths)
    let dynamicBits = 3 + header.bitCount + payloadBits(literalLengths, distanceLengths)
    let fixedBits =
      3 + payloadBits(DeflateFormat.fixedLiteralLengthCodeLengths, DeflateFormat.fixedDistanceCodeLengths)
    let storedLength = emitted - blockStart
    let storedChunks = Swift.max(1, (storedLength + DeflateFormat.maxStoredBlock - 1) / DeflateFormat.maxStoredBlock)
    let storedBits = storedChunks * (3 + 7 + 32) + 8 * storedLength  // assumes the worst padding

    let finalBit: UInt32 = final ? 1 : 0
    if storedBits < Swift.min(dynamicBits, fixedBits) {
      Deflate.writeStoredBlocks(
        UnsafeBufferPointer(start: data, count: count), from: blockStart, to: emitted, final: final, into: &writer)
    } else if dynamicBits < fixedBits {
      writer.write(finalBit | 2 << 1, 3)
      header.write(to: &writer)
      writeTokens(
        literalCodes: HuffmanEncoding.reversedCodes(literalLengths), literalLengths: literalLengths,
        distanceCodes: HuffmanEncoding.reversedCodes(distanceLengths), distanceLengths: distanceLengths)
    } else {
      writer.write(finalBit | 1 << 1, 3)
      writeTokens(
        literalCodes: DeflateEncoder.fixedLiteralCodes, literalLengths: DeflateFormat.fixedLiteralLengthCodeLengths,
        distanceCodes: DeflateEncoder.fixedDistanceCodes, distanceLengths: DeflateFormat.fixedDistanceCodeLengths)
    }

    tokenCount = 0
    blockStart = emitted
    literalFrequencies.update(repeating: 0, count: DeflateFormat.literalLengthSymbols)
    distanceFrequencies.update(repeating: 0, count: DeflateFormat.distanceSymbols)
  }

  /// The fixed literal/length code, bit-reversed for writing.
  static let fixedLiteralCodes = HuffmanEncoding.reversedCodes(DeflateFormat.fixedLiteralLengthCodeLengths)
  /// The fixed distance code, bit-reversed for writing.
  static let fixedDistanceCodes = HuffmanEncoding.reversedCodes(DeflateFormat.fixedDistanceCodeLengths)

  /// Writes the pending tokens and the end-of-block code with the given codes.
  mutating func writeTokens(
    literalCodes: [UInt32], literalLengths: [UInt8], distanceCodes: [UInt32], distanceLengths: [UInt8]
  ) {
    let lengthSymbols = DeflateEncoder.lengthSymbols
    for i in 0..<tokenCount {
      let token = tokens[i]
      let distance = Int(token >> 16)
      if distance == 0 {
        let s = Int(token & 0xFF)
        writer.write(literalCodes[s], Int(literalLengths[s]))
        continue
      }
      // Code and extra bits go out in one write: at most 15 + 5 and 15 + 13 bits.
      let length = Int(token & 0xFFFF)
      let ls = Int(lengthSymbols[length])
      let symbol = 257 + ls
      let extraValue = UInt32(length - DeflateFormat.lengthBase[ls])
      writer.write(
        literalCodes[symbol] | extraValue << UInt32(literalLengths[symbol]),
        Int(literalLengths[symbol]) + DeflateFormat.lengthExtraBits[ls])
      let ds = DeflateEncoder.distanceSymbol(distance)
      let distanceExtra = UInt32(distance - DeflateFormat.distanceBase[ds])
      writer.write(
        distanceCodes[ds] | distanceExtra << UInt32(distanceLengths[ds]),
        Int(distanceLengths[ds]) + DeflateFormat.distanceExtraBits[ds])
    }
    writer.write(literalCodes[DeflateFormat.endOfBlock], Int(literalLengths[DeflateFormat.endOfBlock]))
  }
}
