import Foundation
import GenAIData
import GenAIModels
import GenAINN

/// A recipe rebuilt from a saved run: `genai sample` and `genai restore` start here.
public struct TrainedRecipe {
  /// The run the checkpoint belongs to.
  public let run: RunDirectory
  /// The run's configuration.
  public let config: RunConfig
  /// The checkpoint loaded.
  public let checkpoint: URL
  /// The global step the checkpoint was saved at.
  public let step: Int
  /// The recipe with the checkpoint's weights.
  public let recipe: any Recipe

  /// Loads `path`: a run folder (its newest checkpoint) or a checkpoint file in one.
  /// - Parameter expected: when given, a run of another recipe is an error.
  /// - Throws: `TrainingError` when `path` is not a run or checkpoint, or is of another recipe;
  ///   `CheckpointError`/`SafeTensorsError` for an unreadable or mismatched checkpoint.
  public init(loading path: String, expected: RecipeKind? = nil) throws {
    let (run, checkpoint) = try RunDirectory.locate(path)
    let config = try run.readConfig()
    if let expected, expected != config.recipe {
      throw TrainingError("\(path) is a \(config.recipe.name) run, not \(expected.name)")
    }
    try Trainer.checkRecipe(of: checkpoint, is: config.recipe)
    let recipe = try config.makeRecipe()
    let state = try TrainingCheckpoint.load(from: checkpoint, into: recipe.models, optimizers: recipe.optimizers, dataPosition: BatchLoader.Position.self)
    self.run = run
    self.config = config
    self.checkpoint = checkpoint
    self.step = state.step
    self.recipe = recipe
  }

  /// The run's training text (text recipes whose data is still where it was), else `nil`.
  public func trainingText() -> String? {
    let directory = DataDirectory(url: URL(fileURLWithPath: config.dataDirectory ?? "."))
    guard config.recipe.dataKind == .text, let url = TrainingData.textURL(config.data, in: directory) else { return nil }
    return try? TextCorpus(contentsOf: url).text
  }

  /// What every sample file records about its origin: the checkpoint (name, full path and
  /// SHA-256, so `genai sample --reproduce` finds and checks it), the step and the run.
  public var provenance: [String: String] {
    [
      "checkpoint": checkpoint.lastPathComponent, "step": String(step), "run": run.url.lastPathComponent,
      "checkpoint_path": checkpoint.standardizedFileURL.path, "model_sha256": (try? SHA256.hex(file: checkpoint)) ?? "unknown",
    ]
  }

  /// The run's tuned latent prior (`tuned-prior.json`, written by `genai tune`), if any.
  public func tunedPrior() throws -> LatentPrior? {
    try TunedPrior.load(run)?.prior
  }
}
