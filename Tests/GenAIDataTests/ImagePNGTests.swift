import Foundation
import GenAITensor
import GenAITestSupport
import Testing

@testable import GenAIData

/// Tests of the PNG decoder and encoder: hand-made fixtures of every colour type, bit depth and
/// interlacing (from Scripts/gen_png_fixtures.py), round trips, every kind of damage, a small
/// fuzz, and files we write read back by an independent decoder (Python's zlib + struct).

@Suite struct PNGDecoderTests {
  @Test(arguments: ImagePNGFixtures.all)
  func decodesFixture(_ fixture: ImagePNGFixtures.Fixture) throws {
    let bytes = try #require(Data(base64Encoded: fixture.base64)).map { $0 }
    let image = try PNGDecoder.decode(bytes, file: fixture.name)
    #expect(image.bitmap.width == fixture.width)
    #expect(image.bitmap.height == fixture.height)
    #expect(image.bitmap.channels == fixture.channels)
    let expected = ImageTestSupport.bytes(hex: fixture.pixelsHex)
    if image.bitmap.pixels != expected {
      let first = zip(image.bitmap.pixels, expected).enumerated().first { $0.element.0 != $0.element.1 }
      Issue.record("\(fixture.name): first difference at sample \(first?.offset ?? -1)")
    }
  }

  @Test func fixturesCoverTheFormat() throws {
    var seen = Set<String>()
    for fixture in ImagePNGFixtures.all {
      let bytes = try #require(Data(base64Encoded: fixture.base64)).map { $0 }
      let header = try PNGDecoder.decode(bytes).header
      seen.insert("\(header.colourType.rawValue)/\(header.bitDepth)/\(header.interlaced)")
    }
    for type in PNGHeader.ColourType.allCases {
      for depth in type.allowedBitDepths {
        #expect(seen.contains("\(type.rawValue)/\(depth)/false"), "\(type) \(depth)")
      }
    }
    #expect(seen.filter { $0.hasSuffix("true") }.count >= 5)
  }

