import ArgumentParser
import Foundation
import GenAI

/// `genai datasets`: which named datasets are in the data directory, and how to get the rest.
struct DatasetsCommand: ParsableCommand {
  static let configuration = CommandConfiguration(
    commandName: "datasets",
    abstract: "List the named datasets found in the data directory and how to obtain missing ones.",
    discussion: """
      The data directory is, first match wins: --data-dir, else the GENAI_DATA environment \
      variable, else ./data if it exists, else ../shared/data if it exists, else ./data. Each \
      named dataset lives in a folder of its name there (e.g. <data dir>/fashion-mnist/).

      Named datasets: fashion-mnist, mnist (IDX, gzip), shakespeare (text), spoken-digits (WAV). \
      Your own files work anywhere a dataset is asked for, as images:PATH, text:PATH or wav:PATH.

      Exits with status 1 when --verify finds a file whose sha256 does not match.
      """)

  @Option(name: .customLong("data-dir"), help: ArgumentHelp(
    "The data directory to look in (default: $GENAI_DATA, ./data or ../shared/data).", valueName: "path"))
  var dataDir: String?

  @Flag(help: """
    Check the sha256 of every found file against the known sums (and SHA256SUMS in the data \
    directory, if present).
    """)
  var verify = false

  @Option(name: .customLong("download"), help: ArgumentHelp(
    """
    Download the missing files of a dataset that has mirrors (fashion-mnist, mnist), verify them \
    and put them in place. Repeatable.
    """,
    valueName: "name"))
  var downloads: [NamedDataset] = []

  func validate() throws {
    for dataset in downloads {
      guard !dataset.mirrors.isEmpty else {
        throw ValidationError(
          "--download: \(dataset.name) has no download location; run `genai datasets` to see how to obtain it")
      }
    }
  }

  func run() throws {
    let directory = DataDirectory.resolve(path: dataDir)
    let note = directory.exists ? "" : ", does not exist"
    print("data directory: \(directory.url.path)  [\(directory.origin.rawValue)\(note)]")

    for dataset in downloads {
      print("\ndownloading \(dataset.name) into \(dataset.location(in: directory).path)")
      _ = try DatasetDownload.download(dataset, into: directory) { print("  " + $0) }
    }

    let statuses = DatasetCatalog.statuses(in: directory)
    print()
    print(Self.table(statuses))

    for status in statuses where status.state != .found {
      print("\n\(status.dataset.name) (\(status.state.rawValue)): \(status.dataset.summary)")
      if !status.missingFiles.isEmpty {
        print("  missing, to go in \(status.location.path)/:")
        for file in status.missingFiles {
          let sum = file.sha256.first ?? "unknown"
          let size = file.bytes.map { " (\(Self.size($0)))" } ?? ""
          print("    \(file.path)\(size)  sha256 \(sum)")
        }
      }
      for line in status.incompleteFolders { print("  incomplete: \(status.location.path)/\(line)") }
      print("  how to obtain:")
      for line in status.dataset.howToObtain { print("    " + line) }
    }
    print("\nyour own data: images:PATH (PNG folders, labels from sub-folders, or IDX), text:PATH (UTF-8), wav:PATH")

    if verify { try verifyAll(statuses, directory: directory) }
  }

  /// Hashes every found file; exits with status 1 when any fails.
  private func verifyAll(_ statuses: [DatasetStatus], directory: DataDirectory) throws {
    let sums = DatasetCatalog.readChecksums(directory.appending("SHA256SUMS")) ?? [:]
    print("\nverifying sha256\(sums.isEmpty ? "" : " (with \(sums.count) sums from SHA256SUMS)")")
    var failed = 0
    for status in statuses where status.state != .missing {
      print("\(status.dataset.name):")
      let checks = DatasetCatalog.verify(status, checksums: sums)
      let folderPrefixes = status.folders.map { $0.folder.path + "/" }
      for check in checks where !folderPrefixes.contains(where: { check.path.hasPrefix($0) }) {
        print("  \(check.path): \(check.summary)")
      }
      for folder in status.folders {
        let inFolder = checks.filter { $0.path.hasPrefix(folder.folder.path + "/") }
        let ok = inFolder.filter(\.passed).count
        let unknown = inFolder.filter { $0.outcome == .unknown }.count
        let bad = inFolder.count - ok - unknown
        print("  \(folder.folder.path)/: \(inFolder.count) files, \(ok) ok, \(bad) failed, "
          + "\(unknown) with no known sha256")
        for check in inFolder where !check.passed && check.outcome != .unknown {
          print("    \(check.path): \(check.summary)")
        }
      }
      failed += checks.filter { !$0.passed && $0.outcome != .unknown }.count
    }
    if failed > 0 {
      print("\n\(failed) file(s) failed verification")
      throw ExitCode(1)
    }
    print("\nall checked files passed")
  }

  /// The status table: name, kind, status, location, size.
  static func table(_ statuses: [DatasetStatus]) -> String {
    var rows = [["name", "kind", "status", "location", "size"]]
    for s in statuses {
      var location = s.location.path
      for f in s.folders { location += "  (\(f.folder.path)/: \(f.fileNames.count) of \(f.folder.expectedCount))" }
      let found = s.files.filter { $0.url != nil }.count
      let state = s.files.count > 1 && s.state == .partial
        ? "partial (\(found)/\(s.files.count) files)" : s.state.rawValue
      rows.append([s.dataset.name, s.dataset.kind.rawValue, state, location, s.state == .missing ? "-" : size(s.bytes)])
    }
    let widths = (0..<5).map { c in rows.map { $0[c].count }.max() ?? 0 }
    return rows.map { row in
      row.enumerated().map { c, cell in c == 4 ? cell : cell.padding(toLength: widths[c], withPad: " ", startingAt: 0) }
        .joined(separator: "  ")
    }.joined(separator: "\n")
  }

  /// `30.9 MB`, `5.1 kB`, `120 B` (decimal units).
  static func size(_ bytes: Int) -> String {
    if bytes >= 999_950 { return String(format: "%.1f MB", Double(bytes) / 1e6) }
    if bytes >= 1_000 { return String(format: "%.1f kB", Double(bytes) / 1e3) }
    return "\(bytes) B"
  }
}
