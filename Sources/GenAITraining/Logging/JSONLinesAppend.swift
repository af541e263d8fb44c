import Foundation

extension JSONLines {
  /// A half-written last line that `append` removed before appending: what a writer killed in
  /// the middle of a line (kill -9, power cut, a full disk) leaves behind.
  public struct DroppedTail: Sendable, Equatable, CustomStringConvertible {
    /// The file.
    public var file: String
    /// How many bytes the torn line had.
    public var bytes: Int

    /// A note for the user.
    public var description: String {
      "note: \(file) ended in a half-written line (\(bytes) bytes, from a writer that was stopped mid-line); it was removed"
    }
  }

  /// Appends `values` to `url` (created when missing), one line each, in one write with
  /// `O_APPEND` under an exclusive `flock`, so concurrent writers (training, `genai eval`, the
  /// studio) never split or cut each other's lines.
  ///
  /// The file is left whole whatever happens: a torn last line found there (see `decode`) is
  /// removed first (a complete line that only lacks its newline gets one), and a write that fails
  /// part-way (disk full, file-size limit) is cut back off before the error is thrown.
  /// - Returns: the torn line removed, if there was one.
  /// - Throws: `TrainingError` naming the file.
  @discardableResult
  public static func append(_ values: [some Encodable], to url: URL) throws -> DroppedTail? {
    let text = try values.map { try line($0) + "\n" }.joined()
    let fd = open(url.path, O_RDWR | O_APPEND | O_CREAT | O_CLOEXEC, 0o644)
    guard fd >= 0 else { throw TrainingError("cannot open \(url.path) for appending: \(String(cString: strerror(errno)))") }
    // Closing releases the lock; so does the kernel when a writer is killed.
    defer { close(fd) }
    guard flock(fd, LOCK_EX) == 0 else { throw TrainingError("cannot lock \(url.path): \(String(cString: strerror(errno)))") }
    var size = lseek(fd, 0, SEEK_END)
    guard size >= 0 else { throw TrainingError("cannot read the size of \(url.path): \(String(cString: strerror(errno)))") }
    let (tailStart, tail) = lastLine(fd, size: size)
    var bytes = Array(text.utf8)
    var dropped: DroppedTail?
    if !tail.isEmpty {
      if isBlank(tail) || isTorn(tail) {
        guard ftruncate(fd, tailStart) == 0 else {
          throw TrainingError("cannot remove the half-written last line of \(url.path): \(String(cString: strerror(errno)))")
        }
        size = tailStart
        dropped = DroppedTail(file: url.path, bytes: tail.count)
      } else {
        bytes.insert(UInt8(ascii: "\n"), at: 0)
      }
    }
    var written = 0
    while written < bytes.count {
      let n = bytes.withUnsafeBytes { write(fd, $0.baseAddress! + written, $0.count - written) }
      if n < 0 && errno == EINTR { continue }
      guard n > 0 else {
        let reason = String(cString: strerror(errno))
        // Leave no part-line behind: the file stays as it was before this call.
        _ = ftruncate(fd, size)
        throw TrainingError("cannot append to \(url.path): \(reason)")
      }
      written += n
    }
    return dropped
  }

  /// The offset and bytes of what follows the last newline of the open file (empty when the
  /// file ends in a newline or is empty).
  private static func lastLine(_ fd: Int32, size: off_t) -> (start: off_t, bytes: [UInt8]) {
    var tail: [UInt8] = []
    var start = size
    let chunk = 4096
    while start > 0 {
      let count = Int(min(off_t(chunk), start))
      var buffer = [UInt8](repeating: 0, count: count)
      let n = buffer.withUnsafeMutableBytes { pread(fd, $0.baseAddress!, count, start - off_t(count)) }
      guard n == count else { return (size, []) }
      if let newline = buffer.lastIndex(of: UInt8(ascii: "\n")) {
        let lineStart = start - off_t(count) + off_t(newline + 1)
        return (lineStart, Array(buffer[(newline + 1)...]) + tail)
      }
      tail = buffer + tail
      start -= off_t(count)
    }
    return (0, tail)
  }
}
