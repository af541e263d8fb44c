import Foundation

/// A decoded WAV file: its samples mixed down to one channel, and what the file said about itself.
public struct WAVAudio: Sendable, Equatable {
  /// The samples, mono, `[frames]`. Integer PCM lies in [-1, 1); float files are passed through
  /// as stored (they may exceed 1).
  public var samples: [Float]
  /// Frames per second, e.g. 8000.
  public var sampleRate: Int
  /// Channels in the file before the mixdown (the mono samples are their average).
  public var channels: Int
  /// How the samples were stored.
  public var encoding: WAVEncoding
  /// LIST/INFO tags by four-character id, e.g. `["INAM": "title", "ICMT": "comment"]`.
  public var info: [String: String]
  /// Oddities tolerated while reading, e.g. a streamed data size or a data chunk clamped to the
  /// end of the file; empty for a well-formed file.
  public var notes: [String]

  /// Creates decoded audio.
  public init(
    samples: [Float], sampleRate: Int, channels: Int = 1, encoding: WAVEncoding = .pcm(bits: 16),
    info: [String: String] = [:], notes: [String] = []
  ) {
    self.samples = samples
    self.sampleRate = sampleRate
    self.channels = channels
    self.encoding = encoding
    self.info = info
    self.notes = notes
  }

  /// Length in seconds.
  public var duration: Double { sampleRate > 0 ? Double(samples.count) / Double(sampleRate) : 0 }
}

/// How a WAV file stores its samples.
public enum WAVEncoding: Sendable, Equatable, CustomStringConvertible {
  /// Integer PCM (format code 0x0001): 8-bit unsigned, 16/24/32-bit signed little-endian.
  case pcm(bits: Int)
  /// IEEE float (format code 0x0003): 32 or 64 bits.
  case float(bits: Int)

  /// E.g. `"16-bit PCM"`, `"32-bit float"`.
  public var description: String {
    switch self {
    case .pcm(let bits): "\(bits)-bit PCM"
    case .float(let bits): "\(bits)-bit float"
    }
  }
}

/// Reading and writing RIFF/WAVE files.
///
/// Reads PCM 8 (unsigned), 16, 24 and 32-bit, IEEE float 32 and 64-bit, plain or
/// `WAVE_FORMAT_EXTENSIBLE`, any number of channels (averaged to mono); RF64 files read too when
/// their data size is the streamed `0xFFFFFFFF`. Unknown chunks (`LIST`, `fact`, `cue `, ...) are
/// skipped with their odd-size pad byte; `LIST/INFO` tags are returned in `WAVAudio.info`. Writes
/// 16-bit PCM mono with optional INFO tags.
///
/// ```swift
/// let clip = try WAV.read(URL(fileURLWithPath: "wav/7_sc-m2_3.wav"))   // 8000 samples at 8000 Hz
/// try WAV.write(clip.samples, sampleRate: 8000, to: out, info: ["ICMT": "made by genai"])
/// ```
public enum WAV {
  /// Reads and decodes the WAV file at `url`.
  /// - Throws: `DataError` naming the file when it cannot be read, is not RIFF/WAVE, lacks a
  ///   `fmt ` or `data` chunk, has a truncated header, zero channels or sample rate, or an
  ///   unsupported encoding (the format code is named).
  public static func read(_ url: URL) throws(DataError) -> WAVAudio {
    try decode(readBytes(url), file: url.path)
  }

  /// Decodes a whole WAV file held in memory; `file` names it in errors.
  /// - Throws: `DataError` as `read` does.
  public static func decode(_ bytes: Data, file: String) throws(DataError) -> WAVAudio {
    let result = bytes.withUnsafeBytes { raw in
      Result { () throws(DataError) in try WAVDecoder(raw, file: file).decode() }
    }
    return try result.get()
  }

  /// Decodes a whole WAV file held in memory; `file` names it in errors.
  /// - Throws: `DataError` as `read` does.
  public static func decode(_ bytes: [UInt8], file: String) throws(DataError) -> WAVAudio {
    let result = bytes.withUnsafeBytes { raw in
      Result { () throws(DataError) in try WAVDecoder(raw, file: file).decode() }
    }
    return try result.get()
  }

  /// The bytes of a 16-bit PCM mono WAV file holding `samples` (`[frames]`, clipped to [-1, 1];
  /// NaN becomes 0), with a `LIST/INFO` chunk before the data when `info` is not empty.
  /// - Parameters:
  ///   - info: tags by four-character ASCII id (`INAM` title, `ICMT` comment, `ISFT` software,
  ///     ...), written in id order, values as NUL-terminated UTF-8.
  ///   - file: the name used in errors.
  /// - Throws: `DataError` for an id that is not four printable ASCII characters, a sample rate
  ///   below 1, or a file beyond the 4 GiB a RIFF size can describe.
  public static func encode(
    _ samples: [Float], sampleRate: Int, info: [String: String] = [:], file: String = "<memory>"
  ) throws(DataError) -> Data {
    try WAVEncoder.pcm16(samples, sampleRate: sampleRate, info: info, file: file)
  }

  /// Writes `samples` to `url` as a 16-bit PCM mono WAV file (see `encode`). The file is written
  /// to a temporary file in the same folder and renamed over `url`, so a reader never sees half a
  /// file and a failed write leaves any old file intact.
  /// - Throws: `DataError` naming `url` when encoding or writing fails.
  public static func write(
    _ samples: [Float], sampleRate: Int, to url: URL, info: [String: String] = [:]
  ) throws(DataError) {
    let bytes = try encode(samples, sampleRate: sampleRate, info: info, file: url.path)
    try writeAtomically(bytes, to: url)
  }

  /// The contents of `url`, or a `DataError` naming it.
  static func readBytes(_ url: URL) throws(DataError) -> Data {
    do {
      return try Data(contentsOf: url)
    } catch {
      let exists = FileManager.default.fileExists(atPath: url.path)
      throw DataError(file: url.path, exists ? "cannot read the file: \(error.localizedDescription)" : "no such file")
    }
  }

  /// Writes `bytes` to a temporary sibling of `url`, then renames it over `url`.
  static func writeAtomically(_ bytes: Data, to url: URL) throws(DataError) {
    let folder = url.deletingLastPathComponent()
    let temp = folder.appendingPathComponent(".\(url.lastPathComponent).\(UUID().uuidString).tmp")
    do {
      try bytes.write(to: temp)
    } catch {
      // A part-written temporary file (disk full) would otherwise stay behind.
      try? FileManager.default.removeItem(at: temp)
      throw DataError(file: url.path, "cannot write the file: \(error.localizedDescription)")
    }
    if rename(temp.path, url.path) != 0 {
      let reason = String(cString: strerror(errno))
      try? FileManager.default.removeItem(at: temp)
      throw DataError(file: url.path, "cannot move the written file into place: \(reason)")
    }
  }
}
