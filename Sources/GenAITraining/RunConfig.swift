import Foundation
import GenAIData
import GenAIModels

/// Everything that defines a training run, saved as `config.json` in the run directory and in
/// every checkpoint, so `--resume` and `genai sample` rebuild exactly the same recipe.
public struct RunConfig: Codable, Equatable, Sendable {
  /// The recipe.
  public var recipe: RecipeKind
  /// The training data (`--data`), recorded in `config.json` as it would be typed
  /// (`fashion-mnist`, `shapes`, `text:PATH`, ...).
  public var data: DataSpec
  /// Total training steps (updates of the main network).
  public var steps: Int
  /// Items per batch.
  public var batchSize: Int
  /// The learning rate, or `nil` for the recipe's own default.
  public var learningRate: Float?
  /// The seed every random choice of the run derives from.
  public var seed: UInt64
  /// Write samples every this many steps (0: only at the end).
  public var sampleEvery: Int
  /// Save a checkpoint every this many steps (0: only at the end or on Ctrl-C).
  public var checkpointEvery: Int
  /// Append a line to `metrics.jsonl` every this many steps.
  public var logEvery: Int
  /// How many step checkpoints to keep (the newest ones).
  public var keepCheckpoints: Int
  /// Images or audio clips in each sample written during training (text: 400 characters).
  public var sampleCount: Int

  /// Image GANs: condition G and D on the class label (`--conditional`).
  public var conditional: Bool
  /// VAE: the network, `conv` (as ../shared/bench/vae.py) or `mlp` (784-400-20).
  public var vaeArchitecture: VAEArchitecture
  /// VAE: KL warm-up steps.
  public var klWarmupSteps: Int
  /// char-rnn options.
  public var charRNN: CharRNN.Config
  /// char-gpt options.
  public var charGPT: CharGPT.Config
  /// audio options.
  public var audio: AudioDigits.Config
  /// dcgan, dcgan-plus and vaegan: the improvements used (`nil`, or absent from `config.json`: the
  /// recipe's own set), sorted.
  public var ganImprovements: [GANImprovement]?

  /// Evaluate the main metric every this many steps (0: never; `nil`: every `sampleEvery`).
  /// Optional fields like this one default when missing, so older runs still load.
  public var evalEvery: Int?
  /// Samples per evaluation during training (`nil`: 500 images, 100 clips, 2,000 characters).
  public var evalSamples: Int?
  /// How many best checkpoints by the main metric to keep in `checkpoints/best/` (`nil`: 1).
  public var keepBest: Int?
  /// Stop after this many evaluations without improvement of the main metric (`nil`: never).
  public var patience: Int?
  /// GANs: the health monitor's policy (`nil`: `MonitorPolicy.default`), written in
  /// `config.json` as its spec (`"rollback,lower-d-lr"`, `"off"`).
  public var monitor: MonitorPolicy?
  /// The feature network's run folder (`nil`: `classifier-<data>` beside the run or in `runs/`).
  public var classifier: String?

  /// Steps between evaluations (0: off).
  public var evaluationInterval: Int { evalEvery ?? sampleEvery }
  /// Best checkpoints kept.
  public var bestToKeep: Int { keepBest ?? 1 }

  /// The data folder named datasets were found in when the run started (`--resume` looks there
  /// unless given another).
  public var dataDirectory: String?
  /// Text recipes: the vocabulary, fixed when the run starts.
  public var vocabulary: Vocabulary?
  /// Class names of the data (images, audio), fixed when the run starts.
  public var classNames: [String]?

  /// The defaults of `recipe` on `data` (`nil`: the recipe's own dataset), from its `RecipeKind`.
  /// Data the recipe does not train on keeps the recipe's first defaults; `TrainingData.load`
  /// rejects it with a message.
  public init(recipe: RecipeKind, data: DataSpec? = nil) {
    let data = data ?? recipe.defaultData
    let defaults = recipe.defaults(for: data.kind) ?? recipe.data[0]
    self.recipe = recipe
    self.data = data
    steps = defaults.steps
    batchSize = defaults.batchSize
    learningRate = nil
    seed = 0
    sampleEvery = 500
    checkpointEvery = 500
    logEvery = 10
    keepCheckpoints = 2
    sampleCount = defaults.sampleCount
    conditional = false
    let options = RecipeOptions()
    vaeArchitecture = options.vaeArchitecture
    klWarmupSteps = options.klWarmupSteps
    charRNN = options.charRNN
    charGPT = options.charGPT
    audio = options.audio
    dataDirectory = nil
    vocabulary = nil
    classNames = nil
  }

  /// The recipes' own options, kept at the top level of `config.json`.
  public var options: RecipeOptions {
    var options = RecipeOptions()
    options.vaeArchitecture = vaeArchitecture
    options.klWarmupSteps = klWarmupSteps
    options.charRNN = charRNN
    options.charGPT = charGPT
    options.audio = audio
    options.ganImprovements = ganImprovements.map(Set.init)
    return options
  }

  /// What the recipe is built from.
  public var setup: RecipeSetup {
    RecipeSetup(
      seed: seed, learningRate: learningRate, steps: steps, data: data, classNames: classNames, conditional: conditional,
      vocabulary: vocabulary, options: options)
  }

