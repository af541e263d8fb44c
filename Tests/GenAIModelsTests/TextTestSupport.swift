import Foundation
import GenAIData
import GenAITensor
import GenAITestSupport

/// Helpers shared by the char-rnn, char-gpt and sampler tests.
enum TextTestSupport {
  /// The first `bytes` bytes of ../shared/data/shakespeare/tiny.txt (cut at a character
  /// boundary), or `nil` when the file is absent.
  static func tinyShakespeare(bytes: Int = 4096) -> String? {
    guard let url = SharedData.file(.shakespeare, "tiny.txt"), let data = try? Data(contentsOf: url) else { return nil }
    return String(decoding: data.prefix(bytes), as: UTF8.self).filter { $0 != "\u{FFFD}" }
  }

  /// One fixed batch of `count` windows of `length` from `text`.
  static func batch(_ text: String, vocabulary: Vocabulary, length: Int, count: Int, seed: UInt64) throws -> Batch {
    let windows = try TextWindows(ids: vocabulary.encode(text), length: length)
    var g = SeededGenerator(seed: seed)
    return windows.makeBatch(indices: Array(0..<count), generator: &g)
  }

  /// `steps` random batches of `count` windows of `length` from `text`.
  static func batches(_ text: String, vocabulary: Vocabulary, length: Int, count: Int, steps: Int, seed: UInt64) throws -> [Batch] {
    let windows = try TextWindows(ids: vocabulary.encode(text), length: length)
    var g = SeededGenerator(seed: seed)
    return (0..<steps).map { _ in windows.makeBatch(indices: Array(0..<count), generator: &g) }
  }
}
