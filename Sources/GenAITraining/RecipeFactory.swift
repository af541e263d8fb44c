import GenAIData
import GenAIModels
import GenAINN
import GenAITensor

/// Builds a recipe from a run configuration, without touching the data, so `genai sample` can
/// rebuild a trained recipe from its checkpoint alone.
public enum RecipeFactory {
  /// The range image recipes want their data in (`.zeroToOne` for the Bernoulli VAE).
  public static func pixelRange(for recipe: RecipeKind) -> PixelRange {
    recipe == .vae ? .zeroToOne : .minusOneToOne
  }

  /// The text window length of a text recipe (char-rnn's sequence length, char-gpt's block
  /// size); 0 for other recipes.
  public static func sequenceLength(_ config: RunConfig) -> Int {
    switch config.recipe {
    case .charRNN: return config.charRNN.sequenceLength
    case .charGPT: return config.charGPT.blockSize
    default: return 0
    }
  }

  /// The recipe `config` describes, with parameters drawn from `config.seed`.
  /// - Throws: `TrainingError` when a text recipe has no vocabulary or a conditional one has no
  ///   class names; `RecipeError` for inconsistent options.
  public static func make(_ config: RunConfig) throws -> any Recipe {
    let lr = config.learningRate
    switch config.recipe {
    case .dcgan:
      return DCGAN(classCount: try classCount(config), seed: config.seed, learningRate: lr ?? 2e-4)
    case .wganGP:
      return WGANGP(classCount: try classCount(config), seed: config.seed, learningRate: lr ?? 1e-4)
    case .vae:
      let network = config.vaeArchitecture.network(seed: config.seed)
      return try VAE(network: network, warmupSteps: config.klWarmupSteps, learningRate: lr ?? 1e-3)
    case .vaegan:
      return VAEGAN(seed: config.seed, learningRate: lr ?? 2e-4)
    case .charRNN:
      var options = config.charRNN
      if let lr { options.learningRate = lr }
      return try CharRNN(vocabulary: try vocabulary(config), config: options, seed: config.seed)
    case .charGPT:
      var options = config.charGPT
      if let lr { options.learningRate = lr }
      return try CharGPT(vocabulary: try vocabulary(config), config: options, seed: config.seed)
    case .audio:
      var options = config.audio
      if let lr { options.learningRate = lr }
      return try AudioDigits(config: options, seed: config.seed)
    case .classifier:
      guard let names = config.classNames, !names.isEmpty else {
        throw TrainingError("the classifier needs labelled data: \(config.data) has no classes")
      }
      return config.data.kind == .audio
        ? AudioClassifier(classCount: names.count, seed: config.seed, learningRate: lr ?? AudioClassifier.defaultLearningRate)
        : ImageClassifier(
          classCount: names.count, seed: config.seed, learningRate: lr ?? ImageClassifier.defaultLearningRate, totalSteps: config.steps)
    }
  }

  private static func classCount(_ config: RunConfig) throws -> Int? {
    guard config.conditional else { return nil }
    guard let names = config.classNames, !names.isEmpty else {
      throw TrainingError("--conditional needs labelled data: \(config.data) has no classes")
    }
    return names.count
  }

  private static func vocabulary(_ config: RunConfig) throws -> Vocabulary {
    guard let vocabulary = config.vocabulary else {
      throw TrainingError("the \(config.recipe.rawValue) configuration has no vocabulary (it is fixed when training starts)")
    }
    return vocabulary
  }
}
