import Foundation

/// Builds the bytes of 16-bit PCM mono WAV files.
///
/// Layout: `RIFF size WAVE`, `fmt ` (16 bytes: PCM, 1 channel, rate, 2·rate bytes/s, block
/// align 2, 16 bits), an optional `LIST` `INFO` chunk, then `data` with little-endian int16.
enum WAVEncoder {
  /// The file bytes for `samples` (`[frames]`); see `WAV.encode`.
  static func pcm16(_ samples: [Float], sampleRate: Int, info: [String: String], file: String) throws(DataError) -> Data {
    guard sampleRate >= 1 && sampleRate <= Int(UInt32.max) else {
      throw DataError(file: file, "cannot write a sample rate of \(sampleRate) Hz")
    }
    let list = try infoChunk(info, file: file)
    let dataBytes = samples.count * 2
    let total = 12 + 24 + list.count + 8 + dataBytes + (dataBytes & 1)
    guard total - 8 <= Int(UInt32.max) else {
      throw DataError(file: file, "\(samples.count) samples need \(total) bytes, beyond the 4 GiB a WAV file can hold")
    }
    var out = [UInt8]()
    out.reserveCapacity(total)
    out += Array("RIFF".utf8)
    append32(UInt32(total - 8), to: &out)
    out += Array("WAVEfmt ".utf8)
    append32(16, to: &out)
    append16(1, to: &out)  // PCM
    append16(1, to: &out)  // mono
    append32(UInt32(sampleRate), to: &out)
    append32(UInt32(truncatingIfNeeded: sampleRate * 2), to: &out)
    append16(2, to: &out)  // block align
    append16(16, to: &out)  // bits per sample
    out += list
    out += Array("data".utf8)
    append32(UInt32(dataBytes), to: &out)
    let start = out.count
    out += repeatElement(0, count: dataBytes)
    out.withUnsafeMutableBytes { raw in
      samples.withUnsafeBufferPointer { src in
        for i in 0..<src.count {
          raw.storeBytes(of: quantize(src[i]).littleEndian, toByteOffset: start + 2 * i, as: Int16.self)
        }
      }
    }
    return Data(out)
  }

  /// `x` clipped to [-1, 1] as int16, `round(32768·x)` capped at 32767, so every value of the
  /// int16 grid `k / 32768` reads back exactly. NaN becomes 0.
  static func quantize(_ x: Float) -> Int16 {
    guard !x.isNaN else { return 0 }
    let scaled = (min(max(x, -1), 1) * 32768).rounded()
    return Int16(min(scaled, 32767))
  }

  /// A `LIST` chunk of type `INFO` with one entry per tag in id order (empty when no tags).
  static func infoChunk(_ info: [String: String], file: String) throws(DataError) -> [UInt8] {
    guard !info.isEmpty else { return [] }
    var body = Array("INFO".utf8)
    for (id, value) in info.sorted(by: { $0.key < $1.key }) {
      let idBytes = Array(id.utf8)
      guard idBytes.count == 4, idBytes.allSatisfy({ (0x20...0x7E).contains($0) }) else {
        throw DataError(file: file, "INFO tag id \"\(id)\" is not four printable ASCII characters (e.g. INAM, ICMT)")
      }
      let text = Array(value.utf8) + [0]
      body += idBytes
      append32(UInt32(text.count), to: &body)
      body += text
      if text.count % 2 == 1 { body.append(0) }
    }
    var chunk = Array("LIST".utf8)
    append32(UInt32(body.count), to: &chunk)
    return chunk + body
  }

  private static func append16(_ v: UInt16, to out: inout [UInt8]) {
    out.append(UInt8(v & 0xFF))
    out.append(UInt8(v >> 8))
  }

  private static func append32(_ v: UInt32, to out: inout [UInt8]) {
    for shift in stride(from: 0, to: 32, by: 8) { out.append(UInt8((v >> UInt32(shift)) & 0xFF)) }
  }
}
