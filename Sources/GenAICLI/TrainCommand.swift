import ArgumentParser
import Foundation
import GenAI
import GenAIDistributed

/// `genai train RECIPE --data DATASET ...`: trains a recipe into a run folder.
struct TrainCommand: ParsableCommand {
  // Computed, so recipes registered at run time are listed too.
  static var configuration: CommandConfiguration {
    CommandConfiguration(
      commandName: "train",
      abstract: "Train a generative model into a run folder (config, metrics, checkpoints, samples).",
      discussion: """
        Recipes:
        \(RecipeKind.all.map { "  \($0.name.padding(toLength: RecipeKind.nameWidth, withPad: " ", startingAt: 0))  \($0.summary)" }.joined(separator: "\n"))

        Data (--data): \(DataSpec.help). Named datasets are looked up in --data-dir, $GENAI_DATA, \
        ./data or ../shared/data.

        The run folder (--out, default runs/RECIPE-DATE) holds config.json, metrics.jsonl (one \
        JSON line per --log-every steps), checkpoints/step-N.safetensors and samples/step-N.* \
        drawn from the same seed each time. A progress bar with rate, ETA and losses shows on a \
        terminal; plain lines otherwise. Ctrl-C saves a checkpoint and exits; \
        `genai train --resume RUN` continues exactly where it stopped (same weights, optimiser, \
        random streams, data order).

        Evaluation during training: every --eval-every steps the recipe's main metric is measured (GANs: \
        FID on the feature network; vae: held-out ELBO; text: validation loss; audio: the feature \
        network's accuracy on generated digits; classifier: held-out accuracy), logged as a {"kind": \
        "eval"} line and in evals/step-N.json, and the best --keep-best checkpoints are kept in \
        checkpoints/best/ (`genai sample --best RUN`). --patience N stops after N evaluations without a \
        new best. The feature network is a classifier run: train it once with `genai train classifier \
        --data fashion-mnist` (it goes to runs/classifier-fashion-mnist, where evaluations look for it). \
        GANs are watched for collapse (near-duplicate samples, D pinned at 100%, exploding losses, falling \
        class coverage); --monitor says what to do: rollback, lower-d-lr, instance-noise \
        (comma-separated), warn, or off.

        More than one process (data-parallel, Open MPI): `mpirun -np N genai train ...` trains one \
        model on N processes, one machine or many (`--hostfile`), with the same run folder and result \
        as one process on the same global --batch-size (which N must divide). Each process takes its \
        rows of every batch; gradients are averaged after every backward pass; batch norm uses the \
        global batch's statistics (two small all-reduces per layer each way, and the unfused \
        normalisation); process 0 alone writes the run folder, which --resume continues with any N. \
        Threads per process default to the cores divided by the processes on each machine. A \
        collective that waits more than GENAI_MPI_TIMEOUT seconds (default 300) for a hung or lost \
        process ends the job, naming it. genai finds Open MPI's library at run time \
        (GENAI_MPI_LIBRARY overrides); `genai info` says whether it did.

        Examples:
          genai train dcgan --data fashion-mnist --steps 3000
          genai train dcgan --conditional --out runs/cdcgan
          genai sample runs/cdcgan --label sneaker
          genai train char-gpt --data shakespeare --steps 2000
          genai train classifier --data spoken-digits
          genai train dcgan --eval-every 250 --keep-best 3 --patience 4 --monitor rollback,instance-noise
          genai train --resume runs/cdcgan --steps 6000
          mpirun -np 2 genai train char-gpt --data shakespeare --out runs/gpt2p
        """)
  }

  @Argument(
    help: ArgumentHelp("The recipe: \(RecipeKind.allNames). Not needed with --resume.", valueName: "recipe"),
    transform: { try RecipeKind.named($0) })
  var recipe: RecipeKind?

  @Option(
    help: "The training data: \(DataSpec.forms) (see above). Default: the recipe's matching dataset.",
    transform: { try DataSpec(parsing: $0) })
  var data: DataSpec?

  @Option(help: "Folder holding the named datasets (default: $GENAI_DATA, ./data, ../shared/data; with --resume, the run's own).")
  var dataDir: String?

  @Option(help: "Training steps (default per recipe: \(RecipeKind.all.map { "\($0.name) \($0.data[0].steps)" }.joined(separator: ", "))). With --resume: a new total.")
  var steps: Int?

  @Option(help: "Stop after this many minutes of training even if steps remain (a checkpoint is saved; --resume continues): recipes compared at equal CPU time.")
  var minutes: Double?

  @Option(help: "Train this many passes over the data instead of --steps.")
  var epochs: Int?

