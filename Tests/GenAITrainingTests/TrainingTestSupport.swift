import Foundation
import GenAIData
@testable import GenAITraining

/// Helpers shared by the training tests.
enum TrainingTestSupport {
  /// A fresh empty temporary folder, removed by the caller.
  static func temporaryFolder(_ name: String) -> URL {
    let url = FileManager.default.temporaryDirectory.appending(path: "genai-\(name)-\(UInt32.random(in: 0...UInt32.max))")
    try? FileManager.default.createDirectory(at: url, withIntermediateDirectories: true)
    return url
  }

  /// ../shared/data beside the repository, or `nil` when it is absent.
  static func sharedData(filePath: String = #filePath) -> DataDirectory? {
    let url = URL(fileURLWithPath: filePath).deletingLastPathComponent()
      .appending(path: "../../../shared/data").standardizedFileURL
    return FileManager.default.fileExists(atPath: url.path) ? DataDirectory(url: url) : nil
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
