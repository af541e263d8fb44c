import GenAITensor

/// The keys and values of the positions an attention layer has already seen, so that sampling
/// feeds only the new tokens instead of the whole sequence again.
///
/// Both tensors are `[B, heads, Tcached, headDim]`. Start with `nil`: the first call stores the
/// prompt's keys and values, every later call appends its own. Sample inside `withNoGrad`, or
/// the cache keeps the whole recorded graph of every step alive.
public struct KVCache {
  /// Cached keys, `[B, heads, Tcached, headDim]`.
  public var keys: Tensor
  /// Cached values, `[B, heads, Tcached, headDim]`.
  public var values: Tensor

  /// A cache holding `keys` and `values`, each `[B, heads, Tcached, headDim]`.
  public init(keys: Tensor, values: Tensor) {
    require(keys.rank == 4 && keys.shape == values.shape,
      "[KVCache] keys and values must both be [B, heads, T, headDim], "
        + "got \(shapeString(keys.shape)) and \(shapeString(values.shape))")
    self.keys = keys
    self.values = values
  }

  /// `Tcached`, the number of positions cached.
  public var count: Int { keys.shape[2] }
}

/// Multi-head scaled dot-product self-attention in the style of nanoGPT's
/// `CausalSelfAttention`.
///
/// For input `x` `[B, T, C]` with `C = embedDim` split into `heads` heads of `headDim = C / heads`:
///
///     q, k, v = split(c_attn(x))                  each [B, heads, T, headDim]
///     a = softmax(q·kᵀ / √headDim + mask)          [B, heads, T, T]
///     y = c_proj(merge(a·v))                      [B, T, C]
///
/// With `causal`, position `t` attends to positions `≤ t` only. In training mode dropout is
/// applied to the attention weights `a` and to the output (nanoGPT's `attn_dropout` and
/// `resid_dropout`), drawn from `randomSource`. Parameter keys match nanoGPT's
/// (`c_attn.weight` `[3C, C]`, `c_attn.bias` `[3C]`, `c_proj.weight` `[C, C]`, `c_proj.bias`
/// `[C]`).
///
/// Sampling reuses earlier keys and values through a `KVCache`:
///
/// ```swift
/// var cache: KVCache? = nil
/// var y = attention(prompt, cache: &cache)    // prompt [B, T0, C]; cache now holds T0 positions
/// y = attention(next, cache: &cache)           // next [B, 1, C] attends to all T0 + 1 positions
/// ```
///
/// References: Vaswani et al., "Attention Is All You Need" (2017); Karpathy, nanoGPT `model.py`.
public final class MultiHeadSelfAttention: Module, UnaryLayer {
  /// `C`, the embedding size of input and output.
  public let embedDim: Int
  /// Number of heads.
  public let heads: Int
  /// Dropout probability on the attention weights and the output (training mode only).
  public let dropout: Float
  /// Whether each position attends only to itself and earlier positions.
  public let causal: Bool
  /// The query, key and value projection, `C → 3C` (queries first, then keys, then values).
  public let c_attn: Linear
  /// The output projection, `C → C`.
  public let c_proj: Linear
  /// The generator dropout draws from; a training checkpoint saves and restores it.
  public let randomSource: RandomSource

  /// `C / heads`, the size of each head.
  public var headDim: Int { embedDim / heads }

  /// A layer with PyTorch's default `Linear` initialisation.
  ///
  /// - Parameters:
  ///   - embedDim: `C`.
  ///   - heads: number of heads; must divide `embedDim`.
  ///   - dropout: dropout probability on attention weights and output, in `[0, 1)`.
  ///   - causal: whether to mask attention to later positions.
  ///   - bias: whether `c_attn` and `c_proj` have biases.
  ///   - randomSource: the dropout generator; by default one seeded from `generator`.
  ///   - generator: the source of the initial values.
  public init(
    embedDim: Int, heads: Int, dropout: Float = 0, causal: Bool = true, bias: Bool = true,
    randomSource: RandomSource? = nil, using generator: inout some RandomNumberGenerator
  ) {
    require(embedDim > 0 && heads > 0 && embedDim % heads == 0,
      "[MultiHeadSelfAttention] embedDim \(embedDim) must be a positive multiple of heads \(heads)")
    require(dropout >= 0 && dropout < 1, "[MultiHeadSelfAttention] dropout must be in [0, 1), got \(dropout)")
    self.embedDim = embedDim
    self.heads = heads
    self.dropout = dropout
    self.causal = causal
    c_attn = Linear(inputSize: embedDim, outputSize: 3 * embedDim, bias: bias, using: &generator)
    c_proj = Linear(inputSize: embedDim, outputSize: embedDim, bias: bias, using: &generator)
    self.randomSource = randomSource ?? RandomSource(seed: generator.next())
    super.init()
  }

