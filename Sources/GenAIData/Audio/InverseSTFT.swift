import Foundation
import GenAITensor

/// The inverse of an `STFT`: each frame's spectrum is transformed back, windowed again,
/// overlap-added, and divided by the summed squared window (weighted overlap-add).
///
/// Matches `torch.istft(X, n_fft, hop_length, win_length, window=torch.hann_window(win_length),
/// center=True, length=length)`: for a spectrum computed by the same `STFT`, `ISTFT(STFT(x)) ≈ x`
/// wherever the squared windows sum to more than `1e-11` (everywhere when `hop < windowLength`
/// and the signal is centred). With `center`, the first and last `nFFT / 2` samples of the
/// overlap-added signal are the padding and are dropped.
///
/// ```swift
/// let stft = STFT(nFFT: 256, hopLength: 64)
/// let (re, im) = stft.complex(clip)                              // [126, 129] each, clip: [8000]
/// let back = InverseSTFT(stft).signal(real: re, imag: im, length: 8000)   // [8000] ≈ clip
/// ```
public struct InverseSTFT: Sendable {
  /// The transform this inverts (its size, hop, window and centring).
  public let stft: STFT
  private let fft: FFT

  /// The inverse of `stft`.
  public init(_ stft: STFT) {
    self.stft = stft
    fft = FFT(size: stft.nFFT)
  }

  /// The signal whose STFT is `real + i·imag` (`[frames, nFFT/2 + 1]` row-major each), cut or
  /// zero-padded to `length` samples (default: `hop · (frames − 1)` when centred, as torch).
  /// - Precondition: `real` and `imag` hold the same whole number of frames.
  public func signal(real: [Float], imag: [Float], length: Int? = nil) -> [Float] {
    signal(real: real.map(Double.init), imag: imag.map(Double.init), length: length).map(Float.init)
  }

  /// `signal(real:imag:length:)` in double precision.
  func signal(real: [Double], imag: [Double], length: Int?) -> [Double] {
    let n = stft.nFFT
    let bins = stft.binCount
    precondition(real.count == imag.count && real.count % bins == 0,
                 "[InverseSTFT] needs [frames, \(bins)] real and imaginary parts, got \(real.count) and \(imag.count) values")
    let frames = real.count / bins
    let hop = stft.hopLength
    let full = frames == 0 ? 0 : n + hop * (frames - 1)
    var sum = [Double](repeating: 0, count: full)
    var envelope = [Double](repeating: 0, count: full)
    var re = [Double](repeating: 0, count: n)
    var im = [Double](repeating: 0, count: n)
    let w = stft.window
    for t in 0..<frames {
      // The full Hermitian spectrum of a real frame: X[n − k] = conj(X[k]).
      for k in 0..<bins {
        re[k] = real[t * bins + k]
        im[k] = imag[t * bins + k]
      }
      im[0] = 0
      if n % 2 == 0 { im[n / 2] = 0 }
      for k in bins..<max(bins, n) {
        re[k] = re[n - k]
        im[k] = -im[n - k]
      }
      fft.transform(real: &re, imag: &im, inverse: true)
      let start = t * hop
      for j in 0..<n {
        sum[start + j] += re[j] * w[j]
        envelope[start + j] += w[j] * w[j]
      }
    }
    for i in 0..<full where envelope[i] > 1e-11 { sum[i] /= envelope[i] }
    let offset = stft.center ? n / 2 : 0
    let count = length ?? max(0, full - 2 * offset)
    var out = [Double](repeating: 0, count: count)
    for i in 0..<count where offset + i < full { out[i] = sum[offset + i] }
    return out
  }
}
