import ArgumentParser
import Foundation
import GenAI

/// `genai bench RECIPE`: training-step throughput of one recipe on random data of the shape the
/// matching `../shared/bench` script uses, and its sampling speed, printed as one JSON line so
/// scripts can compare it with PyTorch/TF (`Benchmarks/compare_recipes.py`).
struct BenchCommand: ParsableCommand {
  static let configuration = CommandConfiguration(
    commandName: "bench",
    abstract: "Time a recipe's training step and its sampling; print one JSON line.",
    discussion: """
      Recipes: \(BenchWorkload.names.joined(separator: ", ")).
      Random data shaped as each recipe's default batch (as ../shared/bench): \
      \(BenchWorkload.all.map(\.shape).joined(separator: "; ")). \
      The data is made once and reused; warm-up steps are not timed.

      Sampling is then timed on the same freshly made model: text recipes generate \
      --sample-length characters after an empty prime at temperature 0.8 (sample_chars_per_s), \
      image recipes draw 64 images (sample_ms_per_64, the median of 5 calls). Use \
      --no-sampling or --sampling-only to time one of the two. Measure one core with \
      GENAI_THREADS=1 (or --threads 1) on a release build.
      Output: {"recipe": ..., "steps_per_s": ..., "samples_per_s": ..., "tokens_per_s": ... (text only), \
      "sample_chars_per_s" or "sample_ms_per_64": ..., "threads": ...}
      """)

  /// What to time.
  enum Measure: String, EnumerableFlag {
    case withSampling, noSampling, samplingOnly

    static func help(for value: Measure) -> ArgumentHelp? {
      switch value {
      case .withSampling: return "Time training steps, then sampling (the default)."
      case .noSampling: return "Time training steps only."
      case .samplingOnly: return "Time sampling only."
      }
    }
  }

  @Argument(help: ArgumentHelp("The recipe to time.", valueName: "recipe"))
  var workload: BenchWorkload

  @Option(help: "Timed training steps.")
  var steps: Int = 20

  @Option(help: "Untimed warm-up steps.")
  var warmup: Int = 3

  @Option(help: "Engine threads (default: GENAI_THREADS, else one per core).")
  var threads: Int?

  @Flag var measure: Measure = .withSampling

  @Option(help: "Text recipes: characters generated in the timed sampling run.")
  var sampleLength: Int = 2000

  func validate() throws {
    guard steps > 0 else { throw ValidationError("--steps must be positive, got \(steps)") }
    guard warmup >= 0 else { throw ValidationError("--warmup must be >= 0, got \(warmup)") }
    if let threads, threads < 1 { throw ValidationError("--threads must be positive, got \(threads)") }
    guard sampleLength > 0 else { throw ValidationError("--sample-length must be positive, got \(sampleLength)") }
  }

  func run() throws {
    // The pool reads GENAI_THREADS when first used, which is after this point.
    if let threads { setenv("GENAI_THREADS", String(threads), 1) }
    let (model, batch) = try workload.make()
    var fields: [(String, String)] = [("recipe", "\"\(workload.name)\"")]
    if measure != .samplingOnly {
      for _ in 0..<warmup { _ = try model.trainStep(batch) }
      let clock = ContinuousClock()
      let start = clock.now
      for _ in 0..<steps { _ = try model.trainStep(batch) }
      let elapsed = clock.now - start
      let seconds = Double(elapsed.components.seconds) + Double(elapsed.components.attoseconds) * 1e-18
      let stepsPerSecond = Double(steps) / seconds
      fields.append(("steps_per_s", json(stepsPerSecond)))
      fields.append(("samples_per_s", json(stepsPerSecond * Double(workload.samples))))
      if let tokens = workload.tokens { fields.append(("tokens_per_s", json(stepsPerSecond * Double(tokens)))) }
    }
    if measure != .noSampling {
      for (key, value) in try BenchSampling.fields(model, length: sampleLength, repeats: 5) { fields.append((key, json(value))) }
    }
    fields.append(("threads", String(ThreadPool.shared.threadCount)))
    print("{" + fields.map { "\"\($0.0)\": \($0.1)" }.joined(separator: ", ") + "}")
  }

