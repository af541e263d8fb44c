/// Parses the chunks of a RIFF/WAVE file in memory and decodes its samples to mono floats.
///
/// Layout: `"RIFF" u32 size "WAVE"`, then chunks `id(4) u32le size body [pad byte if size odd]`.
/// Only `fmt `, `data` and `LIST/INFO` are read; every other chunk is skipped.
struct WAVDecoder {
  private let raw: UnsafeRawBufferPointer
  private let file: String

  /// A decoder over `raw`; `file` names it in errors.
  init(_ raw: UnsafeRawBufferPointer, file: String) {
    self.raw = raw
    self.file = file
  }

  /// What the `fmt ` chunk says.
  struct Format {
    /// The effective format code (the sub-format of an extensible header).
    var code: Int
    var channels: Int
    var sampleRate: Int
    var blockAlign: Int
    var bits: Int
  }

  /// Decodes the whole file.
  func decode() throws(DataError) -> WAVAudio {
    guard raw.count >= 12 else {
      throw fail("truncated header: \(raw.count) bytes, a WAV file needs a 12-byte RIFF header and fmt and data chunks")
    }
    let riff = fourCC(0)
    guard riff == "RIFF" || riff == "RF64" else {
      throw fail("not a RIFF file: it starts with \(quoted(0)), expected \"RIFF\"")
    }
    guard fourCC(8) == "WAVE" else {
      throw fail("not a WAVE file: the RIFF form type is \(quoted(8)), expected \"WAVE\"")
    }
    var format: Format?
    var data: Range<Int>?
    var info: [String: String] = [:]
    var notes: [String] = []
    var offset = 12
    scan: while offset + 8 <= raw.count {
      let id = fourCC(offset)
      let size = Int(u32(offset + 4))
      let body = offset + 8
      let available = raw.count - body
      if id == "data" && data == nil {
        if size == 0xFFFF_FFFF || (size == 0 && available > 0 && !riffSizeIsExact) {
          let shown = size == 0 ? "0" : "0xFFFFFFFF"
          notes.append("data chunk size \(shown) (streamed): read to the end of the file")
          data = body..<raw.count
          break scan
        }
        if size > available {
          notes.append("data chunk claims \(size) bytes but only \(available) follow: clamped")
          data = body..<raw.count
          break scan
        }
        data = body..<(body + size)
      } else if size > available {
        if id == "fmt " {
          throw fail("truncated header: the fmt chunk claims \(size) bytes but only \(available) follow")
        }
        notes.append("chunk \(quoted(offset)) claims \(size) bytes but only \(available) follow: ignored")
        break scan
      } else if id == "fmt " && format == nil {
        format = try parseFormat(at: body, size: size, notes: &notes)
      } else if id == "LIST" && size >= 4 && fourCC(body) == "INFO" {
        parseInfo(body + 4..<(body + size), into: &info)
      }
      offset = body + size + (size & 1)
    }
    guard let format else {
      throw fail(raw.count <= 12 ? "truncated header: no chunks after the RIFF header" : "no fmt chunk")
    }
    guard let data else { throw fail("no data chunk") }
    let frameBytes = format.blockAlign
    let frames = data.count / frameBytes
    if data.count % frameBytes != 0 {
      notes.append("data ends in a partial frame of \(data.count % frameBytes) bytes: dropped")
    }
    let samples = decodeSamples(format, from: data.lowerBound, frames: frames)
    let encoding: WAVEncoding = format.code == 3 ? .float(bits: format.bits) : .pcm(bits: format.bits)
    return WAVAudio(
      samples: samples, sampleRate: format.sampleRate, channels: format.channels, encoding: encoding,
      info: info, notes: notes)
  }

  // MARK: - Chunks

  /// Whether the RIFF size field equals the file length less 8 (a finished, non-streamed file).
  private var riffSizeIsExact: Bool { Int(u32(4)) == raw.count - 8 }

