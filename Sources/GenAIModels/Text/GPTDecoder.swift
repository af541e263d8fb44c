import GenAINN
import GenAITensor

/// Runs a `GPTNetwork` forward for sampling: a prompt, then one token at a time, over buffers
/// made once (llm.c's inference forward rather than the recorded one).
///
/// Every layer keeps a `KVBuffer` of `blockSize` positions, and the activations live in
/// preallocated rows of `[B · blockSize, C]` (`[B · blockSize, 4C]` for the MLP), so a step
/// records nothing and allocates nothing: one token costs the weights' matrix-vector products
/// and attention over the cached positions. Only each batch row's last position goes through
/// the last block's attention output, MLP, `ln_f` and the output projection: its logits are
/// the only ones a sampler reads, and the last block's keys and values need no more.
///
/// ```swift
/// let decoder = GPTDecoder(network: net)
/// var logits = decoder.append([3, 14, 15])    // prompt: logits [1, V] after its last token
/// logits = decoder.append(token: 9)          // one more position; `decoder.count == 4`
/// decoder.reset()                             // a new sequence, same memory
/// ```
///
/// The logits agree with `network(tokens)` over the same positions to rounding. The weights
/// are read, not copied, at every call, so the decoder follows a network that keeps training.
public final class GPTDecoder {
  /// The network whose weights are used.
  public let network: GPTNetwork
  /// `B`, the sequences decoded side by side.
  public let batchSize: Int
  /// One buffer per block, `[B, heads, blockSize, headDim]` keys and values each.
  public let caches: [KVBuffer]
  /// The logits `[B, V]` after each batch row's last token, overwritten by every `append`.
  public let logits: Tensor
  /// `[B · blockSize, C]`: the residual stream of the new positions.
  private let stream: Tensor
  /// `[B · blockSize, C]`: a normalised copy of the stream, each sub-layer's input.
  private let branch: Tensor
  /// `[B · blockSize, C]`: attention and MLP outputs added back into the stream.
  private let output: Tensor
  /// `[B · blockSize, 4C]`: the MLP's hidden rows.
  private let hidden: Tensor

  /// A decoder for `batchSize` sequences of `network`, with empty caches.
  public init(network: GPTNetwork, batchSize: Int = 1) {
    require(batchSize > 0, "[GPTDecoder] batch size must be positive, got \(batchSize)")
    self.network = network
    self.batchSize = batchSize
    let rows = batchSize * network.blockSize
    let width = network.wte.dimension
    caches = network.blocks.map { KVBuffer(for: $0.attn, batchSize: batchSize, capacity: network.blockSize) }
    logits = Tensor.zeros([batchSize, network.wte.count])
    stream = Tensor.zeros([rows, width])
    branch = Tensor.zeros([rows, width])
    output = Tensor.zeros([rows, width])
    hidden = Tensor.zeros([rows, 4 * width])
  }

  /// The positions cached, at most `blockSize`.
  public var count: Int { caches.first?.count ?? 0 }

  /// Forgets every position; the next `append` starts a new sequence at position 0.
  public func reset() { for c in caches { c.reset() } }

  /// Appends `tokens` `[B, T]` (row-major, `B · T` ids) after the cached positions and returns
  /// the logits `[B, V]` after each row's last new token (the shared `logits` tensor).
  /// - Precondition: `tokens.count` is a positive multiple of `B`, every id is in the
  ///   vocabulary and `count + T ≤ blockSize`.
  @discardableResult
  public func append(_ tokens: [Int]) -> Tensor {
    tokens.withUnsafeBufferPointer { append($0) }
  }

  /// Appends one token (`B` must be 1) and returns the logits `[1, V]` after it.
  @discardableResult
  public func append(token: Int) -> Tensor {
    withUnsafePointer(to: token) { append(UnsafeBufferPointer(start: $0, count: 1)) }
  }

  /// `append(_:)` over ids in a buffer.
  @discardableResult
  public func append(_ tokens: UnsafeBufferPointer<Int>) -> Tensor {
    let (b, past, vocabulary) = (batchSize, count, network.wte.count)
    require(!tokens.isEmpty && tokens.count % b == 0,
      "[GPTDecoder] \(tokens.count) tokens do not make \(b) rows")
    let t = tokens.count / b
    require(past + t <= network.blockSize,
      "[GPTDecoder] context \(past + t) exceeds the block size \(network.blockSize)")
    let c = network.wte.dimension
    let x = stream.storage.base, h = branch.storage.base, o = output.storage.base
    let wte = network.wte.weight.storage.base, wpe = network.wpe.weight.storage.base
    // Token plus position embedding, [B·T, C].
    for r in 0..<(b * t) {
      let id = tokens[r]
      require(id >= 0 && id < vocabulary, "[GPTDecoder] token id \(id) is outside the vocabulary 0..<\(vocabulary)")
      let row = x + r * c, token = wte + id * c, position = wpe + (past + r % t) * c
      for j in 0..<c { row[j] = token[j] + position[j] }
    }
    var n = b * t
    for (i, (block, cache)) in zip(network.blocks, caches).enumerated() {
      // The last block's keys and values need every new position, its output only each row's
      // last: attention answers those alone, and the MLP runs on `B` rows.
      let last = i == network.blocks.count - 1
      // x + attn(ln_1(x))
      layerNorm(block.ln_1, x, rows: n, into: h)
      block.attn.decode(h, rows: t, cache: cache, into: o, lastOnly: last)
      if last && t > 1 {
        for bi in 0..<b { (x + bi * c).update(from: x + (bi * t + t - 1) * c, count: c) }  // forward: never overlaps a later source
        n = b
      }
      InferenceKernels.add(x, o, count: n * c)
      // x + m_proj(gelu(c_fc(ln_2(x))))
      layerNorm(block.ln_2, x, rows: n, into: h)
      let m = hidden.storage.base
      InferenceKernels.linear(h, rows: n, weight: block.c_fc.weight, bias: block.c_fc.bias, into: m)
      InferenceKernels.gelu(m, count: n * 4 * c)
      InferenceKernels.linear(m, rows: n, weight: block.m_proj.weight, bias: block.m_proj.bias, into: o)
      InferenceKernels.add(x, o, count: n * c)
    }
    // The stream's first `B` rows are now each row's last position.
    layerNorm(network.ln_f, x, rows: b, into: h)
    let head = network.lm_head
    InferenceKernels.linear(
      h, rows: b, weight: head?.weight ?? network.wte.weight, bias: head?.bias, into: logits.storage.base)
    return logits
  }

  private func layerNorm(
    _ layer: LayerNorm, _ x: UnsafePointer<Float>, rows: Int, into y: UnsafeMutablePointer<Float>
  ) {
    InferenceKernels.layerNorm(
      x, rows: rows, width: network.wte.dimension, weight: layer.weight, bias: layer.bias, epsilon: layer.epsilon, into: y)
  }
}
