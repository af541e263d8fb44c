import GenAITensor

/// Improved precision and recall of a generative model from feature sets: each set's manifold is
/// estimated as the union of balls around its samples, each ball's radius being the distance to
/// the sample's `k`-th nearest neighbour in the same set (itself excluded). Then
///
/// - precision = fraction of generated samples inside the real manifold (are fakes realistic?),
/// - recall = fraction of real samples inside the generated manifold (is the data covered?).
///
/// Distances are Euclidean, brute force in Double: O((N₁ + N₂)² · D) time, O(N) memory.
///
/// ```swift
/// let pr = try PrecisionRecall.compute(real: r, generated: g)  // [N₁, D], [N₂, D]; k = 3
/// print(pr.precision, pr.recall)
/// ```
///
/// References: Kynkäänniemi et al. 2019, "Improved Precision and Recall Metric for Assessing
/// Generative Models" (arXiv:1904.06991), §2 (their code uses k = 3).
public enum PrecisionRecall {
  /// Precision and recall, each in `[0, 1]`.
  public struct Result: Sendable, Equatable {
    /// Fraction of generated samples within the `k`-NN radius of some real sample.
    public let precision: Double
    /// Fraction of real samples within the `k`-NN radius of some generated sample.
    public let recall: Double
  }

  /// Precision and recall of `generated` `[N₂, D]` against `real` `[N₁, D]`.
  /// - Parameter k: the neighbour that sets each ball's radius (default 3, the paper's choice).
  /// - Throws: `MetricError` when `D` differs, a set is empty, `k < 1`, or `k ≥ N` for a set
  ///   (it needs `k` other samples).
  public static func compute(real: Features, generated: Features, k: Int = 3) throws -> Result {
    guard real.dimension == generated.dimension else {
      throw MetricError(
        metric: "precision/recall",
        "real and generated features must have the same dimension D, got \(real.dimension) and "
          + "\(generated.dimension)")
    }
    guard k >= 1 else { throw MetricError(metric: "precision/recall", "expected k ≥ 1, got \(k)") }
    for (name, set) in [("real", real), ("generated", generated)] where set.count <= k {
      throw MetricError(
        metric: "precision/recall",
        "the \(name) set needs more than k = \(k) samples for k-nearest-neighbour radii, got N = "
          + "\(set.count)")
    }
    let realRadii = kthNeighbourSquaredDistances(real, k: k)
    let generatedRadii = kthNeighbourSquaredDistances(generated, k: k)
    return Result(
      precision: coveredFraction(of: generated, by: real, squaredRadii: realRadii),
      recall: coveredFraction(of: real, by: generated, squaredRadii: generatedRadii))
  }

  /// Precision and recall between `[N, D]` tensors.
  ///
  /// Errors as on `Features`, plus `MetricError`
  /// when a tensor is not rank 2.
  public static func compute(real: Tensor, generated: Tensor, k: Int = 3) throws -> Result {
    try compute(real: Features(real), generated: Features(generated), k: k)
  }

  /// Precision and recall between `N` rows of `D` Floats each.
  ///
  /// Errors as on `Features`, plus
  /// `MetricError` for ragged rows.
  public static func compute(real: [[Float]], generated: [[Float]], k: Int = 3) throws -> Result {
    try compute(real: Features(real), generated: Features(generated), k: k)
  }

  /// For each row of `set` `[N, D]`, the squared distance to its `k`-th nearest other row, `[N]`.
  static func kthNeighbourSquaredDistances(_ set: Features, k: Int) -> [Double] {
    let n = set.count
    let d = set.dimension
    return set.values.withUnsafeBufferPointer { x in
      var radii = [Double](repeating: 0, count: n)
      var row = [Double](repeating: 0, count: n - 1)
      for i in 0..<n {
        var c = 0
        for j in 0..<n where j != i {
          row[c] = squaredDistance(x, i, x, j, d)
          c += 1
        }
        row.sort()
        radii[i] = row[k - 1]
      }
      return radii
    }
  }

  /// Fraction of rows of `queries` within `squaredRadii[j]` of some row `j` of `centres`.
  static func coveredFraction(of queries: Features, by centres: Features, squaredRadii: [Double]) -> Double {
    let d = queries.dimension
    var covered = 0
    queries.values.withUnsafeBufferPointer { q in
      centres.values.withUnsafeBufferPointer { c in
        for i in 0..<queries.count {
          for j in 0..<centres.count where squaredDistance(q, i, c, j, d) <= squaredRadii[j] {
            covered += 1
            break
          }
        }
      }
    }
    return Double(covered) / Double(queries.count)
  }
}
