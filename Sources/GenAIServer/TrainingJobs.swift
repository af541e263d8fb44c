import Foundation
import GenAI
import Synchronization

/// The studio's training jobs: one trains at a time, in the order they were asked for, on a
/// thread of its own (never on a request's); the others wait in a visible queue. Runs are
/// written to disk as the CLI writes them, and the queue too (`.studio-queue.json` in the runs
/// folder, rewritten atomically at each change): a server stopped or killed while a job trains
/// or waits takes them up again when it starts, the running one resumed from its newest
/// checkpoint.
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

  /// A job as the queue file keeps it: a new run of `config`, or (without one) the
  /// continuation of run `id` to `steps`.
  struct Pending: Codable, Sendable {
    var id: String
    var config: RunConfig?
    var steps: Int?
  }

  private struct Ledger {
    var jobs: [Job] = []
    var stopRequested: Set<String> = []
    /// What is waiting or training, in order, as the queue file holds it.
    var pending: [Pending] = []
    /// Set by `shutdown`: what is stopped then stays in the queue file for the next start.
    var shuttingDown = false
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

  /// The queue file.
  var queueURL: URL { root.appending(path: ".studio-queue.json") }

  /// Queues again what the queue file holds from the server's last life (a run that had
  /// started is resumed); entries that cannot be queued are dropped with the reason returned.
  func restoreQueue() -> [String] {
    guard let data = FileManager.default.contents(atPath: queueURL.path) else { return [] }
    guard let entries = try? JSONDecoder().decode([Pending].self, from: data) else {
      return ["\(queueURL.lastPathComponent) is not a queue file; ignored"]
    }
    var problems: [String] = []
    for entry in entries {
      do {
        let started = RunDirectory(url: root.appending(path: entry.id)).exists
        if let config = entry.config, !started {
          _ = try start(config, id: entry.id)
        } else {
          _ = try resume(entry.id, steps: entry.steps ?? entry.config?.steps)
        }
      } catch {
        problems.append("\(entry.id): \(error)")
      }
    }
    persist()
    return problems
  }

  /// Writes the queue file (atomically), or removes it when nothing waits.
  private func persist() {
    let pending = ledger.withLock { $0.pending }
    if pending.isEmpty {
      try? FileManager.default.removeItem(at: queueURL)
    } else if let data = try? JSONEncoder().encode(pending) {
      try? data.write(to: queueURL, options: .atomic)
    }
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
    try enqueue(job, Pending(id: id, config: config)) { [dataDirectory] in try Trainer.start(config: config, in: run, dataDirectory: dataDirectory) }
    return job
  }

  /// Queues the continuation of the stopped run `id` (to `steps` in all, or its own total).
  /// - Throws: a 400 when the run is queued or training already.
  func resume(_ id: String, steps: Int?) throws -> Job {
    let run = RunDirectory(url: root.appending(path: id))
    let config = try run.readConfig()
    let job = Job(id: id, recipe: config.recipe.name, state: .queued, step: run.checkpoints().last?.step ?? 0, steps: steps ?? config.steps)
    try enqueue(job, Pending(id: id, steps: steps)) { try Trainer.resume(run, steps: steps, dataDirectory: nil) }
    return job
  }

  /// Stops job `id`: a queued job is dropped, a running one saves a checkpoint and ends.
  /// - Returns: the job, or `nil` when there is no such job waiting or running.
  func stop(_ id: String) -> Job? {
    ledger.withLock { ledger -> Job? in
      guard let index = ledger.jobs.lastIndex(where: { $0.id == id }) else { return nil }
      switch ledger.jobs[index].state {
      case .queued:
        ledger.jobs[index].state = .cancelled
        ledger.pending.removeAll { $0.id == id }
      case .running: ledger.jobs[index].state = .stopping; ledger.stopRequested.insert(id)
      default: return nil
      }
      return ledger.jobs[index]
    }.map { job in
      persist()
      return job
    }
  }

  /// Stops every job and waits until the running one has saved its checkpoint; the queue file
  /// keeps them all for the next start.
  func shutdown() {
    ledger.withLock { ledger in
      ledger.shuttingDown = true
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

  private func enqueue(_ job: Job, _ pending: Pending, makeTrainer: @escaping @Sendable () throws -> Trainer) throws {
    try ledger.withLock { ledger in
      if ledger.jobs.contains(where: { $0.id == job.id && [.queued, .running, .stopping].contains($0.state) }) {
        throw StudioError.badRequest("\(job.id) is queued or training already")
      }
      ledger.jobs.append(job)
      ledger.pending.removeAll { $0.id == job.id }
      ledger.pending.append(pending)
    }
    persist()
    queue.async { [self] in run(job.id, makeTrainer) }
  }

  /// The queue file's entry for job `id` becomes a resume once its run exists (so a restart
  /// continues it), and goes when the job ends, unless the server is shutting down.
  private func settle(_ id: String, ended: Bool) {
    ledger.withLock { ledger in
      guard let index = ledger.pending.firstIndex(where: { $0.id == id }) else { return }
      if ended {
        if !ledger.shuttingDown { ledger.pending.remove(at: index) }
      } else if RunDirectory(url: root.appending(path: id)).exists {
        let steps = ledger.pending[index].steps ?? ledger.pending[index].config?.steps
        ledger.pending[index] = Pending(id: id, steps: steps)
      }
    }
    persist()
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
      settle(id, ended: false)
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
    settle(id, ended: true)
  }

  /// Applies `change` to the newest job called `id`; returns what `change` returned.
  private func update(_ id: String, _ change: (inout Job) -> Bool) -> Bool {
    ledger.withLock { ledger in
      guard let index = ledger.jobs.lastIndex(where: { $0.id == id }) else { return false }
      return change(&ledger.jobs[index])
    }
  }
}