  /// Reads a `fmt ` chunk body of `size` bytes at `offset`, validating what decoding relies on.
  private func parseFormat(at offset: Int, size: Int, notes: inout [String]) throws(DataError) -> Format {
    guard size >= 16 else {
      throw fail("truncated header: the fmt chunk is \(size) bytes, it needs at least 16")
    }
    var code = Int(u16(offset))
    let channels = Int(u16(offset + 2))
    let sampleRate = Int(u32(offset + 4))
    var blockAlign = Int(u16(offset + 12))
    let bits = Int(u16(offset + 14))
    if code == 0xFFFE {
      guard size >= 40 else {
        throw fail("truncated header: a WAVE_FORMAT_EXTENSIBLE fmt chunk is \(size) bytes, it needs 40")
      }
      // The sub-format GUID starts with the format code: xxxx0000-0000-0010-8000-00aa00389b71.
      code = Int(u16(offset + 24))
    }
    guard channels > 0 else { throw fail("the fmt chunk says 0 channels") }
    guard sampleRate > 0 else { throw fail("the fmt chunk says a sample rate of 0 Hz") }
    let supported: Set<Int> = code == 1 ? [8, 16, 24, 32] : code == 3 ? [32, 64] : []
    // Bits per sample round up to whole bytes; a sample narrower than its container (12 bits in
    // 16) is left-justified in it, so it decodes as the container width.
    let container = (bits + 7) / 8 * 8
    guard supported.contains(container) else {
      if code == 1 || code == 3 {
        let kind = code == 1 ? "PCM" : "IEEE float"
        let list = supported.sorted().map(String.init).joined(separator: ", ")
        throw fail("unsupported encoding: \(kind) with \(bits) bits per sample (supported: \(list))")
      }
      throw fail(
        "unsupported encoding: format code \(hex(code)) (\(Self.formatName(code))); supported are "
          + "PCM (0x0001) 8/16/24/32-bit and IEEE float (0x0003) 32/64-bit")
    }
    if blockAlign != channels * container / 8 {
      notes.append("block align \(blockAlign) does not match \(channels) x \(container)-bit samples: using \(channels * container / 8)")
      blockAlign = channels * container / 8
    }
    return Format(code: code, channels: channels, sampleRate: sampleRate, blockAlign: blockAlign, bits: container)
  }

  /// Reads the `id size text` entries of a LIST/INFO body; text is NUL-terminated UTF-8.
  private func parseInfo(_ range: Range<Int>, into info: inout [String: String]) {
    var offset = range.lowerBound
    while offset + 8 <= range.upperBound {
      let id = fourCC(offset)
      let size = Int(u32(offset + 4))
      let start = offset + 8
      guard size <= range.upperBound - start else { return }
      var end = start + size
      while end > start && raw[end - 1] == 0 { end -= 1 }
      info[id] = String(decoding: UnsafeRawBufferPointer(rebasing: raw[start..<end]), as: UTF8.self)
      offset = start + size + (size & 1)
    }
  }

  // MARK: - Samples

