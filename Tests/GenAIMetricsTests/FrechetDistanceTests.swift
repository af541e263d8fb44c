import Testing

@testable import GenAIMetrics
import GenAITensor

/// FID: the closed form against hand-derived formulas, sample FID against the closed form,
/// identity, symmetry, the small-N warning, input forms and errors.
@Suite struct FrechetDistanceTests {
  private func gaussian(_ mean: [Double], _ cov: [[Double]]) throws -> GaussianStatistics {
    try GaussianStatistics(mean: mean, covariance: cov)
  }

  @Test func closedFormMatchesHandDerivedCases() throws {
    // 1-D: (μ₁ − μ₂)² + (σ₁ − σ₂)².
    let oneD = try FrechetDistance.betweenGaussians(gaussian([1], [[4]]), gaussian([-2], [[9]]))
    #expect(abs(oneD - (9 + 1)) < 1e-12)
    // Diagonal covariances commute: |Δμ|² + Σ (σ₁ᵢ − σ₂ᵢ)².
    let diag = try FrechetDistance.betweenGaussians(
      gaussian([0, 1, 2], [[1, 0, 0], [0, 4, 0], [0, 0, 0.25]]),
      gaussian([1, 1, 0], [[9, 0, 0], [0, 1, 0], [0, 0, 0.25]]))
    #expect(abs(diag - (1 + 0 + 4 + 4 + 1 + 0)) < 1e-12)
    // C₁ = I, C₂ = Q diag(d) Qᵀ (Q a rotation): D + Σd − 2Σ√d.
    let (c, s) = (0.6, 0.8)
    let c2: [[Double]] = [
      [c * c * 4 + s * s * 9, c * s * (4 - 9)], [c * s * (4 - 9), s * s * 4 + c * c * 9],
    ]
    let rotated = try FrechetDistance.betweenGaussians(
      gaussian([0, 0], [[1, 0], [0, 1]]), gaussian([3, 4], c2))
    #expect(abs(rotated - (25 + 2 + 13 - 2 * (2 + 3))) < 1e-12)
    // Generic non-commuting 2×2: the eigenvalues λ of C₁C₂ give tr√(C₁C₂) = √(tr(C₁C₂) + 2√det).
    let a: [[Double]] = [[2, 0.7], [0.7, 1]]
    let b: [[Double]] = [[0.5, -0.3], [-0.3, 3]]
    let trAB = a[0][0] * b[0][0] + a[0][1] * b[1][0] + a[1][0] * b[0][1] + a[1][1] * b[1][1]
    let detA = a[0][0] * a[1][1] - a[0][1] * a[1][0]
    let detB = b[0][0] * b[1][1] - b[0][1] * b[1][0]
    let expected = 3 + 3.5 - 2 * (trAB + 2 * (detA * detB).squareRoot()).squareRoot()
    let generic = try FrechetDistance.betweenGaussians(gaussian([0, 0], a), gaussian([0, 0], b))
    #expect(abs(generic - expected) < 1e-12, "\(generic) vs \(expected)")
    let swapped = try FrechetDistance.betweenGaussians(gaussian([0, 0], b), gaussian([0, 0], a))
    #expect(abs(swapped - expected) < 1e-12)
  }

