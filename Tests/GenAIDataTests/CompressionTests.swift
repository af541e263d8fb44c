import Foundation
import GenAITestSupport
import Testing

@testable import GenAIData

/// Tests of the zlib and gzip codecs (on the system zlib) and CRC-32: round trips, streams made by
/// Python's zlib and gzip (embedded as literals: the tests never run Python), every kind of
/// corruption throwing a descriptive `CompressionError`, bounded output, PNG's lenient decoding and
/// a real gzip'd dataset.

// MARK: - Helpers (file-private, prefixed so they cannot clash with other test files)

/// SplitMix64: a tiny seeded generator so random test data is the same on every run.
private struct CompressionTestRNG: RandomNumberGenerator {
  var state: UInt64
  mutating func next() -> UInt64 {
    state &+= 0x9E37_79B9_7F4A_7C15
    var z = state
    z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
    z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
    return z ^ (z >> 31)
  }
}

/// Test inputs of a given size and character.
private enum CompressionTestData {
  /// Uniform random bytes: incompressible, so the encoder falls back to stored blocks.
  static func random(_ count: Int, seed: UInt64 = 1) -> [UInt8] {
    var rng = CompressionTestRNG(state: seed)
    return (0..<count).map { _ in UInt8.random(in: 0...255, using: &rng) }
  }

  /// Random bytes from a four-letter alphabet: many short matches, dynamic Huffman codes.
  static func smallAlphabet(_ count: Int, seed: UInt64 = 2) -> [UInt8] {
    var rng = CompressionTestRNG(state: seed)
    return (0..<count).map { _ in UInt8(ascii: "a") + UInt8.random(in: 0...3, using: &rng) }
  }

  /// A short phrase repeated: long matches, including overlapping ones.
  static func repetitive(_ count: Int) -> [UInt8] {
    let phrase = Array("genai compresses this phrase again and again; ".utf8)
    return (0..<count).map { phrase[$0 % phrase.count] }
  }

  /// Bytes with geometrically falling frequencies (the k-th about 0.7^k as often): Huffman codes
  /// of very different lengths.
  static func skewed(_ count: Int, seed: UInt64 = 3) -> [UInt8] {
    var rng = CompressionTestRNG(state: seed)
    return (0..<count).map { _ in
      var k: UInt8 = 0
      while k < 255 && Double.random(in: 0..<1, using: &rng) < 0.7 { k += 1 }
      return k &* 37  // spread over the byte range
    }
  }
}

/// Packs a hand-made DEFLATE stream: `bits` least-significant bit first (header fields, extra
/// bits), `code` most-significant bit first (Huffman codes), as RFC 1951 stores them.
private struct CompressionTestBitPacker {
  var bytes: [UInt8] = []
  var bitCount = 0

  mutating func bits(_ value: Int, _ count: Int) {
    for i in 0..<count { append((value >> i) & 1) }
  }

  mutating func code(_ value: Int, _ length: Int) {
    for i in stride(from: length - 1, through: 0, by: -1) { append((value >> i) & 1) }
  }

  private mutating func append(_ bit: Int) {
    if bitCount % 8 == 0 { bytes.append(0) }
    bytes[bytes.count - 1] |= UInt8(bit) << UInt8(bitCount % 8)
    bitCount += 1
  }
}

// MARK: - Checksums

@Suite struct CompressionChecksumTests {
  @Test func crc32KnownValues() {
    #expect(CRC32.checksum([UInt8]()) == 0)
    #expect(CRC32.checksum(Array("123456789".utf8)) == 0xCBF4_3926)  // the standard check value
    #expect(CRC32.checksum(Array("The quick brown fox jumps over the lazy dog".utf8)) == 0x414F_A339)
    #expect(CRC32.checksum([UInt8](repeating: 0, count: 32)) == 0x190A_55AD)
  }

  @Test func incrementalUpdatesMatchOneShot() {
    let bytes = CompressionTestData.random(12000)
    for split in [0, 1, 7, 8, 9, 5551, 5552, 11999, 12000] {
      var crc = CRC32()
      crc.update(bytes[..<split])
      crc.update(bytes[split...])
      #expect(crc.value == CRC32.checksum(bytes), "CRC-32 split at \(split)")
      // `init(value:)` continues a finished checksum.
      var continued = CRC32(value: CRC32.checksum(bytes[..<split]))
      continued.update(bytes[split...])
      #expect(continued.value == CRC32.checksum(bytes), "CRC-32 continued at \(split)")
    }
    // A non-contiguous collection is copied first.
    #expect(CRC32.checksum(bytes.lazy.map { $0 }) == CRC32.checksum(bytes))
  }
}

