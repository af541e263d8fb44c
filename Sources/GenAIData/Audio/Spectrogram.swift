import Foundation
import GenAITensor

/// A short-time Fourier transform: Hann-windowed frames of a mono signal, each transformed to
/// `nFFT / 2 + 1` frequency bins.
///
/// Matches `torch.stft(x, n_fft, hop_length, win_length, window=torch.hann_window(win_length),
/// center=True, pad_mode="reflect", return_complex=True).T` (and librosa's `stft` with
/// `pad_mode="reflect"`): the window is periodic Hann (`0.5 − 0.5·cos(2πi/winLength)`), zero
/// padded on both sides to `nFFT` when shorter; with `center`, the signal is padded by `nFFT / 2`
/// on each side so frame `t` is centred on sample `t · hop`, and there are `1 + n / hop` frames.
/// Without `center` there are `1 + (n − nFFT) / hop` (none when `n < nFFT`). Frequencies of bin
/// `k` are `k · sampleRate / nFFT`.
///
/// ```swift
/// let stft = STFT(nFFT: 256, hopLength: 64)
/// let power = stft.spectrogram(clip, power: 2)   // [1 + 8000/64, 129] for an 8000-sample clip
/// ```
public struct STFT: Sendable {
  /// How the signal is extended before the first and after the last sample when centring.
  public enum Padding: Sendable, Equatable {
    /// Mirror without repeating the edge sample: `[c b | a b c d | c b]` (torch, numpy "reflect").
    case reflect
    /// Zeros (librosa ≥ 0.10's default, numpy "constant").
    case zeros
  }

  /// FFT size: frames are this long after windowing; `nFFT / 2 + 1` bins.
  public let nFFT: Int
  /// Samples between the starts of successive frames.
  public let hopLength: Int
  /// Length of the Hann window (at most `nFFT`).
  public let windowLength: Int
  /// Whether frames are centred on `t · hop` (padding `nFFT / 2` each side).
  public let center: Bool
  /// Padding used when centring.
  public let padding: Padding
  /// The window, `[nFFT]`, zero outside its centred `windowLength` samples.
  public let window: [Double]
  private let fft: FFT

  /// An STFT with a Hann window.
  /// - Parameters:
  ///   - nFFT: transform size (any size; powers of two are fastest).
  ///   - hopLength: defaults to `nFFT / 4` (torch, librosa).
  ///   - windowLength: defaults to `nFFT`.
  /// - Precondition: `nFFT >= 1`, `hopLength >= 1`, `1 <= windowLength <= nFFT`.
  public init(nFFT: Int, hopLength: Int? = nil, windowLength: Int? = nil, center: Bool = true, padding: Padding = .reflect) {
    let hop = hopLength ?? max(1, nFFT / 4)
    let winLength = windowLength ?? nFFT
    precondition(nFFT >= 1 && hop >= 1, "[STFT] nFFT and hopLength must be at least 1, got \(nFFT), \(hop)")
    precondition(winLength >= 1 && winLength <= nFFT, "[STFT] windowLength must be in 1...nFFT, got \(winLength)")
    self.nFFT = nFFT
    self.hopLength = hop
    self.windowLength = winLength
    self.center = center
    self.padding = padding
    var window = [Double](repeating: 0, count: nFFT)
    let left = (nFFT - winLength) / 2
    for i in 0..<winLength { window[left + i] = 0.5 - 0.5 * cos(2 * Double.pi * Double(i) / Double(winLength)) }
    self.window = window
    fft = FFT(size: nFFT)
  }

  /// Number of frequency bins, `nFFT / 2 + 1`.
  public var binCount: Int { nFFT / 2 + 1 }

  /// Number of frames for a signal of `count` samples.
  public func frameCount(for count: Int) -> Int {
    if center { return 1 + count / hopLength }
    return count < nFFT ? 0 : 1 + (count - nFFT) / hopLength
  }

  /// The complex STFT of `samples` (`[n]`): real and imaginary parts, `[frames, nFFT/2 + 1]`
  /// row-major each.
  public func complex(_ samples: [Float]) -> (real: [Float], imag: [Float]) {
    var re = [Float]()
    var im = [Float]()
    forEachFrame(samples) { _, r, i in
      re += r.lazy.map(Float.init)
      im += i.lazy.map(Float.init)
    }
    return (re, im)
  }

  /// `|STFT|^power` of `samples` (`[n]`) as a tensor `[frames, nFFT/2 + 1]`: power 1 is the
  /// magnitude, 2 the power spectrogram.
  public func spectrogram(_ samples: [Float], power: Float = 2) -> Tensor {
    let frames = frameCount(for: samples.count)
    let bins = binCount
    let out = Tensor.zeros([frames, bins])
    out.withUnsafeMutableBufferPointer { o in
      forEachFrame(samples) { t, r, i in
        for k in 0..<bins {
          let p = r[k] * r[k] + i[k] * i[k]
          o[t * bins + k] = power == 2 ? Float(p) : power == 1 ? Float(p.squareRoot()) : Float(pow(p, Double(power) / 2))
        }
      }
    }
    return out
  }

  /// Calls `body(frame, real, imag)` with each frame's spectrum (`[nFFT/2 + 1]` each).
  func forEachFrame(
    _ samples: [Float], _ body: (Int, UnsafeMutableBufferPointer<Double>, UnsafeMutableBufferPointer<Double>) -> Void
  ) {
    let frames = frameCount(for: samples.count)
    guard frames > 0 else { return }
    let n = samples.count
    let offset = center ? nFFT / 2 : 0
    var frame = [Double](repeating: 0, count: nFFT)
    var re = [Double](repeating: 0, count: binCount)
    var im = re
    samples.withUnsafeBufferPointer { x in
      window.withUnsafeBufferPointer { w in
        for t in 0..<frames {
          let start = t * hopLength - offset
          for j in 0..<nFFT {
            let s = start + j
            let value: Float
            if s >= 0 && s < n {
              value = x[s]
            } else if let m = padding == .reflect ? Self.reflect(s, count: n) : nil {
              value = x[m]
            } else {
              value = 0
            }
            frame[j] = Double(value) * w[j]
          }
          frame.withUnsafeBufferPointer { f in
            re.withUnsafeMutableBufferPointer { r in
              im.withUnsafeMutableBufferPointer { i in
                fft.realForward(f, real: r, imag: i)
                body(t, r, i)
              }
            }
          }
        }
      }
    }
  }

  /// Index `s` mirrored into `0..<count` without repeating edges (numpy "reflect", repeated as
  /// often as needed); `nil` for an empty signal.
  static func reflect(_ s: Int, count: Int) -> Int? {
    guard count > 0 else { return nil }
    if count == 1 { return 0 }
    let period = 2 * (count - 1)
    var m = s % period
    if m < 0 { m += period }
    return m < count ? m : period - m
  }
}
