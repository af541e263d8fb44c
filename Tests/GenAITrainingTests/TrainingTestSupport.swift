import Foundation
import GenAIData
import GenAIModels
import GenAITestSupport
@testable import GenAITraining

/// Helpers shared by the training tests.
enum TrainingTestSupport {
  /// The shared-data folder as a data directory, or `nil` unless every one of `datasets` is in
  /// it. Tests that use it carry `.requiresSharedData(...)` of the same datasets.
  static func sharedData(_ datasets: SharedData.Dataset...) -> DataDirectory? {
    datasets.allSatisfy { SharedData.has($0) } ? DataDirectory(url: SharedData.root) : nil
  }

  /// A small, fast configuration of `recipe` on `data`: tiny batches, no periodic files.
  static func config(_ recipe: RecipeKind, data: String, steps: Int, batch: Int = 8) -> RunConfig {
    var config = RunConfig(recipe: recipe)
    config.data = try! DataSpec(parsing: data)  // the tests pass valid specs
    config.steps = steps
    config.batchSize = batch
    config.sampleEvery = 0
    config.checkpointEvery = 0
    config.logEvery = 1
    config.sampleCount = 4
    config.charRNN.hiddenSize = 32
    config.charRNN.embeddingSize = 16
    config.charRNN.sequenceLength = 16
    config.charGPT.width = 32
    config.charGPT.layers = 1
    config.charGPT.heads = 2
    config.charGPT.blockSize = 16
    return config
  }

  /// Trains `config` to the end in `folder`, quietly.
  static func train(_ config: RunConfig, in folder: URL, dataDirectory: DataDirectory = DataDirectory(url: URL(fileURLWithPath: "/nonexistent"))) throws -> Trainer {
    let trainer = try Trainer.start(config: config, in: RunDirectory(url: folder), dataDirectory: dataDirectory)
    trainer.interactive = false
    trainer.write = { _ in }
    return trainer
  }

  /// A small UTF-8 text file of repeated Shakespeare-like lines.
  static func textFile(in folder: URL) throws -> URL {
    let url = folder.appending(path: "play.txt")
    let text = String(repeating: "ROMEO:\nBut soft, what light through yonder window breaks?\nJULIET:\nO Romeo, Romeo!\n\n", count: 20)
    try Data(text.utf8).write(to: url)
    return url
  }
}

/// The built-in recipes by short names, so tests read `config(.dcgan, ...)`.
extension RecipeKind {
  static var dcgan: RecipeKind { DCGAN.kind }
  static var wganGP: RecipeKind { WGANGP.kind }
  static var vae: RecipeKind { VAE.kind }
  static var vaegan: RecipeKind { VAEGAN.kind }
  static var charRNN: RecipeKind { CharRNN.kind }
  static var charGPT: RecipeKind { CharGPT.kind }
  static var audio: RecipeKind { AudioDigits.kind }
  static var classifier: RecipeKind { ClassifierRecipe.kind }
}