// MARK: - Round trips

@Suite struct CompressionRoundTripTests {
  static let sizes = [0, 1, 2, 3, 100, 1000, 100_000]

  @Test(arguments: Zlib.Level.allCases)
  func zlibAndGzipRoundTrip(level: Zlib.Level) throws {
    for size in CompressionRoundTripTests.sizes {
      for (name, data) in [
        ("random", CompressionTestData.random(size)),
        ("small alphabet", CompressionTestData.smallAlphabet(size)),
        ("repetitive", CompressionTestData.repetitive(size)),
        ("skewed", CompressionTestData.skewed(size)),
      ] {
        #expect(try Zlib.decompress(Zlib.compress(data, level: level)) == data, "zlib \(name) \(size) \(level)")
        #expect(try Gzip.decompress(Gzip.compress(data, level: level)) == data, "gzip \(name) \(size) \(level)")
      }
    }
  }

  @Test func longMatchesAndFarDistances() throws {
    // A 32000-byte random block repeated: matches nearly a whole window back, 258 bytes long
    // (zlib's encoder looks back at most 32 KiB less 262 bytes).
    let block = CompressionTestData.random(32000, seed: 9)
    let far = block + block + block.prefix(1000)
    let compressed = Zlib.compress(far, level: .fast)
    #expect(compressed.count < 32000 + 2000)
    #expect(try Zlib.decompress(compressed) == far)
    // Overlapping matches at every short distance.
    for period in 1...9 {
      let data = (0..<5000).map { UInt8(truncatingIfNeeded: $0 % period &* 31 &+ 7) }
      #expect(try Zlib.decompress(Zlib.compress(data)) == data, "period \(period)")
    }
  }

  @Test func compressionActuallyCompresses() {
    let text = CompressionTestData.repetitive(100_000)
    #expect(Zlib.compress(text).count < 1000)
    #expect(Zlib.compress([UInt8](repeating: 0, count: 100_000)).count < 200)
    // Incompressible data falls back to stored blocks: a few bytes per block, plus the wrapper.
    let noise = CompressionTestData.random(100_000)
    #expect(Zlib.compress(noise).count <= noise.count + 64)
    #expect(Zlib.compress(noise, level: .storedOnly).count <= noise.count + 64)
    // `zlib.compress(b"")` in Python: a fixed block holding only end-of-block, Adler-32 1.
    #expect(Zlib.compress([]) == [0x78, 0x9C, 0x03, 0x00, 0x00, 0x00, 0x00, 0x01])
  }
}

// MARK: - Streams made by Python

@Suite struct CompressionPythonFixtureTests {
  /// `python3 -c 'import zlib; print(list(zlib.compress(b"hello, hello, hello world\n"*4, 9)))'`
  /// (one fixed-Huffman block).
  static let zlibFixed: [UInt8] = [
    0x78, 0xda, 0xcb, 0x48, 0xcd, 0xc9, 0xc9, 0xd7, 0x51, 0xc8, 0x40, 0xa2, 0x14, 0xca, 0xf3, 0x8b,
    0x72, 0x52, 0xb8, 0x32, 0xa8, 0x2a, 0x03, 0x00, 0x8a, 0x49, 0x24, 0x99,
  ]

  /// `python3 -c 'import zlib; print(list(zlib.compress(b"stored block!", 0)))'` (one stored block).
  static let zlibStored: [UInt8] = [
    0x78, 0x01, 0x01, 0x0d, 0x00, 0xf2, 0xff, 0x73, 0x74, 0x6f, 0x72, 0x65, 0x64, 0x20, 0x62, 0x6c,
    0x6f, 0x63, 0x6b, 0x21, 0x24, 0x5e, 0x04, 0xde,
  ]

  /// The text of `rawDynamic`: "0,1,4,9,16,...," — i·i mod 1000 for i in 0..<60.
  static let dynamicText = Array((0..<60).map { "\($0 * $0 % 1000)," }.joined().utf8)

