import GenAIData
import GenAINN
import GenAITensor

/// A character-level language model that can be scored on any text in its vocabulary: the
/// common ground of `CharRNN` and `CharGPT` for validation loss, perplexity and bits per character.
public protocol CharacterModel: Recipe {
  /// The characters the model knows.
  var vocabulary: Vocabulary { get }
  /// The window length it trained on (char-rnn's sequence length, char-gpt's block size).
  var contextLength: Int { get }
  /// The network to put in evaluation mode while scoring.
  var scoredNetwork: Module { get }
  /// Logits `[B, T, V]` for tokens `[B, T]` (`T ≤ contextLength`), each position predicting the next.
  func logits(_ tokens: IndexTensor) -> Tensor
}

extension CharRNN: CharacterModel {
  /// `config.sequenceLength`.
  public var contextLength: Int { config.sequenceLength }
  /// `network`.
  public var scoredNetwork: Module { network }
}

extension CharGPT: CharacterModel {
  /// `config.blockSize`.
  public var contextLength: Int { config.blockSize }
  /// `network`.
  public var scoredNetwork: Module { network }
}

/// The result of scoring a model on a text.
public struct CharacterLoss: Equatable, Sendable {
  /// Mean cross-entropy per predicted character, nats.
  public var nats: Double
  /// Characters predicted (targets scored).
  public var characters: Int
}

extension CharacterModel {
  /// The mean next-character cross-entropy over `ids` (already encoded in `vocabulary`), cut into
  /// non-overlapping windows of `contextLength + 1` ids (each window's first id is context only),
  /// at most `maxWindows` of them spread evenly over the text, `batchSize` windows at a time, in
  /// evaluation mode without recording gradients. Each window starts from an empty context (as
  /// in training), so this is the loss the training loop reports, measured on other text.
  /// - Throws: `RecipeError` when `ids` is shorter than one window or holds an id outside the vocabulary.
  public func characterLoss(ids: [Int], maxWindows: Int = 400, batchSize: Int = 16) throws -> CharacterLoss {
    let t = contextLength
    let available = (ids.count - 1) / t
    guard available >= 1 else {
      throw RecipeError(recipe: Self.name, "scoring needs at least \(t + 1) characters, got \(ids.count)")
    }
    if let bad = ids.first(where: { $0 < 0 || $0 >= vocabulary.size }) {
      throw RecipeError(recipe: Self.name, "id \(bad) is outside the vocabulary 0..<\(vocabulary.size)")
    }
    let count = Swift.min(available, Swift.max(maxWindows, 1))
    // Evenly spread window starts, so a cap still covers the whole text.
    let starts = (0..<count).map { (($0 * available) / count) * t }
    var total = 0.0
    var scored = 0
    let network = scoredNetwork
    let wasTraining = network.isTraining
    network.eval()
    defer { network.train(wasTraining) }
    withNoGrad {
      for first in stride(from: 0, to: starts.count, by: Swift.max(batchSize, 1)) {
        let chunk = starts[first..<Swift.min(first + batchSize, starts.count)]
        var inputs = [Int]()
        var targets = [Int]()
        for s in chunk {
          inputs += ids[s..<(s + t)]
          targets += ids[(s + 1)..<(s + t + 1)]
        }
        let b = chunk.count
        let loss = logits(IndexTensor(inputs).reshaped([b, t])).softmaxCrossEntropy(targets: IndexTensor(targets).reshaped([b, t]), reduction: .sum)
        total += Double(loss.item)
        scored += b * t
      }
    }
    return CharacterLoss(nats: total / Double(scored), characters: scored)
  }
}