  /// The recipe this configuration describes, with parameters drawn from `seed`.
  /// - Throws: `RecipeError` for missing classes or vocabulary, or options the recipe rejects.
  public func makeRecipe() throws -> any Recipe { try recipe.make(setup) }

  /// The largest batch, sample and evaluation counts accepted: far above any use, low enough that
  /// a typo is refused instead of asking for more memory than the machine has.
  public static let countLimit = 100_000

  /// Checks the range of every field, those only `config.json` can set included, and the
  /// recipes' own options (named `charRNN.hiddenSize` and so on): the one place a run's settings
  /// are checked, whether they come from the command line, `--resume`, `genai sample` or the studio.
  /// - Throws: `SettingError` naming the first field out of range.
  public func validate() throws {
    try SettingError.check(steps >= 1, "steps", "must be at least 1, got \(steps)")
    try SettingError.check(batchSize >= 1, "batchSize", "must be at least 1, got \(batchSize)")
    // Batch normalisation in training mode needs two values per channel to have a variance.
    try SettingError.check(
      batchSize >= recipe.minimumBatchSize, "batchSize",
      "must be at least \(recipe.minimumBatchSize) for \(recipe.name) (its batch normalisation needs 2 items per batch), got \(batchSize)")
    try SettingError.check(batchSize <= Self.countLimit, "batchSize", "must be at most \(Self.countLimit), got \(batchSize)")
    if let learningRate { try SettingError.checkPositive(learningRate, "learningRate") }
    try SettingError.check(sampleEvery >= 0, "sampleEvery", "must be >= 0, got \(sampleEvery)")
    try SettingError.check(checkpointEvery >= 0, "checkpointEvery", "must be >= 0, got \(checkpointEvery)")
    try SettingError.check(logEvery >= 1, "logEvery", "must be at least 1, got \(logEvery)")
    try SettingError.check(sampleCount, in: 1...SampleRequest.countLimit, "sampleCount")
    try SettingError.check(keepCheckpoints >= 1, "keepCheckpoints", "must be at least 1, got \(keepCheckpoints)")
    try SettingError.check(klWarmupSteps >= 0, "klWarmupSteps", "must be >= 0, got \(klWarmupSteps)")
    try SettingError.check((evalEvery ?? 0) >= 0, "evalEvery", "must be >= 0, got \(evalEvery ?? 0)")
    if let evalSamples { try SettingError.check(evalSamples, in: 2...Self.countLimit, "evalSamples") }
    try SettingError.check((keepBest ?? 1) >= 1, "keepBest", "must be at least 1, got \(keepBest ?? 0)")
    try SettingError.check((patience ?? 1) >= 1, "patience", "must be at least 1, got \(patience ?? 0)")
    try SettingError.check(classNames.map { Set($0).count == $0.count } ?? true, "classNames", "must not repeat a name")
    try nested("charRNN") { try charRNN.validate() }
    try nested("charGPT") { try charGPT.validate() }
    try nested("audio") { try audio.validate() }
  }

  /// Runs `check`, naming a field it reports as one of `parent`'s.
  private func nested(_ parent: String, _ check: () throws -> Void) throws {
    do { try check() } catch let error as SettingError { throw error.nested(in: parent) }
  }

  /// Pretty, sorted JSON.
  public func encoded() throws -> Data {
    let encoder = JSONEncoder()
    encoder.outputFormatting = [.prettyPrinted, .sortedKeys]
    return try encoder.encode(self)
  }

  /// The configuration in `data` (as `encoded()` writes it), checked by `validate()`; `source`
  /// names the file in errors.
  /// - Throws: `TrainingError` naming `source` and the field when it is not a run configuration
  ///   or a setting is out of range.
  public static func decode(_ data: Data, source: String) throws -> RunConfig {
    let config: RunConfig
    do {
      config = try JSONDecoder().decode(RunConfig.self, from: data)
    } catch let error as DecodingError {
      // Foundation reports a number that does not fit its field (a fraction or a negative where a
      // count or the seed goes, or one too large) as invalid JSON, without the field.
      if (try? JSONSerialization.jsonObject(with: data)) is [String: Any] {
        if case .dataCorrupted(let context) = error, context.codingPath.isEmpty {
          throw TrainingError(
            "\(source): a number does not fit its field (a fraction, or a negative, where a whole count or the seed "
              + "is expected, or a value too large); the file is valid JSON otherwise")
        }
      }
      throw TrainingError("\(source): not a genai run configuration (\(Self.describe(error)))")
    }
    do {
      try config.validate()
    } catch let error as SettingError {
      throw TrainingError("\(source): \(error)")
    }
    return config
  }

  private static func describe(_ error: DecodingError) -> String {
    switch error {
    case .keyNotFound(let key, _): return "missing field \"\(key.stringValue)\""
    case .typeMismatch(_, let c), .valueNotFound(_, let c), .dataCorrupted(let c):
      let path = c.codingPath.map(\.stringValue).joined(separator: ".")
      return path.isEmpty ? c.debugDescription : "field \"\(path)\": \(c.debugDescription)"
    @unknown default: return "\(error)"
    }
  }
}