  /// `python3 -c 'import zlib; c=zlib.compressobj(9,8,-15); print(list(c.compress(b"".join(b"%d," % (i*i%1000)
  /// for i in range(60)))+c.flush()))'` (raw DEFLATE, one dynamic-Huffman block).
  static let rawDynamic: [UInt8] = [
    0x2d, 0x8e, 0x41, 0x12, 0x03, 0x30, 0x08, 0x02, 0x3f, 0xc4, 0x41, 0x13, 0x34, 0xf1, 0xff, 0x1f,
    0xeb, 0xa6, 0xed, 0x89, 0x51, 0x17, 0x24, 0x94, 0xb2, 0x46, 0xd9, 0x5a, 0xa5, 0xdd, 0xf2, 0xa8,
    0xad, 0x9b, 0xca, 0x08, 0xe5, 0x42, 0x6d, 0xae, 0x10, 0x03, 0x02, 0xb3, 0x0a, 0xbd, 0xa3, 0xbd,
    0x0c, 0x8f, 0x1b, 0xce, 0x46, 0xaf, 0x55, 0x6b, 0x54, 0xa7, 0xd5, 0x70, 0x8d, 0x1e, 0xe6, 0xc3,
    0xfe, 0x72, 0x1f, 0xb8, 0x81, 0xc7, 0x86, 0x3b, 0xeb, 0x9f, 0x46, 0xea, 0x26, 0xdd, 0x7e, 0xee,
    0x54, 0x43, 0x35, 0xdf, 0xcf, 0x2b, 0x41, 0x97, 0xd9, 0xdf, 0x62, 0xf9, 0xfa, 0x05, 0x4f, 0xc3,
    0x3c, 0x4c, 0xd5, 0xc3, 0xd0, 0xc3, 0x7c, 0xd9, 0xcf, 0xaf, 0x7f, 0x3e, 0x1a, 0xd7, 0xc6, 0x6d,
    0x52, 0x3e,
  ]

  /// `python3 -c 'import gzip; print(list(gzip.compress(b"gzip fixture\n"*3, mtime=0)))'`
  static let gzipPlain: [UInt8] = [
    0x1f, 0x8b, 0x08, 0x00, 0x00, 0x00, 0x00, 0x00, 0x02, 0x03, 0x4b, 0xaf, 0xca, 0x2c, 0x50, 0x48,
    0xcb, 0xac, 0x28, 0x29, 0x2d, 0x4a, 0xe5, 0x4a, 0xc7, 0xc9, 0x01, 0x00, 0xbe, 0x35, 0x31, 0x32,
    0x27, 0x00, 0x00, 0x00,
  ]

  /// A gzip member with every optional header field (FEXTRA "ab\x01\x02", FNAME "name.txt",
  /// FCOMMENT "comment", FHCRC), built by hand since Python's gzip writes none of them:
  /// `python3 -c 'import zlib,struct; b=b"header fields\n"; c=zlib.compressobj(9,8,-15);
  /// d=c.compress(b)+c.flush(); h=b"\x1f\x8b\x08\x1e\0\0\0\0\0\xff"+struct.pack("<H",4)+b"ab\x01\x02"
  /// +b"name.txt\0comment\0"; h+=struct.pack("<H",zlib.crc32(h)&0xffff);
  /// print(list(h+d+struct.pack("<II",zlib.crc32(b),len(b))))'`
  static let gzipAllHeaderFields: [UInt8] = [
    0x1f, 0x8b, 0x08, 0x1e, 0x00, 0x00, 0x00, 0x00, 0x00, 0xff, 0x04, 0x00, 0x61, 0x62, 0x01, 0x02,
    0x6e, 0x61, 0x6d, 0x65, 0x2e, 0x74, 0x78, 0x74, 0x00, 0x63, 0x6f, 0x6d, 0x6d, 0x65, 0x6e, 0x74,
    0x00, 0x62, 0xea, 0xcb, 0x48, 0x4d, 0x4c, 0x49, 0x2d, 0x52, 0x48, 0xcb, 0x4c, 0xcd, 0x49, 0x29,
    0xe6, 0x02, 0x00, 0x65, 0x35, 0x52, 0x72, 0x0e, 0x00, 0x00, 0x00,
  ]

