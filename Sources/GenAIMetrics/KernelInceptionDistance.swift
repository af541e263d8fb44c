import GenAITensor

/// Kernel Inception Distance (KID) between two feature sets `[N, D]`, averaged over subsets.
///
/// KID is the unbiased estimate of the squared maximum mean discrepancy (MMD²) under the cubic
/// polynomial kernel
///
///     k(x, y) = (x·y / D + 1)³
///
/// averaged over random subsets (as torch-fidelity and the paper's code do). Unlike FID it is
/// unbiased, so it can be compared across sample sizes, and it can be slightly negative.
///
/// Per subset of size `m` drawn without replacement from each set:
///
///     MMD²ᵤ = Σ_{i≠j} k(xᵢ, xⱼ) / (m(m−1)) + Σ_{i≠j} k(yᵢ, yⱼ) / (m(m−1)) − 2 Σ_{i,j} k(xᵢ, yⱼ) / m²
///
/// ```swift
/// var rng = SeededGenerator(seed: 0)
/// let kid = try KernelInceptionDistance.compute(real: r, generated: g, using: &rng)  // [N, D] each
/// print(kid.mean, "±", kid.standardDeviation)
/// ```
///
/// References: Bińkowski et al. 2018, "Demystifying MMD GANs" (arXiv:1801.01401), §4 and App. D.
public enum KernelInceptionDistance {
  /// The KID estimate over the subsets.
  public struct Result: Sendable, Equatable {
    /// Mean of the per-subset MMD²ᵤ values.
    public let mean: Double
    /// Population standard deviation (divisor `subsets`, as torch-fidelity's `np.std`) of the
    /// per-subset values; 0 for one subset.
    public let standardDeviation: Double
    /// The per-subset MMD²ᵤ values, shape `[subsets]`.
    public let subsetValues: [Double]
    /// `m`, the subset size actually used: `min(subsetSize, N_real, N_generated)`.
    public let subsetSize: Int
  }

  /// KID between `real` `[N₁, D]` and `generated` `[N₂, D]`.
  /// - Parameters:
  ///   - subsets: number of random subsets (default 10).
  ///   - subsetSize: requested subset size (default 1000), capped at `min(N₁, N₂)`.
  ///   - generator: the randomness that draws the subsets (indices without replacement).
  /// - Throws: `MetricError` when `D` differs, a set has fewer than 2 samples, or `subsets < 1`
  ///   or `subsetSize < 2`.
  public static func compute(
    real: Features, generated: Features, subsets: Int = 10, subsetSize: Int = 1000,
    using generator: inout some RandomNumberGenerator
  ) throws -> Result {
    guard real.dimension == generated.dimension else {
      throw MetricError(
        metric: "KID",
        "real and generated features must have the same dimension D, got \(real.dimension) and "
          + "\(generated.dimension)")
    }
    guard real.count >= 2, generated.count >= 2, real.dimension >= 1 else {
      throw MetricError(
        metric: "KID",
        "need at least 2 samples of dimension ≥ 1 in each set, got real [\(real.count), "
          + "\(real.dimension)] and generated [\(generated.count), \(generated.dimension)]")
    }
    guard subsets >= 1, subsetSize >= 2 else {
      throw MetricError(
        metric: "KID", "expected subsets ≥ 1 and subsetSize ≥ 2, got \(subsets) and \(subsetSize)")
    }
    let m = min(subsetSize, real.count, generated.count)
    var values: [Double] = []
    values.reserveCapacity(subsets)
    for _ in 0..<subsets {
      let ri = sampleWithoutReplacement(m, from: real.count, using: &generator)
      let gi = sampleWithoutReplacement(m, from: generated.count, using: &generator)
      values.append(unbiasedMMD2(real, ri, generated, gi))
    }
    let mean = values.reduce(0, +) / Double(subsets)
    let variance = values.reduce(0) { $0 + ($1 - mean) * ($1 - mean) } / Double(subsets)
    return Result(
      mean: mean, standardDeviation: variance.squareRoot(), subsetValues: values, subsetSize: m)
  }

  /// KID with subsets drawn from `SeededGenerator(seed: seed)` (default seed 0).
  ///
  /// A call is reproducible. Shapes and errors as `compute(real:generated:subsets:subsetSize:using:)`.
  public static func compute(
    real: Features, generated: Features, subsets: Int = 10, subsetSize: Int = 1000, seed: UInt64 = 0
  ) throws -> Result {
    var rng = SeededGenerator(seed: seed)
    return try compute(
      real: real, generated: generated, subsets: subsets, subsetSize: subsetSize, using: &rng)
  }

  /// KID between `[N, D]` tensors.
  ///
  /// Shapes and errors as `compute(real:generated:…)` on `Features`,
  /// plus `MetricError` when a tensor is not rank 2.
  public static func compute(
    real: Tensor, generated: Tensor, subsets: Int = 10, subsetSize: Int = 1000, seed: UInt64 = 0
  ) throws -> Result {
    try compute(
      real: Features(real), generated: Features(generated), subsets: subsets,
      subsetSize: subsetSize, seed: seed)
  }

  /// KID between `N` rows of `D` Floats each.
  ///
  /// Errors as `compute(real:generated:…)` on `Features`,
  /// plus `MetricError` for ragged rows.
  public static func compute(
    real: [[Float]], generated: [[Float]], subsets: Int = 10, subsetSize: Int = 1000, seed: UInt64 = 0
  ) throws -> Result {
    try compute(
      real: Features(real), generated: Features(generated), subsets: subsets,
      subsetSize: subsetSize, seed: seed)
  }

  /// The cubic polynomial kernel `(x·y / D + 1)³` between row `i` of `a` and row `j` of `b`.
  @inline(__always)
  static func kernel(
    _ a: UnsafeBufferPointer<Double>, _ i: Int, _ b: UnsafeBufferPointer<Double>, _ j: Int, _ d: Int
  ) -> Double {
    var dot = 0.0
    for t in 0..<d { dot += a[i * d + t] * b[j * d + t] }
    let base = dot / Double(d) + 1
    return base * base * base
  }

  /// Unbiased MMD² between rows `xi` of `x` and rows `yi` of `y` (equal counts `m ≥ 2`).
  static func unbiasedMMD2(_ x: Features, _ xi: [Int], _ y: Features, _ yi: [Int]) -> Double {
    let m = xi.count
    let d = x.dimension
    return x.values.withUnsafeBufferPointer { xv in
      y.values.withUnsafeBufferPointer { yv in
        var kxx = 0.0
        var kyy = 0.0
        var kxy = 0.0
        for a in 0..<m {
          for b in (a + 1)..<m {
            kxx += kernel(xv, xi[a], xv, xi[b], d)
            kyy += kernel(yv, yi[a], yv, yi[b], d)
          }
          for b in 0..<m { kxy += kernel(xv, xi[a], yv, yi[b], d) }
        }
        let pairs = Double(m) * Double(m - 1)
        return 2 * kxx / pairs + 2 * kyy / pairs - 2 * kxy / (Double(m) * Double(m))
      }
    }
  }

  /// `m` distinct indices from `0..<n` (partial Fisher–Yates), `m ≤ n`.
  static func sampleWithoutReplacement(
    _ m: Int, from n: Int, using generator: inout some RandomNumberGenerator
  ) -> [Int] {
    var pool = Array(0..<n)
    for i in 0..<m {
      let j = Int.random(in: i..<n, using: &generator)
      pool.swapAt(i, j)
    }
    return Array(pool[0..<m])
  }
}
