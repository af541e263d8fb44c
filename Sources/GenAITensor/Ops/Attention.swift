import CGenAIKernels

/// Multi-head self-attention as one recorded op over the packed projections of a transformer
/// block. Recorded op by op it is a split, three permutes, two batched products, a mask, a
/// softmax and a permute back, each a full pass over memory; fused, each (batch, head) pair reads
/// its queries, keys and values in place and writes its output columns directly
/// (`genai_attention_forward`), and the backward pass is one kernel too.
///
/// Under `createGraph` the pullback re-runs the composite and differentiates that, so gradients
/// of gradients stay available.
extension Tensor {
  /// `softmax(q·kᵀ/√hd (+ causal mask))·v` for every head.
  ///
  /// - Parameters:
  ///   - qkv: `[B, T, 3C]`: queries, keys and values side by side (each `[B, T, C]`), each split
  ///     into `heads` heads of `hd = C / heads` consecutive columns (nanoGPT's `c_attn` output).
  ///   - heads: the number of heads; must divide C.
  ///   - causal: whether position `t` attends only to positions `≤ t`.
  /// - Returns: `[B, T, C]`, the heads' outputs side by side.
  /// - Precondition: the shapes above.
  public static func selfAttention(packed qkv: Tensor, heads: Int, causal: Bool) -> Tensor {
    require(qkv.rank == 3 && heads > 0 && qkv.shape[2] % (3 * heads) == 0,
      "[selfAttention] needs packed projections [B, T, 3C] with C a multiple of \(heads) heads, got \(shapeString(qkv.shape))")
    let (B, T, C) = (qkv.shape[0], qkv.shape[1], qkv.shape[2] / 3)
    let hd = C / heads
    var shape = genai_attention_shape(
      b: B, t: T, heads: heads, hd: hd, scale: 1 / Float(hd).squareRoot(), causal: causal ? 1 : 0)
    let out = Storage(uninitializedCount: B * T * C)
    let probs = Storage(uninitializedCount: B * heads * T * T)  // saved for the backward pass
    let path = genai_path_active()
    withUnsafePointer(to: &shape) { s in
      parallelFor(B * heads, grain: 1) { pairs in
        genai_attention_forward(path, s, qkv.storage.base, out.base, probs.base, pairs.lowerBound, pairs.upperBound)
      }
    }
    return record(.attention, shape: [B, T, C], storage: out, inputs: [qkv]) { g, _, xs in
      if GradMode.isEnabled {
        return selfAttentionComposite(xs[0], heads: heads, causal: causal).gradients(of: xs, cotangent: g)
      }
      let dqkv = Storage(uninitializedCount: xs[0].count)
      let path = genai_path_active()
      withUnsafePointer(to: &shape) { s in
        parallelFor(B * heads, grain: 1) { pairs in
          genai_attention_backward(
            path, s, xs[0].storage.base, probs.base, g.storage.base, dqkv.base, pairs.lowerBound, pairs.upperBound)
        }
      }
      return [Tensor(shape: xs[0].shape, storage: dqkv)]
    }
  }

  /// The same attention as recorded ops (for `createGraph`, and the reference in tests).
  static func selfAttentionComposite(_ qkv: Tensor, heads: Int, causal: Bool) -> Tensor {
    let (B, T, C) = (qkv.shape[0], qkv.shape[1], qkv.shape[2] / 3)
    let hd = C / heads
    let qkvHeads = qkv.split(parts: 3, axis: 2).map { $0.reshaped([B, T, heads, hd]).permuted([0, 2, 1, 3]) }
    var scores = qkvHeads[0].matmul(qkvHeads[1], transposeB: true) * (1 / Float(hd).squareRoot())
    if causal && T > 1 {
      let mask = Tensor.zeros([T, T])
      mask.withUnsafeMutableBufferPointer { m in for i in 0..<T { for j in 0...i { m[i * T + j] = 1 } } }
      scores = Tensor.select(mask, scores, Tensor(-.infinity))
    }
    return scores.softmax(axis: -1).matmul(qkvHeads[2]).permuted([0, 2, 1, 3]).reshaped([B, T, C])
  }
}
