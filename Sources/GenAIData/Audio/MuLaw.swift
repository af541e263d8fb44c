import Foundation
import GenAITensor

/// μ-law companding to a few quantisation levels, for models that predict one sample at a time
/// as a class (WaveNet, SampleRNN).
///
/// Encoding follows torchaudio's `mu_law_encoding` (and WaveNet): with `μ = levels − 1`,
/// `y = sign(x) · ln(1 + μ|x|) / ln(1 + μ)` for `x` clipped to [-1, 1], then
/// `code = ⌊(y + 1) / 2 · μ + 0.5⌋` in `0...μ`. So 0 → 128, 1 → 255, −1 → 0 for 256 levels.
/// Decoding is torchaudio's `mu_law_decoding`: `y = code / μ · 2 − 1`,
/// `x = sign(y) · ((1 + μ)^|y| − 1) / μ`. The round trip error is at most half a code step
/// through the expansion, `≈ ln(1 + μ)(1 + μ|x|) / μ²`: about 8.6e-5 near 0 and 0.022 at ±1.
///
/// ```swift
/// let codes = MuLaw.encode(clip)          // [T] ints in 0...255
/// let back = MuLaw.decode(codes)          // [T] floats in [-1, 1]
/// ```
public enum MuLaw {
  /// The code of one sample: `x` (clipped to [-1, 1]; NaN counts as 0) as an int in `0..<levels`.
  /// - Precondition: `levels >= 2`.
  public static func encode(_ x: Float, levels: Int = 256) -> Int {
    precondition(levels >= 2, "[MuLaw] needs at least 2 levels, got \(levels)")
    let mu = Double(levels - 1)
    let v = x.isNaN ? 0 : Double(min(max(x, -1), 1))
    let y = (v < 0 ? -1.0 : 1.0) * log1p(mu * abs(v)) / log1p(mu)
    return Int(((y + 1) / 2 * mu + 0.5).rounded(.down))
  }

  /// The sample a code stands for, in [-1, 1]; codes outside `0..<levels` are clipped.
  /// - Precondition: `levels >= 2`.
  public static func decode(_ code: Int, levels: Int = 256) -> Float {
    precondition(levels >= 2, "[MuLaw] needs at least 2 levels, got \(levels)")
    let mu = Double(levels - 1)
    let y = Double(min(max(code, 0), levels - 1)) / mu * 2 - 1
    return Float((y < 0 ? -1.0 : 1.0) * expm1(abs(y) * log1p(mu)) / mu)
  }

  /// The codes of `samples` (`[T]` → `[T]`).
  public static func encode(_ samples: [Float], levels: Int = 256) -> [Int] {
    samples.map { encode($0, levels: levels) }
  }

  /// The samples of `codes` (`[T]` → `[T]`).
  public static func decode(_ codes: [Int], levels: Int = 256) -> [Float] {
    let table = (0..<levels).map { decode($0, levels: levels) }
    return codes.map { table[min(max($0, 0), levels - 1)] }
  }

  /// The codes of a tensor of samples, same shape (e.g. `[B, 1, T]` → `[B, 1, T]`), as class
  /// targets for a cross-entropy loss.
  public static func encode(_ samples: Tensor, levels: Int = 256) -> IndexTensor {
    let codes = samples.withUnsafeBufferPointer { $0.map { encode($0, levels: levels) } }
    return IndexTensor(codes).reshaped(samples.shape)
  }

  /// The samples of a tensor of codes, same shape.
  public static func decode(_ codes: IndexTensor, levels: Int = 256) -> Tensor {
    let values = decode(codes.values, levels: levels)
    return (try? Tensor(shape: codes.shape, values)) ?? Tensor(values)
  }
}
