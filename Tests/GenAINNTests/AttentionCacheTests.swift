import Foundation
import Testing

@testable import GenAINN
@testable import GenAITensor

// Decoding attention over a preallocated `KVBuffer`: the same function as the recorded causal
// pass, fed in any pieces, writing keys and values in place.

private func largestDifference(_ a: Tensor, _ b: Tensor) -> Float {
  #expect(a.shape == b.shape)
  return zip(a.scalars, b.scalars).map { Swift.abs($0 - $1) }.max() ?? 0
}

@Suite struct AttentionCacheTests {
  /// Pieces of any size through the buffer give the full causal pass (float32 rounding: the
  /// decode sums run in another order, so 1e-5 on values of order 1).
  @Test(arguments: [[1, 1, 1, 1, 1, 1, 1], [3, 1, 3], [2, 5], [7]])
  func bufferGivesTheFullCausalPass(chunks: [Int]) {
    var rng = SeededGenerator(seed: 5)
    // Head size 12: not a multiple of the 16 or 8 lanes, so the kernels' tails run too.
    let attn = MultiHeadSelfAttention(embedDim: 24, heads: 2, dropout: 0.3, using: &rng)
    attn.eval()
    let x = Tensor.randn([2, 7, 24], using: &rng)
    let full = withNoGrad { attn(x) }
    let buffer = KVBuffer(for: attn, batchSize: 2, capacity: 9)
    var pieces: [Tensor] = []
    var t = 0
    for n in chunks {
      pieces.append(attn(x.slice(axis: 1, t..<(t + n)), cache: buffer))
      t += n
      #expect(buffer.count == t)
    }
    #expect(largestDifference(Tensor.concatenate(pieces, axis: 1), full) < 1e-5)
    // The keys were written in place, batch row by batch row and head by head.
    var cache: KVCache? = nil
    _ = withNoGrad { attn(x, cache: &cache) }
    let cached = try! #require(cache)
    #expect(largestDifference(buffer.keys.slice(axis: 2, 0..<7), cached.keys) < 1e-5)
    #expect(largestDifference(buffer.values.slice(axis: 2, 0..<7), cached.values) < 1e-5)
  }

  /// On every kernel path this CPU has, one row at a time agrees with the full pass.
  @Test func everyKernelPathAgrees() {
    var rng = SeededGenerator(seed: 7)
    let attn = MultiHeadSelfAttention(embedDim: 40, heads: 2, using: &rng)
    let x = Tensor.randn([1, 5, 40], using: &rng)
    let full = withNoGrad { attn(x) }
    for path in KernelPath.supported {
      let buffer = KVBuffer(for: attn, capacity: 5)
      let pieces = withKernelPath(path) { (0..<5).map { attn(x.slice(axis: 1, $0..<($0 + 1)), cache: buffer) } }
      #expect(largestDifference(Tensor.concatenate(pieces, axis: 1), full) < 1e-5, "\(path)")
    }
  }

  /// `lastOnly` gives each batch row's last position of the full pass, and still caches every
  /// position's keys and values.
  @Test func lastOnlyAnswersTheLastPosition() {
    var rng = SeededGenerator(seed: 9)
    let attn = MultiHeadSelfAttention(embedDim: 24, heads: 2, using: &rng)
    let x = Tensor.randn([2, 6, 24], using: &rng)
    let full = withNoGrad { attn(x) }
    let buffer = KVBuffer(for: attn, batchSize: 2, capacity: 8)
    _ = attn(x.slice(axis: 1, 0..<2), cache: buffer)
    let y = Tensor.zeros([2, 1, 24])
    let rest = x.slice(axis: 1, 2..<6)
    withExtendedLifetime(rest) { attn.decode(rest.storage.base, rows: 4, cache: buffer, into: y.storage.base, lastOnly: true) }
    #expect(buffer.count == 6)
    #expect(largestDifference(y, full.slice(axis: 1, 5..<6)) < 1e-5)
    let next = Tensor.randn([2, 1, 24], using: &rng)
    let whole = withNoGrad { attn(Tensor.concatenate([x, next], axis: 1)) }
    #expect(largestDifference(attn(next, cache: buffer), whole.slice(axis: 1, 6..<7)) < 1e-5)
  }

  @Test func resetStartsAgainInTheSameMemory() {
    var rng = SeededGenerator(seed: 8)
    let attn = MultiHeadSelfAttention(embedDim: 8, heads: 2, using: &rng)
    let x = Tensor.randn([1, 3, 8], using: &rng)
    let buffer = KVBuffer(for: attn, capacity: 3)
    let first = attn(x, cache: buffer)
    let keys = buffer.keys.storage.base
    buffer.reset()
    #expect(buffer.count == 0)
    #expect(largestDifference(attn(x, cache: buffer), first) == 0)
    #expect(buffer.keys.storage.base == keys)
  }
}
