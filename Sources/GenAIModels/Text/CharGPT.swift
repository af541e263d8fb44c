import GenAIData
import GenAINN
import GenAITensor

/// One pre-LayerNorm transformer block of nanoGPT: `x + attn(ln_1(x))`, then `x + mlp(ln_2(x))`
/// with `mlp = Linear(C → 4C) → GELU → Linear(4C → C)`. Input and output `[B, T, C]`.
///
/// Keys: `ln_1.weight` `[C]`, `attn.c_attn.weight` `[3C, C]`, `attn.c_proj.weight` `[C, C]`,
/// `ln_2.weight` `[C]`, `c_fc.weight` `[4C, C]`, `m_proj.weight` `[C, 4C]` (plus `.bias`
/// entries when built with biases).
public final class GPTBlock: Module {
  /// LayerNorm before attention.
  public let ln_1: LayerNorm
  /// Causal multi-head self-attention.
  public let attn: MultiHeadSelfAttention
  /// LayerNorm before the MLP.
  public let ln_2: LayerNorm
  /// MLP expansion `C → 4C`.
  public let c_fc: Linear
  /// MLP projection `4C → C`.
  public let m_proj: Linear
  /// Dropout on the MLP output (training mode only).
  public let mlpDropout: Dropout?

  /// A block of width `width` with `heads` heads.
  public init(width: Int, heads: Int, dropout: Float, bias: Bool, using generator: inout SeededGenerator) {
    ln_1 = LayerNorm(width, bias: bias)
    attn = MultiHeadSelfAttention(embedDim: width, heads: heads, dropout: dropout, causal: true, bias: bias, using: &generator)
    ln_2 = LayerNorm(width, bias: bias)
    c_fc = Linear(inputSize: width, outputSize: 4 * width, bias: bias, using: &generator)
    m_proj = Linear(inputSize: 4 * width, outputSize: width, bias: bias, using: &generator)
    mlpDropout = dropout > 0 ? Dropout(p: dropout, seed: generator.next()) : nil
    super.init()
  }

  /// The block over new positions `x` `[B, T, C]`; with a cache, attention also sees the cached
  /// positions and the cache is extended by `x`'s.
  public func callAsFunction(_ x: Tensor, cache: inout KVCache?, useCache: Bool) -> Tensor {
    let h = ln_1(x)
    let a = useCache ? attn(h, cache: &cache) : attn(h)
    let x1 = x + a
    var m = m_proj(c_fc(ln_2(x1)).gelu())
    if let mlpDropout { m = mlpDropout(m) }
    return x1 + m
  }
}

/// A small GPT over characters (nanoGPT `model.py`): token embedding `wte` `[V, C]` + learned
/// position embedding `wpe` `[blockSize, C]` → `layers` pre-LN `GPTBlock`s → final LayerNorm
/// `ln_f` → `lm_head`. Tokens `[B, T]` (`T ≤ blockSize`) → logits `[B, T, V]`.
///
/// With `tiedHead` (the default, as nanoGPT and gpt.py) the output projection is `wte` itself
/// (`logits = x · wteᵀ`) and there is no `lm_head` parameter; otherwise `lm_head.weight` `[V, C]`
/// is a separate matrix. Initialisation follows nanoGPT's `_init_weights`: every Linear and
/// embedding weight from N(0, 0.02), the residual projections (`attn.c_proj`, `m_proj`) from
/// N(0, 0.02/√(2·layers)), biases zero, LayerNorm gains one.
public final class GPTNetwork: Module {
  /// `[V, C]` token embedding (and, tied, the output projection).
  public let wte: Embedding
  /// `[blockSize, C]` position embedding.
  public let wpe: Embedding
  /// The transformer blocks.
  public let blocks: [GPTBlock]
  /// Final LayerNorm.
  public let ln_f: LayerNorm
  /// Untied output projection `C → V` (`nil` when tied).
  public let lm_head: Linear?
  /// Dropout on the embeddings (training mode only).
  public let embeddingDropout: Dropout?
  /// The longest context `T` the position table covers.
  public let blockSize: Int

