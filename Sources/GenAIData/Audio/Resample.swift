import Foundation

/// Band-limited resampling with a Kaiser-windowed sinc interpolator.
///
/// Output sample `i` sits at input time `t = i · from / to` (samples; the first output sample
/// is the first input sample, as in torchaudio and resampy) and is
/// `Σⱼ x[j] · fc · sinc(fc · (t − j)) · kaiser((t − j) / w)`, with `x` zero outside the signal.
/// The cutoff `fc = rolloff · min(1, to / from)` (in units of the input Nyquist frequency) sits
/// below the lower of the two Nyquist frequencies, so downsampling filters out what would alias;
/// the kernel spans `w = zeroCrossings / fc` input samples each side. Each phase's weights are
/// normalised to sum to 1 so a constant signal stays exactly constant.
///
/// With the ratio reduced to `L / M` (`to / from` over their gcd), outputs repeat the same `L`
/// fractional positions, so up to 4096 phases are computed once and reused; stranger ratios
/// compute each output's weights directly.
///
/// ```swift
/// let r = Resampler(from: 16_000, to: 8_000)
/// let y = r.resample(x)        // [8000] for x: [16000]
/// ```
public struct Resampler: Sendable {
  /// Input rate, Hz.
  public let from: Int
  /// Output rate, Hz.
  public let to: Int
  /// Zero crossings of the sinc kept on each side (its length in cutoff periods).
  public let zeroCrossings: Int
  /// Cutoff as a fraction of the lower Nyquist frequency, below 1 to leave a transition band.
  public let rolloff: Double
  /// Kaiser window shape: larger is a wider main lobe and lower side lobes (8.6 ≈ 86 dB).
  public let beta: Double

  /// Reduced ratio `to / from = up / down`.
  private let up: Int
  private let down: Int
  /// Kernel half-width in taps, and the tap count `2·radius` per output.
  private let radius: Int
  /// `[phase][tap]`, `up` phases of `2·radius` taps, or empty when `up` is too large to table.
  private let table: [Float]

  /// A resampler from `from` Hz to `to` Hz.
  /// - Parameters:
  ///   - zeroCrossings: sinc lobes kept each side. With the defaults (32, 0.94, 8.6), 16 kHz →
  ///     8 kHz is flat (±0.001 dB) to 3.4 kHz, −3 dB at 3.7 kHz, and input above 4.1 kHz is
  ///     attenuated by more than 85 dB; halving it halves the cost and doubles the transition band.
  ///   - rolloff: the passband edge as a fraction of the lower Nyquist frequency.
  ///   - beta: the Kaiser window's β.
  /// - Precondition: both rates positive, `zeroCrossings >= 1`, `0 < rolloff <= 1`.
  public init(from: Int, to: Int, zeroCrossings: Int = 32, rolloff: Double = 0.94, beta: Double = 8.6) {
    precondition(from > 0 && to > 0, "[Resampler] rates must be positive, got \(from) → \(to)")
    precondition(zeroCrossings >= 1, "[Resampler] zeroCrossings must be at least 1")
    precondition(rolloff > 0 && rolloff <= 1, "[Resampler] rolloff must be in (0, 1]")
    self.from = from
    self.to = to
    self.zeroCrossings = zeroCrossings
    self.rolloff = rolloff
    self.beta = beta
    let g = Self.gcd(from, to)
    up = to / g
    down = from / g
    let cutoff = rolloff * min(1, Double(to) / Double(from))
    let width = Double(zeroCrossings) / cutoff
    radius = Int(width.rounded(.up)) + 1
    var table: [Float] = []
    if up <= 4096 && from != to {
      table.reserveCapacity(up * 2 * radius)
      for phase in 0..<up {
        table += Self.weights(offset: Double(phase) / Double(up), radius: radius, cutoff: cutoff, width: width, beta: beta)
      }
    }
    self.table = table
  }

  /// Output length for `count` input samples: `round(count · to / from)`, halves rounding up.
  public func outputCount(for count: Int) -> Int { (count * up + down / 2) / down }

  /// `samples` (`[n]`) at the new rate, `[round(n · to / from)]`.
  public func resample(_ samples: [Float]) -> [Float] {
    if from == to { return samples }
    let n = samples.count
    let outCount = outputCount(for: n)
    let taps = 2 * radius
    let cutoff = rolloff * min(1, Double(to) / Double(from))
    let width = Double(zeroCrossings) / cutoff
    return [Float](unsafeUninitializedCapacity: outCount) { out, initialized in
      samples.withUnsafeBufferPointer { x in
        table.withUnsafeBufferPointer { t in
          /// Σ x[first + k] · w[k] over the taps that fall inside the signal.
          func dot(_ w: UnsafeBufferPointer<Float>, first: Int) -> Float {
            let lo = max(0, -first)
            let hi = min(taps, n - first)
            var acc: Float = 0
            if lo < hi {
              for k in lo..<hi { acc += x[first + k] * w[k] }
            }
            return acc
          }
          for i in 0..<outCount {
            let position = i * down
            let base = position / up
            let phase = position % up
            // Tap k reads input base - radius + 1 + k.
            let first = base - radius + 1
            if t.isEmpty {
              let w = Self.weights(offset: Double(phase) / Double(up), radius: radius, cutoff: cutoff, width: width, beta: beta)
              out[i] = w.withUnsafeBufferPointer { dot($0, first: first) }
            } else {
              out[i] = dot(UnsafeBufferPointer(rebasing: t[(phase * taps)..<((phase + 1) * taps)]), first: first)
            }
          }
        }
      }
      initialized = outCount
    }
  }

  /// Resamples `samples` from `from` Hz to `to` Hz with the default filter.
  public static func resample(_ samples: [Float], from: Int, to: Int) -> [Float] {
    Resampler(from: from, to: to).resample(samples)
  }

  /// The `2·radius` weights for an output at fractional offset `offset` in [0, 1) past input
  /// sample `base`: tap `k` is input `base − radius + 1 + k`, at distance `offset + radius − 1 − k`.
  static func weights(offset: Double, radius: Int, cutoff: Double, width: Double, beta: Double) -> [Float] {
    var w = [Double](repeating: 0, count: 2 * radius)
    var sum = 0.0
    let i0Beta = besselI0(beta)
    for k in 0..<(2 * radius) {
      let d = offset + Double(radius - 1 - k)
      guard abs(d) < width else { continue }
      let x = cutoff * d
      let sinc = x == 0 ? 1 : sin(Double.pi * x) / (Double.pi * x)
      let r = d / width
      let window = besselI0(beta * (1 - r * r).squareRoot()) / i0Beta
      w[k] = cutoff * sinc * window
      sum += w[k]
    }
    return w.map { Float($0 / sum) }
  }

  /// The modified Bessel function of the first kind, order 0, by its power series.
  static func besselI0(_ x: Double) -> Double {
    var term = 1.0
    var sum = 1.0
    let q = x * x / 4
    var k = 1.0
    while term > sum * 1e-17 {
      term *= q / (k * k)
      sum += term
      k += 1
    }
    return sum
  }

  private static func gcd(_ a: Int, _ b: Int) -> Int {
    var (a, b) = (a, b)
    while b != 0 { (a, b) = (b, a % b) }
    return a
  }
}
