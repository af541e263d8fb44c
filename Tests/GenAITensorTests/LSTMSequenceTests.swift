import Testing

@testable import GenAITensor

// The fused LSTM layer (`lstmSequence`) against the same layer built from recorded per-step ops,
// at a size the finite-difference catalogue cannot reach: 8 rows of H = 512, so each step's cell
// kernel runs in two row chunks on a pool of two or more threads (chunks of at least 8192 / 4H
// rows), and each chunk also copies in its rows of the next step's inputs.

@Suite struct LSTMSequenceTests {
  /// Value and gradients of `Σ (lstmSequence(...) ⊙ probe)` for the fused op or the composite.
  static func run(fused: Bool, _ inputs: [Tensor], probe: Tensor) throws -> [[Float]] {
    let xs = inputs.map { $0.detached().requiringGrad() }
    let y =
      fused
      ? Tensor.lstmSequence(projected: xs[0], weightHH: xs[1], h0: xs[2], c0: xs[3])
      : Tensor.lstmSequenceComposite(xs[0], xs[1], xs[2], xs[3])
    try (y * probe).sum().backward()
    return try [y.scalars] + xs.map { try #require($0.grad).scalars }
  }

  @Test func fusedMatchesTheCompositeAcrossRowChunksOnEveryPath() throws {
    var rng = SeededGenerator(seed: 5)
    let (T, B, H) = (4, 8, 512)
    let inputs = [
      Tensor.randn([T, B, 4 * H], using: &rng), Tensor.randn([4 * H, H], std: 0.05, using: &rng),
      Tensor.randn([B, H], using: &rng), Tensor.randn([B, H], using: &rng),
    ]
    let probe = Tensor.randn([T + 1, B, H], using: &rng)
    for path in KernelPath.supported {
      let fused = try withKernelPath(path) { try Self.run(fused: true, inputs, probe: probe) }
      let composite = try withKernelPath(path) { try Self.run(fused: false, inputs, probe: probe) }
      // float32 products of 512 and 2048 terms summed in another order, through 4 steps.
      for (k, name) in ["y", "dprojected", "dweightHH", "dh0", "dc0"].enumerated() {
        let (a, e) = (fused[k], composite[k])
        let worst = zip(a, e).map { Swift.abs($0 - $1) / Swift.max(1, Swift.abs($1)) }.max() ?? .infinity
        #expect(a.count == e.count && worst < 1e-4, "\(path) \(name): worst relative difference \(worst)")
      }
    }
  }
}
