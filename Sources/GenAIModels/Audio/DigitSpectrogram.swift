import Foundation
import GenAIData
import GenAITensor

/// The audio recipe's features: a normalised log-magnitude linear spectrogram on a 128 × 128
/// grid, and the way back to a waveform with Griffin–Lim.
///
/// ```
/// clip [T = 8000] at 8 kHz
///   → |STFT| (nFFT 256, hop 64, Hann, centred, reflect)      [126 frames, 129 bins]
///   → drop the Nyquist bin, pad frames with silence           [128 bins, 128 frames] (F × T)
///   → y = (ln(|X| + 0.01) − c) / s, c = ln 0.01 + s, s = 4    silence → −1, |X| ≈ 30 → +1
/// ```
/// Rows are frequencies (bin `k` is `k · 31.25 Hz`), columns are frames (frame `t` is centred on
/// sample `64 t`, 8 ms apart). The inverse maps `y` back to `|X| = max(0, e^{s·y + c} − 0.01)`,
/// sets the Nyquist bin to 0, drops the padding frames and runs Griffin–Lim (75 % overlap, so
/// phase recovery is well conditioned).
public struct DigitSpectrogram: Sendable {
  /// Samples per clip, `T`.
  public static let clipLength = 8000
  /// Frequency rows of the grid (`nFFT / 2`: the Nyquist bin is dropped).
  public static let bins = 128
  /// Time columns of the grid (126 STFT frames padded with silence).
  public static let frames = 128
  /// Added to magnitudes before the logarithm (the silence floor).
  public static let floor: Float = 0.01
  /// Half-width of the log-magnitude range.
  public static let scale: Float = 4
  /// Centre of the log-magnitude range, `ln(floor) + scale` (≈ −0.605), so silence maps to −1.
  public static let center: Float = Foundation.log(floor) + scale

  /// The transform (nFFT 256, hop 64).
  public let stft = STFT(nFFT: 256, hopLength: 64)

  /// The features.
  public init() {}

  /// Number of real STFT frames of a clip (126).
  public var stftFrames: Int { stft.frameCount(for: Self.clipLength) }

  /// Features `[B, 1, 128, 128]` (frequency × time) of waveforms `[B, 1, 8000]` or `[B, 8000]`;
  /// a leaf tensor, not recorded for gradients.
  /// - Precondition: the waveforms have 8000 samples.
  public func features(_ waveforms: Tensor) -> Tensor {
    let n = waveforms.shape[0]
    let t = Self.clipLength
    precondition(waveforms.count == n * t, "[DigitSpectrogram] needs [B, 1, \(t)] waveforms, got \(waveforms.shape)")
    let f = Self.bins
    let w = Self.frames
    let silence = Tensor.full([n, 1, f, w], -1)
    let clips = waveforms.withUnsafeBufferPointer { x in (0..<n).map { Array(x[($0 * t)..<(($0 + 1) * t)]) } }
    silence.withUnsafeMutableBufferPointer { out in
      for (i, clip) in clips.enumerated() {
        let mag = stft.spectrogram(clip, power: 1)  // [126, 129]
        let binsIn = mag.shape[1]
        mag.withUnsafeBufferPointer { m in
          for frame in 0..<min(mag.shape[0], w) {
            for k in 0..<f {
              out[i * f * w + k * w + frame] = Self.normalise(m[frame * binsIn + k])
            }
          }
        }
      }
    }
    return silence
  }

  /// `(ln(magnitude + floor) − center) / scale`, at least −1.
  @inline(__always) static func normalise(_ magnitude: Float) -> Float {
    max(-1, (Foundation.log(magnitude + floor) - center) / scale)
  }

  /// The linear magnitude `[126, 129]` (STFT layout: frames × bins) of one grid `[128, 128]`
  /// (`[1, 128, 128]` and `[1, 1, 128, 128]` work too); grid values are clamped to [-1, 1.25].
  public func magnitude(_ grid: Tensor) -> Tensor {
    let f = Self.bins
    let w = Self.frames
    precondition(grid.count == f * w, "[DigitSpectrogram] needs a [\(f), \(w)] grid, got \(grid.shape)")
    let frames = stftFrames
    let binsOut = stft.binCount
    let out = Tensor.zeros([frames, binsOut])
    grid.withUnsafeBufferPointer { g in
      out.withUnsafeMutableBufferPointer { o in
        for frame in 0..<frames {
          for k in 0..<f {
            let y = min(max(g[k * w + frame], -1), 1.25)
            o[frame * binsOut + k] = max(0, Foundation.exp(Self.scale * y + Self.center) - Self.floor)
          }
        }
      }
    }
    return out
  }

  /// Waveforms `[N, 8000]` in [-1, 1] from grids `[N, 1, 128, 128]`: Griffin–Lim with
  /// `iterations` rounds, initial phases drawn from `generator`, samples clipped to [-1, 1].
  /// - Precondition: `grids` holds whole 128 × 128 grids.
  public func waveforms(_ grids: Tensor, iterations: Int, using generator: inout SeededGenerator) -> Tensor {
    let n = grids.shape[0]
    precondition(grids.count == n * Self.bins * Self.frames, "[DigitSpectrogram] needs [N, 1, 128, 128] grids, got \(grids.shape)")
    let per = Self.bins * Self.frames
    let t = Self.clipLength
    let griffinLim = GriffinLim(stft: stft, iterations: iterations)
    let out = Tensor.zeros([n, t])
    let all = grids.scalars
    for i in 0..<n {
      let grid = all[(i * per)..<((i + 1) * per)]
      let clip = griffinLim.signal(magnitude(Tensor(Array(grid))), length: t, using: &generator)
      out.withUnsafeMutableBufferPointer { o in
        for j in 0..<t { o[i * t + j] = min(max(clip[j], -1), 1) }
      }
    }
    return out
  }
}