  private func json(_ x: Double) -> String { String(format: "%.4f", x) }
}

/// One benchmarkable recipe (`RecipeKind.benchmarked`) on random data shaped as its default
/// batch: `[B, 1, 28, 28]` images in its pixel range, `[B, T]` token windows over a 65-symbol
/// vocabulary (Shakespeare's size), or `[B, 1, 8000]` clips; labels cycle through 10 classes.
struct BenchWorkload {
  /// The recipe.
  let kind: RecipeKind

  /// Every recipe `genai bench` can time.
  static var all: [BenchWorkload] { RecipeKind.all.filter(\.benchmarked).map(BenchWorkload.init) }

  static var names: [String] { all.map(\.name) }

  /// The name on the command line.
  var name: String { kind.name }
  /// Samples (images, sequences or clips) per step.
  var samples: Int { kind.data[0].batchSize }
  /// The batch, for `--help`: `dcgan 64 x [1, 28, 28] in [-1, 1]`.
  var shape: String {
    switch kind.dataKind {
    case .images: return "\(name) \(samples) x [1, 28, 28] in \(kind.pixelRange == .zeroToOne ? "[0, 1]" : "[-1, 1]")"
    case .text: return "\(name) \(samples) x \(kind.contextLength(RecipeOptions())) tokens of 65 symbols"
    case .audio: return "\(name) \(samples) x [1, 8000] samples"
    }
  }
  /// Tokens per step for text recipes.
  var tokens: Int? { kind.dataKind == .text ? samples * kind.contextLength(RecipeOptions()) : nil }

  /// The recipe with default options and seed 0, and one batch of random data.
  func make() throws -> (any Recipe, Batch) {
    let count = samples
    var g = SeededGenerator(seed: 1)
    let labels = IndexTensor((0..<count).map { $0 % 10 })
    var setup = RecipeSetup(data: kind.defaultData, classNames: (0..<10).map(String.init))
    let batch: Batch
    switch kind.dataKind {
    case .images:
      let low: Float = kind.pixelRange == .zeroToOne ? 0 : -1
      batch = Batch(inputs: Tensor.uniform([count, 1, 28, 28], low: low, high: 1, using: &g), labels: labels)
    case .audio:
      batch = Batch(inputs: Tensor.uniform([count, 1, 8000], low: -1, high: 1, using: &g) * 0.3, labels: labels)
    case .text:
      let length = kind.contextLength(setup.options)
      let symbols = (0..<65).compactMap { Unicode.Scalar(UInt32(0x30 + $0)) }
      setup.vocabulary = Vocabulary(characters: symbols)
      // Each row is a window of length + 1 ids: the first length are the input, the last length the targets.
      let ids = (0..<(count * (length + 1))).map { _ in Int.random(in: 0..<symbols.count, using: &g) }
      let rows = (0..<count).map { b in Array(ids[(b * (length + 1))..<((b + 1) * (length + 1))]) }
      let tokens = try IndexTensor(shape: [count, length], rows.flatMap { $0.dropLast() })
      let targets = try IndexTensor(shape: [count, length], rows.flatMap { $0.dropFirst() })
      batch = Batch(inputs: Tensor.zeros([count, 0]), tokens: tokens, targets: targets)
    }
    return (try kind.make(setup), batch)
  }
}

extension BenchWorkload: ExpressibleByArgument {
  /// The workload called `name`, or `nil`.
  init?(argument name: String) {
    guard let workload = Self.all.first(where: { $0.name == name }) else { return nil }
    self = workload
  }

  /// Every workload's name, for `--help` and the error for an unknown one.
  static var allValueStrings: [String] { names }

  /// The workload's name.
  var defaultValueDescription: String { name }
}
