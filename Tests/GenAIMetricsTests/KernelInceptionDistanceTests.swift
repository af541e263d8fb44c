import Testing

@testable import GenAIMetrics
import GenAITensor

/// KID: a hand-computed MMD², identical sets, growth with a mean shift, reproducibility, errors.
@Suite struct KernelInceptionDistanceTests {
  private func gaussianSet(_ n: Int, d: Int, shift: Double, seed: UInt64) throws -> Features {
    var rng = SeededGenerator(seed: seed)
    let identity: [[Double]] = (0..<d).map { i in (0..<d).map { $0 == i ? 1 : 0 } }
    return try Features(
      metricsGaussianSamples(n, mean: [Double](repeating: shift, count: d), factor: identity, &rng))
  }

  @Test func matchesHandComputedMMD() throws {
    // D = 1, k(a, b) = (ab + 1)³. X = {0, 1}, Y = {1, 2}:
    // Kxx off-diagonal mean = k(0,1) = 1; Kyy = k(1,2) = 27;
    // Kxy mean = (k(0,1) + k(0,2) + k(1,1) + k(1,2)) / 4 = (1 + 1 + 8 + 27) / 4 = 9.25.
    // MMD²ᵤ = 1 + 27 − 2·9.25 = 9.5, whatever order the subset sampler returns.
    let r = try KernelInceptionDistance.compute(
      real: Features([[0.0], [1.0]]), generated: Features([[1.0], [2.0]]), subsets: 3, subsetSize: 5)
    #expect(r.subsetSize == 2)
    #expect(r.subsetValues.count == 3)
    #expect(r.subsetValues.allSatisfy { abs($0 - 9.5) < 1e-12 }, "\(r.subsetValues)")
    #expect(abs(r.mean - 9.5) < 1e-12)
    #expect(r.standardDeviation < 1e-12)
  }

  @Test func sameDistributionGivesNearZero() throws {
    // Two independent samples of one distribution: MMD²ᵤ is unbiased, so the mean over subsets
    // is within the subsets' own spread of 0.
    let x = try gaussianSet(400, d: 8, shift: 0, seed: 11)
    let y = try gaussianSet(400, d: 8, shift: 0, seed: 12)
    let r = try KernelInceptionDistance.compute(real: x, generated: y, subsets: 20, subsetSize: 100)
    #expect(r.standardDeviation > 0)
    #expect(abs(r.mean) < r.standardDeviation, "mean \(r.mean), std \(r.standardDeviation)")
  }

  @Test func identicalSetsGiveNearZero() throws {
    // One set against itself: subsets drawn from the same pool share samples, and a shared
    // sample adds its large self-kernel k(x, x) to the cross term only, so the estimate is
    // slightly negative — but tiny next to a real difference (a 0.5 mean shift).
    let x = try gaussianSet(400, d: 8, shift: 0, seed: 11)
    let same = try KernelInceptionDistance.compute(real: x, generated: x, subsets: 20, subsetSize: 100)
    let shifted = try KernelInceptionDistance.compute(
      real: x, generated: gaussianSet(400, d: 8, shift: 0.5, seed: 13), subsets: 20, subsetSize: 100)
    #expect(abs(same.mean) < 0.1 * shifted.mean, "same \(same.mean), shifted \(shifted.mean)")
    // With the whole set in every subset the overlap is total: an exact, deterministic value.
    let whole = try KernelInceptionDistance.compute(real: x, generated: x, subsets: 2, subsetSize: 400)
    #expect(
      whole.subsetValues[0] == whole.subsetValues[1] || abs(whole.subsetValues[0] - whole.subsetValues[1]) < 1e-12)
    #expect(abs(whole.mean) < 0.1 * shifted.mean, "whole \(whole.mean), shifted \(shifted.mean)")
  }

  @Test func growsWithMeanShift() throws {
    let real = try gaussianSet(300, d: 8, shift: 0, seed: 21)
    var means: [Double] = []
    var baselineStd = 0.0
    for (i, shift) in [0.0, 0.25, 0.5, 1.0].enumerated() {
      let fake = try gaussianSet(300, d: 8, shift: shift, seed: 30 + UInt64(i))
      let r = try KernelInceptionDistance.compute(real: real, generated: fake, subsets: 10, subsetSize: 100)
      if i == 0 { baselineStd = r.standardDeviation }
      means.append(r.mean)
    }
    #expect(zip(means, means.dropFirst()).allSatisfy { $0 < $1 }, "\(means)")
    #expect(means[2] > means[0] + 3 * baselineStd, "\(means), baseline std \(baselineStd)")
  }

  @Test func seedMakesItReproducible() throws {
    let x = try gaussianSet(60, d: 4, shift: 0, seed: 41)
    let y = try gaussianSet(50, d: 4, shift: 0.5, seed: 42)
    let a = try KernelInceptionDistance.compute(real: x, generated: y, subsets: 4, subsetSize: 20, seed: 9)
    let b = try KernelInceptionDistance.compute(real: x, generated: y, subsets: 4, subsetSize: 20, seed: 9)
    var rng = SeededGenerator(seed: 9)
    let c = try KernelInceptionDistance.compute(real: x, generated: y, subsets: 4, subsetSize: 20, using: &rng)
    #expect(a == b)
    #expect(a == c)
    let d = try KernelInceptionDistance.compute(real: x, generated: y, subsets: 4, subsetSize: 20, seed: 10)
    #expect(a.subsetValues != d.subsetValues)
  }

  @Test func rejectsBadInput() throws {
    let x = try Features([[0.0, 1.0], [1.0, 0.0], [2.0, 2.0]])
    let y = try Features([[0.0, 1.0, 2.0], [1.0, 0.0, 1.0]])
    #expect(
      throws: MetricError(metric: "KID", "real and generated features must have the same dimension D, got 2 and 3")
    ) {
      try KernelInceptionDistance.compute(real: x, generated: y)
    }
    #expect(throws: MetricError.self) {
      try KernelInceptionDistance.compute(real: x, generated: Features([[1.0, 2.0]]))
    }
    #expect(throws: MetricError.self) { try KernelInceptionDistance.compute(real: x, generated: x, subsets: 0) }
    #expect(throws: MetricError.self) { try KernelInceptionDistance.compute(real: x, generated: x, subsetSize: 1) }
  }
}
