import Foundation
import GenAIData
import GenAINN
import GenAITensor

/// How the next token is chosen from the model's logits, and how a transformer's context
/// moves on once it is longer than the model's block size.
///
/// Logits are divided by `temperature`; `topK` keeps the `k` most likely tokens; `topP` then
/// keeps the smallest set of most likely tokens whose probability sums to at least `p` (nucleus
/// sampling, Holtzman et al. 2019); the token is drawn from the renormalised rest. A temperature
/// of 0 (or `topK` 1) is greedy: the most likely token, the lowest id on ties.
///
/// `exactContext` matters only to char-gpt, and only past its block size (see `GPTPredictor`).
public struct SamplingOptions: Sendable, Equatable, Codable {
  /// Softmax temperature, ≥ 0; 0 is greedy.
  public var temperature: Float
  /// Keep only the `k` most likely tokens (`nil`: all).
  public var topK: Int?
  /// Keep the smallest most-likely set with mass ≥ `p`, `p` in (0, 1] (`nil`: all).
  public var topP: Float?
  /// char-gpt: once the text is longer than the block size, predict every character from
  /// exactly the last `blockSize` characters (nanoGPT's sliding window, a full forward pass per
  /// character) instead of restarting the cache from the last 3/4 of a block every quarter
  /// block (`false`, the default, about 10x faster).
  public var exactContext: Bool

  /// Options with the given filters.
  public init(temperature: Float = 1, topK: Int? = nil, topP: Float? = nil, exactContext: Bool = false) {
    self.temperature = temperature
    self.topK = topK
    self.topP = topP
    self.exactContext = exactContext
  }

  enum CodingKeys: String, CodingKey { case temperature, topK, topP, exactContext }

  /// Decodes options; `exactContext` is `false` when absent (options saved before it existed).
  public init(from decoder: any Decoder) throws {
    let c = try decoder.container(keyedBy: CodingKeys.self)
    temperature = try c.decode(Float.self, forKey: .temperature)
    topK = try c.decodeIfPresent(Int.self, forKey: .topK)
    topP = try c.decodeIfPresent(Float.self, forKey: .topP)
    exactContext = try c.decodeIfPresent(Bool.self, forKey: .exactContext) ?? false
  }

  /// Checks the ranges above.
  /// - Throws: `RecipeError` naming the bad option.
  public func validate(recipe: String) throws {
    guard temperature >= 0, temperature.isFinite else {
      throw RecipeError(recipe: recipe, "temperature must be ≥ 0, got \(temperature)")
    }
    if let k = topK, k < 1 { throw RecipeError(recipe: recipe, "top-k must be ≥ 1, got \(k)") }
    if let p = topP, !(p > 0 && p <= 1) { throw RecipeError(recipe: recipe, "top-p must be in (0, 1], got \(p)") }
  }
}

/// Something that predicts the next token step by step: fed some tokens, it returns the logits
/// `[V]` of the token after the last one fed, keeping whatever context it needs.
public protocol NextTokenPredictor {
  /// Appends `tokens` (at least one) to the context and returns the logits of the next token.
  mutating func feed(_ tokens: [Int]) -> [Float]

  /// Appends one token and passes the logits of the next to `body`, without copying them into
  /// an array. The default calls `feed(_:)`; predictors that keep their logits in a buffer
  /// (`GPTPredictor`) lend it, so a sampling loop allocates nothing per token.
  mutating func feed<R>(token: Int, _ body: (UnsafeBufferPointer<Float>) -> R) -> R
}

extension NextTokenPredictor {
  /// `feed([token])`, its logits lent to `body`.
  public mutating func feed<R>(token: Int, _ body: (UnsafeBufferPointer<Float>) -> R) -> R {
    feed([token]).withUnsafeBufferPointer(body)
  }
}

/// Sampling text from a character model, one character at a time.
public enum TextSampler {
  /// The indices of the tokens `options` may choose from and their probabilities (summing to 1),
  /// most likely first (ties by lower id).
  public static func candidates(logits: [Float], options: SamplingOptions) -> [(id: Int, probability: Double)] {
    var chooser = TokenChooser(options: options)
    return logits.withUnsafeBufferPointer { chooser.candidates($0) }
  }