  /// Decodes `frames` frames starting at byte `offset`, averaging channels.
  private func decodeSamples(_ format: Format, from offset: Int, frames: Int) -> [Float] {
    let channels = format.channels
    let values = frames * channels
    let interleaved = [Float](unsafeUninitializedCapacity: values) { out, initialized in
      let p = raw.baseAddress.unsafelyUnwrapped + offset
      switch (format.code, format.bits) {
      case (1, 8):
        for i in 0..<values { out[i] = (Float(p.load(fromByteOffset: i, as: UInt8.self)) - 128) * 0x1p-7 }
      case (1, 16):
        let dst = out.baseAddress.unsafelyUnwrapped
        if Int(bitPattern: p) % 2 == 0 && 1.littleEndian == 1 {
          // The common case, kept cheap even in unoptimised builds: aligned, host-endian int16.
          p.withMemoryRebound(to: Int16.self, capacity: values) { q in
            var i = 0
            while i < values {
              dst[i] = Float(q[i]) * 0x1p-15
              i += 1
            }
          }
        } else {
          for i in 0..<values {
            dst[i] = Float(Int16(littleEndian: p.loadUnaligned(fromByteOffset: 2 * i, as: Int16.self))) * 0x1p-15
          }
        }
      case (1, 24):
        for i in 0..<values {
          let b = p + 3 * i
          let u = UInt32(b.load(as: UInt8.self)) | UInt32(b.load(fromByteOffset: 1, as: UInt8.self)) << 8
            | UInt32(b.load(fromByteOffset: 2, as: UInt8.self)) << 16
          out[i] = Float(Int32(bitPattern: u << 8) >> 8) * 0x1p-23
        }
      case (1, _):
        for i in 0..<values {
          out[i] = Float(Int32(littleEndian: p.loadUnaligned(fromByteOffset: 4 * i, as: Int32.self))) * 0x1p-31
        }
      case (_, 32):
        for i in 0..<values {
          out[i] = Float(bitPattern: UInt32(littleEndian: p.loadUnaligned(fromByteOffset: 4 * i, as: UInt32.self)))
        }
      default:
        for i in 0..<values {
          out[i] = Float(Double(bitPattern: UInt64(littleEndian: p.loadUnaligned(fromByteOffset: 8 * i, as: UInt64.self))))
        }
      }
      initialized = values
    }
    if channels == 1 { return interleaved }
    let scale = 1 / Float(channels)
    return [Float](unsafeUninitializedCapacity: frames) { out, initialized in
      interleaved.withUnsafeBufferPointer { src in
        for f in 0..<frames {
          var sum: Float = 0
          for c in 0..<channels { sum += src[f * channels + c] }
          out[f] = sum * scale
        }
      }
      initialized = frames
    }
  }

  // MARK: - Bytes

  private func u16(_ offset: Int) -> UInt16 { UInt16(littleEndian: raw.loadUnaligned(fromByteOffset: offset, as: UInt16.self)) }
  private func u32(_ offset: Int) -> UInt32 { UInt32(littleEndian: raw.loadUnaligned(fromByteOffset: offset, as: UInt32.self)) }

  /// The four bytes at `offset` as Latin-1 text.
  private func fourCC(_ offset: Int) -> String {
    String(String.UnicodeScalarView((0..<4).map { Unicode.Scalar(raw[offset + $0]) }))
  }

  /// The four bytes at `offset`, quoted if printable, else in hex.
  private func quoted(_ offset: Int) -> String {
    let bytes = (0..<4).map { raw[offset + $0] }
    if bytes.allSatisfy({ (0x20...0x7E).contains($0) }) { return "\"\(fourCC(offset))\"" }
    return "bytes " + bytes.map { hex($0, digits: 2) }.joined(separator: " ")
  }

  private func hex<I: BinaryInteger>(_ value: I, digits: Int = 4) -> String {
    let text = String(value, radix: 16, uppercase: true)
    return "0x" + String(repeating: "0", count: max(0, digits - text.count)) + text
  }

  private func fail(_ message: String) -> DataError { DataError(file: file, message) }

  /// A name for common WAVE format codes, for error messages.
  static func formatName(_ code: Int) -> String {
    switch code {
    case 0x0002: "Microsoft ADPCM"
    case 0x0006: "A-law"
    case 0x0007: "mu-law"
    case 0x0011: "IMA ADPCM"
    case 0x0031: "GSM 6.10"
    case 0x0050: "MPEG"
    case 0x0055: "MPEG Layer 3"
    case 0x0161, 0x0162, 0x0163: "Windows Media Audio"
    case 0x1610: "AAC"
    case 0xF1AC: "FLAC"
    case 0x0000: "unknown"
    default: "not a format genai reads"
    }
  }
}