  @Test func readsTextChunks() throws {
    let fixture = try #require(ImagePNGFixtures.all.first { $0.name == "split-idat-text" })
    let image = try PNGDecoder.decode(try #require(Data(base64Encoded: fixture.base64)).map { $0 })
    #expect(image.text == [PNGText(key: "Comment", value: "made by gen_png_fixtures.py")])
  }

  /// A valid 4x3 RGB file to damage.
  static var sample: [UInt8] { PNGEncoder.encode(ImageTestSupport.pattern(width: 4, height: 3, channels: 3)) }

  @Test func badCRCNamesTheChunk() throws {
    var bytes = Self.sample
    // Flip a byte inside the IDAT data: IHDR (8 + 25) is followed by IDAT's length and type.
    bytes[33 + 8 + 3] ^= 0x40
    let error = #expect(throws: DataError.self) { try PNGDecoder.decode(bytes, file: "bad.png") }
    #expect(error?.file == "bad.png")
    #expect(error?.message.hasPrefix("PNG chunk IDAT: CRC mismatch") == true)
    var header = Self.sample
    header[8 + 8 + 2] ^= 1  // inside IHDR's width
    let ihdr = #expect(throws: DataError.self) { try PNGDecoder.decode(header, file: "h.png") }
    #expect(ihdr?.message.hasPrefix("PNG chunk IHDR: CRC mismatch") == true)
  }

  @Test func truncatedFileIsReported() throws {
    let bytes = Self.sample
    for cut in [0, 5, 8, 20, 33, 40, bytes.count - 12, bytes.count - 1] {
      let error = #expect(throws: DataError.self) { try PNGDecoder.decode(Array(bytes.prefix(cut)), file: "t.png") }
      let message = error?.message ?? ""
      #expect(message.contains("truncated") || message.contains("not a PNG"), "cut at \(cut): \(message)")
    }
  }

  /// `sample` with its IHDR data replaced by `ihdr` (CRC recomputed).
  static func withHeader(_ edit: (inout [UInt8]) -> Void) -> [UInt8] {
    var bytes = sample
    var data = Array(bytes[16..<29])
    edit(&data)
    var chunk: [UInt8] = []
    PNGChunks.append("IHDR", data, to: &chunk)
    bytes.replaceSubrange(8..<33, with: chunk)
    return bytes
  }

  @Test func badHeaderFieldsAreReported() throws {
    let cases: [(String, (inout [UInt8]) -> Void)] = [
      ("invalid size 0x3", { $0[0...3] = [0, 0, 0, 0] }),
      (
        "bit depth 16 is invalid for colour type 3",
        {
          $0[8] = 16
          $0[9] = 3
        }
      ),
      ("bit depth 4 is invalid for colour type 2", { $0[8] = 4 }),
      ("invalid colour type 5", { $0[9] = 5 }),
      ("compression method 1", { $0[10] = 1 }),
      ("filter method 2", { $0[11] = 2 }),
      ("interlace method 7", { $0[12] = 7 }),
      (
        "larger than",
        {
          $0[0...3] = [0, 1, 0, 0]
          $0[4...7] = [0, 1, 0, 0]
        }
      ),
    ]
    for (expected, edit) in cases {
      let error = #expect(throws: DataError.self) { try PNGDecoder.decode(Self.withHeader(edit), file: "ihdr.png") }
      #expect(error?.message.contains(expected) == true, "\(expected): \(error?.message ?? "")")
    }
  }

  @Test func structuralErrorsAreReported() throws {
    let image = ImageTestSupport.pattern(width: 3, height: 2, channels: 1)
    let filtered = PNGEncoder.filtered(image)
    var ihdr: [UInt8] = []
    PNGChunks.append("IHDR", [0, 0, 0, 3, 0, 0, 0, 2, 8, 0, 0, 0, 0], to: &ihdr)
    func png(_ chunks: [(String, [UInt8])]) -> [UInt8] {
      var out = PNGChunks.signature + ihdr
      for (type, data) in chunks { PNGChunks.append(type, data, to: &out) }
      return out
    }
    let idat = Zlib.compress(filtered)
    #expect(try PNGDecoder.decode(png([("IDAT", idat), ("IEND", [])])).bitmap == image)
    let cases: [(String, [UInt8])] = [
      ("before the IEND chunk", png([("IDAT", idat)])),
      ("no image data", png([("IEND", [])])),
      ("unknown critical chunk ABCD", png([("ABCD", [1]), ("IDAT", idat), ("IEND", [])])),
      (
        "not consecutive",
        png([("IDAT", Array(idat.prefix(4))), ("tEXt", [65, 0]), ("IDAT", Array(idat.dropFirst(4))), ("IEND", [])])
      ),
      ("PLTE: not allowed in a grey image", png([("PLTE", [1, 2, 3]), ("IDAT", idat), ("IEND", [])])),
      ("tRNS: length 1", png([("tRNS", [1]), ("IDAT", idat), ("IEND", [])])),
      ("too short", png([("IDAT", Zlib.compress(Array(filtered.dropLast()))), ("IEND", [])])),
      ("invalid filter type 9", png([("IDAT", Zlib.compress([9] + filtered.dropFirst())), ("IEND", [])])),
      ("IDAT) is corrupt", png([("IDAT", Array(idat.prefix(idat.count / 2))), ("IEND", [])])),
      ("Adler-32", png([("IDAT", idat.dropLast() + [idat.last! ^ 1]), ("IEND", [])])),
    ]
    for (expected, bytes) in cases {
      let error = #expect(throws: DataError.self) { try PNGDecoder.decode(bytes, file: "s.png") }
      #expect(error?.message.contains(expected) == true, "\(expected): \(error?.message ?? "")")
    }
    // Unknown ancillary chunks and data after IEND are skipped.
    var lenient = png([("abCd", [1, 2]), ("IDAT", idat), ("IEND", [])])
    lenient += [1, 2, 3]
    #expect(try PNGDecoder.decode(lenient).bitmap == image)
    let missingPalette = #expect(throws: DataError.self) {
      var h: [UInt8] = []
      PNGChunks.append("IHDR", [0, 0, 0, 3, 0, 0, 0, 2, 8, 3, 0, 0, 0], to: &h)
      var out = PNGChunks.signature + h
      PNGChunks.append("IDAT", idat, to: &out)
      PNGChunks.append("IEND", [], to: &out)
      return try PNGDecoder.decode(out)
    }
    #expect(missingPalette?.message.contains("no PLTE") == true)
  }

  @Test func notAPNG() throws {
    let error = #expect(throws: DataError.self) { try PNGDecoder.decode(Array("GIF89a....".utf8), file: "x.png") }
    #expect(error?.message.hasPrefix("not a PNG file") == true)
  }