  /// Two members concatenated, as `cat a.gz b.gz` makes:
  /// `python3 -c 'import gzip; print(list(gzip.compress(b"first member\n", mtime=0)
  /// +gzip.compress(b"second member\n", mtime=0)))'`
  static let gzipTwoMembers: [UInt8] = [
    0x1f, 0x8b, 0x08, 0x00, 0x00, 0x00, 0x00, 0x00, 0x02, 0x03, 0x4b, 0xcb, 0x2c, 0x2a, 0x2e, 0x51,
    0xc8, 0x4d, 0xcd, 0x4d, 0x4a, 0x2d, 0xe2, 0x02, 0x00, 0xa7, 0xf4, 0x85, 0x0a, 0x0d, 0x00, 0x00,
    0x00, 0x1f, 0x8b, 0x08, 0x00, 0x00, 0x00, 0x00, 0x00, 0x02, 0x03, 0x2b, 0x4e, 0x4d, 0xce, 0xcf,
    0x4b, 0x51, 0xc8, 0x4d, 0xcd, 0x4d, 0x4a, 0x2d, 0xe2, 0x02, 0x00, 0x36, 0x18, 0x4b, 0x0e, 0x0e,
    0x00, 0x00, 0x00,
  ]

  typealias F = CompressionPythonFixtureTests

  @Test func zlibFixedBlock() throws {
    let expected = Array(String(repeating: "hello, hello, hello world\n", count: 4).utf8)
    #expect(try Zlib.decompress(F.zlibFixed) == expected)
  }

  @Test func zlibStoredBlock() throws {
    #expect(try Zlib.decompress(F.zlibStored) == Array("stored block!".utf8))
  }

  @Test func pythonsDynamicBlockInAGzipMember() throws {
    #expect(F.rawDynamic[0] >> 1 & 3 == 2)  // really a dynamic block
    // Wrapped by hand: a plain member header, the raw block, CRC-32 and ISIZE.
    var member: [UInt8] = [0x1F, 0x8B, 8, 0, 0, 0, 0, 0, 0, 255] + F.rawDynamic
    for value in [CRC32.checksum(F.dynamicText), UInt32(F.dynamicText.count)] {
      member += (0..<4).map { UInt8(truncatingIfNeeded: value >> (8 * $0)) }
    }
    #expect(try Gzip.decompress(member) == F.dynamicText)
  }

  @Test func gzipPlainMember() throws {
    #expect(try Gzip.decompress(F.gzipPlain) == Array(String(repeating: "gzip fixture\n", count: 3).utf8))
  }

  @Test func gzipWithEveryOptionalHeaderField() throws {
    #expect(try Gzip.decompress(F.gzipAllHeaderFields) == Array("header fields\n".utf8))
  }

  @Test func gzipConcatenatedMembers() throws {
    #expect(try Gzip.decompress(F.gzipTwoMembers) == Array("first member\nsecond member\n".utf8))
    // Zero padding after the last member is accepted, as gzip(1) and Python do.
    #expect(try Gzip.decompress(F.gzipTwoMembers + [0, 0, 0, 0]) == Array("first member\nsecond member\n".utf8))
  }

  @Test func ourOutputMatchesPythonsByteForByte() {
    // Python's zlib module is the same library, so the zlib streams are identical; gzip headers
    // differ in the OS byte, so only the fixed parts are compared there.
    #expect(Zlib.compress(Array("stored block!".utf8), level: .storedOnly) == F.zlibStored)
    let hello = Array(String(repeating: "hello, hello, hello world\n", count: 4).utf8)
    #expect(Zlib.compress(hello, level: .best) == F.zlibFixed)
    let gz = Gzip.compress(Array("gzip fixture\n".utf8))
    #expect(Array(gz.prefix(4)) == [0x1F, 0x8B, 8, 0])
    #expect(Array(gz.suffix(4)) == [13, 0, 0, 0])
  }
}

// MARK: - Corrupt input

@Suite struct CompressionCorruptionTests {
  typealias F = CompressionPythonFixtureTests

