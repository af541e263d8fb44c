import Foundation

/// The sample files a run wrote under `samples/` during training, by step:
/// `step-N.png` grids (VAE runs also `step-N.reconstructions.png` and `step-N.interpolation.png`),
/// `step-N.txt` text, `step-N/` folders of `.wav` clips with `spectrograms.png`.
/// Files `genai sample` wrote there (`sample-seed0.png`, ...) are not training samples and are
/// left out.
public struct RunSamples: Sendable {
  /// A file or folder of one step.
  public struct Entry: Sendable, Equatable {
    /// The training step.
    public var step: Int
    /// The file or folder.
    public var url: URL
  }

  /// Image grids, oldest first.
  public var grids: [Entry] = []
  /// VAE reconstruction grids, oldest first.
  public var reconstructions: [Entry] = []
  /// VAE interpolation strips, oldest first.
  public var interpolations: [Entry] = []
  /// Text samples, oldest first.
  public var texts: [Entry] = []
  /// Folders of audio clips, oldest first.
  public var audio: [Entry] = []

  /// Scans `run`'s samples folder (missing: no samples).
  public init(run: RunDirectory) {
    let folder = run.samplesURL
    let names = ((try? FileManager.default.contentsOfDirectory(atPath: folder.path)) ?? []).sorted()
    for name in names {
      guard let (step, rest) = Self.parse(name) else { continue }
      let url = folder.appending(path: name)
      switch rest {
      case ".png": grids.append(Entry(step: step, url: url))
      case ".reconstructions.png": reconstructions.append(Entry(step: step, url: url))
      case ".interpolation.png": interpolations.append(Entry(step: step, url: url))
      case ".txt": texts.append(Entry(step: step, url: url))
      case "":
        var isFolder: ObjCBool = false
        if FileManager.default.fileExists(atPath: url.path, isDirectory: &isFolder), isFolder.boolValue {
          audio.append(Entry(step: step, url: url))
        }
      default: continue
      }
    }
    for keyPath in [\RunSamples.grids, \.reconstructions, \.interpolations, \.texts, \.audio] {
      self[keyPath: keyPath].sort { $0.step < $1.step }
    }
  }

  /// `step-000500.reconstructions.png` -> `(500, ".reconstructions.png")`.
  static func parse(_ name: String) -> (Int, String)? {
    guard name.hasPrefix("step-") else { return nil }
    let tail = name.dropFirst(5)
    let digits = tail.prefix { $0.isASCII && $0.isNumber }
    guard !digits.isEmpty, let step = Int(digits) else { return nil }
    return (step, String(tail.dropFirst(digits.count)))
  }

  /// At most `limit` indices of `0..<count`, evenly spread, always including the last (and the
  /// first when `limit >= 2`), ascending.
  public static func spread(count: Int, limit: Int) -> [Int] {
    guard count > 0, limit > 0 else { return [] }
    guard count > limit else { return Array(0..<count) }
    guard limit > 1 else { return [count - 1] }
    var picked = Set<Int>()
    for i in 0..<limit { picked.insert(Int((Double(i) * Double(count - 1) / Double(limit - 1)).rounded())) }
    return picked.sorted()
  }
}
