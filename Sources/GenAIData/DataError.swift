/// An error reading or writing data: names the file (or dataset) and says what is wrong and what
/// was expected, e.g. `fashion-mnist/train-images-idx3-ubyte.gz: bad IDX magic 0x00000801,
/// expected 0x00000803 (unsigned bytes, 3 dimensions)`.
public struct DataError: Error, CustomStringConvertible, Equatable, Sendable {
  /// The file, folder or dataset name the problem is in.
  public let file: String
  /// What is wrong, and what was expected.
  public let message: String

  /// An error in `file`.
  public init(file: String, _ message: String) {
    self.file = file
    self.message = message
  }

  /// `"<file>: <message>"`.
  public var description: String { "\(file): \(message)" }
}
