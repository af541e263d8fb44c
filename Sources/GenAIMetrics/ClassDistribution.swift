import Foundation

/// Metrics of a classifier's view of generated samples: the Inception-Score analogue, and how the
/// predicted classes spread (coverage and entropy, which fall when a GAN collapses onto a few modes).
public enum ClassDistribution {
  /// The Inception-Score analogue `exp(E_x KL(p(y|x) ‖ p(y)))` of class probabilities
  /// `probabilities` `[N, K]` (rows sum to 1), computed on `splits` equal consecutive parts as in
  /// Salimans et al. (2016); returns the mean and standard deviation over the parts. It lies in
  /// `[1, K]`: high when each sample is confidently one class and the classes are balanced.
  /// - Throws: `MetricError` when `N < splits`, a row has the wrong length, or `splits < 1`.
  public static func inceptionScore(probabilities: [[Double]], splits: Int = 10) throws -> (mean: Double, std: Double) {
    guard splits >= 1 else { throw MetricError(metric: "IS", "splits must be >= 1, got \(splits)") }
    guard probabilities.count >= splits else {
      throw MetricError(metric: "IS", "needs at least \(splits) samples for \(splits) splits, got \(probabilities.count)")
    }
    let k = probabilities[0].count
    guard k >= 1, probabilities.allSatisfy({ $0.count == k }) else {
      throw MetricError(metric: "IS", "every probability row must have the same K ≥ 1 entries")
    }
    var scores = [Double]()
    let n = probabilities.count
    for s in 0..<splits {
      let part = probabilities[(s * n / splits)..<((s + 1) * n / splits)]
      var marginal = [Double](repeating: 0, count: k)
      for row in part { for j in 0..<k { marginal[j] += row[j] / Double(part.count) } }
      var kl = 0.0
      for row in part {
        for j in 0..<k where row[j] > 0 { kl += row[j] * (log(row[j]) - log(Swift.max(marginal[j], 1e-300))) }
      }
      scores.append(exp(kl / Double(part.count)))
    }
    let mean = scores.reduce(0, +) / Double(splits)
    let variance = scores.reduce(0) { $0 + ($1 - mean) * ($1 - mean) } / Double(splits)
    return (mean, variance.squareRoot())
  }

  /// The share of samples predicted as each of `classCount` classes, from predicted labels.
  public static func histogram(_ labels: [Int], classCount: Int) -> [Double] {
    var counts = [Double](repeating: 0, count: classCount)
    for l in labels where l >= 0 && l < classCount { counts[l] += 1 }
    return counts.map { $0 / Double(Swift.max(labels.count, 1)) }
  }

  /// Class coverage: the share of the `K` classes that receive at least half of a uniform share
  /// (`1/(2K)`) of the predictions. 1.0 for balanced samples; a GAN stuck on 3 of 10 classes gets 0.3.
  public static func coverage(_ histogram: [Double]) -> Double {
    let k = Double(histogram.count)
    return Double(histogram.filter { $0 >= 0.5 / k }.count) / k
  }

  /// The entropy of the predicted-class histogram in bits (`log2 K` when balanced, 0 when every
  /// sample is one class).
  public static func entropyBits(_ histogram: [Double]) -> Double {
    -histogram.reduce(0) { $0 + ($1 > 0 ? $1 * log2($1) : 0) }
  }
}