  @Option(help: "Items per batch (default per recipe, as ../shared/bench: \(RecipeKind.all.map { "\($0.name) \($0.data[0].batchSize)" }.joined(separator: ", "))).")
  var batchSize: Int?

  @Option(help: "Learning rate (default per recipe: dcgan 2e-4, dcgan-plus 4e-4, vae 1e-3, char-gpt 1e-3, ...).")
  var lr: Float?

  @Option(help: "Seed of every random choice (weights, noise, data order).")
  var seed: UInt64 = 0

  @Option(help: "The run folder (default runs/RECIPE-DATE).")
  var out: String?

  @Option(help: "Continue the run in this folder from its newest checkpoint, with the settings in its config.json (--steps, --minutes, --data-dir and --plain still apply; options that would change the run are refused).")
  var resume: String?

  @Option(help: "Write samples every N steps (0: only at the end).")
  var sampleEvery: Int = 500

  @Option(help: "Save a checkpoint every N steps (0: only at the end or on Ctrl-C).")
  var checkpointEvery: Int = 500

  @Option(help: "Log metrics every N steps.")
  var logEvery: Int = 10

  @Option(help: "Images (or audio clips) per sample written during training (default 64; 100 with --conditional: 10 per class in columns).")
  var sampleCount: Int?

  @Option(help: "Step checkpoints to keep (the newest).")
  var keepCheckpoints: Int = 2

  @Flag(help: "Image GANs: condition on the class label, so `genai sample --label` can ask for a class.")
  var conditional = false

  @Option(help: "vae: the network, conv (as ../shared/bench/vae.py) or mlp (784-400-20).")
  var vae: VAEArchitecture = .conv

  @Option(help: "vae: KL warm-up steps (the KL weight rises from 0 to 1).")
  var klWarmup: Int = 0

  @Option(help: ArgumentHelp(
    "dcgan / dcgan-plus: improvements to the article's DCGAN, separated by commas, or none (default: none for dcgan; \(GANImprovement.describe(GANImprovement.recommended)) for dcgan-plus; vaegan takes ema only, default none). ema: sample from an average of G's weights (vaegan: of E's and G's); ttur: D's learning rate 2x, G's 0.5x; hinge: hinge loss; spectral-norm: in D; diffaugment: augment what D sees; upsample: upsample + conv in G.",
    valueName: "list"))
  var improvements: GANImprovementList?

  @Option(help: "char-rnn: the recurrent cell.")
  var cell: CharRNNNetwork.Cell = .lstm

  @Option(help: "char-rnn: hidden units per layer (default 512).")
  var hidden: Int?

  @Option(help: "char-rnn / char-gpt: layers (default 2 / 4).")
  var layers: Int?

  @Option(help: "char-rnn / char-gpt: dropout (default 0).")
  var dropout: Float?

  @Option(help: "char-rnn: sequence length; char-gpt: context (block) size (default 100 / 64).")
  var context: Int?

  @Option(help: "Measure the main metric every N steps (0: never; default: as --sample-every).")
  var evalEvery: Int?

  @Option(help: "Samples per evaluation during training (default 500 images, 100 clips).")
  var evalSamples: Int?

  @Option(help: "Best checkpoints by the main metric to keep in checkpoints/best/.")
  var keepBest: Int = 1

  @Option(help: "Stop after N evaluations without a new best (default: never).")
  var patience: Int?

  @Option(help: "GANs: what the health monitor does on collapse: actions (rollback, lower-d-lr, instance-noise) separated by commas, warn, or off.")
  var monitor: MonitorPolicy = .default

  @Option(help: "The feature network (a classifier run) for FID and friends (default: classifier-DATA beside the run or in runs/).")
  var classifier: String?

  @Flag(help: "Plain log lines even on a terminal (no progress bar).")
  var plain = false

  func validate() throws {
    if let minutes, !(minutes > 0 && minutes <= 1_000_000) {
      throw ValidationError("--minutes must be above 0 and at most 1000000, got \(minutes)")
    }
    if resume != nil && !settingsIgnoredByResume.isEmpty {
      throw ValidationError(
        "--resume continues the run with the settings in its config.json; \(settingsIgnoredByResume.joined(separator: ", ")) cannot change them (leave them out, or start a new run with --out)")
    }
  }

  /// The options given that a resumed run would not use: it keeps its own `config.json`. (Options
  /// with a default value, such as `--seed`, cannot be told apart from one left out.)
  var settingsIgnoredByResume: [String] {
    let given: [(String, Bool)] = [
      ("--data", data != nil), ("--epochs", epochs != nil), ("--batch-size", batchSize != nil), ("--lr", lr != nil),
      ("--out", out != nil), ("--sample-count", sampleCount != nil), ("--conditional", conditional),
      ("--improvements", improvements != nil), ("--hidden", hidden != nil), ("--layers", layers != nil),
      ("--dropout", dropout != nil), ("--context", context != nil), ("--eval-every", evalEvery != nil),
      ("--eval-samples", evalSamples != nil), ("--patience", patience != nil), ("--classifier", classifier != nil),
    ]
    return given.filter(\.1).map(\.0)
  }