  @Test func everyTruncationThrowsTruncated() {
    // A prefix of a valid stream can only be reported as truncated, never as garbage.
    typealias Decode = ([UInt8]) throws(CompressionError) -> Void
    let zlib: Decode = { (b: [UInt8]) throws(CompressionError) in _ = try Zlib.decompress(b) }
    let gzip: Decode = { (b: [UInt8]) throws(CompressionError) in _ = try Gzip.decompress(b) }
    let cases: [(String, [UInt8], Decode)] = [
      ("zlib fixed", F.zlibFixed, zlib),
      ("zlib stored", F.zlibStored, zlib),
      ("zlib ours", Zlib.compress(CompressionTestData.smallAlphabet(3000)), zlib),
      ("gzip fields", F.gzipAllHeaderFields, gzip),
      ("gzip members", F.gzipTwoMembers, gzip),
    ]
    for (name, stream, decode) in cases {
      // The end of the first of two gzip members is itself a complete gzip file.
      for cut in 0..<stream.count where !(name == "gzip members" && cut == 33) {
        do {
          try decode(Array(stream.prefix(cut)))
          Issue.record("\(name): a prefix of \(cut) of \(stream.count) bytes decoded without error")
        } catch {
          guard case .truncated = error else {
            Issue.record("\(name): a prefix of \(cut) bytes threw \(error), expected truncated")
            continue
          }
        }
      }
    }
  }

  @Test func gzipBadMagic() {
    var bytes = F.gzipPlain
    bytes[1] = 0x8C
    let error = #expect(throws: CompressionError.self) { try Gzip.decompress(bytes) }
    #expect(error == .badMagic(format: "gzip", offset: 0, found: [0x1F, 0x8C]))
    #expect(error?.description.contains("bad gzip magic at offset 0: found [1f 8c]") == true)
    // Garbage after a complete member is read as a second member with a bad magic.
    let trailing = #expect(throws: CompressionError.self) { try Gzip.decompress(F.gzipPlain + [0x50, 0x4B]) }
    #expect(trailing == .badMagic(format: "gzip", offset: F.gzipPlain.count, found: [0x50, 0x4B]))
  }

  @Test func gzipBadDataCRC() {
    var bytes = F.gzipPlain
    bytes[bytes.count - 8] ^= 0x01
    let error = #expect(throws: CompressionError.self) { try Gzip.decompress(bytes) }
    #expect(error == .corrupt(format: "gzip", reason: "CRC-32 mismatch"))
    #expect(error?.description == "corrupt gzip data: CRC-32 mismatch")
  }

  @Test func gzipBadSecondMemberCRCIsNamed() {
    var bytes = F.gzipTwoMembers
    bytes[bytes.count - 5] ^= 0x80
    let error = #expect(throws: CompressionError.self) { try Gzip.decompress(bytes) }
    #expect(error?.description.contains("CRC-32 mismatch in member 2") == true)
  }

  @Test func gzipBadSize() {
    var bytes = F.gzipPlain
    bytes[bytes.count - 4] &+= 1
    let error = #expect(throws: CompressionError.self) { try Gzip.decompress(bytes) }
    #expect(error?.description.contains("ISIZE") == true)
  }

