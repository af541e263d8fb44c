import GenAIData
import GenAINN
import GenAITensor

/// The hidden state a `CharRNNNetwork` carries between calls: `h` and `c` for an LSTM, `h` for a
/// GRU, each `[layers, B, H]`.
public enum RecurrentState {
  /// An LSTM's `h` and `c`, each `[layers, B, H]`.
  case lstm(LSTMState)
  /// A GRU's `h`, `[layers, B, H]`.
  case gru(Tensor)

  /// The same values cut from the recorded graph (truncated back-propagation).
  public func detached() -> RecurrentState {
    switch self {
    case .lstm(let s): return .lstm(LSTMState(h: s.h.detached(), c: s.c.detached()))
    case .gru(let h): return .gru(h.detached())
    }
  }

  /// The batch size `B` the state was computed for.
  public var batchSize: Int {
    switch self {
    case .lstm(let s): return s.h.shape[1]
    case .gru(let h): return h.shape[1]
    }
  }
}

/// A character language model: `Embedding(vocab, E)` → multi-layer `LSTM` or `GRU`
/// (`layers × H`, dropout between layers in training mode) → `Linear(H → vocab)`.
///
/// Tokens `[B, T]` → logits `[B, T, vocab]`. Parameter keys: `embedding.weight` `[V, E]`;
/// `lstm.weight_ih_l0` `[4H, E]`, `lstm.weight_hh_l0` `[4H, H]`, `lstm.bias_ih_l0` `[4H]`,
/// `lstm.bias_hh_l0` `[4H]`, then `_l1` ... (or `gru.*` with `3H`); `head.weight` `[V, H]`,
/// `head.bias` `[V]`.
public final class CharRNNNetwork: Module {
  /// Which recurrent cell the network uses.
  public enum Cell: String, NamedOption {
    /// Long short-term memory (Hochreiter & Schmidhuber, 1997).
    case lstm
    /// Gated recurrent unit (Cho et al., 2014).
    case gru
  }

  /// `[V, E]` token vectors.
  public let embedding: Embedding
  /// The recurrent stack when `cell == .lstm`.
  public let lstm: LSTM?
  /// The recurrent stack when `cell == .gru`.
  public let gru: GRU?
  /// The output projection `H → V`.
  public let head: Linear

  /// A network over `vocabularySize` ids, initialised from `generator` (PyTorch defaults).
  public init(
    vocabularySize: Int, embeddingSize: Int = 128, hiddenSize: Int = 512, layers: Int = 2,
    cell: Cell = .lstm, dropout: Float = 0, using generator: inout SeededGenerator
  ) {
    embedding = Embedding(count: vocabularySize, dimension: embeddingSize, using: &generator)
    switch cell {
    case .lstm:
      lstm = LSTM(inputSize: embeddingSize, hiddenSize: hiddenSize, layers: layers, dropout: dropout, using: &generator)
      gru = nil
    case .gru:
      gru = GRU(inputSize: embeddingSize, hiddenSize: hiddenSize, layers: layers, dropout: dropout, using: &generator)
      lstm = nil
    }
    head = Linear(inputSize: hiddenSize, outputSize: vocabularySize, using: &generator)
    super.init()
  }

  /// Logits `[B, T, V]` for tokens `[B, T]`, starting from `state` (zeros when `nil`), and the
  /// final state (`[layers, B, H]` per tensor) to continue from.
  public func callAsFunction(_ tokens: IndexTensor, state: RecurrentState? = nil) -> (logits: Tensor, state: RecurrentState) {
    if let lstm {
      var initial: LSTMState? = nil
      if case .lstm(let s)? = state { initial = s }
      // The embedding's rows feed the first layer: projected once per vocabulary entry.
      let (y, s) = lstm(rowsOf: embedding.weight, tokens: tokens, state: initial)
      return (head(y), .lstm(s))
    }
    let x = embedding(tokens)  // [B, T, E]
    var initial: Tensor? = nil
    if case .gru(let h)? = state { initial = h }
    let (y, h) = gru!(x, state: initial)
    return (head(y), .gru(h))
  }
}

/// Recipe 5, `char-rnn`: a character-level LSTM/GRU language model as
/// `../shared/bench/charlstm.py` (embedding 128, 2 × 512 LSTM, sequences of 100, Adam 2e-3,
/// gradient clipping to global L2 norm 5).
///
/// `trainStep` takes a `Batch` with `tokens` and `targets` `[B, T]` (from `TextWindows`) and
/// returns `["loss"]`, the mean softmax cross-entropy in nats per character.
///
/// **Truncated back-propagation.** Gradients flow through the `T` steps of one batch only. With
/// `carryState` (for *sequential* windows, where row `b` of batch `n + 1` continues row `b` of
/// batch `n`, e.g. a stream cut into `B` contiguous tracks) the final hidden state of each batch,
/// detached from the graph, is the initial state of the next; the state is dropped when the
/// batch size changes, and `resetState()` drops it at an epoch boundary. With random windows
/// (`TextWindows(sampling: .random)`, the default and charlstm.py's setting) consecutive rows are
/// unrelated, so leave `carryState` off: every batch starts from zeros. The carried state is not
/// part of a training checkpoint; a resumed run starts its next batch from zeros.
public final class CharRNN: Recipe {
  /// `char-rnn`: tiny Shakespeare by default, tracked by the validation loss.
  public static let kind = RecipeKind(
    name: "char-rnn", summary: "character LSTM/GRU, 2x512, sequences of 100 (Shakespeare)",
    data: [.text(steps: 2000, batchSize: 32)], mainMetric: MainMetric("val_loss", better: .lower),
    contextLength: { $0.charRNN.sequenceLength }
  ) { setup in
    var config = setup.options.charRNN
    if let rate = setup.learningRate { config.learningRate = rate }
    return try CharRNN(vocabulary: try setup.requiredVocabulary(for: name), config: config, seed: setup.seed)
  }

