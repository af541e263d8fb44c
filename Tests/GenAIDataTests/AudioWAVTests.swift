import Foundation
import GenAITestSupport
import Testing

@testable import GenAIData

/// WAV reading and writing: round trips, hand-made files of every supported layout (built here
/// as bytes), tolerated oddities, and each malformed case throwing a `DataError` that names the
/// file and the problem.

// MARK: - Helpers (file-private, prefixed so they cannot clash with other test files)

/// Builds WAV files byte by byte.
enum AudioWAVBytes {
  static func le16(_ v: Int) -> [UInt8] { [UInt8(v & 0xFF), UInt8((v >> 8) & 0xFF)] }
  static func le32(_ v: Int) -> [UInt8] { (0..<4).map { UInt8((v >> (8 * $0)) & 0xFF) } }

  /// A chunk `id size body [pad]`; `size` overrides the declared size.
  static func chunk(_ id: String, _ body: [UInt8], size: Int? = nil) -> [UInt8] {
    Array(id.utf8) + le32(size ?? body.count) + body + (body.count % 2 == 1 ? [0] : [])
  }

  /// A `fmt ` chunk; `extensible` wraps `code` in a WAVE_FORMAT_EXTENSIBLE header.
  static func fmt(code: Int = 1, channels: Int = 1, rate: Int = 8000, bits: Int = 16, extensible: Bool = false) -> [UInt8] {
    let block = channels * bits / 8
    var body = le16(extensible ? 0xFFFE : code) + le16(channels) + le32(rate) + le32(rate * block) + le16(block) + le16(bits)
    if extensible {
      // cbSize 22, valid bits, channel mask, sub-format GUID xxxx0000-0000-0010-8000-00aa00389b71
      body += le16(22) + le16(bits) + le32(channels == 2 ? 3 : 4)
      body += le16(code) + [0, 0, 0, 0, 0x10, 0, 0x80, 0, 0, 0xAA, 0, 0x38, 0x9B, 0x71]
    }
    return chunk("fmt ", body)
  }

  /// `RIFF size WAVE` followed by `chunks`.
  static func file(_ chunks: [UInt8], riff: String = "RIFF", form: String = "WAVE") -> [UInt8] {
    Array(riff.utf8) + le32(chunks.count + 4) + Array(form.utf8) + chunks
  }

  /// int16 little-endian samples.
  static func pcm16(_ values: [Int]) -> [UInt8] { values.flatMap { le16($0 & 0xFFFF) } }

  /// Reads `bytes` as a WAV named `name`, returning the error (or nil).
  static func error(_ bytes: [UInt8], name: String = "bad.wav") -> DataError? {
    do {
      _ = try WAV.decode(bytes, file: name)
      return nil
    } catch {
      return error
    }
  }
}

// MARK: - Tests

@Suite("Audio WAV reading and writing")
struct AudioWAVTests {
  @Test func pcm16RoundTripIsExactOnTheInt16Grid() throws {
    let folder = try TemporaryFolder.make("audio-roundtrip")
    defer { try? FileManager.default.removeItem(at: folder) }
    let samples: [Float] = (0..<1000).map { Float(Int(($0 * 7919) % 65536) - 32768) / 32768 }
    let url = folder.appendingPathComponent("clip.wav")
    try WAV.write(samples, sampleRate: 22050, to: url, info: ["INAM": "test tone", "ICMT": "made by genai; ünïcode"])
    let back = try WAV.read(url)
    #expect(back.samples == samples)
    #expect(back.sampleRate == 22050)
    #expect(back.channels == 1)
    #expect(back.encoding == .pcm(bits: 16))
    #expect(back.info == ["INAM": "test tone", "ICMT": "made by genai; ünïcode"])
    #expect(back.notes.isEmpty)
    // No temporary file is left behind.
    #expect(try FileManager.default.contentsOfDirectory(atPath: folder.path) == ["clip.wav"])
  }

  @Test func writingClipsAndRoundsToSixteenBits() throws {
    let bytes = try WAV.encode([0, 1, -1, 2, -3, .nan, 0.5, 1e-5, -1e-5], sampleRate: 8000)
    #expect(bytes.count == 44 + 18)
    let back = try WAV.decode(bytes, file: "x")
    #expect(back.samples == [0, 32767.0 / 32768, -1, 32767.0 / 32768, -1, 0, 0.5, 0, 0])
    // Plain canonical header: 44 bytes, sizes consistent.
    #expect(Array(bytes[0..<4]) == Array("RIFF".utf8))
    #expect(Array(bytes[4..<8]) == AudioWAVBytes.le32(bytes.count - 8))
    #expect(Array(bytes[36..<40]) == Array("data".utf8))
  }

  @Test func writingRejectsABadTagID() {
    #expect(throws: DataError.self) { try WAV.encode([0], sampleRate: 8000, info: ["NAME!": "x"]) }
    #expect(throws: DataError.self) { try WAV.encode([0], sampleRate: 0) }
  }