  /// A network; `bias` adds biases to every Linear and LayerNorm (nanoGPT's default is none).
  public init(
    vocabularySize: Int, blockSize: Int = 64, layers: Int = 4, heads: Int = 4, width: Int = 128,
    dropout: Float = 0, bias: Bool = false, tiedHead: Bool = true, using generator: inout SeededGenerator
  ) {
    self.blockSize = blockSize
    wte = Embedding(count: vocabularySize, dimension: width, weightInit: .normal(mean: 0, std: 0.02), using: &generator)
    wpe = Embedding(count: blockSize, dimension: width, weightInit: .normal(mean: 0, std: 0.02), using: &generator)
    var bs: [GPTBlock] = []
    for _ in 0..<layers { bs.append(GPTBlock(width: width, heads: heads, dropout: dropout, bias: bias, using: &generator)) }
    blocks = bs
    ln_f = LayerNorm(width, bias: bias)
    lm_head = tiedHead ? nil : Linear(inputSize: width, outputSize: vocabularySize, bias: false, using: &generator)
    embeddingDropout = dropout > 0 ? Dropout(p: dropout, seed: generator.next()) : nil
    super.init()
    let residualStd = 0.02 / Float(2 * layers).squareRoot()
    for block in blocks {
      Self.fill(block.attn.c_attn, std: 0.02, using: &generator)
      Self.fill(block.attn.c_proj, std: residualStd, using: &generator)
      Self.fill(block.c_fc, std: 0.02, using: &generator)
      Self.fill(block.m_proj, std: residualStd, using: &generator)
    }
    if let lm_head { Self.fill(lm_head, std: 0.02, using: &generator) }
  }

  /// Overwrites `layer`'s weight with N(0, std²) draws and its bias with zeros.
  private static func fill(_ layer: Linear, std: Float, using generator: inout SeededGenerator) {
    let values = Tensor.randn(layer.weight.shape, std: std, using: &generator).scalars
    layer.weight.withUnsafeMutableBufferPointer { w in for i in 0..<w.count { w[i] = values[i] } }
    layer.bias?.withUnsafeMutableBufferPointer { b in for i in 0..<b.count { b[i] = 0 } }
  }

  /// Logits `[B, T, V]` for tokens `[B, T]`, `T ≤ blockSize`, over the whole context.
  public func callAsFunction(_ tokens: IndexTensor) -> Tensor {
    var caches = [KVCache?](repeating: nil, count: blocks.count)
    return forward(tokens, caches: &caches, useCache: false)
  }

  /// Logits `[B, T, V]` for new tokens `[B, T]` placed after the `caches`' positions; extends
  /// every layer's cache. `past + T` must not exceed `blockSize`.
  public func forward(_ tokens: IndexTensor, caches: inout [KVCache?], useCache: Bool) -> Tensor {
    let t = tokens.shape[1]
    let past = useCache ? (caches.first.flatMap { $0?.count } ?? 0) : 0
    require(past + t <= blockSize, "[GPTNetwork] context \(past + t) exceeds the block size \(blockSize)")
    let pos = wpe.weight.slice(axis: 0, past..<(past + t))  // [T, C]
    var x = wte(tokens) + pos
    if let embeddingDropout { x = embeddingDropout(x) }
    for (i, block) in blocks.enumerated() { x = block(x, cache: &caches[i], useCache: useCache) }
    x = ln_f(x)
    return lm_head.map { $0(x) } ?? wte.asLinear(x)
  }
}

/// Recipe 6, `char-gpt`: nanoGPT's CPU configuration on characters (4 layers, 4 heads, width
/// 128, context 64, dropout 0, no biases, tied head), trained with AdamW(1e-3, betas (0.9, 0.99),
/// eps 1e-8, weight decay 0.1 on parameters of rank ≥ 2 only, i.e. not on LayerNorm gains) under
/// a linear warm-up + cosine decay schedule (`CosineWarmupSchedule`, applied before every step).
///
/// `trainStep` takes `tokens`/`targets` `[B, T]` (`T ≤ blockSize`) and returns `["loss", "lr"]`:
/// the mean cross-entropy in nats per character and the learning rate the step used.
public final class CharGPT: Recipe {
  /// `char-gpt`: tiny Shakespeare by default, tracked by the validation loss.
  public static let kind = RecipeKind(
    name: "char-gpt", summary: "character transformer, nanoGPT CPU config (4x4 heads, 128)",
    data: [.text(steps: 2000, batchSize: 12)], mainMetric: MainMetric("val_loss", better: .lower),
    contextLength: { $0.charGPT.blockSize }
  ) { setup in
    var config = setup.options.charGPT
    if let rate = setup.learningRate { config.learningRate = rate }
    return try CharGPT(vocabulary: try setup.requiredVocabulary(for: name), config: config, seed: setup.seed)
  }

  /// The hyperparameters.
  public struct Config: Sendable, Codable, Equatable {
    /// Number of blocks.
    public var layers = 4
    /// Attention heads per block (must divide `width`).
    public var heads = 4
    /// Embedding width `C`.
    public var width = 128
    /// Context length `T` (position table size).
    public var blockSize = 64
    /// Dropout probability (training mode only).
    public var dropout: Float = 0
    /// Biases in Linear and LayerNorm layers.
    public var bias = false
    /// Whether the output projection is the token embedding.
    public var tiedHead = true
    /// Peak learning rate.
    public var learningRate: Float = 1e-3
    /// Floor of the cosine decay.
    public var minLearningRate: Float = 1e-4
    /// Linear warm-up steps.
    public var warmupSteps = 100
    /// Step at which the decay reaches `minLearningRate`.
    public var decaySteps = 2000
    /// AdamW's decoupled weight decay on parameters of rank ≥ 2.
    public var weightDecay: Float = 0.1
    /// Global gradient-norm clip (`nil`: none), nanoGPT's `grad_clip = 1`.
    public var clipNorm: Float? = 1

