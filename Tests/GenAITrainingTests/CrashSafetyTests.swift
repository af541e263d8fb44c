import Foundation
import GenAIData
import GenAINN
import GenAITestSupport
import Testing
@testable import GenAITraining

/// What a run folder looks like after its writer was killed (kill -9, power cut, full disk), and
/// how readers and `--resume` cope: a torn last line of a `.jsonl` log, a temporary checkpoint
/// file, a damaged newest checkpoint. (`KillNineTests` in GenAICLITests kills real trainings.)
@Suite("Crash safety of run folders")
struct CrashSafetyTests {
  static let good = #"{"loss": 1, "step": 1}"# + "\n" + #"{"loss": 0.5, "step": 2}"# + "\n"
  /// The start of a third line, as a kill in the middle of writing it leaves it.
  static let torn = #"{"loss": 0.25, "st"#

  /// A new folder holding `metrics.jsonl` with `text`; the caller removes the folder.
  static func metricsFile(_ text: String) throws -> (folder: URL, file: URL) {
    let folder = try TemporaryFolder.make("torn-metrics")
    let url = folder.appending(path: "metrics.jsonl")
    try Data(text.utf8).write(to: url)
    return (folder, url)
  }

  /// A line cut off mid-write at the end is left out by every reader (the report notes it); the
  /// same bytes in the middle of the file are still an error naming the line.
  @Test func tornLastLineIsSkippedButCorruptionInTheMiddleIsNot() throws {
    let (folder, url) = try Self.metricsFile(Self.good + Self.torn)
    defer { try? FileManager.default.removeItem(at: folder) }
    #expect(try MetricsLog.read(url).map(\.training?.step) == [1, 2])
    // The report's reader skips it too, and notes it.
    let history = RunHistory(contentsOf: url)
    #expect(history.training.count == 2 && history.skippedLines == 1)

    try Data((Self.good + Self.torn + "\n" + #"{"loss": 0.1, "step": 4}"# + "\n").utf8).write(to: url)
    #expect {
      try MetricsLog.read(url)
    } throws: { error in
      (error as? TrainingError)?.message.hasPrefix("\(url.path):3: ") == true
    }
    // A whole JSON object that is not a metrics line is an error even at the end.
    try Data((Self.good + #"{"kind": "party", "step": 3}"#).utf8).write(to: url)
    #expect(throws: TrainingError.self) { try MetricsLog.read(url) }
  }

  /// Opening the log for appending (as training and `genai eval` do) removes a torn last line,
  /// so the next line does not glue onto it; a whole last line that only lacks its newline is kept.
  @Test func appendingRemovesATornLastLineAndKeepsAWholeOne() throws {
    let (folder, url) = try Self.metricsFile(Self.good + Self.torn)
    defer { try? FileManager.default.removeItem(at: folder) }
    let log = try MetricsLog(url: url)
    #expect(log.droppedTail == JSONLines.DroppedTail(file: url.path, bytes: Self.torn.utf8.count))
    #expect(log.droppedTail?.description.contains(url.path) == true)
    try log.append(.training(TrainingLine(step: 3, losses: ["loss": 0.25])))
    #expect(try MetricsLog.read(url).map(\.training?.step) == [1, 2, 3])

    try Data((Self.good + #"{"loss": 0.25, "step": 3}"#).utf8).write(to: url)
    let again = try MetricsLog(url: url)
    #expect(again.droppedTail == nil)
    try again.append(.training(TrainingLine(step: 4, losses: ["loss": 0.125])))
    #expect(try MetricsLog.read(url).map(\.training?.step) == [1, 2, 3, 4])
  }

  /// A write that fails (here: a full device) is an error naming the file.
  @Test(.enabled(if: FileManager.default.fileExists(atPath: "/dev/full"), "needs /dev/full (Linux)"))
  func failedAppendNamesTheFile() throws {
    #expect {
      try JSONLines.append([TrainingLine(step: 1, losses: ["loss": 1])], to: URL(fileURLWithPath: "/dev/full"))
    } throws: { error in
      let message = (error as? TrainingError)?.message ?? ""
      return message.contains("/dev/full") && message.contains("No space left")
    }
  }

  /// A checkpoint save's temporary file is never a checkpoint, and `--resume` deletes it; a
  /// damaged newest checkpoint is skipped with a note and the run resumes from the one before.
  @Test func resumeSkipsTemporaryFilesAndADamagedNewestCheckpoint() throws {
    let folder = try TemporaryFolder.make("damaged-resume")
    defer { try? FileManager.default.removeItem(at: folder) }
    let text = try TrainingTestSupport.textFile(in: folder)
    var config = TrainingTestSupport.config(.charRNN, data: "text:\(text.path)", steps: 3, batch: 4)
    config.checkpointEvery = 1
    config.keepCheckpoints = 3
    let trainer = try TrainingTestSupport.train(config, in: folder.appending(path: "run"))
    #expect(try trainer.train() == .finished(step: 3))
    let run = trainer.run
    #expect(run.checkpoints().map(\.step) == [1, 2, 3])

    // What a kill in the middle of saving step 4 leaves.
    let temporary = run.checkpointsURL.appending(path: ".step-000004.safetensors.tmp-1f2e")
    try Data(repeating: 7, count: 100).write(to: temporary)
    #expect(run.latestCheckpoint == run.checkpointURL(step: 3))
    // Step 3's file cut short, as a power cut could leave it.
    let newest = run.checkpointURL(step: 3)
    let bytes = try Data(contentsOf: newest)
    try bytes.prefix(bytes.count / 2).write(to: newest)

    let resumed = try Trainer.resume(run, steps: 4, dataDirectory: nil)
    #expect(resumed.step == 2)
    #expect(!FileManager.default.fileExists(atPath: temporary.path))
    var written: [String] = []
    resumed.write = { written.append($0) }
    resumed.interactive = false
    #expect(try resumed.train() == .finished(step: 4))
    #expect(written.contains { $0.contains("skipping a damaged checkpoint") && $0.contains(newest.path) && $0.contains("step-000002") }, "\(written)")
    #expect(try TrainingCheckpoint.load(from: run.checkpointURL(step: 4), into: resumed.recipe.models, optimizers: resumed.recipe.optimizers, dataPosition: BatchLoader.Position.self).step == 4)
  }
}
