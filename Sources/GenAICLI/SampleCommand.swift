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
      --count WAV clips, one per digit in turn unless --label is given. Every file records its \
      recipe, checkpoint, step and seed, and that it is machine-generated.

      Examples:
        genai sample runs/dcgan --count 64 --out grid.png
        genai sample runs/cdcgan --label sneaker --count 16
        genai sample runs/gpt --prime "ROMEO:" --length 300 --temperature 0.8 --top-k 40
      """)

  @Argument(help: ArgumentHelp("A run folder or a checkpoint file.", valueName: "run"))
  var runPath: String

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

  @Flag(help: "Text: do not stream to stdout.")
  var quiet = false

  func validate() throws {
    guard count >= 1 else { throw ValidationError("--count must be at least 1, got \(count)") }
    guard length >= 0 else { throw ValidationError("--length must be >= 0, got \(length)") }
  }

  func run() throws {
    let trained = try TrainedRecipe(loading: runPath)
    var request = SampleRequest()
    request.count = count
    request.seed = seed
    request.separateFiles = separate
    request.scale = scale
    request.prime = prime
    request.length = length
    request.sampling = SamplingOptions(temperature: temperature, topK: topK, topP: topP)
    request.trainingText = trained.trainingText()
    if let label {
      request.label = try SampleWriter.label(label, classNames: trained.config.classNames ?? [])
    }
    let kind = trained.config.recipe.dataKind
    let url = out.map { URL(fileURLWithPath: $0) } ?? defaultURL(trained.run, kind: kind, label: request.label)
    let isText = kind == .text
    if isText && !quiet { FileHandle.standardOutput.write(Data(prime.utf8)) }
    let files = try SampleWriter.write(
      trained.recipe, request: request, to: url, provenance: trained.provenance,
      onCharacter: { ch in if isText && !quiet { FileHandle.standardOutput.write(Data(ch.utf8)) } })
    if isText && !quiet { FileHandle.standardOutput.write(Data("\n".utf8)) }
    if isText, let sidecar = files.last, let data = FileManager.default.contents(atPath: sidecar.path),
      let fields = try? JSONSerialization.jsonObject(with: data) as? [String: Any],
      let novelty = fields["novelty_8gram"] as? String, let repetition = fields["repetition_8gram"] as? String
    {
      FileHandle.standardError.write(Data("8-grams not in the training text: \(novelty); repeated within the sample: \(repetition)\n".utf8))
    }
    let shown = files.count > 4 ? files.prefix(2).map(\.path) + ["... (\(files.count) files)"] : files.map(\.path)
    FileHandle.standardError.write(Data("wrote \(shown.joined(separator: ", "))\n".utf8))
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