    /// nanoGPT's CPU configuration.
    public init() {}

    /// Checks every field's range and that `heads` divides `width` (sizes bounded so a typo
    /// cannot ask for more memory than a machine has).
    /// - Throws: `SettingError` naming the first field out of range.
    public func validate() throws {
      try SettingError.check(layers, in: 1...64, "layers")
      try SettingError.check(width, in: 1...8192, "width")
      try SettingError.check(heads, in: 1...width, "heads")
      try SettingError.check(width % heads == 0, "heads", "must divide width \(width), got \(heads)")
      try SettingError.check(blockSize, in: 1...8192, "blockSize")
      try SettingError.checkDropout(dropout, "dropout")
      try SettingError.checkPositive(learningRate, "learningRate")
      try SettingError.checkNonNegative(minLearningRate, "minLearningRate")
      try SettingError.check(warmupSteps, in: 0...max(decaySteps, 0), "warmupSteps")
      try SettingError.checkNonNegative(weightDecay, "weightDecay")
      if let clipNorm { try SettingError.checkPositive(clipNorm, "clipNorm") }
    }
  }

  /// The configuration.
  public let config: Config
  /// The vocabulary.
  public let vocabulary: Vocabulary
  /// The network.
  public let network: GPTNetwork
  /// AdamW over every parameter (decay on rank ≥ 2 only).
  public let optimizer: AdamW
  /// The learning-rate schedule.
  public let schedule: CosineWarmupSchedule
  /// When set, every step uses this learning rate instead of the schedule (fine-tuning).
  public var fixedLearningRate: Float?

  /// A recipe over `vocabulary` with parameters drawn from `seed`.
  /// - Throws: `SettingError` for a field of `config` out of range (see `Config.validate()`).
  public init(vocabulary: Vocabulary, config: Config = Config(), seed: UInt64 = 0) throws {
    try config.validate()
    self.config = config
    self.vocabulary = vocabulary
    var generator = SeededGenerator(seed: seed)
    network = GPTNetwork(
      vocabularySize: vocabulary.size, blockSize: config.blockSize, layers: config.layers, heads: config.heads,
      width: config.width, dropout: config.dropout, bias: config.bias, tiedHead: config.tiedHead, using: &generator)
    optimizer = AdamW(
      parameters: network.parameters(), learningRate: config.learningRate, betas: (0.9, 0.99), eps: 1e-8,
      weightDecay: config.weightDecay, decayWhere: { $0.rank >= 2 })
    schedule = CosineWarmupSchedule(
      learningRate: config.learningRate, warmupSteps: config.warmupSteps, totalSteps: config.decaySteps,
      minLearningRate: config.minLearningRate)
  }

  /// `["net": network]`.
  public var models: [String: Module] { ["net": network] }
  /// `["adamw": optimizer]`.
  public var optimizers: [String: any Optimizer] { ["adamw": optimizer] }

  /// Logits `[B, T, V]` for tokens `[B, T]`.
  public func logits(_ tokens: IndexTensor) -> Tensor { network(tokens) }

  /// One AdamW step at the schedule's rate for `optimizer.stepCount`; returns `["loss", "lr"]`.
  /// - Throws: `RecipeError` for a batch without tokens/targets or longer than the block size;
  ///   `AutodiffError` when the loss is not finite.
  public func trainStep(_ batch: Batch) throws -> [String: Float] {
    guard let tokens = batch.tokens, let targets = batch.targets, tokens.shape.count == 2,
      targets.shape == tokens.shape
    else { throw RecipeError(recipe: Self.name, "a batch needs tokens and targets of the same shape [B, T]") }
    guard tokens.shape[1] <= config.blockSize else {
      throw RecipeError(recipe: Self.name, "sequence length \(tokens.shape[1]) exceeds the block size \(config.blockSize)")
    }
    if let bad = tokens.values.first(where: { $0 < 0 || $0 >= vocabulary.size }) {
      throw RecipeError(recipe: Self.name, "token id \(bad) is outside the vocabulary 0..<\(vocabulary.size)")
    }
    network.train()
    let lr: Float
    if let fixed = fixedLearningRate {
      optimizer.learningRate = fixed
      lr = fixed
    } else {
      lr = schedule.apply(to: optimizer)
    }
    let loss = network(tokens).softmaxCrossEntropy(targets: targets)
    optimizer.zeroGrad()
    try loss.backward()
    if let clip = config.clipNorm { _ = clipGradNorm(optimizer.parameters, maxNorm: clip) }
    optimizer.step()
    return ["loss": loss.item, "lr": lr]
  }
}
