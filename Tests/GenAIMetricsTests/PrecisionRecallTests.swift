import Testing

@testable import GenAIMetrics
import GenAITensor

/// Improved precision/recall on constructed sets whose answers are known.
@Suite struct PrecisionRecallTests {
  /// `perMode` samples of N(centre, I) around each of `centres` (2-D), as rows.
  private func modes(_ centres: [[Double]], perMode: Int, seed: UInt64) -> [[Double]] {
    var rng = SeededGenerator(seed: seed)
    return centres.flatMap { c in (0..<perMode).map { _ in c.map { $0 + metricsNormal(&rng) } } }
  }

  private let centres: [[Double]] = [[0, 0], [50, 0], [0, 50], [50, 50]]

  @Test func handComputedOneDimensional() throws {
    // k = 1. Real {0, 1, 3}: radii 1, 1, 2. Generated {0.5, 5.5, 10, 11}: radii 5, 4.5, 1, 1.
    // Precision: only 0.5 lies in a real ball (|0.5 − 0| ≤ 1) → 1/4.
    // Recall: 0, 1, 3 all lie in the ball of 0.5 (radius 5) → 1.
    let r = try PrecisionRecall.compute(
      real: Features([[0.0], [1.0], [3.0]]), generated: Features([[0.5], [5.5], [10.0], [11.0]]), k: 1)
    #expect(r.precision == 0.25)
    #expect(r.recall == 1)
  }

  @Test func identicalSetsGiveOneOne() throws {
    let x = try Features(modes(centres, perMode: 50, seed: 1))
    let r = try PrecisionRecall.compute(real: x, generated: x)
    #expect(r.precision == 1)
    #expect(r.recall == 1)
  }

  @Test func halfTheModesGivesFullPrecisionHalfRecall() throws {
    let real = try Features(modes(centres, perMode: 100, seed: 2))
    // Exactly the real samples of two modes: every fake is a real sample (precision 1), and the
    // other two modes are 50 apart, far outside any generated radius (recall exactly 1/2).
    let copied = try Features(Array(modes(centres, perMode: 100, seed: 2).prefix(200)))
    let exact = try PrecisionRecall.compute(real: real, generated: copied)
    #expect(exact.precision == 1)
    #expect(exact.recall == 0.5)
    // Fresh samples of the same two modes: a few tail samples fall outside the k-NN balls.
    let fresh = try Features(modes(Array(centres.prefix(2)), perMode: 100, seed: 3))
    let r = try PrecisionRecall.compute(real: real, generated: fresh)
    #expect(r.precision >= 0.9, "precision \(r.precision)")
    #expect(r.recall >= 0.42 && r.recall <= 0.5, "recall \(r.recall)")
  }

  @Test func farAwaySetGivesZeroZero() throws {
    let real = try Features(modes(centres, perMode: 30, seed: 4))
    let far = try Features(modes([[1000, 1000]], perMode: 60, seed: 5))
    let r = try PrecisionRecall.compute(real: real, generated: far)
    #expect(r.precision == 0)
    #expect(r.recall == 0)
  }

  @Test func inputFormsAgree() throws {
    let a: [[Float]] = [[0, 0], [1, 0], [0, 1], [1, 1], [3, 3]]
    let b: [[Float]] = [[0.5, 0.5], [2, 2], [0, 2], [5, 5]]
    let fromRows = try PrecisionRecall.compute(real: a, generated: b, k: 2)
    let fromTensors = try PrecisionRecall.compute(
      real: Tensor(shape: [5, 2], a.flatMap { $0 }), generated: Tensor(shape: [4, 2], b.flatMap { $0 }), k: 2)
    #expect(fromRows == fromTensors)
  }

  @Test func rejectsBadInput() throws {
    let x = try Features([[0.0, 1.0], [1.0, 0.0], [2.0, 2.0], [3.0, 3.0]])
    let y = try Features([[0.0, 1.0, 2.0], [1.0, 0.0, 1.0]])
    #expect(throws: MetricError.self) { try PrecisionRecall.compute(real: x, generated: y) }
    #expect(throws: MetricError.self) { try PrecisionRecall.compute(real: x, generated: x, k: 0) }
    do {
      _ = try PrecisionRecall.compute(real: x, generated: Features([[1.0, 2.0], [2.0, 1.0], [0.0, 0.0]]))
      Issue.record("k = 3 with N = 3 should throw")
    } catch let e as MetricError {
      #expect(e.metric == "precision/recall")
      #expect(e.description.contains("generated set needs more than k = 3 samples"), "\(e)")
    }
    #expect(throws: MetricError.self) { try PrecisionRecall.compute(real: x, generated: Features([[Double]]())) }
  }
}
