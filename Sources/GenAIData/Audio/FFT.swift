import Foundation

/// A discrete Fourier transform plan of one size, in double precision.
///
/// Powers of two use an iterative radix-2 Cooley–Tukey transform; any other size uses
/// Bluestein's chirp-z algorithm on a power-of-two transform of at least `2n − 1` points, so
/// `n_fft = 400` (torchaudio's default) works too, in O(n log n). A real signal of even length
/// is packed into a complex one of half the length and untangled afterwards.
///
/// Conventions are numpy's: forward `X[k] = Σ x[j] e^{−2πijk/n}`, inverse scaled by `1/n`.
///
/// ```swift
/// let fft = FFT(size: 512)
/// let (re, im) = fft.realForward(frame)   // [257] bins each, frame: [512]
/// ```
public final class FFT: Sendable {
  /// Number of points.
  public let size: Int
  /// `cos(2πk/n)` and `−sin(2πk/n)`, `k < n/2` (radix-2), or the chirp (Bluestein).
  private let twiddleRe: [Double]
  private let twiddleIm: [Double]
  /// Bit-reversal permutation (radix-2 only).
  private let bitReversed: [Int]
  /// Bluestein: the power-of-two plan and the transformed conjugate chirp.
  private let inner: FFT?
  private let chirpSpectrumRe: [Double]
  private let chirpSpectrumIm: [Double]
  /// Real transforms of even length: the half-length plan and `e^{−2πik/n}`, `k ≤ n/2`.
  private let half: FFT?
  private let realTwiddleRe: [Double]
  private let realTwiddleIm: [Double]

  /// A plan for `size`-point transforms.
  /// - Precondition: `size >= 1`.
  public init(size: Int) {
    precondition(size >= 1, "[FFT] size must be at least 1, got \(size)")
    self.size = size
    let n = size
    if n & (n - 1) == 0 {
      twiddleRe = (0..<(n / 2)).map { cos(2 * Double.pi * Double($0) / Double(n)) }
      twiddleIm = (0..<(n / 2)).map { -sin(2 * Double.pi * Double($0) / Double(n)) }
      let bits = n.trailingZeroBitCount
      bitReversed = (0..<n).map { i in
        var r = 0
        for b in 0..<bits where i & (1 << b) != 0 { r |= 1 << (bits - 1 - b) }
        return r
      }
      inner = nil
      chirpSpectrumRe = []
      chirpSpectrumIm = []
    } else {
      // Chirp w[k] = e^{−πik²/n}; k² is taken mod 2n so the angle stays accurate for large k.
      let angles = (0..<n).map { Double.pi * Double(($0 * $0) % (2 * n)) / Double(n) }
      twiddleRe = angles.map { cos($0) }
      twiddleIm = angles.map { -sin($0) }
      bitReversed = []
      var m = 1
      while m < 2 * n - 1 { m <<= 1 }
      let plan = FFT(size: m)
      var bRe = [Double](repeating: 0, count: m)
      var bIm = [Double](repeating: 0, count: m)
      for k in 0..<n {
        bRe[k] = twiddleRe[k]
        bIm[k] = -twiddleIm[k]
        if k > 0 {
          bRe[m - k] = twiddleRe[k]
          bIm[m - k] = -twiddleIm[k]
        }
      }
      plan.transform(real: &bRe, imag: &bIm)
      inner = plan
      chirpSpectrumRe = bRe
      chirpSpectrumIm = bIm
    }
    if n >= 2 && n % 2 == 0 {
      half = FFT(size: n / 2)
      realTwiddleRe = (0...(n / 2)).map { cos(2 * Double.pi * Double($0) / Double(n)) }
      realTwiddleIm = (0...(n / 2)).map { -sin(2 * Double.pi * Double($0) / Double(n)) }
    } else {
      half = nil
      realTwiddleRe = []
      realTwiddleIm = []
    }
  }

  // MARK: - Complex transforms

  /// Transforms `real + i·imag` (each `[size]`) in place; the inverse is scaled by `1/size`.
  /// - Precondition: both arrays hold `size` values.
  public func transform(real: inout [Double], imag: inout [Double], inverse: Bool = false) {
    precondition(real.count == size && imag.count == size, "[FFT] needs \(size) values, got \(real.count) and \(imag.count)")
    real.withUnsafeMutableBufferPointer { re in
      imag.withUnsafeMutableBufferPointer { im in
        transform(re.baseAddress.unsafelyUnwrapped, im.baseAddress.unsafelyUnwrapped, inverse: inverse)
      }
    }
  }

  /// In-place transform of `size` values at `re`, `im`.
  func transform(_ re: UnsafeMutablePointer<Double>, _ im: UnsafeMutablePointer<Double>, inverse: Bool) {
    if inverse {
      // ifft(x) = conj(fft(conj(x))) / n
      for k in 0..<size { im[k] = -im[k] }
      transform(re, im, inverse: false)
      let scale = 1 / Double(size)
      for k in 0..<size {
        re[k] *= scale
        im[k] = -im[k] * scale
      }
    } else if inner == nil {
      radix2(re, im)
    } else {
      bluestein(re, im)
    }
  }

