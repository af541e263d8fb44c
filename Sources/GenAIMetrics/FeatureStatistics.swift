import GenAITensor

// Shared pieces of the sample-quality metrics: the error type, a feature matrix in Double, and the
// mean/covariance of a feature set. Everything is computed in Double whatever the input precision:
// covariances of float32 features lose digits quickly once summed over thousands of samples.

// MARK: - Errors

/// An invalid input to a metric: names the metric and says what was expected.
///
/// Thrown for empty or too-small feature sets, ragged rows, mismatched feature dimensions,
/// a tensor that is not `[N, D]`, and hyper-parameters out of range (`k` too large for the set).
public struct MetricError: Error, CustomStringConvertible, Equatable, Sendable {
  /// The metric (or helper) that rejected its input, such as `"FID"` or `"precision/recall"`.
  public let metric: String
  /// What was wrong and what was expected, in one sentence.
  public let message: String

  /// An error of `metric` saying `message`.
  public init(metric: String, _ message: String) {
    self.metric = metric
    self.message = message
  }

  /// `"[metric] message"`, in the engine's `[op] …` error style.
  public var description: String { "[\(metric)] \(message)" }
}

// MARK: - Features

/// A set of `N` feature vectors of dimension `D`, shape `[N, D]`, row-major in Double.
///
/// `values[i * dimension + j]` is feature `j` of sample `i` (for FID/KID: Inception pool features).
public struct Features: Sendable, Equatable {
  /// `N`, the number of samples (rows).
  public let count: Int
  /// `D`, the feature dimension (columns).
  public let dimension: Int
  /// The `N·D` values, row-major `[N, D]`.
  public let values: [Double]

  /// Wraps row-major `values` of shape `[count, dimension]`.
  /// - Throws: `MetricError` when `values.count != count * dimension` or a size is negative.
  public init(count: Int, dimension: Int, values: [Double]) throws {
    guard count >= 0, dimension >= 0, values.count == count * dimension else {
      throw MetricError(
        metric: "Features",
        "expected \(count) × \(dimension) = \(count * dimension) values, got \(values.count)")
    }
    self.count = count
    self.dimension = dimension
    self.values = values
  }

  /// Features from `N` rows of `D` Doubles, shape `[N, D]`.
  ///
  /// An empty array is the empty set (`N = D = 0`).
  /// - Throws: `MetricError` when the rows have different lengths.
  public init(_ rows: [[Double]]) throws {
    let d = rows.first?.count ?? 0
    if let bad = rows.firstIndex(where: { $0.count != d }) {
      throw MetricError(
        metric: "Features", "every row must have \(d) features (row 0), row \(bad) has \(rows[bad].count)")
    }
    try self.init(count: rows.count, dimension: d, values: rows.flatMap { $0 })
  }

  /// Features from `N` rows of `D` Floats, shape `[N, D]`, widened to Double.
  /// - Throws: `MetricError` when the rows have different lengths.
  public init(_ rows: [[Float]]) throws {
    try self.init(rows.map { $0.map(Double.init) })
  }

  /// Features from a rank-2 tensor of shape `[N, D]`, widened to Double.
  /// - Throws: `MetricError` when the tensor is not rank 2.
  public init(_ tensor: Tensor) throws {
    guard tensor.shape.count == 2 else {
      throw MetricError(metric: "Features", "expected a tensor of shape [N, D], got \(tensor.shape)")
    }
    try self.init(
      count: tensor.shape[0], dimension: tensor.shape[1], values: tensor.scalars.map(Double.init))
  }

  /// Row `i`, shape `[D]`.
  public func row(_ i: Int) -> ArraySlice<Double> {
    values[(i * dimension)..<((i + 1) * dimension)]
  }
}

// MARK: - Gaussian statistics

/// The mean `[D]` and covariance `[D, D]` of a feature set — the Gaussian that FID fits to it.
public struct GaussianStatistics: Sendable, Equatable {
  /// `D`, the feature dimension.
  public let dimension: Int
  /// The mean, shape `[D]`.
  public let mean: [Double]
  /// The covariance, row-major `[D, D]`, symmetric.
  public let covariance: [Double]

  /// Statistics from a mean `[D]` and a covariance given as `D` rows of `D` (assumed symmetric
  /// positive semi-definite; only its symmetric part is used by FID).
  /// - Throws: `MetricError` when the covariance is not `[D, D]` for `D = mean.count`.
  public init(mean: [Double], covariance: [[Double]]) throws {
    let d = mean.count
    guard covariance.count == d, covariance.allSatisfy({ $0.count == d }) else {
      throw MetricError(
        metric: "GaussianStatistics",
        "covariance must be [\(d), \(d)] to match a mean of \(d), got \(covariance.count) rows of "
          + "\(covariance.map(\.count))")
    }
    self.dimension = d
    self.mean = mean
    self.covariance = covariance.flatMap { $0 }
  }

  /// The sample mean and the unbiased sample covariance (divisor `N − 1`, as `numpy.cov`) of
  /// `features` `[N, D]`.
  /// - Throws: `MetricError` when `N < 2` (the covariance is undefined) or `D == 0`.
  public init(_ features: Features, metric: String = "GaussianStatistics") throws {
    let n = features.count
    let d = features.dimension
    guard n >= 2, d >= 1 else {
      throw MetricError(
        metric: metric, "need at least 2 samples of dimension ≥ 1 for a covariance, got [\(n), \(d)]")
    }
    var mu = [Double](repeating: 0, count: d)
    var cov = [Double](repeating: 0, count: d * d)
    features.values.withUnsafeBufferPointer { x in
      for i in 0..<n {
        for j in 0..<d { mu[j] += x[i * d + j] }
      }
      for j in 0..<d { mu[j] /= Double(n) }
      // Centred outer products, upper triangle only, mirrored below.
      var centred = [Double](repeating: 0, count: d)
      for i in 0..<n {
        for j in 0..<d { centred[j] = x[i * d + j] - mu[j] }
        for a in 0..<d {
          let ca = centred[a]
          for b in a..<d { cov[a * d + b] += ca * centred[b] }
        }
      }
    }
    for a in 0..<d {
      for b in a..<d {
        cov[a * d + b] /= Double(n - 1)
        cov[b * d + a] = cov[a * d + b]
      }
    }
    self.dimension = d
    self.mean = mu
    self.covariance = cov
  }
}

/// Squared Euclidean distance between two rows of length `D`.
@inline(__always)
func squaredDistance(
  _ a: UnsafeBufferPointer<Double>, _ i: Int, _ b: UnsafeBufferPointer<Double>, _ j: Int, _ d: Int
) -> Double {
  var s = 0.0
  for t in 0..<d {
    let diff = a[i * d + t] - b[j * d + t]
    s += diff * diff
  }
  return s
}