  /// The hyperparameters.
  public struct Config: Sendable, Codable, Equatable {
    /// Embedding size `E`.
    public var embeddingSize = 128
    /// Hidden size `H` of every layer.
    public var hiddenSize = 512
    /// Number of stacked recurrent layers.
    public var layers = 2
    /// LSTM or GRU.
    public var cell: CharRNNNetwork.Cell = .lstm
    /// Dropout between recurrent layers (training mode only).
    public var dropout: Float = 0
    /// Sequence length `T` of a training window (for building the `TextWindows`; `trainStep`
    /// accepts any `T`).
    public var sequenceLength = 100
    /// Adam's learning rate.
    public var learningRate: Float = 2e-3
    /// Global L2 norm the gradients are clipped to (`nil`: no clipping).
    public var clipNorm: Float? = 5
    /// Whether to carry the detached hidden state across consecutive batches (sequential windows only).
    public var carryState = false

    /// The defaults above (charlstm.py's configuration).
    public init() {}

    /// Checks every field's range (sizes bounded so a typo cannot ask for more memory than a
    /// machine has).
    /// - Throws: `SettingError` naming the first field out of range.
    public func validate() throws {
      try SettingError.check(embeddingSize, in: 1...4096, "embeddingSize")
      try SettingError.check(hiddenSize, in: 1...8192, "hiddenSize")
      try SettingError.check(layers, in: 1...64, "layers")
      try SettingError.check(sequenceLength, in: 1...100_000, "sequenceLength")
      try SettingError.checkDropout(dropout, "dropout")
      try SettingError.checkPositive(learningRate, "learningRate")
      if let clipNorm { try SettingError.checkPositive(clipNorm, "clipNorm") }
    }
  }

  /// The configuration the recipe was made with.
  public let config: Config
  /// The vocabulary the ids index.
  public let vocabulary: Vocabulary
  /// The network.
  public let network: CharRNNNetwork
  /// Adam over every parameter of `network`.
  public let optimizer: Adam
  /// The detached state carried to the next batch when `config.carryState` is on.
  public private(set) var carriedState: RecurrentState?

  /// A recipe over `vocabulary` with parameters drawn from `seed`.
  /// - Throws: `SettingError` for a field of `config` out of range (see `Config.validate()`).
  public init(vocabulary: Vocabulary, config: Config = Config(), seed: UInt64 = 0) throws {
    try config.validate()
    self.config = config
    self.vocabulary = vocabulary
    var generator = SeededGenerator(seed: seed)
    network = CharRNNNetwork(
      vocabularySize: vocabulary.size, embeddingSize: config.embeddingSize, hiddenSize: config.hiddenSize,
      layers: config.layers, cell: config.cell, dropout: config.dropout, using: &generator)
    optimizer = Adam(parameters: network.parameters(), learningRate: config.learningRate)
  }

  /// `["net": network]`.
  public var models: [String: Module] { ["net": network] }
  /// `["adam": optimizer]`.
  public var optimizers: [String: any Optimizer] { ["adam": optimizer] }

  /// Forgets the carried hidden state (the next batch starts from zeros).
  public func resetState() { carriedState = nil }

  /// Logits `[B, T, V]` for tokens `[B, T]` from a zero state.
  public func logits(_ tokens: IndexTensor) -> Tensor { network(tokens).logits }

  /// One Adam step on `batch.tokens` → `batch.targets` (`[B, T]` each); returns `["loss"]`.
  /// - Throws: `RecipeError` when the batch has no tokens or targets; `AutodiffError` when the
  ///   loss is not finite.
  public func trainStep(_ batch: Batch) throws -> [String: Float] {
    guard let tokens = batch.tokens, let targets = batch.targets, tokens.shape.count == 2,
      targets.shape == tokens.shape
    else { throw RecipeError(recipe: Self.name, "a batch needs tokens and targets of the same shape [B, T]") }
    if let bad = tokens.values.first(where: { $0 < 0 || $0 >= vocabulary.size }) {
      throw RecipeError(recipe: Self.name, "token id \(bad) is outside the vocabulary 0..<\(vocabulary.size)")
    }
    network.train()
    var initial: RecurrentState? = nil
    if config.carryState, let s = carriedState, s.batchSize == tokens.shape[0] { initial = s }
    let (logits, final) = network(tokens, state: initial)
    let loss = logits.softmaxCrossEntropy(targets: targets)
    optimizer.zeroGrad()
    try loss.backward()
    if let clip = config.clipNorm { _ = clipGradNorm(optimizer.parameters, maxNorm: clip) }
    optimizer.step()
    carriedState = config.carryState ? final.detached() : nil
    return ["loss": loss.item]
  }
}
