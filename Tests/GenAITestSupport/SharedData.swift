import Foundation

/// The real datasets the tests read, in `../shared/data` beside the repository (docs/DESIGN.md,
/// "Datasets"): one place that knows where the folder is and when a dataset counts as present.
///
/// A test that needs a dataset says so with `@Test(.requiresSharedData(.fashionMNIST))`, so that
/// without it the test is reported as skipped with the reason, then takes the data with
/// `try #require(SharedData.folder(.fashionMNIST))`.
public enum SharedData {
  /// A dataset of the shared folder, named by its sub-folder.
  public enum Dataset: String, CaseIterable, Sendable, CustomStringConvertible {
    /// 70,000 28×28 grey images in IDX gzip: the main image set.
    case fashionMNIST = "fashion-mnist"
    /// The MNIST digits, same files and layout as Fashion-MNIST.
    case mnist
    /// The plays as one text (`shakespeare.txt`) and its first ~1 MB (`tiny.txt`).
    case shakespeare
    /// 1,500 one-second 8 kHz WAV clips of the words zero..nine (`labels.csv`, `wav/`).
    case spokenDigits = "spoken-digits"

    /// The entries of the dataset's folder that must all exist for it to count as present.
    /// Every file the tests read, so a partial copy makes its tests skip rather than fail
    /// half-way through.
    public var requiredEntries: [String] {
      switch self {
      case .fashionMNIST, .mnist:
        ["train-images-idx3-ubyte.gz", "train-labels-idx1-ubyte.gz", "t10k-images-idx3-ubyte.gz", "t10k-labels-idx1-ubyte.gz"]
      case .shakespeare: ["shakespeare.txt", "tiny.txt"]
      case .spokenDigits: ["labels.csv", "wav"]
      }
    }

    /// The folder name, e.g. `fashion-mnist`.
    public var description: String { rawValue }
  }

  /// The environment variable that, when set and not empty, replaces `../shared/data`: pointing
  /// it at a missing folder shows which tests need the data (they are reported as skipped).
  public static let environmentKey = "GENAI_TEST_SHARED_DATA"

  /// The shared-data folder, which may not exist: `$GENAI_TEST_SHARED_DATA` when set, else
  /// `../shared/data` beside the repository root.
  public static var root: URL { root(environment: ProcessInfo.processInfo.environment) }

  /// The shared-data folder that `environment` selects (see `root`).
  public static func root(environment: [String: String]) -> URL {
    if let path = environment[environmentKey], !path.isEmpty {
      return URL(fileURLWithPath: path).standardizedFileURL
    }
    // Tests/GenAITestSupport/SharedData.swift → the repository root → its sibling shared/data.
    return URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
      .deletingLastPathComponent().deletingLastPathComponent().appending(path: "shared/data")
  }

  /// Where `dataset` lives under `root`, whether or not it is there.
  public static func location(of dataset: Dataset, in root: URL = SharedData.root) -> URL {
    root.appending(path: dataset.rawValue)
  }

  /// Whether every required entry of `dataset` exists under `root`.
  public static func has(_ dataset: Dataset, in root: URL = SharedData.root) -> Bool {
    let folder = location(of: dataset, in: root)
    return dataset.requiredEntries.allSatisfy {
      FileManager.default.fileExists(atPath: folder.appending(path: $0).path)
    }
  }

  /// The folder of `dataset`, or `nil` when it is not (wholly) present.
  public static func folder(_ dataset: Dataset, in root: URL = SharedData.root) -> URL? {
    has(dataset, in: root) ? location(of: dataset, in: root) : nil
  }

  /// `path` inside the folder of `dataset`, or `nil` when the dataset is not present.
  public static func file(_ dataset: Dataset, _ path: String, in root: URL = SharedData.root) -> URL? {
    folder(dataset, in: root)?.appending(path: path)
  }

  /// The shared-data folder itself, for code that takes the whole folder (a data directory), or
  /// `nil` unless every one of `datasets` is in it.
  public static func directory(containing datasets: Dataset..., in root: URL = SharedData.root) -> URL? {
    datasets.allSatisfy { has($0, in: root) } ? root : nil
  }
}
