import ArgumentParser
import Foundation
import GenAI

/// `genai sample RUN_OR_CHECKPOINT ...`: files from a saved run.
struct SampleCommand: ParsableCommand {
  static let configuration = CommandConfiguration(
    commandName: "sample",
    abstract: "Generate images, text or audio from a saved run or checkpoint.",
    discussion: """
      RUN is a run folder (its newest checkpoint is used) or a checkpoint file in one \
      (RUN/checkpoints/step-N.safetensors). Same seed, same output.

      Images: a PNG grid (or --separate files) of --count samples; a conditional model takes \
      --label as a number or a class name (`--label sneaker`). Text: --length characters after \
      --prime, streamed to stdout as they are generated and saved with a JSON sidecar. Audio: \
      --count WAV clips, one per digit in turn unless --label is given.

      char-gpt past its block size (64): positions are learned absolute embeddings, so cached \
      keys cannot shift when the oldest character leaves. By default the context then restarts \
      from its last 3/4 block (48 characters), recomputed in one pass, and grows back to 64 one \
      cached step at a time: every character sees 48 to 64 characters of context, at one \
      48-character pass per 17 characters. --exact-context keeps nanoGPT's sliding window \
      instead: exactly the last 64 characters, one full 64-character pass per character (about \
      10x slower; the text differs once it is longer than the block). Every file records its \
      recipe, checkpoint (path and SHA-256), step, seed and every setting, and that it is \
      machine-generated; `genai sample --reproduce FILE` regenerates it and checks it is identical byte \
      for byte.

      Samples are numbered from 1 (grid cells left to right, top to bottom; files and clips in order) \
      and each call is recorded in RUN/samples/index.jsonl, so they can be rated: `genai rate RUN --like \
      3,7 --dislike 5`, then `genai tune RUN`. After tuning, GANs and VAEs draw from the tuned prior \
      (RUN/tuned-prior.json) unless --prior standard.

      Examples:
        genai sample runs/dcgan --count 64 --out grid.png
        genai sample runs/cdcgan --label sneaker --count 16
        genai sample runs/gpt --prime "ROMEO:" --length 300 --temperature 0.8 --top-k 40
        genai sample runs/dcgan --best
        genai sample --reproduce runs/dcgan/samples/sample-seed0.png
      """)

  @Argument(help: ArgumentHelp("A run folder or a checkpoint file.", valueName: "run"))
  var runPath: String?

  @Flag(help: "Use the run's best checkpoint by its main metric (checkpoints/best.json).")
  var best = false

  @Option(help: "Regenerate FILE (a PNG, WAV or text file genai wrote) from its provenance and check it is identical.")
  var reproduce: String?

  /// Which prior a GAN or VAE draws its codes from.
  enum Prior: String, CaseIterable, ExpressibleByArgument {
    /// The run's tuned prior (`RUN/tuned-prior.json`, written by `genai tune`).
    case tuned
    /// `N(0, I)`, the prior the model was trained with.
    case standard
  }

  @Option(help: "GANs and VAEs: draw codes from the tuned prior or the standard one (default: tuned when the run has one).")
  var prior: Prior?

  @Option(help: "Where to write: a .png/.txt file, or a folder for --separate images and audio (default RUN/samples/sample-seedS.*).")
  var out: String?

  @Option(help: "Images or clips to generate.")
  var count: Int = 64

  @Option(help: "Seed of the samples' random draws.")
  var seed: UInt64 = 0

  @Option(help: "Conditional models: the class, by number or name.")
  var label: String?

  @Flag(help: "Images: one PNG per image instead of a grid.")
  var separate = false

  @Option(help: "Images: the grid's upscaling factor.")
  var scale: Int = 2

  @Option(help: "Text: the priming text.")
  var prime: String = ""

  @Option(help: "Text: characters to generate.")
  var length: Int = 500

  @Option(help: "Text: softmax temperature (0 = greedy).")
  var temperature: Float = 0.8

  @Option(help: "Text: keep only the k most likely characters.")
  var topK: Int?

  @Option(help: "Text: nucleus sampling, keep the smallest set with probability >= p.")
  var topP: Float?

  @Flag(help: "Text (char-gpt): past the block size, predict from exactly the last block of characters (nanoGPT's sliding window, ~10x slower) instead of restarting the context from its last 3/4 block.")
  var exactContext = false

  @Flag(help: "Text: do not stream to stdout.")
  var quiet = false

  @Flag(help: "Images: print the class the feature network (classifier-DATA) sees in each numbered sample, to help rating.")
  var classify = false

  func validate() throws {
    guard (runPath == nil) != (reproduce == nil) else {
      throw ValidationError(reproduce == nil ? "name a run folder or checkpoint (or --reproduce FILE)" : "--reproduce takes the file only, not a run")
    }
    // Before the run is loaded, so a bad number fails fast.
    try SettingFlags.presenting { try makeRequest().validate() }
  }

  /// The request the options describe (the model adds its training text, tuned prior and label).
  private func makeRequest() -> SampleRequest {
    var request = SampleRequest()
    request.count = count
    request.seed = seed
    request.separateFiles = separate
    request.scale = scale
    request.prime = prime
    request.length = length
    request.sampling = SamplingOptions(temperature: temperature, topK: topK, topP: topP, exactContext: exactContext)
    return request
  }

