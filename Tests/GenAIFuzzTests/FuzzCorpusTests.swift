import Foundation
import Testing

@testable import GenAIFuzz

/// The seed corpus replayed through the fuzz targets without libFuzzer, so every CI run exercises
/// the harness (and its checks) on the same path the fuzzer drives. Seeds named `bad-*` are
/// deliberately invalid and must be rejected with an error naming the input; every other seed is
/// a valid file and must be accepted.
@Suite struct FuzzCorpusTests {
  /// `Fuzz/corpus` in this checkout.
  static let corpus = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
    .deletingLastPathComponent().appending(path: "Fuzz/corpus")

  /// The seed files of `target`, sorted by name.
  static func seeds(_ target: FuzzTarget) throws -> [URL] {
    let folder = corpus.appending(path: target.rawValue)
    return try FileManager.default.contentsOfDirectory(atPath: folder.path).sorted().map { folder.appending(path: $0) }
  }

  @Test(
    "every seed of the target replays: valid seeds are accepted, bad-* seeds rejected", arguments: FuzzTarget.allCases)
  func seedsReplay(target: FuzzTarget) throws {
    let files = try Self.seeds(target)
    #expect(files.count >= 3, "Fuzz/corpus/\(target.rawValue) holds \(files.count) seeds")
    for file in files {
      let outcome = target.run([UInt8](try Data(contentsOf: file)))
      // The gzip target tries both wrappers and reports both; the extension says which must work.
      if target == .gzip {
        let format = file.pathExtension == "gz" ? "gzip" : "zlib"
        #expect(outcome.summary.contains("\(format) decoded"), "\(file.lastPathComponent): \(outcome)")
      } else if file.lastPathComponent.hasPrefix("bad-") {
        #expect(outcome.isRejected, "\(file.lastPathComponent): \(outcome)")
        #expect(outcome.summary.contains(FuzzTarget.inputName), "\(file.lastPathComponent): \(outcome)")
      } else {
        #expect(!outcome.isRejected, "\(file.lastPathComponent): \(outcome)")
      }
    }
  }

  @Test("the png target's CRC repair makes a file with a wrong chunk CRC decodable, and leaves a valid one alone")
  func pngCRCRepair() throws {
    let folder = Self.corpus.appending(path: "png")
    let bad = [UInt8](try Data(contentsOf: folder.appending(path: "bad-crc.png")))
    let repaired = FuzzTarget.withValidChunkCRCs(bad)
    #expect(repaired != bad)
    #expect(repaired.count == bad.count)
    #expect(FuzzTarget.png.run(repaired) == .accepted("PNG 1x1x1"))
    let good = [UInt8](try Data(contentsOf: folder.appending(path: "rgb8.png")))
    #expect(FuzzTarget.withValidChunkCRCs(good) == good)
    // A chunk whose length runs past the end is left as it is (the decoder reports it).
    let cut = Array(good.prefix(20))
    #expect(FuzzTarget.withValidChunkCRCs(cut) == cut)
  }

  @Test("the seed corpus stays small (under 200 KB in all)")
  func corpusIsSmall() throws {
    let total = try FuzzTarget.allCases.flatMap(Self.seeds).reduce(0) { sum, file in
      sum + (try FileManager.default.attributesOfItem(atPath: file.path)[.size] as? Int ?? 0)
    }
    #expect(total > 0 && total < 200_000, "the corpus holds \(total) bytes")
  }
}

extension FuzzTarget.Outcome {
  /// Whether the reader threw.
  var isRejected: Bool { if case .rejected = self { true } else { false } }
  /// The summary or the error text.
  var summary: String {
    switch self {
    case .accepted(let text), .rejected(let text): text
    }
  }
}
