import Foundation
import GenAI
import GenAITestSupport
import Testing

@testable import GenAIServer

/// The training queue outlives the server: what trains or waits when it stops is in the queue
/// file, and the next server takes it up (the running job resumed from its checkpoint).
@Suite("Studio training queue", .serialized)
struct TrainingQueueTests {
  static func wait(_ jobs: TrainingJobs, _ id: String, until done: (TrainingJobs.Job) -> Bool) throws -> TrainingJobs.Job {
    for _ in 0..<3000 {
      if let job = jobs.list().last(where: { $0.id == id }), done(job) { return job }
      usleep(100_000)
    }
    throw BrowserError("job \(id) did not get there in 300 s")
  }

  @Test func aRestartTakesUpTheQueue() throws {
    let root = try TemporaryFolder.make("studio-queue")
    defer { try? FileManager.default.removeItem(at: root) }
    var config = RunConfig(recipe: DCGAN.kind, data: .shapes)
    config.batchSize = 2
    config.sampleEvery = 0
    config.checkpointEvery = 0
    config.evalEvery = 0
    config.steps = 100_000

    let first = TrainingJobs(root: root, dataDirectory: DataDirectory(url: root))
    _ = try first.start(config, id: "long")
    var short = config
    short.steps = 3
    _ = try first.start(short, id: "waiting")
    _ = try Self.wait(first, "long") { $0.state == .running && $0.step >= 2 }
    first.shutdown()
    let stoppedAt = try #require(RunDirectory(url: root.appending(path: "long")).checkpoints().last?.step)
    let saved = try JSONDecoder().decode([TrainingJobs.Pending].self, from: Data(contentsOf: first.queueURL))
    #expect(saved.map(\.id) == ["long", "waiting"])
    #expect(saved[0].config == nil && saved[0].steps == 100_000 && saved[1].config?.steps == 3)

    let second = TrainingJobs(root: root, dataDirectory: DataDirectory(url: root))
    #expect(second.restoreQueue().isEmpty)
    let resumed = try Self.wait(second, "long") { $0.state == .running && $0.step > stoppedAt }
    #expect(resumed.steps == 100_000)
    _ = second.stop("long")
    _ = try Self.wait(second, "long") { $0.state == .stopped }
    let waiting = try Self.wait(second, "waiting") { [.finished, .failed].contains($0.state) }
    #expect(waiting.state == .finished && waiting.step == 3, "\(waiting)")
    #expect(!FileManager.default.fileExists(atPath: second.queueURL.path))  // nothing waits any more
  }

  /// A queue file someone edited badly is reported, not trusted: garbage is ignored as a whole,
  /// an entry for a run that is not there is dropped with its reason.
  @Test func aBadQueueFileIsReportedAndIgnored() throws {
    let root = try TemporaryFolder.make("studio-bad-queue")
    defer { try? FileManager.default.removeItem(at: root) }
    let jobs = TrainingJobs(root: root, dataDirectory: DataDirectory(url: root))
    try Data("not json".utf8).write(to: jobs.queueURL)
    #expect(jobs.restoreQueue().first?.contains("not a queue file") == true)
    #expect(jobs.list().isEmpty)
    try Data(#"[{"id": "gone", "steps": 5}]"#.utf8).write(to: jobs.queueURL)
    let problems = jobs.restoreQueue()
    #expect(problems.count == 1 && problems[0].hasPrefix("gone:"), "\(problems)")
    #expect(jobs.list().isEmpty && !FileManager.default.fileExists(atPath: jobs.queueURL.path))
  }
}
