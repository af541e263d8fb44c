import Foundation
import GenAITensor

/// Triangular mel-scale filters that pool an STFT's `nFFT / 2 + 1` frequency bins into `nMels`
/// bands.
///
/// The defaults are librosa's `librosa.filters.mel(sr, n_fft, n_mels=128)`: the **Slaney** mel
/// scale (linear below 1 kHz at 200/3 Hz per mel, logarithmic above, 27 mels per factor 6.4)
/// and **Slaney** area normalisation (each triangle scaled by `2 / (f[i+2] − f[i])` so every band
/// has the same area). `scale: .htk, normalization: .none` gives torchaudio's `MelSpectrogram`
/// default (`2595 · log10(1 + f / 700)`, unit-height triangles). Band `i` rises from mel point
/// `i` to `i + 1` and falls to `i + 2`, with `nMels + 2` points evenly spaced in mel from `fMin`
/// to `fMax`; bin `k` is at `k · sampleRate / nFFT` Hz.
///
/// ```swift
/// let mel = MelFilterbank(sampleRate: 8000, nFFT: 256, nMels: 40)
/// let bands = mel.apply(stft.spectrogram(clip))   // [frames, 129] → [frames, 40]
/// ```
public struct MelFilterbank: Sendable {
  /// The mel scale: how hertz map to mels.
  public enum Scale: Sendable, Equatable {
    /// Slaney's Auditory Toolbox scale (librosa's default, `htk=False`).
    case slaney
    /// `2595 · log10(1 + f / 700)` (HTK; torchaudio's default, librosa `htk=True`).
    case htk
  }

  /// How each triangle is scaled.
  public enum Normalization: Sendable, Equatable {
    /// Peak 1 (torchaudio's default `norm=None`).
    case none
    /// Equal area: divided by half the band's width in Hz (librosa's default `norm="slaney"`).
    case slaney
  }

  /// Sample rate the STFT was taken at, Hz.
  public let sampleRate: Int
  /// The STFT's transform size.
  public let nFFT: Int
  /// Number of bands.
  public let nMels: Int
  /// Lowest frequency covered, Hz.
  public let fMin: Double
  /// Highest frequency covered, Hz.
  public let fMax: Double
  /// The mel scale used.
  public let scale: Scale
  /// The triangle scaling used.
  public let normalization: Normalization
  /// The `nMels + 2` band edges in Hz: band `i` spans `edges[i]...edges[i + 2]`, peaking at
  /// `edges[i + 1]`.
  public let edges: [Double]
  /// Filter weights `[nMels, nFFT/2 + 1]` row-major, all non-negative.
  public let weights: [Float]

  /// A filterbank for an `nFFT`-point STFT at `sampleRate` Hz.
  /// - Parameters:
  ///   - nMels: number of bands (librosa's default 128; 40–80 suit 8 kHz speech).
  ///   - fMin: lowest frequency, Hz.
  ///   - fMax: highest frequency, Hz; defaults to `sampleRate / 2`.
  /// - Precondition: `nMels >= 1`, `0 <= fMin < fMax <= sampleRate / 2`.
  public init(
    sampleRate: Int, nFFT: Int, nMels: Int = 128, fMin: Double = 0, fMax: Double? = nil,
    scale: Scale = .slaney, normalization: Normalization = .slaney
  ) {
    let top = fMax ?? Double(sampleRate) / 2
    precondition(nMels >= 1 && nFFT >= 1, "[MelFilterbank] nMels and nFFT must be at least 1")
    precondition(fMin >= 0 && fMin < top && top <= Double(sampleRate) / 2,
                 "[MelFilterbank] needs 0 <= fMin < fMax <= sampleRate / 2, got \(fMin), \(top), \(sampleRate)")
    self.sampleRate = sampleRate
    self.nFFT = nFFT
    self.nMels = nMels
    self.fMin = fMin
    self.fMax = top
    self.scale = scale
    self.normalization = normalization
    let lo = Self.mel(fromHz: fMin, scale: scale)
    let hi = Self.mel(fromHz: top, scale: scale)
    let edges = (0..<(nMels + 2)).map { Self.hz(fromMel: lo + (hi - lo) * Double($0) / Double(nMels + 1), scale: scale) }
    self.edges = edges
    let bins = nFFT / 2 + 1
    var weights = [Float](repeating: 0, count: nMels * bins)
    for i in 0..<nMels {
      let (left, peak, right) = (edges[i], edges[i + 1], edges[i + 2])
      let norm = normalization == .slaney ? 2 / (right - left) : 1
      for k in 0..<bins {
        let f = Double(k) * Double(sampleRate) / Double(nFFT)
        let rising = (f - left) / (peak - left)
        let falling = (right - f) / (right - peak)
        weights[i * bins + k] = Float(max(0, min(rising, falling)) * norm)
      }
    }
    self.weights = weights
  }

  /// Number of STFT bins the filters take, `nFFT / 2 + 1`.
  public var binCount: Int { nFFT / 2 + 1 }

  /// The weights as a tensor `[nMels, nFFT/2 + 1]`.
  public var tensor: Tensor { (try? Tensor(shape: [nMels, binCount], weights)) ?? Tensor(weights) }

  /// Centre (peak) frequency of each band, Hz, `[nMels]`.
  public var centerFrequencies: [Double] { Array(edges[1...nMels]) }

  /// Pools a spectrogram `[frames, nFFT/2 + 1]` into bands `[frames, nMels]`.
  /// - Precondition: the last axis has `nFFT / 2 + 1` bins.
  public func apply(_ spectrogram: Tensor) -> Tensor {
    let bins = binCount
    precondition(spectrogram.rank == 2 && spectrogram.shape[1] == bins,
                 "[MelFilterbank] needs a spectrogram [frames, \(bins)], got \(spectrogram.shape)")
    let frames = spectrogram.shape[0]
    let out = Tensor.zeros([frames, nMels])
    spectrogram.withUnsafeBufferPointer { s in
      weights.withUnsafeBufferPointer { w in
        out.withUnsafeMutableBufferPointer { o in
          for t in 0..<frames {
            for m in 0..<nMels {
              var acc: Float = 0
              for k in 0..<bins { acc += w[m * bins + k] * s[t * bins + k] }
              o[t * nMels + m] = acc
            }
          }
        }
      }
    }
    return out
  }

  // MARK: - The mel scale

  /// Mels of `hz` on `scale` (librosa's `hz_to_mel`): Slaney 1000 Hz → 15, HTK 1000 Hz → 999.99.
  public static func mel(fromHz hz: Double, scale: Scale = .slaney) -> Double {
    switch scale {
    case .htk:
      return 2595 * log10(1 + hz / 700)
    case .slaney:
      let linearStep = 200.0 / 3
      let breakHz = 1000.0
      let breakMel = breakHz / linearStep
      let logStep = log(6.4) / 27
      return hz < breakHz ? hz / linearStep : breakMel + log(hz / breakHz) / logStep
    }
  }

  /// Hertz of `mel` on `scale` (librosa's `mel_to_hz`), the inverse of `mel(fromHz:)`.
  public static func hz(fromMel mel: Double, scale: Scale = .slaney) -> Double {
    switch scale {
    case .htk:
      return 700 * (pow(10, mel / 2595) - 1)
    case .slaney:
      let linearStep = 200.0 / 3
      let breakHz = 1000.0
      let breakMel = breakHz / linearStep
      let logStep = log(6.4) / 27
      return mel < breakMel ? mel * linearStep : breakHz * exp(logStep * (mel - breakMel))
    }
  }
}