  func run() throws {
    // Under mpirun this process is one of several (nil otherwise: one process, as always).
    let world = try MPIWorld.launched()
    do {
      try train(group: world)
    } catch {
      guard let world, world.size > 1 else { throw error }
      // One process's error ends them all (the others may be waiting for it in a collective).
      world.abort("\(error)")
    }
    if let world, world.size > 1, world.rank == 0 { print("MPI: \(world.summary)") }
    world?.finalize()
  }

  func train(group: (any Collective)?) throws {
    let trainer: Trainer
    Interruption.install()
    defer { Interruption.uninstall() }
    if let resume {
      // Without --data-dir, the run's own data folder is used.
      trainer = try SettingFlags.presenting {
        try Trainer.resume(
          RunDirectory(url: URL(fileURLWithPath: resume)), recipe: recipe, steps: steps,
          dataDirectory: dataDir.map { DataDirectory.resolve(path: $0) }, group: group)
      }
    } else {
      guard let kind = recipe else {
        throw ValidationError("name a recipe (\(RecipeKind.allNames)) or give --resume RUN")
      }
      let config = try makeConfig(kind)
      // A feature network goes where evaluations look for it: runs/classifier-DATA.
      let defaultURL =
        kind.isFeatureNetwork
        ? URL(fileURLWithPath: "runs").appending(path: FeatureNetwork.folderName(for: config.data))
        : RunDirectory.defaultURL(name: kind.name)
      let run = RunDirectory(url: out.map { URL(fileURLWithPath: $0) } ?? defaultURL)
      trainer = try SettingFlags.presenting {
        try Trainer.start(
          config: config, epochs: epochs, in: run, dataDirectory: DataDirectory.resolve(path: dataDir), group: group)
      }
    }
    if plain { trainer.interactive = false }
    var limitReached = false
    if let minutes {
      let deadline = ContinuousClock.now + .milliseconds(Int64(minutes * 60_000))
      trainer.shouldStop = {
        limitReached = limitReached || ContinuousClock.now >= deadline
        return limitReached
      }
    }
    let outcome = try trainer.train()
    if limitReached, case .interrupted(let step) = outcome {
      print("time limit of \(minutes!) minutes reached at step \(step)")
    }
  }

  func makeConfig(_ kind: RecipeKind) throws -> RunConfig {
    // Steps and batch size default per recipe and kind of data (see `RecipeKind.data`).
    var config = RunConfig(recipe: kind, data: data)
    if let steps { config.steps = steps }
    if let batchSize { config.batchSize = batchSize }
    config.learningRate = lr
    config.seed = seed
    config.sampleEvery = sampleEvery
    config.checkpointEvery = checkpointEvery
    config.logEvery = logEvery
    config.keepCheckpoints = keepCheckpoints
    config.evalEvery = evalEvery
    config.evalSamples = evalSamples
    config.keepBest = keepBest
    config.patience = patience
    config.monitor = monitor
    config.classifier = classifier
    if conditional { config.sampleCount = 100 }
    if let sampleCount { config.sampleCount = sampleCount }
    if conditional && !kind.conditionable {
      let able = RecipeKind.all.filter(\.conditionable).map(\.name).joined(separator: " and ")
      throw ValidationError("--conditional applies to \(able), not \(kind.name)")
    }
    config.conditional = conditional
    if let improvements {
      guard kind == DCGAN.kind || kind == DCGAN.plusKind || kind == VAEGAN.kind else {
        throw ValidationError("--improvements applies to dcgan, dcgan-plus and vaegan, not \(kind.name)")
      }
      let refused = improvements.improvements.subtracting(VAEGAN.supportedImprovements)
      if kind == VAEGAN.kind && !refused.isEmpty {
        throw ValidationError(
          "vaegan takes --improvements \(GANImprovement.describe(VAEGAN.supportedImprovements)) only, not \(GANImprovement.describe(refused))")
      }
      config.ganImprovements = improvements.improvements.sorted()
    }
    config.vaeArchitecture = vae
    config.klWarmupSteps = klWarmup
    config.charRNN.cell = cell
    if let hidden { config.charRNN.hiddenSize = hidden }
    if let layers { config.charRNN.layers = layers; config.charGPT.layers = layers }
    if let dropout { config.charRNN.dropout = dropout; config.charGPT.dropout = dropout }
    if let context { config.charRNN.sequenceLength = context; config.charGPT.blockSize = context }
    return config
  }
}