  @Test func gzipBadHeaderCRC() {
    var bytes = F.gzipAllHeaderFields
    bytes[33] ^= 0xFF  // the header CRC-16 follows "comment\0" at offset 33
    #expect(throws: CompressionError.corrupt(format: "gzip", reason: "header CRC-16 mismatch")) {
      try Gzip.decompress(bytes)
    }
  }

  @Test func gzipBadMethodAndReservedFlags() {
    var method = F.gzipPlain
    method[2] = 7
    let e1 = #expect(throws: CompressionError.self) { try Gzip.decompress(method) }
    #expect(e1?.description.contains("compression method") == true)
    var flags = F.gzipPlain
    flags[3] = 0x20
    let e2 = #expect(throws: CompressionError.self) { try Gzip.decompress(flags) }
    #expect(e2?.description.contains("reserved flag bits") == true)
  }

  @Test func emptyInputs() {
    #expect(throws: CompressionError.truncated(context: "the gzip header (the input is empty)")) {
      try Gzip.decompress([])
    }
    #expect(throws: CompressionError.truncated(context: "the zlib header (the input is empty)")) {
      try Zlib.decompress([])
    }
  }

  @Test func zlibBadChecksumAndHeader() {
    var adler = F.zlibFixed
    adler[adler.count - 1] ^= 0x10
    let error = #expect(throws: CompressionError.self) { try Zlib.decompress(adler) }
    #expect(error == .corrupt(format: "zlib", reason: "Adler-32 checksum mismatch"))

    var fcheck = F.zlibFixed
    fcheck[1] ^= 0x01
    let e2 = #expect(throws: CompressionError.self) { try Zlib.decompress(fcheck) }
    #expect(e2?.description.contains("FCHECK") == true)

    var method = F.zlibFixed
    method[0] = 0x79  // method 9
    method[1] = 0x18  // FCHECK valid again: 0x7918 = 31 x 1000
    let e3 = #expect(throws: CompressionError.self) { try Zlib.decompress(method) }
    #expect(e3?.description.contains("compression method") == true)

    let e4 = #expect(throws: CompressionError.self) { try Zlib.decompress([0x78, 0xBB, 0, 0, 0, 0]) }  // FDICT set
    #expect(e4?.description.contains("preset dictionary") == true)

    let e5 = #expect(throws: CompressionError.self) { try Zlib.decompress(F.zlibFixed + [0]) }
    #expect(e5 == .trailingData(format: "zlib", offset: F.zlibFixed.count, count: 1))
  }

  @Test func invalidDeflateDataIsNamed() {
    // Hand-made DEFLATE data in a zlib wrapper (header 78 01; the errors come before the trailer).
    func reason(_ deflate: [UInt8]) -> String {
      do {
        _ = try Zlib.decompress([0x78, 0x01] + deflate + [0, 0, 0, 0])
        return "no error"
      } catch {
        guard case .corrupt("zlib", let reason) = error else { return "\(error)" }
        return reason
      }
    }
    #expect(reason([0x07, 0, 0, 0]) == "invalid block type")  // BFINAL = 1, BTYPE = 3
    #expect(reason([0x01, 0x05, 0x00, 0x00, 0x00]) == "invalid stored block lengths")  // LEN 5, NLEN 0

    // A fixed block: one literal, then a match at distance 2 with only 1 byte decoded.
    var p = CompressionTestBitPacker()
    p.bits(1, 1)
    p.bits(1, 2)
    p.code(0x30 + 0x41, 8)  // literal "A"
    p.code(0b000_0001, 7)  // length symbol 257: 3
    p.code(1, 5)  // distance symbol 1: 2
    p.code(0, 7)  // end of block
    #expect(reason(p.bytes) == "invalid distance too far back")

    // A gzip member may not reach back into the previous member's output.
    var crossing = CompressionTestBitPacker()
    crossing.bits(1, 1)
    crossing.bits(1, 2)
    crossing.code(0b000_0001, 7)  // length 3 at distance 1: would copy member 1's last byte
    crossing.code(0, 5)
    crossing.code(0, 7)
    let crossingMember: [UInt8] =
      [0x1F, 0x8B, 8, 0, 0, 0, 0, 0, 0, 255] + crossing.bytes + [UInt8](repeating: 0, count: 8)
    #expect(throws: CompressionError.corrupt(format: "gzip", reason: "invalid distance too far back in member 2")) {
      try Gzip.decompress(F.gzipPlain + crossingMember)
    }
  }

  @Test func outputLimit() throws {
    let data = [UInt8](repeating: 0, count: 100_000)
    let z = Zlib.compress(data)
    #expect(throws: CompressionError.outputLimitExceeded(limit: 1000)) { try Zlib.decompress(z, limit: 1000) }
    #expect(try Zlib.decompress(z, limit: 100_000) == data)
    let g = Gzip.compress(data, level: .storedOnly)
    #expect(throws: CompressionError.outputLimitExceeded(limit: 99_999)) { try Gzip.decompress(g, limit: 99_999) }
    let one = Zlib.compress([1])
    #expect(throws: CompressionError.outputLimitExceeded(limit: 0)) { try Zlib.decompress(one, limit: 0) }
    #expect(try Zlib.decompress(one, limit: 1) == [1])
    // A zip bomb: 100 MB of zeros in about 100 KB stops at the limit without decoding the rest.
    let bomb = Gzip.compress([UInt8](repeating: 0, count: 100_000_000), level: .best)
    #expect(bomb.count < 200_000)
    #expect(throws: CompressionError.outputLimitExceeded(limit: 1 << 20)) { try Gzip.decompress(bomb, limit: 1 << 20) }
  }

  @Test func randomCorruptionNeverCrashes() {
    // Flipped bits and bytes anywhere must end in a result or a CompressionError: no trap, no hang.
    var rng = CompressionTestRNG(state: 77)
    let sources = [
      Zlib.compress(CompressionTestData.smallAlphabet(2000)),
      Zlib.compress(CompressionTestData.skewed(2000)),
      Zlib.compress(CompressionTestData.repetitive(2000), level: .fast),
      F.zlibFixed, F.zlibStored,
    ]
    var threw = 0
    for trial in 0..<600 {
      var bytes = sources[trial % sources.count]
      for _ in 0..<Int.random(in: 1...3, using: &rng) {
        let i = Int.random(in: 0..<bytes.count, using: &rng)
        if Bool.random(using: &rng) {
          bytes[i] ^= 1 << UInt8.random(in: 0...7, using: &rng)
        } else {
          bytes[i] = UInt8.random(in: 0...255, using: &rng)
        }
      }
      do {
        _ = try Zlib.decompress(bytes, limit: 1 << 20)
      } catch {
        threw += 1
        #expect(!error.description.isEmpty)
      }
    }
    #expect(threw > 500)  // the Adler-32 catches what decodes
  }
}

