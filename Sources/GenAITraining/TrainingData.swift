import Foundation
import GenAIData
import GenAITensor

/// Where a run's data comes from, parsed from `--data`:
/// - a named dataset in the data directory: `fashion-mnist`, `mnist` (the 60,000 training images),
///   `shakespeare` (tiny.txt, ~1 MB), `shakespeare-full` (39 works), `spoken-digits`;
/// - `shapes`: the built-in procedurally drawn shapes (no files needed);
/// - `images:PATH` (a folder of PNG files, sub-folders as classes, made 28x28 grey),
///   `text:PATH` (a UTF-8 text file), `wav:PATH` (a folder of WAV files, sub-folders as classes).
public enum DataSpec: Equatable, Sendable {
  /// A dataset of the catalog, by name.
  case named(String)
  /// The built-in shapes.
  case shapes
  /// A folder of PNG images.
  case imageFolder(String)
  /// A UTF-8 text file.
  case textFile(String)
  /// A folder of WAV files.
  case wavFolder(String)

  /// Parses `spec`.
  /// - Throws: `TrainingError` for an unknown name or an empty path.
  public init(_ spec: String) throws {
    if let colon = spec.firstIndex(of: ":") {
      let prefix = spec[..<colon].lowercased()
      let path = String(spec[spec.index(after: colon)...])
      guard !path.isEmpty else { throw TrainingError("--data \(spec): the path after \"\(prefix):\" is empty") }
      switch prefix {
      case "images": self = .imageFolder(path)
      case "text": self = .textFile(path)
      case "wav", "audio": self = .wavFolder(path)
      default: throw TrainingError("--data \(spec): unknown prefix \"\(prefix):\"; use images:PATH, text:PATH or wav:PATH")
      }
      return
    }
    let name = spec.lowercased()
    switch name {
    case "shapes": self = .shapes
    case "fashion-mnist", "mnist", "shakespeare", "shakespeare-full", "spoken-digits": self = .named(name)
    default:
      throw TrainingError(
        "--data \(spec): unknown dataset; use fashion-mnist, mnist, shapes, shakespeare, shakespeare-full, spoken-digits, or images:PATH, text:PATH, wav:PATH")
    }
  }

  /// The kind of data this spec gives.
  public var kind: DatasetKind {
    switch self {
    case .named(let name):
      switch name {
      case "shakespeare", "shakespeare-full": return .text
      case "spoken-digits": return .audio
      default: return .images
      }
    case .shapes, .imageFolder: return .images
    case .textFile: return .text
    case .wavFolder: return .audio
    }
  }
}

/// A loaded training set: the batch source and what the recipe needs to know about it.
public struct TrainingData {
  /// The items batches are drawn from.
  public let source: any BatchSource
  /// Number of items.
  public var count: Int { source.count }
  /// Class names (images and audio with labels), else empty.
  public let classNames: [String]
  /// The text, for text recipes.
  public let text: TextCorpus?
  /// Where it came from, for messages (`fashion-mnist in ../shared/data (../shared/data)`).
  public let origin: String

