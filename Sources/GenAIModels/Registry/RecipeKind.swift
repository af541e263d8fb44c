import GenAIData
import Synchronization

/// A kind of recipe as `genai` knows it before one exists: the name typed on the command line,
/// the data it trains on with its defaults there, the metric that tracks its progress, and how
/// to build one. Each recipe declares its kind beside its code (`DCGAN.kind`), and
/// `RecipeKind.all` lists them, so nothing above the models switches on a recipe's name.
///
/// `config.json` records a kind by its name.
public struct RecipeKind: Sendable, CustomStringConvertible {
  /// The name on the command line and in run folders, e.g. `"dcgan"`.
  public let name: String
  /// One line for `--help`.
  public let summary: String
  /// The kinds of data it trains on, each with its defaults; the first is used without `--data`.
  public let data: [RecipeData]
  /// The metric the training loop tracks (keep-best, early stopping).
  public let mainMetric: MainMetric
  /// The range images are scaled into (`.zeroToOne` for the Bernoulli VAE); unused for text and audio.
  public let pixelRange: PixelRange
  /// Whether `--conditional` applies (G and D see the class label).
  public let conditionable: Bool
  /// Whether it is the evaluation's feature network rather than a generator: it writes no
  /// samples, trains on the training split of data that has a held-out one, and its run goes
  /// where evaluations look for it (`runs/classifier-DATA`).
  public let isFeatureNetwork: Bool
  /// Whether `genai bench` times it (on random data of its first data kind and default batch).
  public let benchmarked: Bool
  /// The smallest batch it trains on: 2 for networks with batch normalisation in training mode,
  /// which needs at least two values per channel to have a variance; else 1.
  public let minimumBatchSize: Int
  private let window: @Sendable (RecipeOptions) -> Int
  private let build: @Sendable (RecipeSetup) throws -> any Recipe

  /// A kind. `contextLength` gives text recipes' window for their options (0 for others);
  /// `make` builds the recipe, throwing `RecipeError` for inconsistent options.
  public init(
    name: String, summary: String, data: [RecipeData], mainMetric: MainMetric, pixelRange: PixelRange = .minusOneToOne,
    conditionable: Bool = false, isFeatureNetwork: Bool = false, benchmarked: Bool = true, minimumBatchSize: Int = 1,
    contextLength: @escaping @Sendable (RecipeOptions) -> Int = { _ in 0 },
    make: @escaping @Sendable (RecipeSetup) throws -> any Recipe
  ) {
    precondition(!data.isEmpty, "[\(name)] a recipe trains on at least one kind of data")
    self.name = name
    self.summary = summary
    self.data = data
    self.mainMetric = mainMetric
    self.pixelRange = pixelRange
    self.conditionable = conditionable
    self.isFeatureNetwork = isFeatureNetwork
    self.benchmarked = benchmarked
    self.minimumBatchSize = minimumBatchSize
    self.window = contextLength
    self.build = make
  }

  /// The recipe `setup` describes, with parameters drawn from `setup.seed`.
  /// - Throws: `RecipeError` for missing vocabulary or classes, or options the recipe rejects.
  public func make(_ setup: RecipeSetup) throws -> any Recipe { try build(setup) }

  /// The text window length (char-rnn's sequence length, char-gpt's block size); 0 for
  /// recipes that do not read text.
  public func contextLength(_ options: RecipeOptions) -> Int { window(options) }

  /// The defaults for data of `kind`, or `nil` when the recipe does not train on it.
  public func defaults(for kind: DatasetKind) -> RecipeData? { data.first { $0.kind == kind } }

  /// The data kind used without `--data`.
  public var dataKind: DatasetKind { data[0].kind }

  /// The dataset used without `--data`.
  public var defaultData: DataSpec { data[0].dataset }

  /// `name`.
  public var description: String { name }
}

extension RecipeKind: Equatable, Hashable {
  /// Kinds are the same when their names are.
  public static func == (a: RecipeKind, b: RecipeKind) -> Bool { a.name == b.name }
  /// Hashes the name.
  public func hash(into hasher: inout Hasher) { hasher.combine(name) }
}

extension RecipeKind: Codable {
  /// Reads a name and looks it up in `all`.
  /// - Throws: `DecodingError.dataCorrupted` naming the unknown recipe and the known ones.
  public init(from decoder: any Decoder) throws {
    let container = try decoder.singleValueContainer()
    let name = try container.decode(String.self)
    guard let kind = Self.all.first(where: { $0.name == name }) else {
      throw DecodingError.dataCorruptedError(
        in: container, debugDescription: "unknown recipe \"\(name)\"; expected one of: \(Self.allNames)")
    }
    self = kind
  }

  /// Writes the name.
  public func encode(to encoder: any Encoder) throws {
    var container = encoder.singleValueContainer()
    try container.encode(name)
  }
}

/// A kind of data a recipe trains on, with the dataset and sizes it uses there by default.
public struct RecipeData: Sendable {
  /// Images, text or audio.
  public var kind: DatasetKind
  /// The dataset used when `--data` is not given.
  public var dataset: DataSpec
  /// Training steps: enough for recognisable results on `dataset`.
  public var steps: Int
  /// Items per batch (as the matching `../shared/bench` workload).
  public var batchSize: Int
  /// Images or clips per sample written during training.
  public var sampleCount: Int

  /// 28x28 grey images, Fashion-MNIST by default.
  public static func images(steps: Int, batchSize: Int) -> RecipeData {
    RecipeData(kind: .images, dataset: .named(DatasetCatalog.fashionMNIST), steps: steps, batchSize: batchSize, sampleCount: 64)
  }

  /// Characters, tiny Shakespeare by default.
  public static func text(steps: Int, batchSize: Int) -> RecipeData {
    RecipeData(kind: .text, dataset: .named(DatasetCatalog.shakespeare), steps: steps, batchSize: batchSize, sampleCount: 64)
  }

  /// 8 kHz clips, the spoken digits by default (a sample is one clip per digit).
  public static func audio(steps: Int, batchSize: Int) -> RecipeData {
    RecipeData(kind: .audio, dataset: .named(DatasetCatalog.spokenDigits), steps: steps, batchSize: batchSize, sampleCount: 10)
  }
}

/// The metric a recipe's training tracks, and which way is better.
public struct MainMetric: Sendable, Equatable {
  /// The metric's name in evaluations and `metrics.jsonl` (`fid`, `elbo`, `val_loss`, ...).
  public var name: String
  /// Which way it improves.
  public var better: MetricDirection

  /// A metric.
  public init(_ name: String, better: MetricDirection) {
    self.name = name
    self.better = better
  }
}

/// Which way a metric improves.
public enum MetricDirection: String, Codable, Sendable {
  /// Smaller is better (FID, KID, losses, repetition).
  case lower
  /// Larger is better (accuracy, IS, precision, recall, coverage).
  case higher
  /// Neither: a property to read, not to optimise (e.g. memorisation distance).
  case none
}
