import Foundation
import GenAITestSupport
import Testing

@testable import GenAINN
@testable import GenAITensor

// Multi-head self-attention: shapes and names, a naive per-head computation in Double,
// causality, the key/value cache, and gradients by finite differences.

private func largestDifference(_ a: Tensor, _ b: Tensor) -> Float {
  #expect(a.shape == b.shape)
  return zip(a.scalars, b.scalars).map { Swift.abs($0 - $1) }.max() ?? 0
}

/// nanoGPT's attention written out with loops in Double, for `x` `[B, T, C]`.
private func naiveAttention(_ m: MultiHeadSelfAttention, _ x: Tensor) -> [Float] {
  let (B, T, C) = (x.shape[0], x.shape[1], x.shape[2])
  let (nh, hd) = (m.heads, m.headDim)
  let xs = x.scalars.map(Double.init)
  func linear(_ l: Linear, _ v: ArraySlice<Double>) -> [Double] {
    let (w, b) = (l.weight.scalars, l.bias?.scalars)
    let (rows, cols) = (l.weight.shape[0], l.weight.shape[1])
    return (0..<rows).map { r in
      (0..<cols).reduce(Double(b?[r] ?? 0)) { $0 + Double(w[r * cols + $1]) * v[v.startIndex + $1] }
    }
  }
  var out: [Float] = []
  for b in 0..<B {
    let qkv = (0..<T).map { t in linear(m.c_attn, xs[(b * T + t) * C..<(b * T + t + 1) * C]) }
    var merged = [[Double]](repeating: [Double](repeating: 0, count: C), count: T)
    for h in 0..<nh {
      let q = { (t: Int, d: Int) in qkv[t][h * hd + d] }
      let k = { (t: Int, d: Int) in qkv[t][C + h * hd + d] }
      let v = { (t: Int, d: Int) in qkv[t][2 * C + h * hd + d] }
      for i in 0..<T {
        let visible = m.causal ? 0...i : 0...(T - 1)
        let scores = visible.map { j in (0..<hd).reduce(0.0) { $0 + q(i, $1) * k(j, $1) } / Double(hd).squareRoot() }
        let top = scores.max() ?? 0
        let e = scores.map { Foundation.exp($0 - top) }
        let z = e.reduce(0, +)
        for d in 0..<hd {
          merged[i][h * hd + d] = zip(visible, e).reduce(0.0) { $0 + $1.1 / z * v($1.0, d) }
        }
      }
    }
    for t in 0..<T { out += linear(m.c_proj, merged[t][...]).map(Float.init) }
  }
  return out
}

@Suite struct AttentionTests {
  @Test func shapesAndNames() {
    var rng = SeededGenerator(seed: 1)
    let attn = MultiHeadSelfAttention(embedDim: 8, heads: 2, using: &rng)
    #expect(attn(Tensor.randn([2, 5, 8], using: &rng)).shape == [2, 5, 8])
    #expect(attn.namedParameters().map(\.0) == ["c_attn.weight", "c_attn.bias", "c_proj.weight", "c_proj.bias"])
    #expect(attn.namedParameters().map(\.1.shape) == [[24, 8], [24], [8, 8], [8]])
    #expect(attn.namedRandomSources().map(\.0) == ["randomSource"])
    let noBias = MultiHeadSelfAttention(embedDim: 8, heads: 4, bias: false, using: &rng)
    #expect(noBias.parameterCount() == 24 * 8 + 8 * 8)
    var cache: KVCache? = nil
    _ = attn(Tensor.randn([2, 3, 8], using: &rng), cache: &cache)
    #expect(cache?.keys.shape == [2, 2, 3, 4] && cache?.values.shape == [2, 2, 3, 4])
    _ = attn(Tensor.randn([2, 1, 8], using: &rng), cache: &cache)
    #expect(cache?.count == 4)
  }

  @Test(arguments: [true, false])
  func matchesNaivePerHeadComputation(causal: Bool) {
    var rng = SeededGenerator(seed: causal ? 2 : 3)
    let attn = MultiHeadSelfAttention(embedDim: 6, heads: 3, causal: causal, using: &rng)
    let x = Tensor.randn([2, 4, 6], using: &rng)
    let expected = GradCheck.tensor([2, 4, 6], naiveAttention(attn, x))
    #expect(largestDifference(attn(x), expected) < 1e-5)
  }