  /// Loads `spec` for `recipe` from `directory`.
  /// - Parameters:
  ///   - pixelRange: the range images are mapped to (the recipe's).
  ///   - vocabulary: the text vocabulary when resuming (else made from the text).
  ///   - sequenceLength: text window length.
  /// - Throws: `TrainingError` when the data's kind does not suit the recipe or the files are
  ///   missing (naming the folder looked in and how to get them); `DataError` for bad files.
  public static func load(
    _ spec: DataSpec, for recipe: RecipeKind, directory: DataDirectory, pixelRange: PixelRange,
    sequenceLength: Int, vocabulary: Vocabulary?
  ) throws -> (data: TrainingData, vocabulary: Vocabulary?) {
    // The classifier also learns spoken digits.
    guard spec.kind == recipe.dataKind || (recipe == .classifier && spec.kind == .audio) else {
      throw TrainingError(
        "recipe \(recipe.rawValue) trains on \(recipe.dataKind.rawValue), but --data gives \(spec.kind.rawValue) (e.g. --data \(recipe.defaultData))")
    }
    switch spec {
    case .shapes:
      let set = ProceduralShapes.Source(count: 60_000, seed: 0, range: pixelRange)
      return (TrainingData(source: set, classNames: ProceduralShapes.classNames, text: nil, origin: "built-in shapes (60,000 images drawn on demand)"), nil)
    case .imageFolder(let path):
      let url = URL(fileURLWithPath: path)
      let set = try ImageSet.folder(url, channels: .grey, size: .resized(width: 28, height: 28), range: pixelRange)
      return (TrainingData(source: set, classNames: set.classNames, text: nil, origin: url.path), nil)
    case .textFile(let path):
      let corpus = try TextCorpus(contentsOf: URL(fileURLWithPath: path))
      return try text(corpus, origin: path, sequenceLength: sequenceLength, vocabulary: vocabulary)
    case .wavFolder(let path):
      let set = try AudioSet.folder(URL(fileURLWithPath: path))
      return (TrainingData(source: set, classNames: set.classNames, text: nil, origin: path), nil)
    case .named(let name):
      guard let dataset = DatasetCatalog.dataset(named: name == "shakespeare-full" ? "shakespeare" : name) else {
        throw TrainingError("--data \(name): not in the dataset catalog")
      }
      let folder = dataset.location(in: directory)
      guard FileManager.default.fileExists(atPath: folder.path) else {
        throw TrainingError(
          "dataset \(name) not found: looked in \(folder.path) (data directory \(directory)); "
            + "run `genai datasets` to see how to get it, pass --data-dir, or use --data shapes")
      }
      let origin = "\(name) in \(directory.url.path)"
      switch name {
      case "fashion-mnist", "mnist":
        let images = try existing(folder, ["train-images-idx3-ubyte.gz", "train-images-idx3-ubyte"])
        let labels = try existing(folder, ["train-labels-idx1-ubyte.gz", "train-labels-idx1-ubyte"])
        let names = name == "mnist" ? (0...9).map(String.init) : fashionClassNames
        let set = try ImageSet.idx(images: images, labels: labels, classNames: names, range: pixelRange)
        return (TrainingData(source: set, classNames: names, text: nil, origin: origin), nil)
      case "shakespeare", "shakespeare-full":
        let file = try existing(folder, [shakespeareFile(name)])
        let corpus = try TextCorpus(contentsOf: file)
        return try text(corpus, origin: file.path, sequenceLength: sequenceLength, vocabulary: vocabulary)
      default:
        var set = try AudioSet.spokenDigits(folder)
        // The classifier is judged on voices it never heard: it trains without the held-out six.
        if recipe == .classifier { set = set.split().train }
        let held = recipe == .classifier ? " without the \(SpokenDigitsSplit.heldOutVoices.count) held-out voices" : ""
        return (TrainingData(source: set, classNames: set.classNames, text: nil, origin: origin + held), nil)
      }
    }
  }

  /// Fashion-MNIST's class names, by label.
  public static let fashionClassNames = [
    "T-shirt/top", "Trouser", "Pullover", "Dress", "Coat", "Sandal", "Shirt", "Sneaker", "Bag", "Ankle boot",
  ]

  /// The file of a named Shakespeare dataset: `tiny.txt` for `shakespeare`, `shakespeare.txt`
  /// for `shakespeare-full`.
  static func shakespeareFile(_ name: String) -> String { name == "shakespeare" ? "tiny.txt" : "shakespeare.txt" }

  /// Where the text of a text spec lives (a file path, or a named dataset under `directory`),
  /// without checking that it exists; `nil` for other kinds of data.
  public static func textURL(_ spec: DataSpec, in directory: DataDirectory) -> URL? {
    switch spec {
    case .textFile(let path): return URL(fileURLWithPath: path)
    case .named(let name) where spec.kind == .text:
      return directory.url.appending(path: "shakespeare").appending(path: shakespeareFile(name))
    default: return nil
    }
  }

  private static func existing(_ folder: URL, _ names: [String]) throws -> URL {
    for name in names {
      let url = folder.appending(path: name)
      if FileManager.default.fileExists(atPath: url.path) { return url }
    }
    throw TrainingError("missing \(names[0]) in \(folder.path); run `genai datasets --verify` to check the folder")
  }

  private static func text(
    _ corpus: TextCorpus, origin: String, sequenceLength: Int, vocabulary: Vocabulary?
  ) throws -> (data: TrainingData, vocabulary: Vocabulary?) {
    // A resumed run keeps its vocabulary; characters it lacks are an error naming the offset.
    let vocab = vocabulary ?? Vocabulary.characters(in: corpus.text)
    let ids = try vocab.encode(corpus.text, source: origin)
    guard ids.count > sequenceLength + 1 else {
      throw TrainingError("\(origin): \(ids.count) characters are too few for sequences of \(sequenceLength)")
    }
    let windows = try TextWindows(ids: ids, length: sequenceLength, sampling: .random, source: origin)
    return (TrainingData(source: windows, classNames: [], text: corpus, origin: origin), vocab)
  }
}