  /// Iterative decimation-in-time radix-2 transform (size a power of two).
  private func radix2(_ re: UnsafeMutablePointer<Double>, _ im: UnsafeMutablePointer<Double>) {
    let n = size
    guard n > 1 else { return }
    bitReversed.withUnsafeBufferPointer { rev in
      for i in 0..<n where i < rev[i] {
        swap(&re[i], &re[rev[i]])
        swap(&im[i], &im[rev[i]])
      }
    }
    twiddleRe.withUnsafeBufferPointer { wRe in
      twiddleIm.withUnsafeBufferPointer { wIm in
        var length = 2
        while length <= n {
          let halfLength = length / 2
          let step = n / length
          var start = 0
          while start < n {
            for j in 0..<halfLength {
              let wr = wRe[j * step]
              let wi = wIm[j * step]
              let a = start + j
              let b = a + halfLength
              let tr = re[b] * wr - im[b] * wi
              let ti = re[b] * wi + im[b] * wr
              re[b] = re[a] - tr
              im[b] = im[a] - ti
              re[a] += tr
              im[a] += ti
            }
            start += length
          }
          length *= 2
        }
      }
    }
  }

  /// Bluestein: `X[k] = w[k] · (a ⊛ b)[k]` with `a[j] = x[j]·w[j]`, `b[j] = conj(w[j])`.
  private func bluestein(_ re: UnsafeMutablePointer<Double>, _ im: UnsafeMutablePointer<Double>) {
    guard let inner else { return }
    let n = size
    let m = inner.size
    var aRe = [Double](repeating: 0, count: m)
    var aIm = [Double](repeating: 0, count: m)
    for k in 0..<n {
      aRe[k] = re[k] * twiddleRe[k] - im[k] * twiddleIm[k]
      aIm[k] = re[k] * twiddleIm[k] + im[k] * twiddleRe[k]
    }
    inner.transform(real: &aRe, imag: &aIm)
    for k in 0..<m {
      let r = aRe[k] * chirpSpectrumRe[k] - aIm[k] * chirpSpectrumIm[k]
      aIm[k] = aRe[k] * chirpSpectrumIm[k] + aIm[k] * chirpSpectrumRe[k]
      aRe[k] = r
    }
    inner.transform(real: &aRe, imag: &aIm, inverse: true)
    for k in 0..<n {
      re[k] = aRe[k] * twiddleRe[k] - aIm[k] * twiddleIm[k]
      im[k] = aRe[k] * twiddleIm[k] + aIm[k] * twiddleRe[k]
    }
  }

  // MARK: - Real transforms

  /// The spectrum of the real signal `x` (`[size]`): bins `0...size/2`, `[size/2 + 1]` each.
  public func realForward(_ x: [Float]) -> (real: [Double], imag: [Double]) {
    precondition(x.count == size, "[FFT] needs \(size) values, got \(x.count)")
    var re = [Double](repeating: 0, count: size / 2 + 1)
    var im = re
    x.map(Double.init).withUnsafeBufferPointer { input in
      re.withUnsafeMutableBufferPointer { r in
        im.withUnsafeMutableBufferPointer { i in realForward(input, real: r, imag: i) }
      }
    }
    return (re, im)
  }

  /// Writes the spectrum of `x` (`[size]`) to `real` and `imag` (`[size/2 + 1]` each).
  public func realForward(
    _ x: UnsafeBufferPointer<Double>, real: UnsafeMutableBufferPointer<Double>, imag: UnsafeMutableBufferPointer<Double>
  ) {
    let n = size
    let bins = n / 2 + 1
    precondition(x.count == n && real.count >= bins && imag.count >= bins, "[FFT] real transform buffer sizes")
    guard let half else {
      // Odd (or 1-point) sizes: a complex transform with a zero imaginary part.
      var re = Array(x)
      var im = [Double](repeating: 0, count: n)
      transform(real: &re, imag: &im)
      for k in 0..<bins {
        real[k] = re[k]
        imag[k] = im[k]
      }
      return
    }
    // z[j] = x[2j] + i·x[2j+1]; Z = fft(z); even/odd halves untangled from Z[k] and conj(Z[h−k]).
    let h = n / 2
    var zRe = (0..<h).map { x[2 * $0] }
    var zIm = (0..<h).map { x[2 * $0 + 1] }
    half.transform(real: &zRe, imag: &zIm)
    for k in 0...h {
      let ar = zRe[k % h]
      let ai = zIm[k % h]
      let br = zRe[(h - k) % h]
      let bi = zIm[(h - k) % h]
      let evenRe = (ar + br) / 2
      let evenIm = (ai - bi) / 2
      let oddRe = (ai + bi) / 2
      let oddIm = (br - ar) / 2
      let wr = realTwiddleRe[k]
      let wi = realTwiddleIm[k]
      real[k] = evenRe + wr * oddRe - wi * oddIm
      imag[k] = evenIm + wr * oddIm + wi * oddRe
    }
  }
}
