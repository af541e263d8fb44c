import Foundation
import GenAI
import GenAITestSupport
import Testing

/// A training that runs out of room: under a file-size limit (`ulimit -f`, which binds root too,
/// unlike `chmod`, and needs no mount) every write past the limit fails with EFBIG, as on a full
/// disk. The run stops with an error naming the file, the previous checkpoint stays whole, and no
/// partial file is left looking like a checkpoint.
@Suite("Disk full during training", .serialized)
struct DiskFullTests {
  static let shell = FileManager.default.isExecutableFile(atPath: "/bin/sh")

  @Test(
    .enabled(if: GenAIProcess.executable != nil, Comment(rawValue: GenAIProcess.missingReason)),
    .enabled(if: shell, "needs /bin/sh for ulimit"))
  func checkpointThatDoesNotFitFailsCleanly() throws {
    let folder = try TemporaryFolder.make("disk-full")
    defer { try? FileManager.default.removeItem(at: folder) }
    let data = folder.appending(path: "play.txt")
    try Data(String(repeating: "ROMEO:\nBut soft, what light through yonder window breaks?\n", count: 40).utf8).write(to: data)
    let runURL = folder.appending(path: "run")
    let run = RunDirectory(url: runURL)
    let first = try GenAIProcess.run(
      [
        "train", "char-rnn", "--data", "text:\(data.path)", "--steps", "2", "--batch-size", "4", "--hidden", "128",
        "--layers", "1", "--context", "16", "--log-every", "1", "--sample-every", "1", "--checkpoint-every", "1",
        "--eval-every", "0", "--out", runURL.path, "--plain",
      ])
    try #require(first.status == 0, "\(first.output)")
    let previous = run.checkpointURL(step: 2)
    let checkpointBytes = try #require(try FileManager.default.attributesOfItem(atPath: previous.path)[.size] as? Int)
    let previousContents = try Data(contentsOf: previous)

    // Room for the small files (config, metrics lines, text samples) but not for a checkpoint,
    // whichever block size (512 or 1024 bytes) the shell counts in.
    let blocks = checkpointBytes / 2048
    try #require(blocks * 512 > 16_384, "the checkpoint (\(checkpointBytes) bytes) is too small for this test")
    let full = try GenAIProcess.run(
      ["train", "--resume", runURL.path, "--steps", "4", "--plain"],
      fileSizeLimitBlocks: blocks)
    #expect(!full.killedBySignal && full.status != 0, "status \(full.status): \(full.output)")
    #expect(full.output.contains(run.checkpointURL(step: 3).path) && full.output.contains("File too large"), "\(full.output)")

    // The previous checkpoint is intact and the newest; nothing half-written is left.
    #expect(run.checkpoints().map(\.step) == [1, 2])
    #expect(try Data(contentsOf: previous) == previousContents)
    let names = try FileManager.default.contentsOfDirectory(atPath: run.checkpointsURL.path)
    #expect(!names.contains(where: SafeTensors.isTemporaryFile), "\(names)")
    let recipe = try run.readConfig().makeRecipe()
    #expect(try TrainingCheckpoint.load(from: previous, into: recipe.models, optimizers: recipe.optimizers, dataPosition: BatchLoader.Position.self).step == 2)
    #expect(try MetricsLog.read(run.metricsURL).compactMap(\.training).last?.step == 3)

    // No room at all: the first write, a metrics line, fails and the run stops, naming the file.
    // (No --steps: the config already asks for 4, and rewriting it would be the first write.)
    let tiny = try GenAIProcess.run(
      ["train", "--resume", runURL.path, "--plain"],
      fileSizeLimitBlocks: 0)
    #expect(!tiny.killedBySignal && tiny.status != 0, "status \(tiny.status): \(tiny.output)")
    #expect(tiny.output.contains(run.metricsURL.path) && tiny.output.contains("File too large"), "\(tiny.output)")
    #expect(run.checkpoints().map(\.step) == [1, 2])

    // With room again, the run goes on from step 2.
    let after = try GenAIProcess.run(["train", "--resume", runURL.path, "--plain"])
    #expect(after.status == 0, "\(after.output)")
    #expect(run.checkpoints().last?.step == 4)
  }
}