  /// Attention over the whole sequence.
  /// - Parameter x: `[B, T, C]`.
  /// - Returns: `[B, T, C]`.
  public func callAsFunction(_ x: Tensor) -> Tensor {
    // Without dropout on the attention weights, one fused op does the heads' work in place.
    if !(isTraining && dropout > 0) {
      require(x.rank == 3 && x.shape[2] == embedDim,
        "[MultiHeadSelfAttention] input must be [B, T, \(embedDim)], got \(shapeString(x.shape))")
      return c_proj(Tensor.selfAttention(packed: c_attn(x), heads: heads, causal: causal))
    }
    return attend(x, cached: nil).output
  }

  /// Attention of the new positions `x` over the cached positions and themselves; appends the
  /// new keys and values to `cache`.
  ///
  /// New token `i` sits at position `Tcached + i`; with `causal` it attends to every cached
  /// position and to new tokens `0...i`. Feeding a sequence in pieces therefore gives the same
  /// outputs as one pass over the whole sequence.
  /// - Parameters:
  ///   - x: the new positions, `[B, T, C]`.
  ///   - cache: keys and values of earlier positions, `[B, heads, Tcached, headDim]`, or `nil`
  ///     for none; on return it also holds the new positions' (`Tcached + T` in all).
  /// - Returns: `[B, T, C]`, the output at the new positions.
  /// - Precondition: the cache's batch size, heads and head size match.
  public func callAsFunction(_ x: Tensor, cache: inout KVCache?) -> Tensor {
    let (y, updated) = attend(x, cached: cache)
    cache = updated
    return y
  }

  /// The attention computation; returns the output and the cache extended by `x`'s positions.
  private func attend(_ x: Tensor, cached: KVCache?) -> (output: Tensor, cache: KVCache) {
    let name = "MultiHeadSelfAttention"
    require(x.rank == 3 && x.shape[2] == embedDim, "[\(name)] input must be [B, T, \(embedDim)], got \(shapeString(x.shape))")
    let (B, T, C, hd) = (x.shape[0], x.shape[1], embedDim, headDim)
    // [B, T, 3C] -> three [B, T, C] -> [B, heads, T, hd]
    let qkv = c_attn(x).split(parts: 3, axis: 2).map {
      $0.reshaped([B, T, heads, hd]).permuted([0, 2, 1, 3])
    }
    var (k, v) = (qkv[1], qkv[2])
    let past = cached?.count ?? 0
    if let cached {
      require(cached.keys.shape == [B, heads, past, hd],
        "[\(name)] cache must be [\(B), \(heads), Tcached, \(hd)], got \(shapeString(cached.keys.shape))")
      k = Tensor.concatenate([cached.keys, k], axis: 2)
      v = Tensor.concatenate([cached.values, v], axis: 2)
    }
    let q = qkv[0] * (1 / Float(hd).squareRoot())
    var scores = q.matmul(k, transposeB: true)  // [B, heads, T, past + T]
    // A single new token may attend to everything; otherwise mask keys after each query.
    if causal && T > 1 { scores = Tensor.select(causalMask(queries: T, past: past), scores, Tensor(-.infinity)) }
    var a = scores.softmax(axis: -1)
    let p = isTraining ? dropout : 0
    if p > 0 { a = randomSource.dropout(a, p: p) }
    // [B, heads, T, hd] -> [B, T, heads, hd] -> [B, T, C]
    var y = c_proj(a.matmul(v).permuted([0, 2, 1, 3]).reshaped([B, T, C]))
    if p > 0 { y = randomSource.dropout(y, p: p) }
    return (y, KVCache(keys: k, values: v))
  }

  /// `[T, past + T]`, 1 where query `i` (at position `past + i`) may see key `j`: `j ≤ past + i`.
  private func causalMask(queries t: Int, past: Int) -> Tensor {
    let n = past + t
    let mask = Tensor.zeros([t, n])
    mask.withUnsafeMutableBufferPointer { m in
      for i in 0..<t { for j in 0...(past + i) { m[i * n + j] = 1 } }
    }
    return mask
  }
}
