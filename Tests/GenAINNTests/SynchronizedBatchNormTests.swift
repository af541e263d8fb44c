import GenAITensor
import GenAITestSupport
import Testing

@testable import GenAINN

/// Synchronised batch norm (data-parallel training): with N members that all hold the same
/// shard, the global statistics are the local ones, so output, running statistics and every
/// gradient must equal plain batch norm's; this checks the composed, all-reduced path against
/// the fused one.
@Suite struct SynchronizedBatchNormTests {
  /// Both image layouts (the channel axis is 1 or 3; the images are the same).
  @Test(arguments: ConvLayout.allCases) func replicasNormaliseAsOneProcess(layout: ConvLayout) throws {
    var g = SeededGenerator(seed: 3)
    let shape = layout == .channelsFirst ? [4, 3, 5, 5] : [4, 5, 5, 3]
    let x = Tensor.randn(shape, using: &g)
    let upstream = Tensor.randn(shape, using: &g)
    func run(_ group: (any Collective)?) throws -> (y: [Float], dx: [Float], dWeight: [Float], dBias: [Float], running: [Float]) {
      let bn = BatchNorm2d(featureCount: 3, layout: layout)
      bn.synchronizeBatchNorm(over: group)
      let input = x.copy().requiringGrad()
      let y = bn(input)
      try (y * upstream).sum().backward()
      return (y.scalars, input.grad!.scalars, bn.weight!.grad!.scalars, bn.bias!.grad!.scalars,
              bn.runningMean!.scalars + bn.runningVar!.scalars)
    }
    let plain = try run(nil)
    let synced = try run(ReplicaGroup(size: 4))
    // Two summation orders (fused float64 statistics against recorded float32 ops): 1e-4.
    for (name, a, b) in [("y", plain.y, synced.y), ("dx", plain.dx, synced.dx), ("dWeight", plain.dWeight, synced.dWeight),
                         ("dBias", plain.dBias, synced.dBias)] {
      let worst = zip(a, b).map { abs($0 - $1) }.max() ?? 0
      #expect(worst < 1e-4, "\(name) differs by \(worst)")
    }
    // The running variance takes the unbiased correction over the global count (4× the local).
    let n = Float(4 * 5 * 5)
    let local = plain.running.suffix(3).map { ($0 - 0.9) / 0.1 * (n - 1) / n }
    let global = synced.running.suffix(3).map { ($0 - 0.9) / 0.1 * (4 * n - 1) / (4 * n) }
    for (a, b) in zip(local, global) { #expect(abs(a - b) < 1e-4) }
  }
}