// MARK: - PNG's lenient zlib decoding

@Suite struct CompressionPNGLeniencyTests {
  static let data = CompressionTestData.smallAlphabet(5000)
  static let stream = Zlib.compress(data)

  @Test func completeDataToleratesAMissingChecksumAndTrailingBytes() throws {
    let s = Self.stream
    #expect(try PNGDecoder.inflateLeniently(s, expectedSize: 5000) == Self.data)
    #expect(try PNGDecoder.inflateLeniently(Array(s.dropLast(4)), expectedSize: 5000) == Self.data)
    #expect(try PNGDecoder.inflateLeniently(s + [0, 1, 2], expectedSize: 5000) == Self.data)
    // Extra decoded bytes are returned too (the PNG decoder ignores them).
    #expect(try PNGDecoder.inflateLeniently(s, expectedSize: 4000) == Self.data)
  }

  @Test func whatIsPresentIsStillChecked() {
    var bad = Self.stream
    bad[bad.count - 1] ^= 1
    #expect(throws: CompressionError.corrupt(format: "zlib", reason: "Adler-32 checksum mismatch")) {
      try PNGDecoder.inflateLeniently(bad, expectedSize: 5000)
    }
    // Cut before the image data is complete: truncated.
    let half = Array(Self.stream.prefix(Self.stream.count / 2))
    let cut = #expect(throws: CompressionError.self) { try PNGDecoder.inflateLeniently(half, expectedSize: 5000) }
    #expect(cut?.description.hasPrefix("truncated input") == true)
  }

  @Test func outputIsBoundedByTheExpectedSize() {
    // 10 MB of zeros for an image of 100 bytes: decoding stops at 100 + 64 KiB.
    let bomb = Zlib.compress([UInt8](repeating: 0, count: 10_000_000))
    #expect(throws: CompressionError.outputLimitExceeded(limit: 100 + (1 << 16))) {
      try PNGDecoder.inflateLeniently(bomb, expectedSize: 100)
    }
  }
}

// MARK: - A real gzip'd dataset

@Suite struct CompressionRealDataTests {
  @Test(.requiresSharedData(.fashionMNIST))
  func fashionMNISTTestLabels() throws {
    let labels = try #require(SharedData.file(.fashionMNIST, "t10k-labels-idx1-ubyte.gz"))
    let gz = [UInt8](try #require(FileManager.default.contents(atPath: labels.path)))
    let idx = try Gzip.decompress(gz)
    #expect(idx.count == 10008)
    // IDX header: magic 0x00000801 (unsigned bytes, 1 dimension), then the item count, big-endian.
    #expect(Array(idx.prefix(4)) == [0x00, 0x00, 0x08, 0x01])
    let count = idx[4..<8].reduce(0) { $0 << 8 | Int($1) }
    #expect(count == 10000)
    #expect(idx[8...].allSatisfy { $0 <= 9 })  // class labels 0...9
  }
}
