import ArgumentParser
import Foundation
import GenAI

/// `genai quickstart` (what plain `genai` runs): the real pipeline in a few minutes, offline.
struct QuickstartCommand: ParsableCommand {
  static let configuration = CommandConfiguration(
    commandName: "quickstart",
    abstract: "Train a DCGAN for a few minutes and write a sample grid (what `genai` alone runs).",
    discussion: """
      Uses Fashion-MNIST when it is found in the data folder (--data-dir, $GENAI_DATA, ./data or \
      ../shared/data), and otherwise the built-in procedurally drawn shapes, so it always works \
      offline. Batches of 32 (half the reference DCGAN's), 1,000 steps by default. Writes a normal \
      run folder: samples over time, metrics.jsonl, a checkpoint that `genai sample` and \
      `genai train --resume` take. Prints where everything is.
      """)

  @Option(help: "Training steps.")
  var steps: Int = 1000

  @Option(help: "Folder holding the named datasets.")
  var dataDir: String?

  @Option(help: "The run folder (default runs/quickstart-DATE).")
  var out: String?

  @Option(help: "Seed of every random choice.")
  var seed: UInt64 = 0

  @Flag(help: "Plain log lines even on a terminal (no progress bar).")
  var plain = false

  func validate() throws {
    guard steps >= 1 else { throw ValidationError("--steps must be at least 1, got \(steps)") }
  }

  func run() throws {
    let directory = DataDirectory.resolve(path: dataDir)
    let fashion = DatasetCatalog.fashionMNIST
    let haveFashion = DatasetCatalog.status(of: fashion, in: directory).state == .found
    var config = RunConfig(recipe: DCGAN.kind)
    config.data = haveFashion ? .named(fashion) : .shapes
    config.steps = steps
    // Half the reference batch: the samples after 1,000 steps look alike and the run costs half
    // (measured: 1.5 minutes on a 2-core Zen 4 with AVX-512, 2.4 on a 2-core Zen 3 with AVX2).
    config.batchSize = 32
    config.seed = seed
    config.sampleEvery = max(100, steps / 4)
    config.checkpointEvery = 0
    config.logEvery = 50
    if !haveFashion {
      print("Fashion-MNIST not found in \(directory); training on the built-in shapes instead (see `genai datasets`).")
    }
    let url = out.map { URL(fileURLWithPath: $0) }
      ?? RunDirectory.defaultURL(name: "quickstart")
    Interruption.install()
    defer { Interruption.uninstall() }
    let trainer = try Trainer.start(config: config, in: RunDirectory(url: url), dataDirectory: directory)
    if plain { trainer.interactive = false }
    let outcome = try trainer.train()
    let run = trainer.run
    let finalStep: Int
    switch outcome {
    case .finished(let step), .interrupted(let step), .stoppedEarly(let step): finalStep = step
    }
    print("""

      Outputs in \(run.url.path):
        sample grid      \(run.sampleURL(step: finalStep, fileExtension: "png").path)
        samples so far   \(run.samplesURL.path)
        metrics          \(run.metricsURL.path)
        checkpoint       \(run.checkpointURL(step: finalStep).path)
      Next:
        swift run -c release genai sample \(run.url.path) --count 64 --seed 1
        swift run -c release genai report \(run.url.path)          # one HTML page of the run
        swift run -c release genai train classifier --data \(config.data)   # once, for FID and friends
        swift run -c release genai eval \(run.url.path)
        swift run -c release genai train --resume \(run.url.path) --steps \(finalStep * 5)
      """)
  }
}
