import GenAITensor

/// Fréchet distance between the Gaussians fitted to two feature sets `[N, D]` (FID).
///
/// With Inception-v3 pool features this is FID, the Fréchet (2-Wasserstein) distance between
/// the two fitted Gaussians:
///
///     FID = |μ₁ − μ₂|² + tr(C₁ + C₂ − 2 (C₁^½ C₂ C₁^½)^½)
///
/// The symmetric form of the trace term equals the usual `tr((C₁C₂)^½)` (`C₁C₂` and
/// `C₁^½C₂C₁^½` are similar) but only needs symmetric eigendecompositions, so no complex
/// square roots appear. Means and covariances (divisor `N − 1`) are computed in Double.
///
/// ```swift
/// let r = try FrechetDistance.compute(real: realFeatures, generated: fakeFeatures)  // [N, D] each
/// print(r.value, r.warning ?? "")
/// ```
///
/// References: Heusel et al. 2017, "GANs Trained by a Two Time-Scale Update Rule Converge to a
/// Local Nash Equilibrium" (arXiv:1706.08500); Dowson & Landau 1982 for the Gaussian closed form.
public enum FrechetDistance {
  /// The distance and its parts.
  public struct Result: Sendable, Equatable {
    /// The distance, `meanTerm + traceTerm`, clamped to ≥ 0 (it is ≥ 0 in exact arithmetic).
    public let value: Double
    /// `|μ₁ − μ₂|²`.
    public let meanTerm: Double
    /// `tr(C₁ + C₂ − 2 (C₁^½ C₂ C₁^½)^½)`.
    public let traceTerm: Double
    /// Set when a covariance is rank-deficient (`N < D + 1` for a set).
    ///
    /// The value is then biased and unreliable; the text says which set, its `N`, and the `N` needed.
    public let warning: String?
  }

  /// FID between `real` `[N₁, D]` and `generated` `[N₂, D]`.
  /// - Throws: `MetricError` when a set has fewer than 2 samples or the dimensions differ.
  public static func compute(real: Features, generated: Features) throws -> Result {
    guard real.dimension == generated.dimension else {
      throw MetricError(
        metric: "FID",
        "real and generated features must have the same dimension D, got \(real.dimension) and "
          + "\(generated.dimension)")
    }
    let d = real.dimension
    var warnings: [String] = []
    for (name, set) in [("real", real), ("generated", generated)] where set.count < d + 1 {
      warnings.append(
        "the \(name) set has N = \(set.count) samples of dimension D = \(d), so its covariance is "
          + "rank-deficient (rank ≤ N − 1); use at least N = D + 1 = \(d + 1) samples (far more "
          + "for a stable estimate; FID is conventionally reported on 10,000–50,000)")
    }
    let a = try GaussianStatistics(real, metric: "FID")
    let b = try GaussianStatistics(generated, metric: "FID")
    let parts = try terms(a, b)
    return Result(
      value: max(0, parts.mean + parts.trace), meanTerm: parts.mean, traceTerm: parts.trace,
      warning: warnings.isEmpty ? nil : "[FID] " + warnings.joined(separator: "; "))
  }

  /// FID between `real` and `generated` given as `N` rows of `D` Doubles each.
  /// - Throws: `MetricError` for ragged rows, fewer than 2 samples, or mismatched `D`.
  public static func compute(real: [[Double]], generated: [[Double]]) throws -> Result {
    try compute(real: Features(real), generated: Features(generated))
  }

  /// FID between `real` and `generated` given as `N` rows of `D` Floats each.
  /// - Throws: `MetricError` for ragged rows, fewer than 2 samples, or mismatched `D`.
  public static func compute(real: [[Float]], generated: [[Float]]) throws -> Result {
    try compute(real: Features(real), generated: Features(generated))
  }

  /// FID between `real` `[N₁, D]` and `generated` `[N₂, D]` tensors.
  /// - Throws: `MetricError` when a tensor is not rank 2, has fewer than 2 rows, or `D` differs.
  public static func compute(real: Tensor, generated: Tensor) throws -> Result {
    try compute(real: Features(real), generated: Features(generated))
  }

  /// The closed-form Fréchet distance between two Gaussians `N(μ₁, C₁)` and `N(μ₂, C₂)` in `D`
  /// dimensions — what `compute` converges to for large samples of them.
  /// - Throws: `MetricError` when the dimensions differ.
  public static func betweenGaussians(_ a: GaussianStatistics, _ b: GaussianStatistics) throws -> Double {
    let parts = try terms(a, b)
    return max(0, parts.mean + parts.trace)
  }

  /// `|μ₁ − μ₂|²` and `tr(C₁ + C₂ − 2 (C₁^½ C₂ C₁^½)^½)`.
  static func terms(_ a: GaussianStatistics, _ b: GaussianStatistics) throws -> (mean: Double, trace: Double) {
    guard a.dimension == b.dimension else {
      throw MetricError(
        metric: "FID", "both Gaussians must have the same dimension D, got \(a.dimension) and \(b.dimension)")
    }
    // A diverged generator's NaN samples reach here as NaN statistics; the eigensolver refuses them.
    for (statistics, name) in [(a, "first"), (b, "second")]
    where !(statistics.mean.allSatisfy(\.isFinite) && statistics.covariance.allSatisfy(\.isFinite)) {
      throw MetricError(metric: "FID", "the \(name) set's features are not finite (NaN or infinity): its samples hold non-finite values")
    }
    let d = a.dimension
    var meanTerm = 0.0
    for j in 0..<d {
      let diff = a.mean[j] - b.mean[j]
      meanTerm += diff * diff
    }
    var traces = 0.0
    for j in 0..<d { traces += a.covariance[j * d + j] + b.covariance[j * d + j] }
    let s1 = SymmetricEigen.squareRoot(of: a.covariance, dimension: d)
    // M = C₁^½ C₂ C₁^½ is symmetric PSD; tr(M^½) = Σ √λᵢ(M), small negative λ from rounding → 0.
    let m = matmulSquare(matmulSquare(s1, b.covariance, d), s1, d)
    let eigen = SymmetricEigen(matrix: m, dimension: d)
    let traceSqrt = eigen.values.reduce(0) { $0 + max($1, 0).squareRoot() }
    return (meanTerm, traces - 2 * traceSqrt)
  }
}
