import Foundation
import GenAIData
import GenAINN
import GenAITensor

/// How the next token is chosen from the model's logits.
///
/// Logits are divided by `temperature`; `topK` keeps the `k` most likely tokens; `topP` then
/// keeps the smallest set of most likely tokens whose probability sums to at least `p` (nucleus
/// sampling, Holtzman et al. 2019); the token is drawn from the renormalised rest. A temperature
/// of 0 (or `topK` 1) is greedy: the most likely token, the lowest id on ties.
public struct SamplingOptions: Sendable, Equatable, Codable {
  /// Softmax temperature, ≥ 0; 0 is greedy.
  public var temperature: Float
  /// Keep only the `k` most likely tokens (`nil`: all).
  public var topK: Int?
  /// Keep the smallest most-likely set with mass ≥ `p`, `p` in (0, 1] (`nil`: all).
  public var topP: Float?

  /// Options with the given filters.
  public init(temperature: Float = 1, topK: Int? = nil, topP: Float? = nil) {
    self.temperature = temperature
    self.topK = topK
    self.topP = topP
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
}

/// Sampling text from a character model, one character at a time.
public enum TextSampler {
  /// The indices of the tokens `options` may choose from and their probabilities (summing to 1),
  /// most likely first (ties by lower id).
  public static func candidates(logits: [Float], options: SamplingOptions) -> [(id: Int, probability: Double)] {
    precondition(!logits.isEmpty, "[TextSampler] empty logits")
    var order = Array(logits.indices)
    order.sort { logits[$0] > logits[$1] || (logits[$0] == logits[$1] && $0 < $1) }
    if options.temperature == 0 { return [(order[0], 1)] }
    if let k = options.topK { order = Array(order.prefix(k)) }
    let t = Double(options.temperature)
    let top = Double(logits[order[0]])
    var weights = order.map { exp((Double(logits[$0]) - top) / t) }
    var total = weights.reduce(0, +)
    if let p = options.topP, p < 1 {
      var mass = 0.0
      var keep = 0
      for w in weights {
        mass += w / total
        keep += 1
        if mass >= Double(p) { break }
      }
      order = Array(order.prefix(keep))
      weights = Array(weights.prefix(keep))
      total = weights.reduce(0, +)
    }
    return zip(order, weights).map { ($0, $1 / total) }
  }

  /// Draws the next token from `logits` `[V]` under `options` with `generator`. Greedy choices
  /// draw nothing from the generator.
  public static func chooseToken(logits: [Float], options: SamplingOptions, using generator: inout SeededGenerator) -> Int {
    let c = candidates(logits: logits, options: options)
    if c.count == 1 { return c[0].id }
    let u = Double.random(in: 0..<1, using: &generator)
    var cumulative = 0.0
    for (id, p) in c {
      cumulative += p
      if u < cumulative { return id }
    }
    return c[c.count - 1].id
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
  /// each new character as soon as it is chosen. Returns the generated text (without the prime).
  /// - Throws: `RecipeError` for a negative length, bad options or a prime the vocabulary cannot
  ///   encode.
  public static func generate(
    predictor: inout some NextTokenPredictor, vocabulary: Vocabulary, prime: String, length: Int,
    options: SamplingOptions, recipe: String, using generator: inout SeededGenerator,
    onCharacter: (String) -> Void = { _ in }
  ) throws -> String {
    guard length >= 0 else { throw RecipeError(recipe: recipe, "length must be ≥ 0, got \(length)") }
    try options.validate(recipe: recipe)
    let start = try encodePrime(prime, vocabulary: vocabulary, recipe: recipe)
    var out = ""
    guard length > 0 else { return out }
    var logits = predictor.feed(start)
    for i in 0..<length {
      let id = chooseToken(logits: logits, options: options, using: &generator)
      let ch = vocabulary.symbol(for: id)
      out += ch
      onCharacter(ch)
      if i + 1 < length { logits = predictor.feed([id]) }
    }
    return out
  }
}

/// Steps a `CharRNNNetwork` one token at a time, carrying its recurrent state.
public struct RNNPredictor: NextTokenPredictor {
  /// The network (use it in eval mode, inside `withNoGrad`).
  public let network: CharRNNNetwork
  /// The state after every token fed so far (`nil` before the first).
  public private(set) var state: RecurrentState?

  /// A predictor starting from a zero state.
  public init(network: CharRNNNetwork) { self.network = network }

  /// Runs `tokens` through the network from the carried state; logits of the last position.
  public mutating func feed(_ tokens: [Int]) -> [Float] {
    let (logits, s) = network(IndexTensor(tokens).reshaped([1, tokens.count]), state: state)
    state = s
    let v = logits.shape[2]
    return Array(logits.scalars[((tokens.count - 1) * v)...])
  }
}

/// Steps a `GPTNetwork` over a growing context, cropped to the last `blockSize` tokens.
///
/// With `useCache`, each new token is fed alone against every layer's `KVCache`; when the
/// context would exceed `blockSize`, the cache is rebuilt from the last `blockSize` tokens
/// (positions are absolute, so cached keys cannot be shifted). Without it, every step recomputes
/// the whole cropped context; both give the same logits up to rounding.
public struct GPTPredictor: NextTokenPredictor {
  /// The network (use it in eval mode, inside `withNoGrad`).
  public let network: GPTNetwork
  /// Whether to reuse keys and values through a cache.
  public let useCache: Bool
  /// The context so far (at most `blockSize` tokens).
  public private(set) var context: [Int] = []
  private var caches: [KVCache?]

  /// A predictor with an empty context.
  public init(network: GPTNetwork, useCache: Bool = true) {
    self.network = network
    self.useCache = useCache
    caches = [KVCache?](repeating: nil, count: network.blocks.count)
  }

  /// Appends `tokens` and returns the logits after the last one.
  public mutating func feed(_ tokens: [Int]) -> [Float] {
    let block = network.blockSize
    context += tokens
    var fresh = tokens
    if context.count > block {
      context = Array(context.suffix(block))
      caches = [KVCache?](repeating: nil, count: network.blocks.count)
      fresh = context
    }
    let logits: Tensor
    if useCache {
      if caches.first.flatMap({ $0 }) == nil { fresh = context }
      logits = network.forward(IndexTensor(fresh).reshaped([1, fresh.count]), caches: &caches, useCache: true)
    } else {
      fresh = context
      logits = network(IndexTensor(context).reshaped([1, context.count]))
    }
    let v = logits.shape[2]
    return Array(logits.scalars[((fresh.count - 1) * v)...])
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
    using generator: inout SeededGenerator, onCharacter: (String) -> Void = { _ in }
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
  /// `useCache: false` recomputes the full context every step (same result, slower).
  /// - Throws: `RecipeError` for a negative length, bad options or an unknown priming character.
  public func sample(
    prime: String = "", length: Int, options: SamplingOptions = SamplingOptions(), useCache: Bool = true,
    using generator: inout SeededGenerator, onCharacter: (String) -> Void = { _ in }
  ) throws -> String {
    try sampling(network) {
      var predictor = GPTPredictor(network: network, useCache: useCache)
      return try TextSampler.generate(
        predictor: &predictor, vocabulary: vocabulary, prime: prime, length: length, options: options,
        recipe: Self.name, using: &generator, onCharacter: onCharacter)
    }
  }
}
