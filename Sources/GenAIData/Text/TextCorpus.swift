import Foundation

/// A body of UTF-8 text for a character- or byte-level sequence model: loaded from a file or a
/// folder of `.txt` files, and split into training and validation parts.
///
/// ```swift
/// let corpus = try TextCorpus(contentsOf: dataDir.appending(path: "shakespeare/tiny.txt"))
/// let (train, validation) = corpus.split(validationFraction: 0.1)
/// let vocabulary = Vocabulary.characters(in: corpus.text)
/// ```
public struct TextCorpus: Sendable, Equatable {
  /// The text.
  public var text: String
  /// Where it came from (a path, or a name such as `"<text>"`), used in error messages.
  public var source: String

  /// A corpus holding `text`.
  public init(_ text: String, source: String = "<text>") {
    self.text = text
    self.source = source
  }

  /// Loads one UTF-8 text file, or every `.txt` file in a folder.
  ///
  /// A leading UTF-8 byte-order mark is dropped; line endings are kept as they are. A folder's
  /// files are read in name order and joined with a blank line between them; files that are not
  /// UTF-8 or are empty are skipped (use `load(_:report:)` to see which).
  /// - Throws: `DataError` naming the file: it cannot be read, it is empty, or it is not valid
  ///   UTF-8 (with the byte offset, line and the offending bytes); for a folder, when no file in
  ///   it could be used.
  public init(contentsOf url: URL) throws(DataError) {
    var report = CleaningReport()
    self = try TextCorpus.load(url, report: &report)
  }

  /// Loads a file or folder as `init(contentsOf:)` does, recording in `report` each file of a
  /// folder that was skipped (not UTF-8, empty, unreadable) and counting the files kept.
  /// - Throws: `DataError` for a single file that cannot be used, or a folder with no usable file.
  public static func load(_ url: URL, report: inout CleaningReport) throws(DataError) -> TextCorpus {
    var isDirectory: ObjCBool = false
    guard FileManager.default.fileExists(atPath: url.path, isDirectory: &isDirectory) else {
      throw DataError(file: url.path, "no such file or folder")
    }
    guard isDirectory.boolValue else {
      let text = try readUTF8(url)
      report.kept += 1
      return TextCorpus(text, source: url.path)
    }
    let names: [String]
    do { names = try FileManager.default.contentsOfDirectory(atPath: url.path) } catch {
      throw DataError(file: url.path, "cannot list the folder: \(error.localizedDescription)")
    }
    let files = names.filter { $0.lowercased().hasSuffix(".txt") && !$0.hasPrefix(".") }.sorted()
    guard !files.isEmpty else { throw DataError(file: url.path, "the folder holds no .txt files") }
    var parts: [String] = []
    for name in files {
      do {
        parts.append(try readUTF8(url.appending(path: name)))
      } catch {
        let issue: CleaningReport.Issue =
          error.message.hasPrefix("invalid UTF-8") ? .notUTF8 : error.message.hasPrefix("empty") ? .empty : .corrupt
        report.record(name, issue, error.message)
      }
    }
    guard !parts.isEmpty else {
      throw DataError(file: url.path,
        "none of the \(files.count) .txt files could be read (\(report.entries.count) skipped)")
    }
    report.kept += parts.count
    return TextCorpus(parts.joined(separator: "\n\n"), source: url.path)
  }

  /// Number of characters (Unicode scalars: the units a `Vocabulary` encodes).
  public var characterCount: Int { text.unicodeScalars.count }

  /// Number of UTF-8 bytes.
  public var byteCount: Int { text.utf8.count }

  /// The first part for training, the rest for validation (as nanoGPT's `data[:n]`, `data[n:]`).
  ///
  /// The cut is at Unicode scalar `floor(count · (1 - validationFraction))`, moved forward to the
  /// next grapheme-cluster boundary so that a base letter and its combining marks (or `"\r\n"`)
  /// stay on one side. For ASCII text both counts are plain character counts.
  /// - Precondition: `0 <= validationFraction <= 1`.
  public func split(validationFraction: Double) -> (train: TextCorpus, validation: TextCorpus) {
    precondition(validationFraction >= 0 && validationFraction <= 1,
      "[TextCorpus.split] validationFraction must be in [0, 1], got \(validationFraction)")
    let scalars = text.unicodeScalars
    let trainCount = Int((Double(scalars.count) * (1 - validationFraction)).rounded(.down))
    var cut = scalars.index(scalars.startIndex, offsetBy: trainCount)
    // Round forward to a Character boundary.
    while cut < text.endIndex && cut.samePosition(in: text) == nil { cut = scalars.index(after: cut) }
    return (TextCorpus(String(text[..<cut]), source: source + " (train)"),
            TextCorpus(String(text[cut...]), source: source + " (validation)"))
  }