  func run() throws {
    if let reproduce { return try runReproduce(reproduce) }
    let path = try checkpointPath(runPath!)
    let trained = try TrainedRecipe(loading: path)
    var request = makeRequest()
    request.trainingText = trained.trainingText()
    if trained.recipe.latentImageGenerator != nil, prior != .standard {
      request.prior = try trained.tunedPrior()
      if prior == .tuned && request.prior == nil {
        throw ValidationError("\(trained.run.url.path) has no tuned prior yet: rate samples with `genai rate`, then run `genai tune`")
      }
    }
    if let label {
      request.label = try SettingFlags.presenting { try SampleWriter.label(label, classNames: trained.config.classNames ?? []) }
    }
    let kind = trained.config.recipe.dataKind
    let url = out.map { URL(fileURLWithPath: $0) } ?? defaultURL(trained.run, kind: kind, label: request.label)
    let isText = kind == .text
    if isText && !quiet { FileHandle.standardOutput.write(Data(prime.utf8)) }
    let clock = ContinuousClock()
    let start = clock.now
    let files = try SettingFlags.presenting {
      try SampleWriter.write(
        trained.recipe, request: request, to: url, provenance: trained.provenance,
        onCharacter: { ch in if isText && !quiet { FileHandle.standardOutput.write(Data(ch.utf8)) } })
    }
    let seconds = (clock.now - start) / .seconds(1)
    if isText && !quiet { FileHandle.standardOutput.write(Data("\n".utf8)) }
    if isText, let sidecar = files.last, let data = FileManager.default.contents(atPath: sidecar.path),
      let fields = try? JSONDecoder().decode([String: String].self, from: data),
      let novelty = fields["novelty_8gram"], let repetition = fields["repetition_8gram"]
    {
      FileHandle.standardError.write(Data("8-grams not in the training text: \(novelty); repeated within the sample: \(repetition)\n".utf8))
    }
    let shown = files.count > 4 ? files.prefix(2).map(\.path) + ["... (\(files.count) files)"] : files.map(\.path)
    let made = isText ? "\(length) characters" : "\(count) samples"
    let rate = Double(isText ? length : count) / max(seconds, 1e-9)
    FileHandle.standardError.write(Data("wrote \(shown.joined(separator: ", ")) (\(made) in \(String(format: "%.2f", seconds)) s, \(String(format: "%.1f", rate))/s)\n".utf8))
    if classify, !isText { try printClasses(trained, request: request) }
    let numbered = isText ? 1 : count
    let batch = try SampleIndex(run: trained.run).append(
      files: files, count: numbered, checkpoint: trained.checkpoint, request: request, recipe: trained.config.recipe.name)
    let order = isText ? "the text is sample 1" : (separate || kind == .audio ? "numbered as the files" : "grid cells numbered left to right, top to bottom")
    let tuned = request.prior != nil ? "; drawn from the tuned prior (--prior standard for the original)" : ""
    FileHandle.standardError.write(Data("batch \(batch): samples 1-\(numbered) (\(order))\(tuned); rate with `genai rate \(trained.run.url.path) --like N,M --dislike K`\n".utf8))
  }

  /// Prints `number: class (probability)` for each sample, as the run's feature network sees it.
  private func printClasses(_ trained: TrainedRecipe, request: SampleRequest) throws {
    guard let images = trained.recipe.imageGenerator else { return }
    guard let url = FeatureNetwork.locate(data: trained.config.data, near: trained.run, explicit: trained.config.classifier) else {
      throw ValidationError("--classify needs a feature network: train one with `genai train classifier --data \(trained.config.data)`")
    }
    let network = try FeatureNetwork(loading: url.path)
    var g = SeededGenerator(seed: request.seed)
    var x = try images.sampleImages(count: request.count, label: request.label, prior: request.prior, using: &g)
    if images.pixelRange == .zeroToOne { x = x * 2 - 1 }
    let described = try network.describe(x)
    for (i, p) in described.predictions.enumerated() {
      let name = p < network.classNames.count ? network.classNames[p] : String(p)
      print(String(format: "%3d: %@ (%.2f)", i + 1, name, described.probabilities[i][p]))
    }
  }

  /// The checkpoint to load: the run's best with --best, else `path` as given.
  private func checkpointPath(_ path: String) throws -> String {
    guard best else { return path }
    let run = try RunDirectory.locate(path).run
    guard let best = BestCheckpoints(run: run).best else {
      throw ValidationError("\(path) has no best checkpoint yet: evaluations during training (--eval-every) write checkpoints/best.json")
    }
    FileHandle.standardError.write(Data(String(format: "best checkpoint: step %d, %@ %.4g\n", best.entry.step, best.entry.metric, best.entry.value).utf8))
    return best.url.path
  }

  private func runReproduce(_ file: String) throws {
    let url = URL(fileURLWithPath: file)
    let folder = out.map { URL(fileURLWithPath: $0) }
      ?? FileManager.default.temporaryDirectory.appending(path: "genai-reproduce-\(ProcessInfo.processInfo.processIdentifier)")
    let result = try Provenance.reproduce(url, into: folder)
    guard result.identical else {
      throw ValidationError("regenerated \(result.file.path), but it differs from \(file)")
    }
    print("identical: \(file) regenerated bit for bit as \(result.file.path)")
  }

  private func defaultURL(_ run: RunDirectory, kind: DatasetKind, label: Int?) -> URL {
    let base = run.samplesURL.appending(path: "sample-seed\(seed)" + (label.map { "-label\($0)" } ?? ""))
    switch kind {
    case .images: return separate ? base : base.appendingPathExtension("png")
    case .text: return base.appendingPathExtension("txt")
    case .audio: return base
    }
  }
}