  /// Truncations at every length and random byte flips must throw or decode, never crash.
  @Test func fuzzedInputsThrowOrDecode() throws {
    var rng = SeededGenerator(seed: 42)
    var seeds: [[UInt8]] = [Self.sample]
    for name in ["adam7-palette4-trns", "grey1", "rgba16"] {
      let fixture = try #require(ImagePNGFixtures.all.first { $0.name == name })
      seeds.append(try #require(Data(base64Encoded: fixture.base64)).map { $0 })
    }
    var decoded = 0
    var thrown = 0
    for seed in seeds {
      for cut in 0..<seed.count {
        do {
          _ = try PNGDecoder.decode(Array(seed.prefix(cut)))
          decoded += 1
        } catch { thrown += 1 }
      }
      for _ in 0..<150 {
        var bytes = seed
        for _ in 0..<Int.random(in: 1...4, using: &rng) {
          bytes[Int.random(in: 0..<bytes.count, using: &rng)] = UInt8.random(in: 0...255, using: &rng)
        }
        // Recompute every CRC half of the time, so damage reaches the decoder's later stages.
        if Bool.random(using: &rng) { bytes = Self.refreshingCRCs(bytes) }
        do {
          _ = try PNGDecoder.decode(bytes)
          decoded += 1
        } catch { thrown += 1 }
      }
    }
    #expect(thrown > 0 && decoded > 0)
  }

  /// `bytes` with every complete chunk's CRC recomputed (damage stays, CRC errors go).
  static func refreshingCRCs(_ bytes: [UInt8]) -> [UInt8] {
    var out = bytes
    var offset = 8
    while offset + 12 <= out.count {
      let length =
        Int(out[offset]) << 24 | Int(out[offset + 1]) << 16 | Int(out[offset + 2]) << 8 | Int(out[offset + 3])
      guard length <= out.count - offset - 12 else { break }
      let crc = CRC32.checksum(out[(offset + 4)..<(offset + 8 + length)])
      out[offset + 8 + length] = UInt8(crc >> 24)
      out[offset + 9 + length] = UInt8(crc >> 16 & 0xFF)
      out[offset + 10 + length] = UInt8(crc >> 8 & 0xFF)
      out[offset + 11 + length] = UInt8(crc & 0xFF)
      offset += 12 + length
    }
    return out
  }
}

@Suite struct PNGEncoderTests {
  @Test(arguments: [1, 2, 3, 4])
  func roundTripsEveryColourType(channels: Int) throws {
    let image = ImageTestSupport.pattern(width: 17, height: 9, channels: channels, seed: channels)
    let text = [PNGText(key: "Software", value: "genai"), PNGText(key: "Source", value: "grille ü → 字")]
    let bytes = PNGEncoder.encode(image, text: text)
    let decoded = try PNGDecoder.decode(bytes)
    #expect(decoded.bitmap == image)
    #expect(decoded.header.colourType == .forChannels(channels) && decoded.header.bitDepth == 8)
    #expect(decoded.text == text)
  }

  @Test func usesSeveralFiltersAndCompresses() throws {
    // A smooth gradient: Sub/Up/Paeth beat None, and the file is much smaller than the pixels.
    var pixels: [UInt8] = []
    for y in 0..<64 { for x in 0..<64 { pixels.append(UInt8((x * 3 + y * 2) & 0xFF)) } }
    let image = Bitmap(width: 64, height: 64, channels: 1, pixels: pixels)
    let filtered = PNGEncoder.filtered(image)
    let types = Set(stride(from: 0, to: filtered.count, by: 65).map { filtered[$0] })
    #expect(!types.isSubset(of: [0]))
    #expect(PNGEncoder.encode(image).count < 4096 / 4)
  }

  @Test func writesAtomicallyAndReportsBadPaths() throws {
    let folder = try TemporaryFolder.make("image-tests")
    defer { try? FileManager.default.removeItem(at: folder) }
    let url = folder.appendingPathComponent("a.png")
    let first = ImageTestSupport.pattern(width: 5, height: 5, channels: 3)
    try PNGEncoder.write(first, to: url)
    let second = ImageTestSupport.pattern(width: 6, height: 4, channels: 1)
    try PNGEncoder.write(second, to: url)  // replaces the file
    #expect(try PNGDecoder.read(url).bitmap == second)
    #expect(try FileManager.default.contentsOfDirectory(atPath: folder.path) == ["a.png"])
    let error = #expect(throws: DataError.self) {
      try PNGEncoder.write(first, to: folder.appendingPathComponent("missing/b.png"))
    }
    #expect(error?.file.hasSuffix("missing/b.png") == true)
  }