  /// Draws the next token from `logits` `[V]` under `options` with `generator`. Greedy choices
  /// draw nothing from the generator.
  public static func chooseToken(logits: [Float], options: SamplingOptions, using generator: inout SeededGenerator) -> Int {
    var chooser = TokenChooser(options: options)
    return logits.withUnsafeBufferPointer { chooser.choose($0, using: &generator) }
  }

  /// The ids of `prime`, or the id of `"\n"` (else 0) when it is empty, as the start context.
  /// - Throws: `RecipeError` naming the first character the vocabulary does not hold.
  public static func encodePrime(_ prime: String, vocabulary: Vocabulary, recipe: String) throws -> [Int] {
    if prime.isEmpty { return [vocabulary.id(of: "\n") ?? 0] }
    var ids: [Int] = []
    for scalar in prime.unicodeScalars {
      guard let id = vocabulary.id(of: scalar), vocabulary.unknownID.map({ $0 != id }) ?? true else {
        let hex = String(scalar.value, radix: 16, uppercase: true)
        throw RecipeError(recipe: recipe,
          "the priming text contains \(scalar.escaped(asASCII: false).debugDescription) (U+\(hex)), which is not in the model's vocabulary")
      }
      ids.append(id)
    }
    return ids
  }

  /// Generates `length` characters after `prime` with `predictor`, calling `onCharacter` with
  /// each new character as soon as it is chosen (an error it throws ends the generation, e.g.
  /// when the reader went away). Returns the generated text (without the prime).
  /// - Throws: `RecipeError` for a negative length, bad options or a prime the vocabulary cannot
  ///   encode; what `onCharacter` throws.
  public static func generate(
    predictor: inout some NextTokenPredictor, vocabulary: Vocabulary, prime: String, length: Int,
    options: SamplingOptions, recipe: String, using generator: inout SeededGenerator,
    onCharacter: (String) throws -> Void = { _ in }
  ) throws -> String {
    guard length >= 0 else { throw RecipeError(recipe: recipe, "length must be ≥ 0, got \(length)") }
    try options.validate(recipe: recipe)
    let start = try encodePrime(prime, vocabulary: vocabulary, recipe: recipe)
    var out = ""
    guard length > 0 else { return out }
    var chooser = TokenChooser(options: options)
    var id = predictor.feed(start).withUnsafeBufferPointer { chooser.choose($0, using: &generator) }
    for i in 0..<length {
      let ch = vocabulary.symbol(for: id)
      out += ch
      try onCharacter(ch)
      if i + 1 < length { id = predictor.feed(token: id) { chooser.choose($0, using: &generator) } }
    }
    return out
  }
}

/// Steps a `CharRNNNetwork` one token at a time, carrying its recurrent state in buffers made
/// once (`RecurrentBuffer`): a step is the layers' matrix-vector products and gate arithmetic,
/// recording nothing and allocating nothing, with the logits of the recorded network to
/// rounding. A prompt is fed one token at a time too. Copies share the buffers: use one.
public struct RNNPredictor: NextTokenPredictor {
  /// The network (use it in eval mode, inside `withNoGrad`).
  public let network: CharRNNNetwork
  private let buffer: RecurrentBuffer
  /// `[1, E]`: the embedding of the token being fed.
  private let input: Tensor
  /// `[1, V]`: the logits after the last token fed.
  private let logits: Tensor
  private var started = false

  /// A predictor starting from a zero state.
  public init(network: CharRNNNetwork) {
    self.network = network
    if let lstm = network.lstm {
      buffer = RecurrentBuffer(for: lstm)
    } else if let gru = network.gru {
      buffer = RecurrentBuffer(for: gru)
    } else {
      preconditionFailure("[RNNPredictor] the network has neither an LSTM nor a GRU")
    }
    input = Tensor.zeros([1, network.embedding.dimension])
    logits = Tensor.zeros([1, network.head.weight.shape[0]])
  }

