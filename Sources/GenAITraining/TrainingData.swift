import Foundation
import GenAIData
import GenAIModels
import GenAITensor

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

  /// Loads `spec` for `recipe` from `directory`, in the recipe's pixel range.
  /// - Parameters:
  ///   - vocabulary: the text vocabulary when resuming (else made from the text).
  ///   - sequenceLength: text window length.
  /// - Throws: `TrainingError` when the data's kind does not suit the recipe or the files are
  ///   missing (naming the folder looked in and how to get them); `DataError` for bad files.
  public static func load(
    _ spec: DataSpec, for recipe: RecipeKind, directory: DataDirectory, sequenceLength: Int, vocabulary: Vocabulary?
  ) throws -> (data: TrainingData, vocabulary: Vocabulary?) {
    guard recipe.defaults(for: spec.kind) != nil else {
      let kinds = recipe.data.map(\.kind.rawValue).joined(separator: " or ")
      throw TrainingError(
        "recipe \(recipe.name) trains on \(kinds), but --data gives \(spec.kind.rawValue) (e.g. --data \(recipe.defaultData))")
    }
    return try read(
      spec, directory: directory, range: recipe.pixelRange, sequenceLength: sequenceLength, vocabulary: vocabulary,
      trainingSplit: recipe.isFeatureNetwork)
  }

  /// Loads real images or audio of `spec` (for evaluations), images in `range`; with
  /// `trainingSplit`, data with a held-out split (the spoken digits) loses it.
  /// - Throws: `TrainingError` when `spec` holds another kind of data or is missing; `DataError`
  ///   for bad files.
  public static func load(
    _ spec: DataSpec, as kind: DatasetKind, directory: DataDirectory, range: PixelRange = .minusOneToOne, trainingSplit: Bool = false
  ) throws -> TrainingData {
    guard spec.kind == kind else {
      throw TrainingError("--data \(spec) holds \(spec.kind.rawValue), but \(kind.rawValue) are needed here")
    }
    return try read(spec, directory: directory, range: range, sequenceLength: 0, vocabulary: nil, trainingSplit: trainingSplit).data
  }

  private static func read(
    _ spec: DataSpec, directory: DataDirectory, range pixelRange: PixelRange, sequenceLength: Int, vocabulary: Vocabulary?,
    trainingSplit: Bool
  ) throws -> (data: TrainingData, vocabulary: Vocabulary?) {
    switch spec {
    case .shapes:
      let set = ProceduralShapes.Source(count: 60_000, seed: 0, range: pixelRange)
      return (TrainingData(source: set, classNames: ProceduralShapes.classNames, text: nil, origin: "built-in shapes (60,000 images drawn on demand)"), nil)
    case .files(.images, let path):
      let url = URL(fileURLWithPath: path)
      let set = try ImageSet.folder(url, channels: .grey, size: .resized(width: 28, height: 28), range: pixelRange)
      return (TrainingData(source: set, classNames: set.classNames, text: nil, origin: url.path), nil)
    case .files(.text, let path):
      let corpus = try TextCorpus(contentsOf: URL(fileURLWithPath: path))
      return try text(corpus, origin: path, sequenceLength: sequenceLength, vocabulary: vocabulary)
    case .files(.audio, let path):
      // Every audio recipe reads one-second clips at 8 kHz: other rates are resampled, and clips
      // padded or cut to 8,000 samples, as the spoken digits are.
      let set = try AudioSet.folder(URL(fileURLWithPath: path), cleaning: .spokenDigits)
      return (TrainingData(source: set, classNames: set.classNames, text: nil, origin: path), nil)
    case .named(let dataset):
      let folder = dataset.location(in: directory)
      guard FileManager.default.fileExists(atPath: folder.path) else {
        throw TrainingError(
          "dataset \(dataset.name) not found: looked in \(folder.path) (data directory \(directory)); "
            + "run `genai datasets` to see how to get it, pass --data-dir, or use --data \(DataSpec.shapesName)")
      }
      let origin = "\(dataset.name) in \(directory.url.path)"
      switch dataset.layout {
      case .idx:
        let images = try existing(folder, ["train-images-idx3-ubyte.gz", "train-images-idx3-ubyte"])
        let labels = try existing(folder, ["train-labels-idx1-ubyte.gz", "train-labels-idx1-ubyte"])
        let set = try ImageSet.idx(images: images, labels: labels, classNames: dataset.classNames, range: pixelRange)
        return (TrainingData(source: set, classNames: dataset.classNames, text: nil, origin: origin), nil)
      case .text(let name, _):
        let file = try existing(folder, [name])
        let corpus = try TextCorpus(contentsOf: file)
        return try text(corpus, origin: file.path, sequenceLength: sequenceLength, vocabulary: vocabulary)
      case .spokenDigits:
        var set = try AudioSet.spokenDigits(folder)
        // The feature network is judged on voices it never heard: it trains without the held-out six.
        if trainingSplit { set = set.split().train }
        let held = trainingSplit ? " without the \(SpokenDigitsSplit.heldOutVoices.count) held-out voices" : ""
        return (TrainingData(source: set, classNames: set.classNames, text: nil, origin: origin + held), nil)
      case nil:
        throw TrainingError("dataset \(dataset.name): the catalogue does not say how to read it for training")
      }
    }
  }

  /// Where the text of a text spec lives (a file path, or a named dataset's training file under
  /// `directory`), without checking that it exists; `nil` for other kinds of data.
  public static func textURL(_ spec: DataSpec, in directory: DataDirectory) -> URL? {
    switch spec {
    case .files(.text, let path): return URL(fileURLWithPath: path)
    case .named(let dataset):
      guard case .text(let file, _) = dataset.layout else { return nil }
      return dataset.location(in: directory).appending(path: file)
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
    // One distinct character leaves nothing to predict.
    guard vocab.size >= 2 else {
      throw TrainingError("\(origin): the text has \(vocab.size) distinct character(s); a character model needs at least 2")
    }
    let ids = try vocab.encode(corpus.text, source: origin)
    guard ids.count > sequenceLength + 1 else {
      throw TrainingError("\(origin): \(ids.count) characters are too few for sequences of \(sequenceLength)")
    }
    let windows = try TextWindows(ids: ids, length: sequenceLength, sampling: .random, source: origin)
    return (TrainingData(source: windows, classNames: [], text: corpus, origin: origin), vocab)
  }
}