  @Test func causalOutputsIgnoreLaterTokens() {
    var rng = SeededGenerator(seed: 4)
    let attn = MultiHeadSelfAttention(embedDim: 8, heads: 2, using: &rng)
    let (B, T, C) = (2, 6, 8)
    let x = Tensor.randn([B, T, C], using: &rng)
    let y = attn(x)
    for t0 in 1..<T {
      // Replace positions t0... with other values.
      let changed = Tensor.concatenate([x.slice(axis: 1, 0..<t0), Tensor.randn([B, T - t0, C], using: &rng)], axis: 1)
      let y2 = attn(changed)
      #expect(largestDifference(y.slice(axis: 1, 0..<t0), y2.slice(axis: 1, 0..<t0)) == 0)
      #expect(largestDifference(y.slice(axis: 1, t0..<T), y2.slice(axis: 1, t0..<T)) > 1e-3)
    }
    // Without the mask, earlier positions do see later ones.
    let open = MultiHeadSelfAttention(embedDim: 8, heads: 2, causal: false, using: &rng)
    let changed = Tensor.concatenate([x.slice(axis: 1, 0..<5), Tensor.randn([B, 1, C], using: &rng)], axis: 1)
    #expect(largestDifference(open(x).slice(axis: 1, 0..<1), open(changed).slice(axis: 1, 0..<1)) > 1e-4)
  }

  @Test(arguments: [[1, 1, 1, 1, 1, 1], [3, 1, 2], [2, 4], [6]])
  func cacheGivesTheFullCausalPass(chunks: [Int]) {
    var rng = SeededGenerator(seed: 5)
    let attn = MultiHeadSelfAttention(embedDim: 8, heads: 2, dropout: 0.3, using: &rng)
    attn.eval()
    let x = Tensor.randn([2, 6, 8], using: &rng)
    let full = attn(x)
    var cache: KVCache? = nil
    var pieces: [Tensor] = []
    var t = 0
    withNoGrad {
      for n in chunks {
        pieces.append(attn(x.slice(axis: 1, t..<(t + n)), cache: &cache))
        t += n
        #expect(cache?.count == t)
      }
    }
    #expect(largestDifference(Tensor.concatenate(pieces, axis: 1), full) < 1e-5)
  }

  @Test func dropoutOnlyInTraining() {
    var rng = SeededGenerator(seed: 6)
    let attn = MultiHeadSelfAttention(embedDim: 8, heads: 2, dropout: 0.5, using: &rng)
    let x = Tensor.randn([1, 4, 8], using: &rng)
    let train = attn(x)
    attn.eval()
    let eval1 = attn(x)
    #expect(largestDifference(train, eval1) > 1e-4)
    #expect(largestDifference(eval1, attn(x)) == 0)
  }

  /// Gradients of the input through GradCheck's harness (the layer's weights held fixed).
  @Test(arguments: [true, false])
  func inputGradientsMatchFiniteDifferences(causal: Bool) throws {
    let c = GradCase("attention dx, B 2, T 3, C 4, 2 heads, causal \(causal)", nil, inputs: { g in
      [g.uniform([2, 3, 4], -1, 1)]
    }) { t in
      var rng = SeededGenerator(seed: 7)
      return MultiHeadSelfAttention(embedDim: 4, heads: 2, causal: causal, using: &rng)(t[0])
    }
    let report = try GradCheck.run(c)
    #expect(report.failures == 0 && report.checkedElements > 0)
  }

  /// Gradients of every parameter against central differences: the parameters are quantised and
  /// perturbed in place, and `L = Σ y · r` is summed in Double for a fixed random `r`.
  @Test func parameterGradientsMatchFiniteDifferences() throws {
    var rng = SeededGenerator(seed: 8)
    let attn = MultiHeadSelfAttention(embedDim: 4, heads: 2, using: &rng)
    let x = Tensor.randn([2, 3, 4], using: &rng)
    for (_, p) in attn.namedParameters() {
      p.withUnsafeMutableBufferPointer { b in for i in b.indices { b[i] = InputGenerator.quantised(b[i]) } }
    }
    let r = Tensor.randn([2, 3, 4], using: &rng)
    try attn(x).backward(cotangent: r)
    let rs = r.scalars.map(Double.init)
    func loss() -> Double { withNoGrad { GradCheck.contract(attn(x), rs) } }
    let h: Float = 0x1p-7
    var worst = 0.0
    for (name, p) in attn.namedParameters() {
      let grad = try #require(p.grad, "no gradient for \(name)").scalars
      for j in 0..<p.count {
        let x0 = p.scalars[j]
        func at(_ k: Float) -> Double {
          p.withUnsafeMutableBufferPointer { $0[j] = x0 + k * h }
          return loss()
        }
        let numeric = (-at(2) + 8 * at(1) - 8 * at(-1) + at(-2)) / (12 * Double(h))
        p.withUnsafeMutableBufferPointer { $0[j] = x0 }
        let ratio = Swift.abs(Double(grad[j]) - numeric) / (5e-4 + 5e-4 * Swift.abs(numeric))
        worst = Swift.max(worst, ratio)
        #expect(ratio <= 1, "\(name)[\(j)]: analytic \(grad[j]) vs numeric \(numeric)")
      }
    }
    #expect(worst > 0)
  }
}