  @Test func sampleFIDApproachesClosedForm() throws {
    let n = 20_000
    let mu1: [Double] = [0, 0, 0, 0]
    let mu2: [Double] = [1, -0.5, 0, 0.5]
    let l1: [[Double]] = [[1, 0, 0, 0], [0.5, 1, 0, 0], [0, 0.3, 0.8, 0], [0.2, 0, 0, 1.2]]
    let l2: [[Double]] = [[1.5, 0, 0, 0], [-0.4, 0.7, 0, 0], [0, 0, 1, 0], [0.3, 0.3, 0.3, 0.6]]
    var rng = SeededGenerator(seed: 7)
    let x = metricsGaussianSamples(n, mean: mu1, factor: l1, &rng)
    let y = metricsGaussianSamples(n, mean: mu2, factor: l2, &rng)
    let c1 = metricsOuter(l1)
    let c2 = metricsOuter(l2)
    let exact = try FrechetDistance.betweenGaussians(gaussian(mu1, c1), gaussian(mu2, c2))
    let sample = try FrechetDistance.compute(real: x, generated: y)
    #expect(sample.warning == nil)
    // Tolerance from the Monte-Carlo error of the two terms at this N:
    // - mean term: x̄₁ − x̄₂ ~ N(Δμ, (C₁ + C₂)/N), so |x̄₁ − x̄₂|² has standard deviation
    //   ≈ 2·√(Δμᵀ(C₁ + C₂)Δμ / N) and bias tr(C₁ + C₂)/N;
    // - trace term: sample covariances have O(‖C‖·√(2/N)) entry-wise error, giving an error
    //   of order tr(C₁ + C₂)·√(2/N) (a loose bound: the first-order error of the trace term is
    //   much smaller when C₁ ≈ C₂).
    // Here that is 3 × (0.03 + 0.0005 + 0.09) ≈ 0.36, i.e. > 3σ; seeds 7–10 gave errors of
    // 0.021, 0.003, 0.004 and 0.064. A wrong trace term (e.g. tr√C₁·tr√C₂, a missing factor 2, a
    // non-symmetric root) is off by ≥ 1, so the test still has teeth.
    let dm = zip(mu1, mu2).map { $0 - $1 }
    var quad = 0.0
    for i in 0..<4 { for j in 0..<4 { quad += dm[i] * (c1[i][j] + c2[i][j]) * dm[j] } }
    let traceSum = (0..<4).reduce(0.0) { $0 + c1[$1][$1] + c2[$1][$1] }
    let tolerance =
      3 * (2 * (quad / Double(n)).squareRoot() + traceSum / Double(n) + traceSum * (2 / Double(n)).squareRoot())
    #expect(tolerance < 0.4, "the test would be too weak: tolerance \(tolerance)")
    #expect(abs(sample.value - exact) < tolerance, "sample FID \(sample.value) vs exact \(exact) ± \(tolerance)")
    #expect(abs(sample.meanTerm + sample.traceTerm - sample.value) < 1e-12)
  }

  @Test func identicalSetsGiveZero() throws {
    var rng = SeededGenerator(seed: 3)
    let l: [[Double]] = (0..<8).map { i in (0..<8).map { j in j <= i ? Double.random(in: -1..<1, using: &rng) : 0 } }
    let x = metricsGaussianSamples(200, mean: [Double](repeating: 2, count: 8), factor: l, &rng)
    let r = try FrechetDistance.compute(real: x, generated: x)
    #expect(abs(r.value) < 1e-9, "FID(x, x) = \(r.value)")
    #expect(r.meanTerm == 0)
  }

  @Test func isSymmetric() throws {
    var rng = SeededGenerator(seed: 4)
    let l1: [[Double]] = (0..<6).map { i in (0..<6).map { j in j <= i ? Double.random(in: -1..<1, using: &rng) : 0 } }
    let l2: [[Double]] = (0..<6).map { i in (0..<6).map { j in j <= i ? Double.random(in: -1..<1, using: &rng) : 0 } }
    let x = metricsGaussianSamples(300, mean: [Double](repeating: 0, count: 6), factor: l1, &rng)
    let y = metricsGaussianSamples(250, mean: [Double](repeating: 0.3, count: 6), factor: l2, &rng)
    let xy = try FrechetDistance.compute(real: x, generated: y).value
    let yx = try FrechetDistance.compute(real: y, generated: x).value
    #expect(xy > 0.1)
    #expect(abs(xy - yx) < 1e-9 * max(1, xy), "\(xy) vs \(yx)")
  }

