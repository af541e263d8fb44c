import ArgumentParser
import Foundation
import GenAI
import GenAITestSupport
import Testing
@testable import GenAICLI

/// Input a user controls, made hostile: every case runs `genai` in-process and expects the message
/// the executable would print, naming the flag, file or field and what was expected, instead of a
/// trap. The crash audit (docs/crash-audit.md) points at these cases.
@Suite("Hostile input through the command line", .serialized)
struct HostileInputCLITests {
  /// The message `genai ARGS` fails with, or `nil` when it succeeds.
  private func failure(_ arguments: [String]) -> String? { genaiFailure(arguments) }

  /// Writes a 28x28 grey PNG whose pixels all hold `value`.
  private func writeImage(_ value: UInt8, to url: URL) throws {
    try FileManager.default.createDirectory(at: url.deletingLastPathComponent(), withIntermediateDirectories: true)
    try PNGEncoder.write(Bitmap(width: 28, height: 28, channels: 1, pixels: [UInt8](repeating: value, count: 28 * 28)), to: url)
  }

  /// The data folders and files the cases read, in `folder`.
  private func makeFixtures(in folder: URL) throws {
    // Five identical images: cleaning keeps one.
    for i in 0..<5 { try writeImage(128, to: folder.appending(path: "same/\(i).png")) }
    for i in 0..<3 { try writeImage(UInt8(40 * i), to: folder.appending(path: "oneclass/cat/\(i).png")) }
    try FileManager.default.createDirectory(at: folder.appending(path: "empty"), withIntermediateDirectories: true)
    try String(repeating: "a", count: 2000).write(to: folder.appending(path: "one-char.txt"), atomically: true, encoding: .utf8)
    try "hello".write(to: folder.appending(path: "short.txt"), atomically: true, encoding: .utf8)
  }

  /// Command-line cases: the arguments (`DIR` is the fixtures' folder) and a part of the message.
  static let flagCases: [(args: [String], expected: String)] = [
    // Data smaller than the recipe's smallest batch (BatchNorm needs 2 values per channel).
    (["train", "dcgan", "--data", "images:DIR/same"], "DIR/same holds 1 item(s) after cleaning (duplicates removed), too few to train dcgan with batch size 64"),
    (["train", "wgan-gp", "--data", "images:DIR/same"], "too few to train wgan-gp with batch size 64: its batch normalisation needs at least 2 items per batch"),
    (["train", "dcgan", "--data", "shapes", "--batch-size", "1"], "--batch-size must be at least 2 for dcgan"),
    (["train", "dcgan", "--data", "images:DIR/empty"], "DIR/empty: no PNG images found"),
    (["train", "dcgan", "--conditional", "--data", "images:DIR/oneclass"], "needs labelled data with at least 2 classes: images:DIR/oneclass has 1"),
    (["train", "classifier", "--data", "images:DIR/oneclass"], "needs labelled data with at least 2 classes"),
    // Text shorter than a window, or with nothing to predict.
    (["train", "char-gpt", "--data", "text:DIR/short.txt"], "DIR/short.txt: 5 characters are too few for sequences of 64"),
    (["train", "char-rnn", "--data", "text:DIR/one-char.txt"], "DIR/one-char.txt: the text has 1 distinct character(s); a character model needs at least 2"),
    // Numbers: zero, negative, NaN, huge.
    (["train", "dcgan", "--data", "shapes", "--epochs", "9223372036854775807"], "--epochs is too large"),
    (["train", "dcgan", "--data", "shapes", "--batch-size", "1000000000"], "--batch-size must be at most 100000, got 1000000000"),
    (["train", "dcgan", "--data", "shapes", "--sample-count", "100000000"], "--sample-count must be in 1...10000, got 100000000"),
    (["train", "dcgan", "--data", "shapes", "--lr", "nan"], "--lr must be a positive number, got nan"),
    (["train", "dcgan", "--data", "shapes", "--eval-samples", "1"], "--eval-samples must be in 2...100000, got 1"),
    (["train", "char-rnn", "--hidden", "0"], "--hidden must be in 1...8192, got 0"),
    (["train", "char-gpt", "--dropout", "nan"], "--dropout must be in [0, 1), got nan"),
    (["train", "char-gpt", "--layers", "100000"], "--layers must be in 1...64, got 100000"),
    (["sample", "runs/x", "--count", "100000000"], "--count must be in 1...10000, got 100000000"),
    (["sample", "runs/x", "--length", "100000000000"], "--length must be in 0...1000000"),
    (["eval", "runs/x", "--samples", "1000000000"], "--samples must be in 2...100000, got 1000000000"),
    (["eval", "runs/x", "--importance-samples", "0"], "--importance-samples must be in 1...100000, got 0"),
    (["tune", "runs/x", "--lr", "inf"], "--lr must be a positive number, got inf"),
    (["demo", "--points", "100000000"], "--points must be in 2...1000000"),
  ]

