import GenAITestSupport
import Testing

@testable import GenAITensor

/// The engine's pieces of data-parallel training: per-process rows of random draws, the
/// cross-process sum, and the gradient hook after `backward()`.
@Suite struct CollectiveTests {
  /// Each process's rows of a sharded draw, stacked, are exactly one process's draw of the
  /// whole batch, and every process's generator ends in the same state.
  @Test func shardedDrawsAddUpToTheWholeDraw() throws {
    var whole = SeededGenerator(seed: 11)
    let normal = Tensor.randn([6, 3], using: &whole)
    let uniform = Tensor.uniform([6, 2], using: &whole)
    var parts: [(Tensor, Tensor)] = []
    var states: [SeededGenerator] = []
    for index in 0..<3 {
      var g = SeededGenerator(seed: 11)
      let shard = BatchShard(index: index, count: 3)
      parts.append((Tensor.randn(rowsOf: shard, [2, 3], using: &g), Tensor.uniform(rowsOf: shard, [2, 2], using: &g)))
      states.append(g)
    }
    #expect(Tensor.concatenate(parts.map(\.0), axis: 0).scalars == normal.scalars)
    #expect(Tensor.concatenate(parts.map(\.1), axis: 0).scalars == uniform.scalars)
    #expect(states.allSatisfy { $0 == whole })
  }

  /// Sharded dropout along axis 1 (a recurrent layer's `[T, B, H]`) keeps each process's
  /// columns of the whole batch's mask.
  @Test func shardedDropoutAlongTheBatchAxis() throws {
    let x = Tensor.ones([3, 4, 5])
    var whole = SeededGenerator(seed: 2)
    let expected = x.dropout(p: 0.5, using: &whole)
    let parts = (0..<2).map { index -> Tensor in
      var g = SeededGenerator(seed: 2)
      return Tensor.ones([3, 2, 5]).dropout(p: 0.5, rowsOf: BatchShard(index: index, count: 2), batchAxis: 1, using: &g)
    }
    #expect(Tensor.concatenate(parts, axis: 1).scalars == expected.scalars)
  }

  /// `allSum` over three identical members triples the values (its gradient case is in
  /// GradCheckTests).
  @Test func allSumOverReplicas() {
    let x = Tensor([1, -2, 3.5])
    #expect(x.allSum(over: ReplicaGroup(size: 3)).scalars == [3, -6, 10.5])
  }

  /// The reducer sees every leaf of a backward pass once, after accumulation, and not under
  /// `createGraph` or outside `GradientReduction.with`.
  @Test func gradientReductionSeesTheLeavesOfEachBackwardPass() throws {
    let a = Tensor([1, 2]).requiringGrad()
    let b = Tensor([3]).requiringGrad()
    nonisolated(unsafe) var seen: [[Float]] = []
    try GradientReduction.with({ leaves in
      seen.append(leaves.flatMap { $0.grad?.scalars ?? [] }.sorted())
      for leaf in leaves { leaf.grad = leaf.grad.map { $0 * 2 } }
    }) {
      try ((a * b).sum()).backward()
    }
    #expect(seen == [[3, 3, 3]])  // da = (b, b) = (3, 3), db = a₁ + a₂ = 3
    #expect(a.grad?.scalars == [6, 6])
    #expect(b.grad?.scalars == [6])
    a.zeroGrad()
    try ((a * b).sum()).backward()  // outside: no reducer
    #expect(a.grad?.scalars == [3, 3])
  }
}
