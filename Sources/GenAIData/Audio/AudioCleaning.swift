import Foundation

/// How an `AudioSet` loader cleans clips, and the per-clip operations it uses.
///
/// Per file, in order: duplicates (same bytes as a file already kept) and undecodable files
/// are skipped; a clip at another sample rate is resampled (reported as modified); a clip whose
/// peak stays below `silenceThreshold` is skipped as silent; leading and trailing silence is
/// trimmed if asked (modified); loudness is normalised if asked (not reported per file: it
/// applies to every clip); finally every clip is padded with zeros at the end, or cropped from
/// the end (modified), to `length`.
public struct AudioCleaning: Sendable, Equatable {
  /// A loudness target for normalisation.
  public enum Loudness: Sendable, Equatable {
    /// Scale so the largest |sample| is this (e.g. 0.9).
    case peak(Float)
    /// Scale so the root mean square is this (e.g. 0.1, about −20 dBFS); samples pushed past
    /// ±1 are clipped.
    case rms(Float)
  }

  /// Rate every clip ends up at, Hz; `nil` for the most common rate among the files.
  public var sampleRate: Int?
  /// Samples per clip after padding or cropping; `nil` for the longest clip.
  public var length: Int?
  /// Whether files with the same bytes as one already kept are skipped.
  public var removeDuplicates: Bool
  /// Clips whose peak |sample| is below this are skipped as silent (1e-3 is −60 dBFS; 0 keeps
  /// every clip).
  public var silenceThreshold: Float
  /// Trim leading and trailing samples more than this many dB below the clip's peak (like
  /// librosa's `effects.trim(top_db:)`, per sample rather than per frame); `nil` keeps them.
  public var trimSilenceDB: Float?
  /// Loudness normalisation, or `nil` to keep levels as recorded.
  public var loudness: Loudness?

  /// Cleaning options; the defaults remove duplicates and silent clips and change nothing else.
  public init(
    sampleRate: Int? = nil, length: Int? = nil, removeDuplicates: Bool = true, silenceThreshold: Float = 1e-3,
    trimSilenceDB: Float? = nil, loudness: Loudness? = nil
  ) {
    self.sampleRate = sampleRate
    self.length = length
    self.removeDuplicates = removeDuplicates
    self.silenceThreshold = silenceThreshold
    self.trimSilenceDB = trimSilenceDB
    self.loudness = loudness
  }

  /// The spoken-digits defaults: 8000 Hz, 8000 samples (one second).
  public static let spokenDigits = AudioCleaning(sampleRate: 8000, length: 8000)

  // MARK: - Per-clip operations

  /// The largest |sample|, 0 for an empty clip.
  public static func peak(_ clip: [Float]) -> Float {
    clip.withUnsafeBufferPointer { x in
      guard let p = x.baseAddress else { return 0 }
      var high: Float = 0
      var low: Float = 0
      var i = 0
      while i < x.count {
        let v = p[i]
        if v > high { high = v } else if v < low { low = v }
        i += 1
      }
      return Swift.max(high, -low)
    }
  }

  /// The root mean square, 0 for an empty clip.
  public static func rms(_ clip: [Float]) -> Float {
    guard !clip.isEmpty else { return 0 }
    let sum = clip.withUnsafeBufferPointer { x in
      var s = 0.0
      for v in x { s += Double(v) * Double(v) }
      return s
    }
    return Float((sum / Double(clip.count)).squareRoot())
  }

  /// The range from the first to the last sample whose |value| is within `belowPeakDB` dB of
  /// the peak; empty for a clip of zeros.
  public static func nonSilentRange(_ clip: [Float], belowPeakDB: Float) -> Range<Int> {
    let threshold = peak(clip) * Float(pow(10, -Double(belowPeakDB) / 20))
    guard threshold > 0,
      let first = clip.firstIndex(where: { abs($0) >= threshold }),
      let last = clip.lastIndex(where: { abs($0) >= threshold })
    else { return 0..<0 }
    return first..<(last + 1)
  }

  /// `clip` scaled to the `target` loudness (unchanged when silent), clipped to [-1, 1].
  public static func normalised(_ clip: [Float], to target: Loudness) -> [Float] {
    let (level, goal): (Float, Float) =
      switch target {
      case .peak(let p): (peak(clip), p)
      case .rms(let r): (rms(clip), r)
      }
    guard level > 0 else { return clip }
    let gain = goal / level
    return clip.map { min(max($0 * gain, -1), 1) }
  }

  /// `clip` padded with zeros at the end, or cropped from the end, to exactly `length` samples.
  public static func fitted(_ clip: [Float], length: Int) -> [Float] {
    if clip.count >= length { return Array(clip.prefix(length)) }
    return clip + [Float](repeating: 0, count: length - clip.count)
  }
}
