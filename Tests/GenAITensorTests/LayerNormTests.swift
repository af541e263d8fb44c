import Testing

@testable import GenAITensor

// The fused layer norm (`layerNormalized`) against the same normalisation built from recorded
// ops, forward and backward, on every kernel path, at a size the finite-difference catalogue
// cannot reach: rows of 130 values (full vectors of every width plus a tail) and 70 rows (two
// full blocks of the weight gradient's 32 rows and a partial one).

@Suite struct LayerNormTests {
  /// Value and gradients of `Σ (layerNorm(x) ⊙ probe)` for the fused op or the composed one.
  static func run(fused: Bool, _ x: Tensor, _ w: Tensor, _ b: Tensor, probe: Tensor) throws
    -> (y: [Float], dx: [Float], dw: [Float], db: [Float])
  {
    let (xl, wl, bl) = (x.detached().requiringGrad(), w.detached().requiringGrad(), b.detached().requiringGrad())
    let y =
      fused
      ? xl.layerNormalized(epsilon: 1e-5, weight: wl, bias: bl)
      : xl.normalized(overAxes: [xl.rank - 1], epsilon: 1e-5).normalized * wl + bl
    try (y * probe).sum().backward()
    return (y.scalars, try #require(xl.grad).scalars, try #require(wl.grad).scalars, try #require(bl.grad).scalars)
  }

  @Test func fusedMatchesTheComposedOpsOnEveryPath() throws {
    var rng = SeededGenerator(seed: 11)
    let x = Tensor.randn([2, 35, 130], using: &rng) * 2 + 0.5
    let w = Tensor.randn([130], using: &rng), b = Tensor.randn([130], using: &rng)
    let probe = Tensor.randn([2, 35, 130], using: &rng)
    for path in KernelPath.supported {
      let fused = try withKernelPath(path) { try Self.run(fused: true, x, w, b, probe: probe) }
      let composed = try withKernelPath(path) { try Self.run(fused: false, x, w, b, probe: probe) }
      // float32 sums in another order: a few ulp of values of order 1 to 10; the weight and bias
      // gradients are sums over 70 rows.
      for (name, a, e, tolerance) in [
        ("y", fused.y, composed.y, Float(2e-5)), ("dx", fused.dx, composed.dx, 2e-5),
        ("dw", fused.dw, composed.dw, 2e-4), ("db", fused.db, composed.db, 2e-4),
      ] {
        let worst = zip(a, e).map { Swift.abs($0 - $1) / Swift.max(1, Swift.abs($1)) }.max() ?? .infinity
        #expect(a.count == e.count && worst < tolerance, "\(path) \(name): worst relative difference \(worst)")
      }
    }
  }

  /// A constant row has variance 0: ε keeps it finite, the output is the bias, and the input's
  /// gradient is zero (the mean absorbs every change).
  @Test func constantRowGivesTheBias() throws {
    let x = Tensor.full([3, 20], 4).requiringGrad()
    let w = Tensor.full([20], 2), b = Tensor((0..<20).map { Float($0) })
    let y = x.layerNormalized(weight: w, bias: b)
    #expect(y.scalars == Array(repeating: b.scalars, count: 3).flatMap { $0 })
    try y.sum().backward()
    #expect(try #require(x.grad).scalars.allSatisfy { $0 == 0 })
  }
}
