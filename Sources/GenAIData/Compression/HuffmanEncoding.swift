/// Building the Huffman codes a DEFLATE encoder sends: length-limited code lengths from symbol
/// frequencies, and the canonical codes those lengths define.
enum HuffmanEncoding {
  /// Optimal code lengths for `frequencies`, none longer than `maxLength`.
  ///
  /// Lengths come from a Huffman tree (two-queue construction over the sorted frequencies); if
  /// the tree is deeper than `maxLength`, the per-length counts are clamped and rebalanced until
  /// they satisfy the Kraft equality again (the method of miniz and JPEG Annex K), and lengths
  /// are handed out to symbols from rarest to most frequent. The result is always a complete
  /// code of at least two symbols: when fewer than two symbols occur, dummy ones get one-bit
  /// codes, because some decoders reject single-code or empty codes (zlib does the same).
  static func codeLengths(_ frequencies: [Int], maxLength: Int) -> [UInt8] {
    let n = frequencies.count
    var lengths = [UInt8](repeating: 0, count: n)
    var symbols = (0..<n).filter { frequencies[$0] > 0 }
    if symbols.count < 2 {
      let first = symbols.first ?? 0
      lengths[first] = 1
      lengths[first == 0 ? 1 : 0] = 1
      return lengths
    }
    symbols.sort { (frequencies[$0], $0) < (frequencies[$1], $1) }

    // Two-queue Huffman: leaves 0..<m in ascending weight, internal nodes created in ascending
    // weight too, so the two lightest are always at the heads of the two queues.
    let m = symbols.count
    let nodeCount = 2 * m - 1
    var weight = [Int](repeating: 0, count: nodeCount)
    var parent = [Int](repeating: 0, count: nodeCount)
    for i in 0..<m { weight[i] = frequencies[symbols[i]] }
    var nextLeaf = 0
    var nextInternal = m
    func lightest(_ created: Int) -> Int {
      if nextLeaf < m && (nextInternal >= created || weight[nextLeaf] <= weight[nextInternal]) {
        nextLeaf += 1
        return nextLeaf - 1
      }
      nextInternal += 1
      return nextInternal - 1
    }
    for node in m..<nodeCount {
      let a = lightest(node)
      let b = lightest(node)
      weight[node] = weight[a] + weight[b]
      parent[a] = node
      parent[b] = node
    }
    // Parents are created after their children, so a downward pass sees each parent first.
    var depth = [Int](repeating: 0, count: nodeCount)
    for node in stride(from: nodeCount - 2, through: 0, by: -1) { depth[node] = depth[parent[node]] + 1 }

    var counts = [Int](repeating: 0, count: maxLength + 1)
    for leaf in 0..<m { counts[Swift.min(depth[leaf], maxLength)] += 1 }
    var kraft = 0
    for length in 1...maxLength { kraft += counts[length] << (maxLength - length) }
    while kraft > 1 << maxLength {
      // Remove one longest code and split a shorter leaf into two one bit longer: net one
      // unit of code space freed, the number of codes unchanged.
      counts[maxLength] -= 1
      for length in stride(from: maxLength - 1, through: 1, by: -1) where counts[length] > 0 {
        counts[length] -= 1
        counts[length + 1] += 2
        break
      }
      kraft -= 1
    }
    var index = 0
    for length in stride(from: maxLength, through: 1, by: -1) {
      for _ in 0..<counts[length] {
        lengths[symbols[index]] = UInt8(length)
        index += 1
      }
    }
    return lengths
  }

  /// The canonical codes of `lengths` (RFC 1951 §3.2.2), bit-reversed so that writing them least
  /// significant bit first sends them most significant bit first, as the format requires.
  static func reversedCodes(_ lengths: [UInt8]) -> [UInt32] {
    var counts = [Int](repeating: 0, count: 16)
    for length in lengths { counts[Int(length)] += 1 }
    counts[0] = 0
    var next = [Int](repeating: 0, count: 16)
    var code = 0
    for length in 1...15 {
      code = (code + counts[length - 1]) << 1
      next[length] = code
    }
    var codes = [UInt32](repeating: 0, count: lengths.count)
    for (symbol, length) in lengths.enumerated() where length > 0 {
      var c = next[Int(length)]
      next[Int(length)] += 1
      var r: UInt32 = 0
      for _ in 0..<Int(length) {
        r = r << 1 | UInt32(c & 1)
        c >>= 1
      }
      codes[symbol] = r
    }
    return codes
  }
}
