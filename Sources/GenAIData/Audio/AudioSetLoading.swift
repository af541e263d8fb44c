import Foundation
import GenAITensor

/// Loading `AudioSet`s from disk: the spoken-digits layout and folders of WAV files, both cleaned
/// as `AudioCleaning` describes.
extension AudioSet {
  /// The spoken-digits set: `labels.csv` (columns `file,digit,...`) and `wav/<file>` under
  /// `directory` (the `spoken-digits` folder itself, or the data folder holding it). Classes are
  /// the catalogue's (`"0"`…`"9"`), labels the `digit` column.
  /// - Parameters:
  ///   - cleaning: defaults to 8000 Hz, 8000 samples, duplicates and silent clips removed.
  ///   - limit: load only the first `limit` rows of `labels.csv`.
  /// - Throws: `DataError` naming `labels.csv` when it is missing or lacks a `file` or `digit`
  ///   column, or naming the folder when no clip survives; a bad row or a bad file is skipped
  ///   and reported instead.
  public static func spokenDigits(
    _ directory: URL, cleaning: AudioCleaning = .spokenDigits, limit: Int? = nil
  ) throws(DataError) -> AudioSet {
    var root = directory
    let fm = FileManager.default
    let folder = DatasetCatalog.spokenDigits.folder
    if !fm.fileExists(atPath: root.appendingPathComponent("labels.csv").path),
      fm.fileExists(atPath: root.appendingPathComponent(folder + "/labels.csv").path)
    {
      root = root.appendingPathComponent(folder)
    }
    let csvURL = root.appendingPathComponent("labels.csv")
    let csv: String
    do {
      csv = try String(contentsOf: csvURL, encoding: .utf8)
    } catch {
      let exists = fm.fileExists(atPath: csvURL.path)
      throw DataError(file: csvURL.path, exists ? "cannot read as UTF-8 text" : "no such file (expected labels.csv with columns file,digit,...)")
    }
    var report = CleaningReport()
    var items: [AudioFileItem] = []
    var lines = csv.split(separator: "\n", omittingEmptySubsequences: false).map { $0.hasSuffix("\r") ? $0.dropLast() : $0 }
    while lines.last?.isEmpty == true { lines.removeLast() }
    let header = lines.first.map { $0.split(separator: ",", omittingEmptySubsequences: false).map(String.init) } ?? []
    guard let fileColumn = header.firstIndex(of: "file"), let digitColumn = header.firstIndex(of: "digit") else {
      throw DataError(file: csvURL.path, "header \"\(header.joined(separator: ","))\" lacks a file or digit column")
    }
    for (number, line) in lines.enumerated().dropFirst() {
      if let limit, items.count + report.entries.count >= limit { break }
      let fields = line.split(separator: ",", omittingEmptySubsequences: false)
      let name = "labels.csv line \(number + 1)"
      guard fields.count == header.count else {
        report.record(name, .corrupt, "expected \(header.count) fields, got \(fields.count)")
        continue
      }
      guard let digit = Int(fields[digitColumn]), (0...9).contains(digit) else {
        report.record(name, .corrupt, "digit \"\(fields[digitColumn])\" is not 0-9")
        continue
      }
      let file = "wav/" + fields[fileColumn]
      items.append(AudioFileItem(url: root.appendingPathComponent(file), name: file, label: digit))
    }
    return try load(items, classNames: DatasetCatalog.spokenDigits.classNames, root: root.path, cleaning: cleaning, report: report)
  }

  /// A folder of WAV files with one sub-folder per class (`root/<class>/**/*.wav`, classes in
  /// name order); a folder with no such sub-folders is one class named after it, holding the WAV
  /// files directly inside. Hidden files and folders are ignored.
  /// - Throws: `DataError` naming the folder when it is missing, holds no WAV files, or no clip
  ///   survives cleaning; bad files are skipped and reported instead.
  public static func folder(_ url: URL, cleaning: AudioCleaning = AudioCleaning()) throws(DataError) -> AudioSet {
    let fm = FileManager.default
    var isDirectory: ObjCBool = false
    guard fm.fileExists(atPath: url.path, isDirectory: &isDirectory), isDirectory.boolValue else {
      throw DataError(file: url.path, "no such folder")
    }
    let subfolders = visibleEntries(url).filter { entry in
      var dir: ObjCBool = false
      return fm.fileExists(atPath: url.appendingPathComponent(entry).path, isDirectory: &dir) && dir.boolValue
    }
    var classNames: [String] = []
    var items: [AudioFileItem] = []
    for sub in subfolders {
      let files = wavFiles(under: url.appendingPathComponent(sub))
      guard !files.isEmpty else { continue }
      let label = classNames.count
      classNames.append(sub)
      items += files.map { AudioFileItem(url: url.appendingPathComponent(sub).appendingPathComponent($0), name: sub + "/" + $0, label: label) }
    }
    if items.isEmpty {
      let files = visibleEntries(url).filter { $0.lowercased().hasSuffix(".wav") }
      items = files.map { AudioFileItem(url: url.appendingPathComponent($0), name: $0, label: 0) }
      classNames = [url.lastPathComponent]
    }
    guard !items.isEmpty else {
      throw DataError(file: url.path, "no .wav files (expected one sub-folder of WAV files per class)")
    }
    return try load(items, classNames: classNames, root: url.path, cleaning: cleaning, report: CleaningReport())
  }

  /// Non-hidden names directly inside `url`, sorted.
  private static func visibleEntries(_ url: URL) -> [String] {
    ((try? FileManager.default.contentsOfDirectory(atPath: url.path)) ?? []).filter { !$0.hasPrefix(".") }.sorted()
  }

  /// Paths of `.wav` files (any case) under `url`, relative to it, sorted; hidden entries skipped.
  private static func wavFiles(under url: URL) -> [String] {
    let all = (try? FileManager.default.subpathsOfDirectory(atPath: url.path)) ?? []
    return all.filter { path in
      path.lowercased().hasSuffix(".wav") && !path.split(separator: "/").contains { $0.hasPrefix(".") }
    }.sorted()
  }
}

/// One file to load and its label.
struct AudioFileItem: Sendable {
  var url: URL
  /// The name used in the report, relative to the dataset root.
  var name: String
  var label: Int
}