  /// Every flag case fails before any training with its message (none trains: each is refused
  /// while the options are checked or the data is read).
  @Test func hostileFlagsAndDataAreRefusedWithAMessage() throws {
    let folder = try TemporaryFolder.make("cli-hostile")
    defer { try? FileManager.default.removeItem(at: folder) }
    try makeFixtures(in: folder)
    for (index, testCase) in Self.flagCases.enumerated() {
      let out = folder.appending(path: "run-\(index)").path
      let args = testCase.args.map { $0.replacingOccurrences(of: "DIR", with: folder.path) }
      let message = failure(args[0] == "train" ? args + ["--out", out, "--plain"] : args)
      let expected = testCase.expected.replacingOccurrences(of: "DIR", with: folder.path)
      #expect(message?.contains(expected) == true, "\(testCase.args): \(message ?? "succeeded")")
      // Refused before the run folder was made, so nothing half-made is left.
      #expect(!RunDirectory(url: URL(fileURLWithPath: out)).exists, "\(testCase.args)")
    }
  }

  /// A batch larger than the data is cut to its size and the cut is recorded, not made silently.
  @Test func aBatchLargerThanTheDataIsCutAndRecorded() throws {
    let folder = try TemporaryFolder.make("cli-batch-cut")
    defer { try? FileManager.default.removeItem(at: folder) }
    for i in 0..<3 { try writeImage(UInt8(60 * i), to: folder.appending(path: "three/\(i).png")) }
    let out = folder.appending(path: "run").path
    let message = failure([
      "train", "dcgan", "--data", "images:" + folder.appending(path: "three").path, "--steps", "1", "--sample-count", "2", "--out", out,
      "--plain",
    ])
    #expect(message == nil)
    #expect(try RunDirectory(url: URL(fileURLWithPath: out)).readConfig().batchSize == 3)
  }

  /// Resuming after the data's classes changed would feed labels past the label embedding: refused.
  @Test func resumingWithChangedClassesIsRefused() throws {
    let folder = try TemporaryFolder.make("cli-classes")
    defer { try? FileManager.default.removeItem(at: folder) }
    for (c, name) in ["cat", "dog"].enumerated() {
      for i in 0..<2 { try writeImage(UInt8(50 * i + 20 * c), to: folder.appending(path: "pets/\(name)/\(i).png")) }
    }
    let run = folder.appending(path: "run").path
    try #require(failure([
      "train", "dcgan", "--conditional", "--data", "images:" + folder.appending(path: "pets").path, "--steps", "1", "--batch-size", "2",
      "--sample-count", "2", "--out", run, "--plain",
    ]) == nil)
    try writeImage(200, to: folder.appending(path: "pets/emu/0.png"))
    let message = failure(["train", "--resume", run, "--steps", "2", "--plain"])
    #expect(message?.contains("was trained on the classes cat, dog, but") == true && message?.contains("cat, dog, emu") == true, "\(message ?? "succeeded")")
  }

  /// `config.json` cases: fields only the file can set, wrong types, missing fields, numbers that
  /// do not fit. Each edits a copy of one tiny run, then resumes it; `sample` reads the same checks.
  static var fileCases: [(field: String, value: Any?, expected: String)] { [
    ("logEvery", 0, #"field "logEvery" must be at least 1, got 0"#),
    ("batchSize", 1, #"field "batchSize" must be at least 2 for dcgan"#),
    ("sampleCount", 0, #"field "sampleCount" must be in 1...10000, got 0"#),
    ("keepCheckpoints", -1, #"field "keepCheckpoints" must be at least 1, got -1"#),
    ("steps", "ten", #"not a genai run configuration (field "steps": "#),
    ("steps", nil, #"not a genai run configuration (missing field "steps")"#),
    ("seed", -1, "a number does not fit its field"),
    ("steps", 2.5, "a number does not fit its field"),
    ("recipe", "stylegan", #"unknown recipe "stylegan""#),
    ("charGPT.heads", 3, #"field "charGPT.heads" must divide width 128, got 3"#),
    ("audio.width", 100_000, #"field "audio.width" must be in 1...256, got 100000"#),
    ("classNames", ["circle", "circle"], #"field "classNames" must not repeat a name"#),
  ] }

  @Test func aRunsConfigFileIsCheckedFieldByField() throws {
    let folder = try TemporaryFolder.make("cli-hostile-config")
    defer { try? FileManager.default.removeItem(at: folder) }
    let original = folder.appending(path: "run")
    try #require(failure([
      "train", "dcgan", "--data", "shapes", "--steps", "1", "--batch-size", "2", "--sample-count", "2", "--out", original.path,
      "--plain",
    ]) == nil)
    for (index, testCase) in Self.fileCases.enumerated() {
      let run = folder.appending(path: "edited-\(index)")
      try FileManager.default.copyItem(at: original, to: run)
      let file = run.appending(path: "config.json")
      var json = try #require(try JSONSerialization.jsonObject(with: Data(contentsOf: file)) as? [String: Any])
      let path = testCase.field.split(separator: ".").map(String.init)
      if path.count == 2 {
        var group = try #require(json[path[0]] as? [String: Any])
        group[path[1]] = testCase.value
        json[path[0]] = group
      } else {
        json[testCase.field] = testCase.value
      }
      try JSONSerialization.data(withJSONObject: json).write(to: file)
      for args in [["train", "--resume", run.path, "--steps", "2", "--plain"], ["sample", run.path, "--count", "2"]] {
        let message = failure(args)
        #expect(message?.hasPrefix(file.path + ": ") == true && message?.contains(testCase.expected) == true, "\(args[0]) \(testCase.field): \(message ?? "succeeded")")
      }
    }
  }
}
