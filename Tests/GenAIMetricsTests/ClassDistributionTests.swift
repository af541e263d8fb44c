import Foundation
import GenAITensor
import Testing
@testable import GenAIMetrics

@Suite struct ClassDistributionTests {
  /// Confident, balanced predictions score K; identical uniform predictions score 1.
  @Test func inceptionScoreBounds() throws {
    let k = 4
    let confident = (0..<40).map { i in (0..<k).map { $0 == i % k ? 1.0 : 0.0 } }
    let score = try ClassDistribution.inceptionScore(probabilities: confident, splits: 2)
    #expect(abs(score.mean - Double(k)) < 1e-9)
    #expect(score.std < 1e-9)
    let uniform = Array(repeating: Array(repeating: 0.25, count: k), count: 40)
    #expect(abs(try ClassDistribution.inceptionScore(probabilities: uniform).mean - 1) < 1e-9)
    // All samples confidently one class: no diversity, score 1.
    let collapsed = Array(repeating: [1.0, 0, 0, 0], count: 40)
    #expect(abs(try ClassDistribution.inceptionScore(probabilities: collapsed).mean - 1) < 1e-9)
    #expect(throws: MetricError.self) { try ClassDistribution.inceptionScore(probabilities: confident, splits: 50) }
  }

  /// Coverage and entropy of balanced, partial and collapsed predictions.
  @Test func coverageAndEntropy() {
    let balanced = ClassDistribution.histogram(Array(0..<100).map { $0 % 10 }, classCount: 10)
    #expect(ClassDistribution.coverage(balanced) == 1)
    #expect(abs(ClassDistribution.entropyBits(balanced) - log2(10)) < 1e-9)
    let three = ClassDistribution.histogram(Array(0..<90).map { $0 % 3 }, classCount: 10)
    #expect(abs(ClassDistribution.coverage(three) - 0.3) < 1e-12)
    #expect(abs(ClassDistribution.entropyBits(three) - log2(3)) < 1e-9)
    let one = ClassDistribution.histogram(Array(repeating: 7, count: 50), classCount: 10)
    #expect(ClassDistribution.entropyBits(one) == 0)
  }

  /// Nearest distances through the matrix product agree with brute force.
  @Test func nearestNeighbourMatchesBruteForce() throws {
    var g = SeededGenerator(seed: 3)
    let q = Tensor.randn([7, 5], using: &g)
    let r = Tensor.randn([300, 5], using: &g)
    let fast = try NearestNeighbour.distances(from: q, to: r, chunk: 3)
    for i in 0..<7 {
      var best = Double.infinity
      for j in 0..<300 {
        let d = (0..<5).reduce(0.0) { acc, k in
          let diff = Double(q.scalars[i * 5 + k] - r.scalars[j * 5 + k])
          return acc + diff * diff
        }
        best = min(best, d.squareRoot())
      }
      #expect(abs(fast[i] - best) < 1e-4)
    }
    // A query equal to a reference is at distance ~0.
    #expect(try NearestNeighbour.distances(from: r.slice(axis: 0, 10..<11), to: r)[0] < 1e-3)
    #expect(throws: MetricError.self) { try NearestNeighbour.distances(from: q, to: Tensor.zeros([3, 4])) }
  }

  /// Silence and clipping shares on constructed clips.
  @Test func silentAndClippedClips() throws {
    let t = 100
    var values = [Float](repeating: 0, count: 4 * t)  // clip 0: silence
    for i in 0..<t { values[t + i] = 0.3 * Float(i % 2 == 0 ? 1 : -1) }  // clip 1: loud, clean
    for i in 0..<t { values[2 * t + i] = i < 20 ? 1 : 0.2 }  // clip 2: 20 samples at full scale
    for i in 0..<t { values[3 * t + i] = i < 5 ? 1 : 0.2 }  // clip 3: only 5 at full scale
    let shares = AudioMetrics.silentAndClipped(try Tensor(shape: [4, t], values))
    #expect(shares.silent == 0.25)
    #expect(shares.clipped == 0.25)
  }
}
