import Foundation
import GenAITensor

/// Log-mel spectrogram: the power STFT (`|X|²`) pooled by a mel filterbank and compressed with a
/// logarithm, as features for models and audio metrics.
///
/// With the defaults this is `log(max(librosa.feature.melspectrogram(y, sr, n_fft, hop_length,
/// pad_mode="reflect", n_mels), 1e-10))`; `.decibels` is librosa's `power_to_db(ref=1.0,
/// amin=1e-10, top_db=80)`. Values are computed on plain buffers: the result is a leaf tensor,
/// not recorded for gradients.
///
/// ```swift
/// let features = LogMelSpectrogram(sampleRate: 8000, nFFT: 256, hopLength: 80, nMels: 40)
/// let x = features(clip)              // [1 + 8000/80, 40] = [101, 40]
/// let xs = features(batch.inputs)     // [B, 1, 8000] → [B, 101, 40]
/// ```
public struct LogMelSpectrogram: Sendable {
  /// How band powers are compressed.
  public enum Compression: Sendable, Equatable {
    /// `ln(max(x, floor))`.
    case natural(floor: Float = 1e-10)
    /// `10 · log10(max(x, floor))`, then raised to at least `max − topDB` over the whole
    /// spectrogram (per clip) when `topDB` is set.
    case decibels(floor: Float = 1e-10, topDB: Float? = 80)
  }

  /// The transform.
  public let stft: STFT
  /// The filters.
  public let filterbank: MelFilterbank
  /// The logarithm applied.
  public let compression: Compression

  /// A log-mel transform for audio at `sampleRate` Hz (see `STFT` and `MelFilterbank` for each
  /// parameter's meaning and default).
  public init(
    sampleRate: Int, nFFT: Int, hopLength: Int? = nil, windowLength: Int? = nil, center: Bool = true,
    padding: STFT.Padding = .reflect, nMels: Int = 128, fMin: Double = 0, fMax: Double? = nil,
    scale: MelFilterbank.Scale = .slaney, normalization: MelFilterbank.Normalization = .slaney,
    compression: Compression = .natural()
  ) {
    stft = STFT(nFFT: nFFT, hopLength: hopLength, windowLength: windowLength, center: center, padding: padding)
    filterbank = MelFilterbank(
      sampleRate: sampleRate, nFFT: nFFT, nMels: nMels, fMin: fMin, fMax: fMax, scale: scale,
      normalization: normalization)
    self.compression = compression
  }

  /// Features of one clip `[T]` → `[frames, nMels]`.
  public func callAsFunction(_ samples: [Float]) -> Tensor {
    let bands = filterbank.apply(stft.spectrogram(samples, power: 2))
    bands.withUnsafeMutableBufferPointer { Self.compress($0, compression) }
    return bands
  }

  /// Features of a batch `[B, 1, T]` or `[B, T]` → `[B, frames, nMels]`.
  /// - Precondition: rank 2, or rank 3 with one channel.
  public func callAsFunction(_ batch: Tensor) -> Tensor {
    precondition(batch.rank == 2 || (batch.rank == 3 && batch.shape[1] == 1),
                 "[LogMelSpectrogram] needs [B, 1, T] or [B, T], got \(batch.shape)")
    let b = batch.shape[0]
    let t = batch.shape[batch.rank - 1]
    let frames = stft.frameCount(for: t)
    let per = frames * filterbank.nMels
    let out = Tensor.zeros([b, frames, filterbank.nMels])
    let clips = batch.withUnsafeBufferPointer { x in (0..<b).map { Array(x[($0 * t)..<(($0 + 1) * t)]) } }
    out.withUnsafeMutableBufferPointer { o in
      for (i, clip) in clips.enumerated() {
        self(clip).withUnsafeBufferPointer { f in
          for j in 0..<per { o[i * per + j] = f[j] }
        }
      }
    }
    return out
  }

  /// Applies `compression` in place to band powers.
  static func compress(_ values: UnsafeMutableBufferPointer<Float>, _ compression: Compression) {
    switch compression {
    case .natural(let floor):
      for i in values.indices { values[i] = Foundation.log(Swift.max(values[i], floor)) }
    case .decibels(let floor, let topDB):
      var peak = -Float.infinity
      for i in values.indices {
        values[i] = 10 * log10(Swift.max(values[i], floor))
        peak = Swift.max(peak, values[i])
      }
      if let topDB {
        for i in values.indices { values[i] = Swift.max(values[i], peak - topDB) }
      }
    }
  }
}