  @Test func warnsWhenCovarianceIsRankDeficient() throws {
    var rng = SeededGenerator(seed: 5)
    let identity: [[Double]] = (0..<8).map { i in (0..<8).map { $0 == i ? 1 : 0 } }
    let few = metricsGaussianSamples(5, mean: [Double](repeating: 0, count: 8), factor: identity, &rng)
    let many = metricsGaussianSamples(50, mean: [Double](repeating: 0, count: 8), factor: identity, &rng)
    let r = try FrechetDistance.compute(real: many, generated: few)
    let warning = try #require(r.warning)
    #expect(warning.contains("generated set has N = 5"), "\(warning)")
    #expect(warning.contains("D + 1 = 9"), "\(warning)")
    #expect(!warning.contains("real set"), "\(warning)")
    #expect(r.value.isFinite)
    #expect(try FrechetDistance.compute(real: many, generated: many).warning == nil)
    // Exactly N = D + 1 is full rank (generically): no warning.
    let nine = Array(many.prefix(9))
    #expect(try FrechetDistance.compute(real: nine, generated: many).warning == nil)
  }

  @Test func inputFormsAgree() throws {
    let rowsF: [[Float]] = [[0, 1, 2], [1, 0, 1], [2, 2, 0], [0.5, 1.5, 1], [3, 1, 1]]
    let rowsG: [[Float]] = [[1, 1, 1], [0, 2, 1], [2, 0, 0], [1, 1, 3]]
    let fromFloats = try FrechetDistance.compute(real: rowsF, generated: rowsG)
    let fromDoubles = try FrechetDistance.compute(
      real: rowsF.map { $0.map(Double.init) }, generated: rowsG.map { $0.map(Double.init) })
    let fromTensors = try FrechetDistance.compute(
      real: Tensor(shape: [5, 3], rowsF.flatMap { $0 }), generated: Tensor(shape: [4, 3], rowsG.flatMap { $0 }))
    #expect(fromFloats == fromDoubles)
    #expect(fromFloats == fromTensors)
  }

  /// A diverged generator's NaN samples give NaN statistics: an error, not the eigensolver's trap.
  @Test func nonFiniteStatisticsAreAnError() throws {
    let real = try gaussian([0, 0], [[1, 0], [0, 1]])
    let diverged = try gaussian([.nan, 0], [[.nan, 0], [0, 1]])
    #expect(throws: MetricError(metric: "FID", "the second set's features are not finite (NaN or infinity): its samples hold non-finite values")) {
      try FrechetDistance.betweenGaussians(real, diverged)
    }
    let generated: [[Double]] = [[.infinity, 1], [1, 0], [2, 2]]
    #expect(throws: MetricError.self) { try FrechetDistance.compute(real: [[0, 1], [1, 0], [2, 2]], generated: generated) }
  }

  @Test func rejectsBadInput() throws {
    let a: [[Double]] = [[0, 1], [1, 0], [2, 2]]
    let b: [[Double]] = [[0, 1, 2], [1, 0, 1], [2, 2, 2]]
    #expect(throws: MetricError.self) { try FrechetDistance.compute(real: a, generated: b) }
    do {
      _ = try FrechetDistance.compute(real: a, generated: b)
    } catch let e as MetricError {
      #expect(e.metric == "FID")
      #expect(e.description.contains("same dimension D, got 2 and 3"), "\(e)")
    }
    #expect(throws: MetricError.self) { try FrechetDistance.compute(real: a, generated: [[Double]]()) }
    #expect(throws: MetricError.self) { try FrechetDistance.compute(real: a, generated: [[1.0, 2.0]]) }
    #expect(throws: MetricError.self) { try FrechetDistance.compute(real: a, generated: [[1.0, 2.0], [1.0]]) }
    #expect(throws: MetricError.self) {
      try FrechetDistance.compute(
        real: Tensor(shape: [2, 2, 1], [1, 2, 3, 4]), generated: Tensor(shape: [2, 2], [1, 2, 3, 4]))
    }
  }
}
