import Testing

@testable import GenAITensor

// Bernoulli masks (dropout) come from a counter-based hash of each element's index under one
// draw from the generator: checked here against that definition written out in Swift, on every
// path, at a size the pool splits into pieces (and with a tail shorter than a vector).

/// Element `i`'s 32 random bits under `key`: murmur3's finaliser twice (`genai_bernoulli`).
private func counterHash(_ key: UInt64, _ i: UInt32) -> UInt32 {
  func fmix(_ x: UInt32) -> UInt32 {
    var h = x
    h ^= h >> 16
    h = h &* 0x85EB_CA6B
    h ^= h >> 13
    h = h &* 0xC2B2_AE35
    return h ^ (h >> 16)
  }
  return fmix(fmix((i &* 0x9E37_79B9) ^ UInt32(truncatingIfNeeded: key)) ^ UInt32(truncatingIfNeeded: key >> 32))
}

@Suite struct RandomMaskTests {
  @Test func bernoulliIsTheCounterHashOnEveryPath() throws {
    let count = 2 * Kernels.grain + 37
    for path in KernelPath.supported {
      var rng = SeededGenerator(seed: 17)
      var keys = SeededGenerator(seed: 17)
      let key = keys.next()
      let mask = withKernelPath(path) { Tensor.bernoulli([count], p: 0.3, value: 2.5, using: &rng) }.scalars
      let threshold = UInt32((0.3 * 16_777_216).rounded(.up))
      let expected = (0..<count).map { counterHash(key, UInt32($0)) >> 8 < threshold ? Float(2.5) : 0 }
      let firstDifference = mask.count == count ? mask.indices.first { mask[$0] != expected[$0] } : 0
      #expect(mask.count == count && firstDifference == nil, "\(path): first differing element \(firstDifference ?? -1)")
      // The generator moved on by exactly one draw.
      #expect(rng == keys, "\(path)")
    }
  }

  @Test func bernoulliHasTheRightRateAndNoNeighbourCorrelation() {
    var rng = SeededGenerator(seed: 3)
    for p in [Float(0.1), 0.5, 0.7] {
      let m = Tensor.bernoulli([200_000], p: p, using: &rng).scalars
      let rate = Double(m.reduce(0, +)) / Double(m.count)
      // Neighbours (the lanes of one vector, consecutive indices) both kept about p² of the time.
      let pairs = Double(zip(m, m.dropFirst()).filter { $0 == 1 && $1 == 1 }.count) / Double(m.count - 1)
      #expect(Swift.abs(rate - Double(p)) < 0.005, "p \(p): rate \(rate)")
      #expect(Swift.abs(pairs - Double(p * p)) < 0.005, "p \(p): both of a pair \(pairs)")
    }
  }
}