  @Test func reads8BitUnsignedPCM() throws {
    let bytes = AudioWAVBytes.file(AudioWAVBytes.fmt(bits: 8) + AudioWAVBytes.chunk("data", [0, 64, 128, 192, 255]))
    let audio = try WAV.decode(bytes, file: "u8.wav")
    #expect(audio.samples == [-1, -0.5, 0, 0.5, 127.0 / 128])
    #expect(audio.encoding == .pcm(bits: 8))
    #expect(audio.notes.isEmpty)  // the odd data chunk's pad byte is not a partial frame
  }

  @Test func reads24BitPCM() throws {
    let values = [0, 1, -1, 0x7FFFFF, -0x800000, 0x400000]
    let data = values.flatMap { v in (0..<3).map { UInt8((v >> (8 * $0)) & 0xFF) } }
    let audio = try WAV.decode(AudioWAVBytes.file(AudioWAVBytes.fmt(bits: 24) + AudioWAVBytes.chunk("data", data)), file: "s24.wav")
    #expect(audio.samples == values.map { Float($0) / 8_388_608 })
    #expect(audio.encoding == .pcm(bits: 24))
  }

  @Test func reads32BitIntegerAndFloatPCM() throws {
    let ints = [0, Int(Int32.max), Int(Int32.min), 1 << 30]
    let intData = ints.flatMap { AudioWAVBytes.le32($0) }
    let s32 = try WAV.decode(AudioWAVBytes.file(AudioWAVBytes.fmt(bits: 32) + AudioWAVBytes.chunk("data", intData)), file: "s32.wav")
    #expect(s32.samples == [0, 1, -1, 0.5])
    let floats: [Float] = [0.25, -0.75, 1.5, -0.001]
    let floatData = floats.flatMap { AudioWAVBytes.le32(Int($0.bitPattern)) }
    let f32 = try WAV.decode(AudioWAVBytes.file(AudioWAVBytes.fmt(code: 3, bits: 32) + AudioWAVBytes.chunk("data", floatData)), file: "f32.wav")
    #expect(f32.samples == floats)
    #expect(f32.encoding == .float(bits: 32))
    let doubles: [Double] = [0.125, -0.5]
    let doubleData = doubles.flatMap { d in (0..<8).map { UInt8((d.bitPattern >> (8 * UInt64($0))) & 0xFF) } }
    let f64 = try WAV.decode(AudioWAVBytes.file(AudioWAVBytes.fmt(code: 3, bits: 64) + AudioWAVBytes.chunk("data", doubleData)), file: "f64.wav")
    #expect(f64.samples == [0.125, -0.5])
  }

  @Test func mixesStereoDownToMono() throws {
    // Frames (L, R): (16384, 0), (-16384, -16384), (32767, -32768)
    let data = AudioWAVBytes.pcm16([16384, 0, -16384, -16384, 32767, -32768])
    let audio = try WAV.decode(AudioWAVBytes.file(AudioWAVBytes.fmt(channels: 2) + AudioWAVBytes.chunk("data", data)), file: "st.wav")
    #expect(audio.channels == 2)
    #expect(audio.samples == [0.25, -0.5, -0.5 / 32768])
  }

  @Test func readsExtensibleHeaders() throws {
    let data = AudioWAVBytes.pcm16([16384, -16384, 8192, 0])
    let pcm = try WAV.decode(AudioWAVBytes.file(AudioWAVBytes.fmt(channels: 2, extensible: true) + AudioWAVBytes.chunk("data", data)), file: "ext.wav")
    #expect(pcm.samples == [0, 0.125])
    let floats = [Float(0.5), -0.25].flatMap { AudioWAVBytes.le32(Int($0.bitPattern)) }
    let float = try WAV.decode(AudioWAVBytes.file(AudioWAVBytes.fmt(code: 3, bits: 32, extensible: true) + AudioWAVBytes.chunk("data", floats)), file: "extf.wav")
    #expect(float.samples == [0.5, -0.25])
    #expect(float.encoding == .float(bits: 32))
  }

  @Test func skipsUnknownChunksWithOddSizes() throws {
    let chunks = AudioWAVBytes.chunk("JUNK", [1, 2, 3]) + AudioWAVBytes.fmt() + AudioWAVBytes.chunk("fact", [9, 9, 9, 9, 9])
      + AudioWAVBytes.chunk("LIST", Array("INFO".utf8) + AudioWAVBytes.chunk("INAM", Array("odd\0".utf8) + [0x21]))
      + AudioWAVBytes.chunk("data", AudioWAVBytes.pcm16([8192, -8192])) + AudioWAVBytes.chunk("cue ", [7])
    let audio = try WAV.decode(AudioWAVBytes.file(chunks), file: "odd.wav")
    #expect(audio.samples == [0.25, -0.25])
    #expect(audio.info["INAM"] == "odd\0!")
    #expect(audio.notes.isEmpty)
  }

