import Foundation
import GenAITensor

// Synthetic data for the metric tests: seeded Gaussians and random matrices, all in Double.

/// A standard normal draw (Box–Muller).
func metricsNormal(_ rng: inout SeededGenerator) -> Double {
  let u1 = Double.random(in: Double.ulpOfOne..<1, using: &rng)
  let u2 = Double.random(in: 0..<1, using: &rng)
  return (-2 * log(u1)).squareRoot() * cos(2 * Double.pi * u2)
}

/// `n` samples of `N(mean, L Lᵀ)` as rows `[n, D]`; `factor` is `L`, `D` rows of `D`.
func metricsGaussianSamples(
  _ n: Int, mean: [Double], factor: [[Double]], _ rng: inout SeededGenerator
) -> [[Double]] {
  let d = mean.count
  return (0..<n).map { _ in
    let z = (0..<d).map { _ in metricsNormal(&rng) }
    return (0..<d).map { i in mean[i] + (0..<d).reduce(0) { $0 + factor[i][$1] * z[$1] } }
  }
}

/// `L Lᵀ` for `L` given as `D` rows of `D`.
func metricsOuter(_ l: [[Double]]) -> [[Double]] {
  let d = l.count
  return (0..<d).map { i in (0..<d).map { j in (0..<d).reduce(0) { $0 + l[i][$1] * l[j][$1] } } }
}

/// A random `[D, D]` matrix with entries uniform in `[-1, 1)`, row-major.
func metricsRandomMatrix(_ d: Int, _ rng: inout SeededGenerator) -> [Double] {
  (0..<(d * d)).map { _ in Double.random(in: -1..<1, using: &rng) }
}

/// Row-major `[D, D]` product `A B`, written independently of the library's helper.
func metricsMatmul(_ a: [Double], _ b: [Double], _ d: Int) -> [Double] {
  var out = [Double](repeating: 0, count: d * d)
  for i in 0..<d {
    for j in 0..<d {
      var s = 0.0
      for k in 0..<d { s += a[i * d + k] * b[k * d + j] }
      out[i * d + j] = s
    }
  }
  return out
}

/// Row-major transpose of a `[D, D]` matrix.
func metricsTranspose(_ a: [Double], _ d: Int) -> [Double] {
  var out = a
  for i in 0..<d { for j in 0..<d { out[j * d + i] = a[i * d + j] } }
  return out
}

/// Largest absolute element-wise difference.
func metricsMaxAbsDiff(_ a: [Double], _ b: [Double]) -> Double {
  zip(a, b).reduce(0) { max($0, abs($1.0 - $1.1)) }
}
