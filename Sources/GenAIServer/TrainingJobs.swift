import Foundation
import GenAI
import Synchronization

/// The studio's training jobs: one trains at a time, in the order they were asked for, on a
/// thread of its own (never on a request's); the others wait in a visible queue. Runs are
/// written to disk as the CLI writes them, so a reload or a restart of the server loses only
/// the queue, and a stopped run resumes from its newest checkpoint.
final class TrainingJobs: Sendable {
  /// Where a job stands.
  enum State: String, Codable, Sendable {
    case queued, running, stopping, finished, stopped, failed, cancelled
  }

  /// One job, as `GET /api/jobs` shows it.
  struct Job: Codable, Sendable, Equatable {
    /// The run's id (its folder's name under the runs folder).
    var id: String
    var recipe: String
    var state: State
    /// Steps done and the run's total.
    var step: Int
    var steps: Int
    /// Steps per second over the last few steps, and the seconds left at that rate.
    var stepsPerSecond: Double?
    var secondsLeft: Double?
    /// The trainer's last message, or why the job failed.
    var message: String?
  }

  private struct Ledger {
    var jobs: [Job] = []
    var stopRequested: Set<String> = []
  }

  /// The runs folder.
  let root: URL
  /// Where named datasets are looked up.
  let dataDirectory: DataDirectory
  private let ledger = Mutex(Ledger())
  private let queue = DispatchQueue(label: "genai.studio.training")

  init(root: URL, dataDirectory: DataDirectory) {
    self.root = root
    self.dataDirectory = dataDirectory
  }

  /// Every job, oldest first.
  func list() -> [Job] { ledger.withLock { $0.jobs } }

  /// Queues a new run of `config` in `root/id`.
  /// - Throws: `SettingError` for a configuration out of range, a 400 for a run that exists.
  func start(_ config: RunConfig, id: String) throws -> Job {
    try config.validate()
    let run = RunDirectory(url: root.appending(path: id))
    guard !FileManager.default.fileExists(atPath: run.url.path) else { throw StudioError.badRequest("a run called \(id) exists") }
    let job = Job(id: id, recipe: config.recipe.name, state: .queued, step: 0, steps: config.steps)
    try enqueue(job) { [dataDirectory] in try Trainer.start(config: config, in: run, dataDirectory: dataDirectory) }
    return job
  }

  /// Queues the continuation of the stopped run `id` (to `steps` in all, or its own total).
  /// - Throws: a 400 when the run is queued or training already.
  func resume(_ id: String, steps: Int?) throws -> Job {
    let run = RunDirectory(url: root.appending(path: id))
    let config = try run.readConfig()
    let job = Job(id: id, recipe: config.recipe.name, state: .queued, step: run.checkpoints().last?.step ?? 0, steps: steps ?? config.steps)
    try enqueue(job) { try Trainer.resume(run, steps: steps, dataDirectory: nil) }
    return job
  }

  /// Stops job `id`: a queued job is dropped, a running one saves a checkpoint and ends.
  /// - Returns: the job, or `nil` when there is no such job waiting or running.
  func stop(_ id: String) -> Job? {
    ledger.withLock { ledger -> Job? in
      guard let index = ledger.jobs.lastIndex(where: { $0.id == id }) else { return nil }
      switch ledger.jobs[index].state {
      case .queued: ledger.jobs[index].state = .cancelled
      case .running: ledger.jobs[index].state = .stopping; ledger.stopRequested.insert(id)
      default: return nil
      }
      return ledger.jobs[index]
    }
  }

  /// Stops every job and waits until the running one has saved its checkpoint.
  func shutdown() {
    ledger.withLock { ledger in
      for index in ledger.jobs.indices {
        switch ledger.jobs[index].state {
        case .queued: ledger.jobs[index].state = .cancelled
        case .running: ledger.stopRequested.insert(ledger.jobs[index].id)
        default: break
        }
      }
    }
    queue.sync {}
  }

  private func enqueue(_ job: Job, makeTrainer: @escaping @Sendable () throws -> Trainer) throws {
    try ledger.withLock { ledger in
      if ledger.jobs.contains(where: { $0.id == job.id && [.queued, .running, .stopping].contains($0.state) }) {
        throw StudioError.badRequest("\(job.id) is queued or training already")
      }
      ledger.jobs.append(job)
    }
    queue.async { [self] in run(job.id, makeTrainer) }
  }

  /// Trains job `id` unless it was cancelled while it waited.
  private func run(_ id: String, _ makeTrainer: () throws -> Trainer) {
    guard update(id, { job in
      guard job.state == .queued else { return false }
      job.state = .running
      return true
    }) else { return }
    do {
      let trainer = try makeTrainer()
      trainer.interactive = false
      trainer.write = { [self] message in _ = update(id) { $0.message = message; return true } }
      let started = Date()
      let first = trainer.step
      trainer.onStep = { [self] step in
        let seconds = Date().timeIntervalSince(started)
        _ = update(id) { job in
          job.step = step
          if seconds > 0 {
            let rate = Double(step - first) / seconds
            job.stepsPerSecond = rate
            job.secondsLeft = rate > 0 ? Double(job.steps - step) / rate : nil
          }
          return true
        }
      }
      trainer.shouldStop = { [self] in ledger.withLock { $0.stopRequested.contains(id) } }
      let outcome = try trainer.train()
      _ = update(id) { job in
        if case .interrupted = outcome { job.state = .stopped } else { job.state = .finished }
        job.step = trainer.step
        job.secondsLeft = nil
        return true
      }
    } catch {
      _ = update(id) { job in
        job.state = .failed
        job.message = String(describing: error)
        return true
      }
    }
    ledger.withLock { _ = $0.stopRequested.remove(id) }
  }

  /// Applies `change` to the newest job called `id`; returns what `change` returned.
  private func update(_ id: String, _ change: (inout Job) -> Bool) -> Bool {
    ledger.withLock { ledger in
      guard let index = ledger.jobs.lastIndex(where: { $0.id == id }) else { return false }
      return change(&ledger.jobs[index])
    }
  }
}
