import Foundation
import GenAI
import GenAITestSupport
import Testing

/// Real trainings killed with SIGKILL at random (seeded) moments, while they write checkpoints,
/// samples, evaluations and metrics lines every step or two: after every kill the run folder's
/// newest checkpoint loads, its logs read, and `genai train --resume` carries on.
@Suite("kill -9 during training", .serialized)
struct KillNineTests {
  static let kills = 14

  /// The training: a small char-rnn writing something every step, for far more steps than it
  /// gets to run before it is killed.
  static func trainArguments(data: URL, run: URL) -> [String] {
    [
      "train", "char-rnn", "--data", "text:\(data.path)", "--steps", "1000000", "--batch-size", "4", "--hidden", "128",
      "--layers", "1", "--context", "16", "--log-every", "1", "--sample-every", "2", "--checkpoint-every", "1",
      "--eval-every", "3", "--keep-checkpoints", "2", "--out", run.path, "--plain", "--seed", "1",
    ]
  }

  @Test(.enabled(if: GenAIProcess.executable != nil, Comment(rawValue: GenAIProcess.missingReason)))
  func killedTrainingAlwaysLeavesAResumableRun() throws {
    let folder = try TemporaryFolder.make("kill-nine")
    defer { try? FileManager.default.removeItem(at: folder) }
    let data = folder.appending(path: "play.txt")
    let verse = "ROMEO:\nBut soft, what light through yonder window breaks?\nJULIET:\nO Romeo, Romeo! wherefore art thou Romeo?\n\n"
    try Data(String(repeating: verse, count: 40).utf8).write(to: data)
    let runURL = folder.appending(path: "run")
    let run = RunDirectory(url: runURL)
    var random = SeededGenerator(seed: 15)
    var stats = (resumed: 0, startedOver: 0, temporaryFiles: 0, newestSteps: [Int]())

    for kill in 1...Self.kills {
      let arguments: [String]
      if run.latestCheckpoint != nil {
        arguments = ["train", "--resume", runURL.path, "--plain"]
        stats.resumed += 1
      } else {
        // Killed before its first checkpoint: there is nothing to resume, so start again.
        if FileManager.default.fileExists(atPath: runURL.path) { stats.startedOver += 1 }
        try? FileManager.default.removeItem(at: runURL)
        arguments = Self.trainArguments(data: data, run: runURL)
      }
      let child = try GenAIProcess(arguments)
      Thread.sleep(forTimeInterval: Double.random(in: 0.05...1.2, using: &random))
      let result = child.kill()
      try #require(result.killedBySignal, "kill \(kill): genai ended by itself, status \(result.status):\n\(result.output)")
      stats.temporaryFiles += try checkRunFolder(run, after: kill)
      stats.newestSteps.append(run.checkpoints().last?.step ?? 0)
    }
    print("kill -9 test: \(Self.kills) kills, \(stats.resumed) resumed, \(stats.startedOver) before a first checkpoint, "
      + "\(stats.temporaryFiles) temporary checkpoint files found, newest steps \(stats.newestSteps)")
    #expect(stats.resumed >= Self.kills / 2, "most kills should find a checkpoint to resume from")

    // A line cut off mid-write, as a kill inside the one write(2) of a line would leave it.
    let latest = try #require(run.checkpoints().last?.step)
    let handle = try FileHandle(forWritingTo: run.metricsURL)
    try handle.seekToEnd()
    try handle.write(contentsOf: Data(#"{"epoch": 0, "loss": 1.5, "st"#.utf8))
    try handle.close()
    let report = try GenAIProcess.run(["report", runURL.path])
    #expect(report.status == 0, "\(report.output)")
    // Resuming finishes two more steps and removes the torn line.
    let final = try GenAIProcess.run(
      ["train", "--resume", runURL.path, "--steps", String(latest + 2), "--plain"])
    #expect(final.status == 0, "\(final.output)")
    #expect(final.output.contains("half-written line"), "\(final.output)")
    #expect(run.checkpoints().last?.step == latest + 2)
    _ = try checkRunFolder(run, after: Self.kills + 1)
  }

  /// Checks what a reader of the run folder needs: the newest checkpoint loads, the metrics log
  /// and every evaluation and sample sidecar read. Returns how many temporary checkpoint files
  /// (saves cut short) were there.
  func checkRunFolder(_ run: RunDirectory, after kill: Int) throws -> Int {
    guard run.exists else { return 0 }
    let config = try run.readConfig()
    if let newest = run.checkpoints().last {
      let recipe = try config.makeRecipe()
      let state = try TrainingCheckpoint.load(
        from: newest.url, into: recipe.models, optimizers: recipe.optimizers, dataPosition: BatchLoader.Position.self)
      #expect(state.step == newest.step, "kill \(kill)")
    }
    if FileManager.default.fileExists(atPath: run.metricsURL.path) {
      let lines = try MetricsLog.read(run.metricsURL)
      // The report's reader keeps the same lines (and at most notes a torn last one).
      let history = RunHistory(contentsOf: run.metricsURL)
      #expect(history.training.count == lines.compactMap(\.training).count && history.skippedLines <= 1, "kill \(kill)")
      #expect(lines.compactMap(\.training).allSatisfy { $0.step >= 1 }, "kill \(kill)")
    }
    let evalFiles = (try? FileManager.default.contentsOfDirectory(atPath: run.evalsURL.path))?.filter { $0.hasSuffix(".json") } ?? []
    #expect(run.evaluations().count == evalFiles.count, "kill \(kill): an evaluation file does not read")
    let samples = (try? FileManager.default.contentsOfDirectory(atPath: run.samplesURL.path)) ?? []
    for sidecar in samples where sidecar.hasSuffix(".txt.json") {
      let data = try Data(contentsOf: run.samplesURL.appending(path: sidecar))
      #expect((try? JSONSerialization.jsonObject(with: data)) != nil, "kill \(kill): \(sidecar) does not read")
    }
    let names = (try? FileManager.default.contentsOfDirectory(atPath: run.checkpointsURL.path)) ?? []
    return names.filter(SafeTensors.isTemporaryFile).count
  }
}
