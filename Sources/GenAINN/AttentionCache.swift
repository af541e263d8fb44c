import GenAITensor

/// Preallocated keys and values of one attention layer for decoding: the buffers are made once,
/// at their full length, and every new position is written in place.
///
/// `keys` and `values` are `[B, heads, capacity, headDim]`; positions `0..<count` of each are
/// filled. Unlike `KVCache`, which grows by concatenation (a new pair of tensors per step),
/// nothing is allocated after `init`, so a sampling loop touches neither the allocator nor the
/// graph. The buffer also holds the layer's scratch rows (projections and attention output for
/// up to `B · capacity` positions), so decoding needs no other memory.
///
/// Used by `MultiHeadSelfAttention.decode(_:rows:cache:into:)`; `reset()` empties it for a new
/// sequence without freeing anything.
public final class KVBuffer {
  /// Cached keys, `[B, heads, capacity, headDim]`; positions `0..<count` are valid.
  public let keys: Tensor
  /// Cached values, `[B, heads, capacity, headDim]`; positions `0..<count` are valid.
  public let values: Tensor
  /// The number of positions filled, the same for every batch row.
  public private(set) var count = 0
  /// `B`.
  public let batchSize: Int
  /// Number of heads.
  public let heads: Int
  /// The most positions the buffer holds.
  public let capacity: Int
  /// Size of each head.
  public let headDim: Int
  /// `[B · capacity, 3C]`: the query, key and value projections of the new positions.
  let projections: Tensor
  /// `[B · capacity, C]`: the heads' outputs, merged, before the output projection.
  let merged: Tensor
  /// `[capacity]`: one query's attention weights.
  let weights: Tensor

  /// An empty buffer for `batchSize` sequences of up to `capacity` positions.
  /// - Precondition: every size is positive.
  public init(batchSize: Int, heads: Int, capacity: Int, headDim: Int) {
    require(batchSize > 0 && heads > 0 && capacity > 0 && headDim > 0,
      "[KVBuffer] sizes must be positive, got B \(batchSize), heads \(heads), capacity \(capacity), headDim \(headDim)")
    self.batchSize = batchSize
    self.heads = heads
    self.capacity = capacity
    self.headDim = headDim
    keys = Tensor.zeros([batchSize, heads, capacity, headDim])
    values = Tensor.zeros([batchSize, heads, capacity, headDim])
    let width = heads * headDim
    projections = Tensor.zeros([batchSize * capacity, 3 * width])
    merged = Tensor.zeros([batchSize * capacity, width])
    weights = Tensor.zeros([capacity])
  }

  /// A buffer shaped for `layer`'s heads.
  public convenience init(for layer: MultiHeadSelfAttention, batchSize: Int = 1, capacity: Int) {
    self.init(batchSize: batchSize, heads: layer.heads, capacity: capacity, headDim: layer.headDim)
  }

  /// Forgets every position (the memory is kept for the next sequence).
  public func reset() { count = 0 }

  /// Marks `n` more positions as filled.
  func advance(by n: Int) { count += n }
}

extension MultiHeadSelfAttention {
  /// Attention of new positions over the buffer's and themselves, for decoding: the same
  /// function as `callAsFunction(_:cache:)` in evaluation mode, on raw rows, writing the new
  /// keys and values into `cache` in place and allocating nothing.
  ///
  /// New token `t` of batch row `b` sits at position `cache.count + t` and attends to every
  /// cached position and to new tokens `0...t` (causally, whatever `causal` says: decoding only
  /// makes sense for a causal layer). Nothing is recorded and dropout is never applied. Results
  /// match the recorded path to rounding.
  /// - Parameters:
  ///   - x: the new positions `[B, T, C]`, row-major (`B · T` rows of `C`).
  ///   - rows: `T`, the new positions per batch row.
  ///   - cache: the layer's buffer; on return `count` has grown by `T`.
  ///   - y: the output `[B, T, C]`, or `[B, 1, C]` with `lastOnly`; it must not overlap `x`.
  ///   - lastOnly: compute the output of each batch row's last new position only (the keys
  ///     and values of every new position are still cached): all a model's last layer needs
  ///     when only the next token's logits are read.
  /// - Precondition: `cache` has this layer's heads and head size and room for `T` more
  ///   positions.
  public func decode(
    _ x: UnsafePointer<Float>, rows t: Int, cache: KVBuffer, into y: UnsafeMutablePointer<Float>, lastOnly: Bool = false
  ) {
    let name = "MultiHeadSelfAttention.decode"
    require(cache.heads == heads && cache.headDim == headDim,
      "[\(name)] cache has \(cache.heads) heads of \(cache.headDim), layer \(heads) of \(headDim)")
    require(t > 0 && cache.count + t <= cache.capacity,
      "[\(name)] \(t) new positions after \(cache.count) exceed the capacity \(cache.capacity)")
    let (b, c, hd, past, cap) = (cache.batchSize, embedDim, headDim, cache.count, cache.capacity)
    let qkv = cache.projections.storage.base  // [B·T, 3C]
    InferenceKernels.linear(x, rows: b * t, weight: c_attn.weight, bias: c_attn.bias, into: qkv)
    let keys = cache.keys.storage.base, values = cache.values.storage.base
    let merged = cache.merged.storage.base, weights = cache.weights.storage.base
    let scale = 1 / Float(hd).squareRoot()
    // Queries per batch row: all new positions, or only the last.
    let (first, queries) = lastOnly ? (t - 1, 1) : (0, t)
    for bi in 0..<b {
      for h in 0..<heads {
        // This head's slice of the cache, [capacity, hd]; the new rows go after `past`.
        let head = (bi * heads + h) * cap * hd
        for i in 0..<t {
          let row = qkv + (bi * t + i) * 3 * c + h * hd
          (keys + head + (past + i) * hd).update(from: row + c, count: hd)
          (values + head + (past + i) * hd).update(from: row + 2 * c, count: hd)
        }
        InferenceKernels.attention(
          queries: queries, past: past + first, headDim: hd, scale: scale, q: qkv + (bi * t + first) * 3 * c + h * hd,
          queryStride: 3 * c, keys: keys + head, values: values + head, out: merged + bi * queries * c + h * hd,
          outStride: c, scratch: weights)
      }
    }
    cache.advance(by: t)
    InferenceKernels.linear(merged, rows: b * queries, weight: c_proj.weight, bias: c_proj.bias, into: y)
  }

  /// `decode(_:rows:cache:into:)` on a tensor: `x` `[B, T, C]` → `[B, T, C]` (one new tensor for
  /// the result; the decoding itself allocates nothing).
  public func callAsFunction(_ x: Tensor, cache: KVBuffer) -> Tensor {
    require(x.rank == 3 && x.shape[0] == cache.batchSize && x.shape[2] == embedDim,
      "[MultiHeadSelfAttention] input must be [\(cache.batchSize), T, \(embedDim)], got \(shapeString(x.shape))")
    let y = Tensor.zeros(x.shape)
    decode(x.storage.base, rows: x.shape[1], cache: cache, into: y.storage.base)
    return y
  }
}