  /// The state after every token fed so far (`nil` before the first): a copy, `[layers, 1, H]`
  /// per tensor, as `network(_:state:)` returns it.
  public var state: RecurrentState? {
    guard started else { return nil }
    if let c = buffer.c { return .lstm(LSTMState(h: buffer.h.copy(), c: c.copy())) }
    return .gru(buffer.h.copy())
  }

  /// Runs `tokens` through the network from the carried state; logits of the last position.
  public mutating func feed(_ tokens: [Int]) -> [Float] {
    for t in tokens { step(t) }
    return logits.scalars
  }

  /// Runs `token` from the carried state and lends the logits after it to `body` (no copy).
  public mutating func feed<R>(token: Int, _ body: (UnsafeBufferPointer<Float>) -> R) -> R {
    step(token)
    return logits.withUnsafeBufferPointer(body)
  }

  /// One step: embedding, every recurrent layer, the head.
  private mutating func step(_ token: Int) {
    let table = network.embedding.weight
    let (count, e) = (table.shape[0], table.shape[1])
    require(token >= 0 && token < count, "[RNNPredictor] token id \(token) is outside the vocabulary 0..<\(count)")
    input.storage.base.update(from: table.storage.base + token * e, count: e)
    if let lstm = network.lstm {
      lstm.decode(input.storage.base, state: buffer)
    } else if let gru = network.gru {
      gru.decode(input.storage.base, state: buffer)
    }
    let layers = buffer.h.shape[0]
    InferenceKernels.linear(
      buffer.h.storage.base + (layers - 1) * buffer.h.shape[2], rows: 1, weight: network.head.weight,
      bias: network.head.bias, into: logits.storage.base)
    started = true
  }
}

/// Steps a `GPTNetwork` over a growing context, kept within `blockSize` tokens.
///
/// The positions are learned absolute embeddings, so keys cached at positions `1...` cannot be
/// moved to `0...` when the oldest token leaves: predicting from exactly the last `blockSize`
/// tokens (nanoGPT's sliding window) costs a full forward pass over `blockSize` tokens per
/// character. What happens once the context is full:
///
/// - default (`exactContext == false`): the context restarts from its last `restartLength`
///   tokens (3/4 of a block, 48 of char-gpt's 64), whose keys and values are computed again in
///   one batched pass; the next `blockSize − restartLength` tokens are appended to the cache
///   one at a time. Every prediction therefore sees between `restartLength` and `blockSize`
///   tokens (48...64), and the cache is rebuilt once every `blockSize − restartLength + 1`
///   tokens (17): about 1/17 of a 48-token pass plus one cached step per character.
/// - `exactContext`: the context is always the last `blockSize` tokens, recomputed from scratch
///   at every token (nanoGPT's `generate`). Slower (a 64-token pass per character), and the
///   text differs from the default's once it is longer than the block size.
///
/// Until the context first exceeds `blockSize` both give the logits of one pass over the whole
/// context. A prompt fed at once keeps its last `blockSize` tokens.
///
/// With `useCache` (the default) the steps run on a `GPTDecoder` (preallocated key/value
/// buffers, nothing recorded or allocated per token); without it, every step recomputes the
/// context with `network(tokens)`, the recorded ops in evaluation mode: a slow oracle for
/// tests. Both follow the same context rule and give the same logits up to rounding.
public struct GPTPredictor: NextTokenPredictor {
  /// The network (use it in eval mode, inside `withNoGrad`).
  public let network: GPTNetwork
  /// Whether to reuse keys and values through preallocated caches.
  public let useCache: Bool
  /// Whether the context slides by one token (exact) instead of restarting (see above).
  public let exactContext: Bool
  /// The context the last logits were computed from (at most `blockSize` tokens).
  public private(set) var context: [Int] = []
  /// How many times the context was cut (a restart, or a slide with `exactContext`) and its
  /// keys and values computed again from scratch.
  public private(set) var cuts = 0
  private let decoder: GPTDecoder?

  /// A predictor with an empty context.
  public init(network: GPTNetwork, useCache: Bool = true, exactContext: Bool = false) {
    self.network = network
    self.useCache = useCache
    self.exactContext = exactContext
    decoder = useCache ? GPTDecoder(network: network) : nil
    context.reserveCapacity(2 * network.blockSize)
  }

