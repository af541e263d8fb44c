/// The RFC 1951 DEFLATE encoder for raw streams; `Zlib` and `Gzip` wrap it.
///
/// LZ77 with hash chains (zlib-style: a 3-byte hash, a bounded chain walk, optional one-step lazy
/// matching) turns the input into literals and matches; each block of up to 32768 of them is then
/// sent with whichever of a dynamic Huffman code, the fixed code or stored (raw) bytes is
/// smallest, so incompressible data grows by only a few bytes per 64 KiB.
public enum Deflate {
  /// How hard the encoder looks for repeated strings.
  public enum Level: Sendable, Hashable, CaseIterable {
    /// No compression: the data is framed in stored blocks (5 bytes of overhead per 64 KiB).
    case storedOnly
    /// Greedy matching with short hash chains: fastest, somewhat larger output.
    case fast
    /// Lazy matching with moderate chains; about zlib's default level 6.
    case `default`
    /// Lazy matching with long chains: slowest, smallest output; about zlib's level 9.
    case best

    /// The zlib FLEVEL / gzip XFL classification of this level (0 fastest ... 3 maximum).
    var zlibLevelClass: UInt8 {
      switch self {
      case .storedOnly: 0
      case .fast: 1
      case .default: 2
      case .best: 3
      }
    }
  }

  /// Compresses `bytes` into a raw DEFLATE stream (no zlib or gzip wrapper).
  ///
  /// The output decodes with any conforming inflater (zlib with `wbits = -15`, `Inflate`).
  public static func compress(raw bytes: [UInt8], level: Level = .default) -> [UInt8] {
    bytes.withUnsafeBufferPointer { input in
      // Stored framing costs 5 bytes per 65535, so this capacity always suffices.
      var writer = DeflateBitWriter(capacity: input.count + input.count / 8192 + 64)
      if level == .storedOnly {
        writeStoredBlocks(input, from: 0, to: input.count, final: true, into: &writer)
      } else {
        var encoder = DeflateEncoder(input: input, parameters: DeflateMatchParameters(level))
        encoder.encode(into: &writer)
      }
      return writer.finish()
    }
  }

  /// Writes `input[start..<end]` as stored blocks of at most 65535 bytes; the last is marked final
  /// if `final`. An empty range still writes one (empty) block.
  static func writeStoredBlocks(
    _ input: UnsafeBufferPointer<UInt8>, from start: Int, to end: Int, final: Bool, into writer: inout DeflateBitWriter
  ) {
    var s = start
    repeat {
      let n = Swift.min(DeflateFormat.maxStoredBlock, end - s)
      let isLast = s + n == end
      writer.write(final && isLast ? 1 : 0, 3)  // BFINAL, BTYPE = 00
      writer.alignToByte()
      writer.write(UInt32(n) | UInt32(~n & 0xFFFF) << 16, 32)  // LEN, NLEN
      writer.writeAlignedBytes(UnsafeBufferPointer(rebasing: input[s..<(s + n)]))
      s += n
    } while s < end
  }
}