  /// A grid we write, decoded by a PIL-free Python decoder (struct + zlib: chunk CRCs, inflate,
  /// all five unfilters): the pixels must match. Skipped without python3 unless CI is set.
  @Test(.enabled(if: TestEnvironment.executable(named: "python3") != nil || TestEnvironment.isCI, "python3 is not on PATH"))
  func pythonDecodesFilesWeWrite() throws {
    let python = try #require(TestEnvironment.executable(named: "python3"), "python3 is required when CI is set")
    let folder = try TemporaryFolder.make("image-tests")
    defer { try? FileManager.default.removeItem(at: folder) }
    var rng = SeededGenerator(seed: 3)
    var files: [(URL, Bitmap)] = []
    for channels in [1, 3] {
      let images = Tensor.randn([5, channels, 6, 7], using: &rng).tanh()
      let url = folder.appendingPathComponent("grid\(channels).png")
      try ImageGrid.write(images, to: url, range: .minusOneToOne, columns: 3, margin: 1, scale: 2)
      files.append((url, ImageGrid.make(images, range: .minusOneToOne, columns: 3, margin: 1, scale: 2)))
    }
    for channels in [2, 4] {
      let image = ImageTestSupport.pattern(width: 9, height: 7, channels: channels)
      let url = folder.appendingPathComponent("img\(channels).png")
      try PNGEncoder.write(image, to: url, text: [PNGText(key: "k", value: "v")])
      files.append((url, image))
    }
    for (url, expected) in files {
      let process = Process()
      process.executableURL = python
      process.arguments = ["-c", Self.pythonDecoder, url.path]
      let pipe = Pipe()
      process.standardOutput = pipe
      process.standardError = pipe
      try process.run()
      let output = String(decoding: pipe.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
      process.waitUntilExit()
      #expect(process.terminationStatus == 0, "\(output)")
      let expectedLine =
        "\(expected.width) \(expected.height) \(expected.channels) "
        + expected.pixels.map { ($0 < 16 ? "0" : "") + String($0, radix: 16) }.joined()
      #expect(output.trimmingCharacters(in: .whitespacesAndNewlines) == expectedLine, "\(url.lastPathComponent)")
    }
  }

  /// A minimal PNG decoder for 8-bit non-interlaced files, in Python with only struct and zlib.
  static let pythonDecoder = """
    import struct, sys, zlib
    data = open(sys.argv[1], 'rb').read()
    assert data[:8] == b'\\x89PNG\\r\\n\\x1a\\n', 'signature'
    pos, idat, ihdr = 8, b'', None
    while True:
        n, = struct.unpack('>I', data[pos:pos + 4]); kind = data[pos + 4:pos + 8]
        body = data[pos + 8:pos + 8 + n]; crc, = struct.unpack('>I', data[pos + 8 + n:pos + 12 + n])
        assert zlib.crc32(kind + body) & 0xffffffff == crc, 'CRC of ' + kind.decode()
        if kind == b'IHDR': ihdr = struct.unpack('>IIBBBBB', body)
        elif kind == b'IDAT': idat += body
        elif kind == b'IEND': break
        pos += 12 + n
    w, h, depth, ctype, comp, filt, interlace = ihdr
    assert depth == 8 and comp == 0 and filt == 0 and interlace == 0
    c = {0: 1, 2: 3, 4: 2, 6: 4}[ctype]
    raw = zlib.decompress(idat); stride = w * c; out = bytearray(); prev = bytearray(stride)
    assert len(raw) == h * (stride + 1), 'size'
    for y in range(h):
        f = raw[y * (stride + 1)]; row = bytearray(raw[y * (stride + 1) + 1:(y + 1) * (stride + 1)])
        for i in range(stride):
            a = row[i - c] if i >= c else 0; b = prev[i]; cc = prev[i - c] if i >= c else 0
            if f == 0: p = 0
            elif f == 1: p = a
            elif f == 2: p = b
            elif f == 3: p = (a + b) // 2
            elif f == 4:
                q = a + b - cc; pa, pb, pc = abs(q - a), abs(q - b), abs(q - cc)
                p = a if pa <= pb and pa <= pc else (b if pb <= pc else cc)
            else: raise ValueError('filter %d' % f)
            row[i] = (row[i] + p) & 0xff
        out += row; prev = row
    print(w, h, c, out.hex())
    """
}
