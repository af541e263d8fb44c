import GenAIData

/// Everything a recipe is built from: the run's seed and learning rate, what the data holds
/// (classes, vocabulary), and the recipes' own options. The training layer makes one from a
/// run's configuration; `RecipeKind.make` turns it into a recipe.
public struct RecipeSetup: Sendable {
  /// The seed the parameters are drawn from.
  public var seed: UInt64
  /// The learning rate, or `nil` for the recipe's own default.
  public var learningRate: Float?
  /// Total training steps (for schedules that end with the run).
  public var steps: Int
  /// The training data, for messages and its kind.
  public var data: DataSpec
  /// The data's class names (images, audio), when it has labels.
  public var classNames: [String]?
  /// Condition on the class label (`--conditional`).
  public var conditional: Bool
  /// Text recipes: the vocabulary, fixed when the run starts.
  public var vocabulary: Vocabulary?
  /// The recipes' own options.
  public var options: RecipeOptions

  /// A setup with no classes, no vocabulary and default options.
  public init(
    seed: UInt64 = 0, learningRate: Float? = nil, steps: Int = 1, data: DataSpec, classNames: [String]? = nil,
    conditional: Bool = false, vocabulary: Vocabulary? = nil, options: RecipeOptions = RecipeOptions()
  ) {
    self.seed = seed
    self.learningRate = learningRate
    self.steps = steps
    self.data = data
    self.classNames = classNames
    self.conditional = conditional
    self.vocabulary = vocabulary
    self.options = options
  }

  /// The number of classes a conditional recipe conditions on, or `nil` when not conditional.
  /// - Throws: `RecipeError` when conditional but the data has no classes.
  public func conditioningClasses(for recipe: String) throws -> Int? {
    guard conditional else { return nil }
    return try labelledClasses(for: recipe, purpose: "conditioning on the class")
  }

  /// The number of classes of labelled data (at least 2).
  /// - Throws: `RecipeError` when the data has fewer than two classes.
  public func labelledClasses(for recipe: String, purpose: String = "training") throws -> Int {
    guard let names = classNames, names.count >= 2 else {
      throw RecipeError(recipe: recipe, "\(purpose) needs labelled data with at least 2 classes: \(data) has \(classNames?.count ?? 0)")
    }
    return names.count
  }

  /// The vocabulary of a text recipe.
  /// - Throws: `RecipeError` when there is none.
  public func requiredVocabulary(for recipe: String) throws -> Vocabulary {
    guard let vocabulary else {
      throw RecipeError(recipe: recipe, "the configuration has no vocabulary (it is fixed when training starts)")
    }
    return vocabulary
  }
}

/// The options of particular recipes, saved with the run (`config.json` keeps them at its top
/// level: `vaeArchitecture`, `klWarmupSteps`, `charRNN`, `charGPT`, `audio`, `ganImprovements`).
public struct RecipeOptions: Sendable, Equatable {
  /// VAE: `conv` (as ../shared/bench/vae.py) or `mlp` (784-400-20).
  public var vaeArchitecture: VAEArchitecture = .conv
  /// VAE: KL warm-up steps.
  public var klWarmupSteps = 0
  /// char-rnn options.
  public var charRNN = CharRNN.Config()
  /// char-gpt options.
  public var charGPT = CharGPT.Config()
  /// audio options.
  public var audio = AudioDigits.Config()
  /// dcgan, dcgan-plus and vaegan: the improvements to the article's model, or `nil` for the
  /// recipe's own (none for dcgan and vaegan, `GANImprovement.recommended` for dcgan-plus).
  public var ganImprovements: Set<GANImprovement>?

  /// The defaults.
  public init() {}
}