  /// The tokens a restart keeps: 3/4 of the block size (at least 1).
  public var restartLength: Int { Swift.max(1, network.blockSize - network.blockSize / 4) }

  /// Appends `tokens` and returns the logits after the last one.
  public mutating func feed(_ tokens: [Int]) -> [Float] {
    tokens.withUnsafeBufferPointer { t in advance(t) { Array($0) } }
  }

  /// Appends `token` and lends the logits after it to `body` (the decoder's buffer, no copy).
  public mutating func feed<R>(token: Int, _ body: (UnsafeBufferPointer<Float>) -> R) -> R {
    withUnsafePointer(to: token) { advance(UnsafeBufferPointer(start: $0, count: 1), body) }
  }

  /// Moves the context on by `tokens` under the rule above, runs the network over what is new
  /// (or over the whole context after a cut) and passes the last logits `[V]` to `body`.
  private mutating func advance<R>(_ tokens: UnsafeBufferPointer<Int>, _ body: (UnsafeBufferPointer<Float>) -> R) -> R {
    let block = network.blockSize
    let fits = context.count + tokens.count <= block
    context.append(contentsOf: tokens)
    if !fits {
      // A cut keeps at least what was fed at once (a long prompt keeps a whole block).
      let keep = exactContext ? block : Swift.min(block, Swift.max(restartLength, tokens.count))
      context.removeFirst(context.count - keep)
      cuts += 1
    }
    guard let decoder else {
      let logits = network(IndexTensor(context).reshaped([1, context.count]))
      let v = logits.shape[2]
      return logits.withUnsafeBufferPointer { body(UnsafeBufferPointer(rebasing: $0[((context.count - 1) * v)...])) }
    }
    let logits: Tensor
    if fits && decoder.count + tokens.count == context.count {
      logits = decoder.append(tokens)
    } else {
      decoder.reset()
      logits = context.withUnsafeBufferPointer { decoder.append($0) }
    }
    return logits.withUnsafeBufferPointer(body)
  }
}

/// Runs `body` with `module` in eval mode and no gradient recording, restoring its mode after.
func sampling<R>(_ module: Module, _ body: () throws -> R) rethrows -> R {
  let wasTraining = module.isTraining
  module.eval()
  defer { module.train(wasTraining) }
  return try withNoGrad(body)
}

extension CharRNN {
  /// `length` characters continuing `prime`, drawn with `generator` under `options`, each passed
  /// to `onCharacter` as it is generated; the state is carried one character at a time.
  /// - Throws: `RecipeError` for a negative length, bad options or an unknown priming character.
  public func sample(
    prime: String = "", length: Int, options: SamplingOptions = SamplingOptions(),
    using generator: inout SeededGenerator, onCharacter: (String) throws -> Void = { _ in }
  ) throws -> String {
    try sampling(network) {
      var predictor = RNNPredictor(network: network)
      return try TextSampler.generate(
        predictor: &predictor, vocabulary: vocabulary, prime: prime, length: length, options: options,
        recipe: Self.name, using: &generator, onCharacter: onCharacter)
    }
  }
}

extension CharGPT {
  /// `length` characters continuing `prime` (cropped to the last `blockSize` characters), drawn
  /// with `generator` under `options`, each passed to `onCharacter` as it is generated.
  /// Past the block size the context restarts from its last 3/4 block, or slides by one
  /// character with `options.exactContext` (see `GPTPredictor`). `useCache: false` recomputes
  /// the context every step with the recorded ops (same result up to rounding, much slower).
  /// - Throws: `RecipeError` for a negative length, bad options or an unknown priming character.
  public func sample(
    prime: String = "", length: Int, options: SamplingOptions = SamplingOptions(), useCache: Bool = true,
    using generator: inout SeededGenerator, onCharacter: (String) throws -> Void = { _ in }
  ) throws -> String {
    try sampling(network) {
      var predictor = GPTPredictor(network: network, useCache: useCache, exactContext: options.exactContext)
      return try TextSampler.generate(
        predictor: &predictor, vocabulary: vocabulary, prime: prime, length: length, options: options,
        recipe: Self.name, using: &generator, onCharacter: onCharacter)
    }
  }
}
