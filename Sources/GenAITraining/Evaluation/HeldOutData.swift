import Foundation
import GenAIData
import GenAIModels
import GenAITensor

/// Real data the model never trained on, for validation losses and the real-data ceilings beside
/// every metric, as the catalogue's `DatasetLayout` says:
/// - IDX datasets (`fashion-mnist`, `mnist`): the 10,000 test images (`t10k-*` files);
/// - `shapes`: shapes drawn from another seed;
/// - text datasets with a held-out part (`shakespeare`, which trains on tiny.txt, the first
///   999,956 characters of the 39 works): the last 200,000 characters of `shakespeare.txt`, plays
///   the model never read (`shakespeare-full` uses every work and has none);
/// - `spoken-digits`: the clips of the six held-out voices (`SpokenDigitsSplit.heldOutVoices`);
/// - any `images:PATH`, `text:PATH` or `wav:PATH` given with `genai eval --data`.
public enum HeldOutData {
  /// Held-out images `[N, 1, 28, 28]` in `range` (at most `limit`, the first ones), with labels
  /// when the data has them, or `nil` when `spec` has no held-out images.
  /// - Parameter isOverride: `spec` came from `--data`: all of it is held out.
  /// - Throws: `TrainingError`/`DataError` for missing or bad files.
  public static func images(
    _ spec: DataSpec, isOverride: Bool, directory: DataDirectory, range: PixelRange, limit: Int
  ) throws -> (images: Tensor, labels: [Int]?, origin: String)? {
    var unused = SeededGenerator(seed: 0)
    func take(_ source: any BatchSource, _ origin: String) -> (Tensor, [Int]?, String) {
      let batch = source.makeBatch(indices: Array(0..<min(limit, source.count)), generator: &unused)
      return (batch.inputs, batch.labels?.values, origin)
    }
    if isOverride {
      let data = try TrainingData.load(spec, as: .images, directory: directory, range: range)
      return take(data.source, data.origin)
    }
    switch spec {
    case .shapes:
      return take(ProceduralShapes.Source(count: limit, seed: 0x7E57, range: range), "built-in shapes, seed 0x7E57")
    case .named(let dataset) where dataset.layout == .idx:
      let folder = dataset.location(in: directory)
      let images = try file(folder, "t10k-images-idx3-ubyte")
      let labels = try file(folder, "t10k-labels-idx1-ubyte")
      let set = try ImageSet.idx(images: images, labels: labels, classNames: dataset.classNames, range: range)
      return take(set, "\(dataset.name) test set in \(folder.path)")
    default:
      return nil
    }
  }

  /// Held-out audio clips `[N, 1, T]` with labels, or `nil` when `spec` has none: the six
  /// held-out voices of `spoken-digits`, or all of a `wav:PATH` override.
  /// - Throws: `TrainingError`/`DataError` for missing or bad files.
  public static func audio(_ spec: DataSpec, isOverride: Bool, directory: DataDirectory) throws -> (set: AudioSet, origin: String)? {
    if isOverride {
      let data = try TrainingData.load(spec, as: .audio, directory: directory)
      guard let set = data.source as? AudioSet else { return nil }
      return (set, data.origin)
    }
    guard case .named(let dataset) = spec, dataset.layout == .spokenDigits else { return nil }
    let set = try AudioSet.spokenDigits(dataset.location(in: directory)).split().heldOut
    return (set, "spoken digits of the \(SpokenDigitsSplit.heldOutVoices.count) held-out voices (\(SpokenDigitsSplit.heldOutVoices.sorted().joined(separator: ", ")))")
  }

  /// Held-out text, or `nil` when `spec` has none.
  /// - Throws: `SettingError` (field `data`) when an override is not text; `TrainingError`/`DataError`
  ///   for missing or unreadable files.
  public static func text(_ spec: DataSpec, isOverride: Bool, directory: DataDirectory) throws -> (text: String, origin: String)? {
    if isOverride {
      guard let url = TrainingData.textURL(spec, in: directory) else {
        throw SettingError("data", "\(spec) is not text; use text:PATH or a text dataset")
      }
      return (try TextCorpus(contentsOf: url).text, url.path)
    }
    guard case .named(let dataset) = spec, case .text(_, let heldOut?) = dataset.layout else { return nil }
    let url = dataset.location(in: directory).appending(path: heldOut.file)
    guard FileManager.default.fileExists(atPath: url.path) else {
      throw TrainingError("held-out text not found: looked for \(url.path)")
    }
    let full = try TextCorpus(contentsOf: url).text
    return (String(full.suffix(heldOut.characters)), "the last \(heldOut.characters) characters of \(url.path)")
  }

  /// The IDX file `name` (or `name.gz`) in `folder`.
  static func file(_ folder: URL, _ name: String) throws -> URL {
    for candidate in [name + ".gz", name] {
      let url = folder.appending(path: candidate)
      if FileManager.default.fileExists(atPath: url.path) { return url }
    }
    throw TrainingError("missing \(name).gz in \(folder.path): the held-out test set is needed for evaluation")
  }
}