  // MARK: - Decoding

  /// Reads `url` as UTF-8, or throws a `DataError` naming the file.
  static func readUTF8(_ url: URL) throws(DataError) -> String {
    let data: Data
    do { data = try Data(contentsOf: url) } catch {
      throw DataError(file: url.path, "cannot read: \(error.localizedDescription)")
    }
    guard !data.isEmpty else { throw DataError(file: url.path, "empty file (0 bytes)") }
    return try decodeUTF8([UInt8](data), source: url.path)
  }

  /// Decodes `bytes` as UTF-8, dropping a leading byte-order mark.
  /// - Throws: `DataError` with the byte offset (from the start of the file), line number and the
  ///   bytes there, at the first invalid sequence.
  public static func decodeUTF8(_ bytes: [UInt8], source: String) throws(DataError) -> String {
    let body = bytes.starts(with: [0xEF, 0xBB, 0xBF]) ? bytes[3...] : bytes[...]
    if let text = String(validating: body, as: UTF8.self) { return text }
    // Slow path, only on failure: find and describe the first bad sequence.
    let (offset, reason) = firstInvalidUTF8(body) ?? (body.startIndex, "invalid sequence")
    let line = 1 + bytes[..<offset].reduce(0) { $0 + ($1 == 0x0A ? 1 : 0) }
    let shown = bytes[offset..<min(offset + 4, bytes.count)].map { String(format: "%02X", $0) }.joined(separator: " ")
    throw DataError(file: source,
      "invalid UTF-8 at byte offset \(offset) (line \(line)): \(reason) [bytes \(shown)]; the file must be UTF-8 text")
  }

  /// The offset and a description of the first invalid UTF-8 sequence in `bytes`, or `nil`.
  /// Follows the Unicode "well-formed UTF-8" table: no overlong forms, no surrogates, nothing
  /// above U+10FFFF.
  static func firstInvalidUTF8(_ bytes: ArraySlice<UInt8>) -> (offset: Int, reason: String)? {
    var i = bytes.startIndex
    while i < bytes.endIndex {
      let b = bytes[i]
      if b < 0x80 { i += 1; continue }
      let length: Int
      var low: UInt8 = 0x80, high: UInt8 = 0xBF  // allowed range of the second byte
      switch b {
      case 0xC2...0xDF: length = 2
      case 0xE0: length = 3; low = 0xA0
      case 0xE1...0xEC, 0xEE...0xEF: length = 3
      case 0xED: length = 3; high = 0x9F
      case 0xF0: length = 4; low = 0x90
      case 0xF1...0xF3: length = 4
      case 0xF4: length = 4; high = 0x8F
      case 0x80...0xBF: return (i, "continuation byte 0x\(hex(b)) without a lead byte")
      default: return (i, "byte 0x\(hex(b)) never appears in UTF-8")
      }
      for k in 1..<length {
        guard i + k < bytes.endIndex else {
          return (i, "the file ends inside a \(length)-byte sequence")
        }
        let c = bytes[i + k]
        let (lo, hi) = k == 1 ? (low, high) : (UInt8(0x80), UInt8(0xBF))
        guard c >= lo && c <= hi else {
          let what = k == 1 && (c >= 0x80 && c <= 0xBF)
            ? "an overlong, surrogate or out-of-range sequence" : "a \(length)-byte sequence cut short"
          return (i, "\(what) (lead byte 0x\(hex(b)), then 0x\(hex(c)))")
        }
      }
      i += length
    }
    return nil
  }

  private static func hex(_ b: UInt8) -> String { String(format: "%02X", b) }
}
