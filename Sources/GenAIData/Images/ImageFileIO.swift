import Foundation

/// Whole-file reads and atomic writes for the image readers and writers, with errors that name
/// the file.
enum ImageFileIO {
  /// The whole contents of the file at `url`.
  /// - Throws: `DataError` naming the file when it is missing or unreadable.
  static func read(_ url: URL) throws(DataError) -> [UInt8] {
    do {
      let data = try Data(contentsOf: url, options: .mappedIfSafe)
      return data.withUnsafeBytes { [UInt8]($0) }
    } catch {
      var isDirectory: ObjCBool = false
      let exists = FileManager.default.fileExists(atPath: url.path, isDirectory: &isDirectory)
      let reason = !exists ? "does not exist" : isDirectory.boolValue ? "is a folder, not a file" : "cannot be read"
      throw DataError(file: url.path, "\(reason) (\(error.localizedDescription))")
    }
  }

  /// Writes `bytes` to `url` atomically: into a temporary file in the same folder, then renamed
  /// over `url`, so a reader never sees a half-written file and a crash leaves the old one.
  /// - Throws: `DataError` naming the file when the folder is missing or not writable.
  static func writeAtomically(_ bytes: [UInt8], to url: URL) throws(DataError) {
    do {
      try Data(bytes).write(to: url, options: .atomic)
    } catch {
      throw DataError(file: url.path, "cannot be written (\(error.localizedDescription))")
    }
  }
}
