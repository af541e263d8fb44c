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
      Shapes follow ../shared/bench: dcgan/wgan-gp/vaegan batch 64 of [1, 28, 28] in [-1, 1]; vae batch 128 \
      in [0, 1]; char-rnn 32 x 100 tokens and char-gpt 12 x 64 tokens over a 65-symbol vocabulary. \
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

/// One benchmarkable recipe: how to build it and a batch of the reference script's shape.
/// Adding a recipe is adding one entry to `all`.
struct BenchWorkload: Sendable {
  /// The name on the command line.
  let name: String
  /// Samples (images or sequences) per step.
  let samples: Int
  /// Tokens per step for text recipes.
  let tokens: Int?
  /// The recipe and its batch, made once.
  let make: @Sendable () throws -> (any Recipe, Batch)

  static let all: [BenchWorkload] = [
    images("dcgan", count: 64, range: .minusOneToOne) { DCGAN(seed: 0) },
    images("wgan-gp", count: 64, range: .minusOneToOne) { WGANGP(seed: 0) },
    images("vae", count: 128, range: .zeroToOne) { try VAE(network: ConvVAE(seed: 0)) },
    images("vaegan", count: 64, range: .minusOneToOne) { VAEGAN(seed: 0) },
    text("char-rnn", count: 32, length: 100) { try CharRNN(vocabulary: $0) },
    text("char-gpt", count: 12, length: 64) { try CharGPT(vocabulary: $0) },
    BenchWorkload(name: "audio", samples: 32, tokens: nil) {
      // Random waveforms [32, 1, 8000] in [-1, 1] with digit labels, as AudioSet batches come.
      var g = SeededGenerator(seed: 1)
      let x = Tensor.uniform([32, 1, 8000], low: -1, high: 1, using: &g) * 0.3
      return (try AudioDigits(seed: 0), Batch(inputs: x, labels: IndexTensor((0..<32).map { $0 % 10 })))
    },
  ]

  static var names: [String] { all.map(\.name) }

  /// Random `[count, 1, 28, 28]` images in `range` (labels 0..<10 for conditional recipes).
  static func images(_ name: String, count: Int, range: PixelRange, _ recipe: @escaping @Sendable () throws -> any Recipe)
    -> BenchWorkload
  {
    BenchWorkload(name: name, samples: count, tokens: nil) {
      var g = SeededGenerator(seed: 1)
      let low: Float = range == .zeroToOne ? 0 : -1
      let x = Tensor.uniform([count, 1, 28, 28], low: low, high: 1, using: &g)
      return (try recipe(), Batch(inputs: x, labels: IndexTensor((0..<count).map { $0 % 10 })))
    }
  }

  /// Random token windows `[count, length]` over a 65-symbol vocabulary (Shakespeare's size).
  static func text(_ name: String, count: Int, length: Int, _ recipe: @escaping @Sendable (Vocabulary) throws -> any Recipe)
    -> BenchWorkload
  {
    BenchWorkload(name: name, samples: count, tokens: count * length) {
      let symbols = (0..<65).compactMap { Unicode.Scalar(UInt32(0x30 + $0)) }
      let vocabulary = Vocabulary(characters: symbols)
      var g = SeededGenerator(seed: 1)
      let ids = (0..<(count * (length + 1))).map { _ in Int.random(in: 0..<vocabulary.size, using: &g) }
      let tokens = try IndexTensor(
        shape: [count, length], (0..<count).flatMap { b in ids[(b * (length + 1))..<(b * (length + 1) + length)] })
      let targets = try IndexTensor(
        shape: [count, length], (0..<count).flatMap { b in ids[(b * (length + 1) + 1)...(b * (length + 1) + length)] })
      let batch = Batch(inputs: Tensor.zeros([count, 0]), tokens: tokens, targets: targets)
      return (try recipe(vocabulary), batch)
    }
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