  @Test func toleratesStreamedAndOversizedDataChunks() throws {
    let samples = AudioWAVBytes.pcm16([8192, 16384, -8192])
    for size in [0, 0xFFFF_FFFF] {
      var bytes = AudioWAVBytes.file(AudioWAVBytes.fmt() + AudioWAVBytes.chunk("data", samples, size: size))
      bytes.replaceSubrange(4..<8, with: AudioWAVBytes.le32(size))  // streamed writers leave the RIFF size unset too
      let audio = try WAV.decode(bytes, file: "stream.wav")
      #expect(audio.samples == [0.25, 0.5, -0.25])
      #expect(audio.notes.count == 1 && audio.notes[0].contains("streamed"))
    }
    // A truncated file: the data chunk claims 1000 bytes, 7 follow (no pad byte).
    let clamped = try WAV.decode(AudioWAVBytes.file(AudioWAVBytes.fmt() + Array("data".utf8) + AudioWAVBytes.le32(1000) + samples + [1]), file: "big.wav")
    #expect(clamped.samples == [0.25, 0.5, -0.25])
    #expect(clamped.notes.contains { $0.contains("claims 1000 bytes") && $0.contains("clamped") })
    #expect(clamped.notes.contains { $0.contains("partial frame") })
    // A finished file with a genuinely empty data chunk followed by a LIST stays empty.
    let empty = try WAV.decode(AudioWAVBytes.file(AudioWAVBytes.fmt() + AudioWAVBytes.chunk("data", []) + AudioWAVBytes.chunk("LIST", Array("INFO".utf8))), file: "e.wav")
    #expect(empty.samples.isEmpty && empty.notes.isEmpty)
  }

  @Test func everyMalformedFileNamesTheFileAndTheProblem() {
    let fmt = AudioWAVBytes.fmt()
    let data = AudioWAVBytes.chunk("data", AudioWAVBytes.pcm16([1, 2]))
    let cases: [(String, [UInt8], String)] = [
      ("empty", [], "truncated header"),
      ("short", Array("RIFF".utf8) + [0, 0], "truncated header"),
      ("not riff", Array("OggS".utf8) + AudioWAVBytes.le32(4) + Array("WAVE".utf8) + fmt + data, "not a RIFF file"),
      ("not wave", AudioWAVBytes.file(fmt + data, form: "AVI "), "not a WAVE file"),
      ("no fmt", AudioWAVBytes.file(data), "no fmt chunk"),
      ("no data", AudioWAVBytes.file(fmt), "no data chunk"),
      ("header only", AudioWAVBytes.file([]), "truncated header"),
      ("short fmt", AudioWAVBytes.file(AudioWAVBytes.chunk("fmt ", [1, 0, 1, 0]) + data), "fmt chunk is 4 bytes"),
      ("cut fmt", AudioWAVBytes.file(Array(fmt.prefix(14))), "truncated header"),
      ("adpcm", AudioWAVBytes.file(AudioWAVBytes.fmt(code: 2, bits: 4) + data), "format code 0x0002 (Microsoft ADPCM)"),
      ("mulaw", AudioWAVBytes.file(AudioWAVBytes.fmt(code: 7, bits: 8) + data), "format code 0x0007 (mu-law)"),
      ("ext mulaw", AudioWAVBytes.file(AudioWAVBytes.fmt(code: 7, bits: 8, extensible: true) + data), "0x0007"),
      ("pcm 40", AudioWAVBytes.file(AudioWAVBytes.fmt(bits: 40) + data), "PCM with 40 bits"),
      ("float 16", AudioWAVBytes.file(AudioWAVBytes.fmt(code: 3, bits: 16) + data), "IEEE float with 16 bits"),
      ("0 channels", AudioWAVBytes.file(AudioWAVBytes.fmt(channels: 0) + data), "0 channels"),
      ("0 Hz", AudioWAVBytes.file(AudioWAVBytes.fmt(rate: 0) + data), "sample rate of 0"),
    ]
    for (name, bytes, problem) in cases {
      let error = AudioWAVBytes.error(bytes, name: "\(name).wav")
      #expect(error?.file == "\(name).wav", "\(name)")
      #expect(error?.message.contains(problem) == true, "\(name): \(error?.message ?? "no error")")
    }
    let truncatedExtensible = AudioWAVBytes.file(AudioWAVBytes.chunk("fmt ", Array(AudioWAVBytes.fmt(extensible: true)[8..<32])) + data)
    #expect(AudioWAVBytes.error(truncatedExtensible)?.message.contains("WAVE_FORMAT_EXTENSIBLE") == true)
  }

  @Test func readingAMissingFileNamesIt() {
    let url = URL(fileURLWithPath: "/nonexistent/genai/clip.wav")
    #expect(throws: DataError(file: url.path, "no such file")) { try WAV.read(url) }
  }
}
