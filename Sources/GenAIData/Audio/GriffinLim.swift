import Foundation
import GenAITensor

/// Griffin–Lim phase reconstruction: a signal whose STFT magnitude approximates a given one,
/// found by alternating projections, with the "fast Griffin–Lim" momentum of Perraudin,
/// Balazs and Søndergaard (2013).
///
/// As `torchaudio.transforms.GriffinLim` (default momentum 0.99, random initial phase):
/// ```
/// angles = e^{iφ₀}                          φ₀ ~ U[0, 2π) per bin (or 0 without randomInit)
/// repeat iterations times:
///   rebuilt = STFT(ISTFT(S · angles))
///   angles  = rebuilt − momentum / (1 + momentum) · previous rebuilt
///   angles /= |angles| + 1e-16
/// x = ISTFT(S · angles)
/// ```
///
/// ```swift
/// let stft = STFT(nFFT: 256, hopLength: 64)
/// let magnitude = stft.spectrogram(clip, power: 1)                 // [126, 129]
/// var rng = SeededGenerator(seed: 0)
/// let audio = GriffinLim(stft: stft).signal(magnitude, length: 8000, using: &rng)   // [8000]
/// ```
public struct GriffinLim: Sendable {
  /// The STFT whose magnitudes are inverted.
  public let stft: STFT
  /// Number of projection rounds.
  public let iterations: Int
  /// Momentum in `[0, 1)`; 0 is the original algorithm.
  public let momentum: Double
  /// Whether the initial phase is random (otherwise zero).
  public let randomInit: Bool
  private let inverse: InverseSTFT

  /// A Griffin–Lim inverter for magnitudes computed with `stft`.
  /// - Precondition: `iterations >= 0`, `0 <= momentum < 1`.
  public init(stft: STFT, iterations: Int = 32, momentum: Double = 0.99, randomInit: Bool = true) {
    precondition(iterations >= 0, "[GriffinLim] iterations must be >= 0, got \(iterations)")
    precondition(momentum >= 0 && momentum < 1, "[GriffinLim] momentum must be in [0, 1), got \(momentum)")
    self.stft = stft
    self.iterations = iterations
    self.momentum = momentum
    self.randomInit = randomInit
    inverse = InverseSTFT(stft)
  }

  /// A signal of `length` samples whose STFT magnitude approximates `magnitude`
  /// (`[frames, nFFT/2 + 1]`, linear, not log); the initial phase is drawn from `generator`.
  /// - Precondition: `magnitude` is `[frames, nFFT/2 + 1]`.
  public func signal(_ magnitude: Tensor, length: Int, using generator: inout SeededGenerator) -> [Float] {
    let bins = stft.binCount
    precondition(magnitude.rank == 2 && magnitude.shape[1] == bins,
                 "[GriffinLim] needs a magnitude [frames, \(bins)], got \(magnitude.shape)")
    let s = magnitude.scalars.map(Double.init)
    var angleRe = [Double](repeating: 1, count: s.count)
    var angleIm = [Double](repeating: 0, count: s.count)
    if randomInit {
      for i in s.indices {
        let phi = Double.random(in: 0..<(2 * Double.pi), using: &generator)
        angleRe[i] = cos(phi)
        angleIm[i] = sin(phi)
      }
    }
    var previousRe = [Double](repeating: 0, count: s.count)
    var previousIm = previousRe
    let decay = momentum / (1 + momentum)
    for _ in 0..<iterations {
      let x = inverse.signal(
        real: zip(s, angleRe).map { $0 * $1 }, imag: zip(s, angleIm).map { $0 * $1 }, length: length)
      let (rebuiltRe, rebuiltIm) = complexSpectrum(x, frames: s.count / bins)
      for i in s.indices {
        let r = rebuiltRe[i] - decay * previousRe[i]
        let m = rebuiltIm[i] - decay * previousIm[i]
        let norm = (r * r + m * m).squareRoot() + 1e-16
        angleRe[i] = r / norm
        angleIm[i] = m / norm
      }
      previousRe = rebuiltRe
      previousIm = rebuiltIm
    }
    let x = inverse.signal(real: zip(s, angleRe).map { $0 * $1 }, imag: zip(s, angleIm).map { $0 * $1 }, length: length)
    return x.map(Float.init)
  }

  /// The STFT of `x` in double precision, cut or zero-padded to `frames` frames.
  private func complexSpectrum(_ x: [Double], frames: Int) -> ([Double], [Double]) {
    let bins = stft.binCount
    var re = [Double](repeating: 0, count: frames * bins)
    var im = re
    stft.forEachFrame(x.map(Float.init)) { t, r, i in
      guard t < frames else { return }
      for k in 0..<bins {
        re[t * bins + k] = r[k]
        im[t * bins + k] = i[k]
      }
    }
    return (re, im)
  }

  /// Spectral convergence `‖ |STFT(samples)| − magnitude ‖_F / ‖magnitude‖_F` over the frames
  /// both have (`magnitude` `[frames, nFFT/2 + 1]`): 0 for a perfect match; the lower, the
  /// closer the rebuilt signal's magnitude is to the target.
  public static func spectralConvergence(_ samples: [Float], magnitude: Tensor, stft: STFT) -> Float {
    let rebuilt = stft.spectrogram(samples, power: 1)
    let bins = stft.binCount
    let frames = min(rebuilt.shape[0], magnitude.shape[0])
    let a = rebuilt.scalars
    let b = magnitude.scalars
    var num = 0.0
    var den = 0.0
    for i in 0..<(frames * bins) {
      let d = Double(a[i]) - Double(b[i])
      num += d * d
      den += Double(b[i]) * Double(b[i])
    }
    return den > 0 ? Float((num / den).squareRoot()) : 0
  }
}
