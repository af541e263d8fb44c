import Foundation
import GenAI
import GenAITestSupport
import Testing

/// `mpirun -np 2 genai train ...` against one process: the same model after the same global
/// batches, across resumes with another process count, and a clear end when a process dies or
/// hangs. Runs the built `genai` under Open MPI's `mpirun` on loopback (`.ci/run` installs
/// openmpi-bin); each run is a few seconds of tiny training.
@Suite(
  "Data-parallel training over MPI", .serialized,
  .enabled(if: MPITest.available || TestEnvironment.isCI, "needs Open MPI's mpirun and the built genai (swift build first)"))
struct DataParallelCLITests {
  /// A 2-process run trains the model a 1-process run trains on the same global batches, for
  /// the three kinds of network (conv GAN with batch norm and dropout, VAE with sampled latents,
  /// transformer with dropout):
  /// - the first step's losses agree to 1e-5 relative: same rows, same random draws, global
  ///   batch-norm statistics, averaged losses (half-batch statistics or a wrong shard would be off
  ///   by percents);
  /// - after 20 steps the weights agree within Adam's rounding bound. The two runs add the same
  ///   numbers in another order (float32, ~1e-7 relative), and Adam moves every weight by up to
  ///   `lr` a step whatever its gradient's size, so a weight whose gradient is rounding noise
  ///   may step +lr in one run and -lr in the other: the largest difference is bounded by
  ///   2·lr·steps, and most weights (the median) agree to 1e-4. One process on two kernel paths
  ///   (portable against AVX2) differs as much: 3.5e-4 largest after 20 dcgan steps here.
  @Test(arguments: [
    ("dcgan", ["--data", "shapes", "--batch-size", "16"], Float(2e-4)),
    ("vae", ["--data", "shapes", "--batch-size", "16"], Float(1e-3)),
    ("char-gpt", ["--batch-size", "8", "--layers", "2"], Float(1e-3)),
  ])
  func twoProcessesTrainTheModelOneProcessDoes(_ recipe: String, _ options: [String], _ learningRate: Float) throws {
    let folder = try TemporaryFolder.make("dp-\(recipe)")
    defer { try? FileManager.default.removeItem(at: folder) }
    var options = options
    if recipe == "char-gpt" { options += ["--data", "text:" + (try MPITest.textFile(in: folder)).path] }
    let common = ["train", recipe, "--steps", "20", "--plain", "--eval-every", "0", "--sample-every", "0", "--seed", "5",
                  "--log-every", "1"] + options
    let one = folder.appending(path: "one"), two = folder.appending(path: "two")
    try MPITest.run(processes: 1, common + ["--out", one.path])
    let log = try MPITest.run(processes: 2, common + ["--out", two.path])
    #expect(log.contains("done: 20 steps"))
    let (first, second) = (try MPITest.firstLosses(one), try MPITest.firstLosses(two))
    #expect(first.keys.sorted() == second.keys.sorted())
    for (name, value) in first {
      let other = second[name] ?? .nan
      #expect(abs(value - other) <= 1e-5 * max(1, abs(value)), "\(recipe) step 1 \(name): \(value) with 1 process, \(other) with 2")
    }
    let (largest, median) = try MPITest.differences(one, two, step: 20)
    #expect(largest <= 2 * learningRate * 20, "\(recipe): largest weight difference \(largest) between 1 and 2 processes")
    #expect(median < 1e-4, "\(recipe): median weight difference \(median) between 1 and 2 processes")
  }

  /// A run saved by 2 processes resumes in 1, and one saved by 1 resumes in 2; both end where a
  /// straight 1-process run ends.
  @Test func resumesWithAnotherProcessCount() throws {
    let folder = try TemporaryFolder.make("dp-resume")
    defer { try? FileManager.default.removeItem(at: folder) }
    let common = ["--plain", "--eval-every", "0", "--sample-every", "0", "--seed", "9"]
    let train = ["train", "dcgan", "--data", "shapes", "--batch-size", "16"] + common
    let straight = folder.appending(path: "straight")
    try MPITest.run(processes: 1, train + ["--steps", "16", "--out", straight.path])
    for (first, second) in [(2, 1), (1, 2)] {
      let run = folder.appending(path: "\(first)-then-\(second)")
      try MPITest.run(processes: first, train + ["--steps", "8", "--out", run.path])
      try MPITest.run(processes: second, ["train", "--resume", run.path, "--steps", "16", "--plain"])
      // Rounding bounds as in the test above (lr 2e-4, 16 steps).
      let (largest, median) = try MPITest.differences(straight, run, step: 16)
      #expect(largest <= 2 * 2e-4 * 16 && median < 1e-4, "\(first) then \(second) processes: weights differ by \(largest) (median \(median))")
    }
  }

  /// A process killed mid-run ends the job with Open MPI's message naming its rank; the last
  /// checkpoint still loads and resumes.
  @Test func aKilledProcessEndsTheRun() throws {
    let folder = try TemporaryFolder.make("dp-kill")
    defer { try? FileManager.default.removeItem(at: folder) }
    let (job, run) = try MPITest.startLongRun(in: folder)
    let ranks = MPITest.children(of: job.process.processIdentifier)
    try #require(ranks.count == 2, "expected 2 genai processes under mpirun, found \(ranks)")
    kill(ranks[1], SIGKILL)
    let output = try job.finish(within: 60)
    #expect(job.process.terminationStatus != 0)
    #expect(output.contains("rank 1"), "mpirun's output should name rank 1: \(output.suffix(800))")
    try MPITest.run(processes: 1, ["train", "--resume", run.path, "--steps", "\(try MPITest.newestStep(in: run) + 1)", "--plain"])
  }

  /// A process that stops answering (SIGSTOP) makes process 0 end the job after
  /// GENAI_MPI_TIMEOUT seconds, naming it.
  @Test func aHungProcessIsNamed() throws {
    let folder = try TemporaryFolder.make("dp-hang")
    defer { try? FileManager.default.removeItem(at: folder) }
    let (job, _) = try MPITest.startLongRun(in: folder, environment: ["GENAI_MPI_TIMEOUT": "3"])
    let ranks = MPITest.children(of: job.process.processIdentifier)
    try #require(ranks.count == 2, "expected 2 genai processes under mpirun, found \(ranks)")
    kill(ranks[1], SIGSTOP)
    defer { kill(ranks[1], SIGKILL) }
    let output = try job.finish(within: 60)
    #expect(job.process.terminationStatus != 0)
    #expect(output.contains("process(es) 1 never reached it"), "\(output.suffix(800))")
  }

  /// Ctrl-C to mpirun: every process stops at the same step, process 0 saves it, and the run
  /// resumes from there.
  @Test func ctrlCSavesOnceAndEveryProcessExits() throws {
    let folder = try TemporaryFolder.make("dp-interrupt")
    defer { try? FileManager.default.removeItem(at: folder) }
    let (job, run) = try MPITest.startLongRun(in: folder)
    kill(job.process.processIdentifier, SIGINT)
    let output = try job.finish(within: 60)
    #expect(output.contains("interrupted at step"), "\(output.suffix(800))")
    let step = try MPITest.newestStep(in: run)
    #expect(output.contains("interrupted at step \(step);"), "the saved step \(step) should be the one announced: \(output.suffix(400))")
    try MPITest.run(processes: 1, ["train", "--resume", run.path, "--steps", "\(step + 1)", "--plain"])
  }
}

/// Running `genai` under mpirun for the tests above.
enum MPITest {
  static let mpirun = TestEnvironment.executable(named: "mpirun")
  static let genai = GenAIProcess.executable
  static var available: Bool { mpirun != nil && genai != nil }

  /// mpirun's arguments for `processes` copies of genai on this machine (as root in CI, more
  /// processes than cores allowed).
  static func arguments(_ processes: Int, _ genaiArguments: [String]) throws -> [String] {
    let genai = try #require(genai, "the genai executable is not built beside the tests")
    return ["--allow-run-as-root", "--oversubscribe", "--bind-to", "none", "-np", "\(processes)", genai.path] + genaiArguments
  }

  /// A started job with its combined output.
  final class Job: @unchecked Sendable {
    let process = Process()
    let output = Pipe()
    private var collected = Data()
    private let lock = NSLock()

    init() {}

    /// Reads output as it comes (so the pipe never fills).
    func startReading() {
      output.fileHandleForReading.readabilityHandler = { [weak self] handle in
        let chunk = handle.availableData
        guard let self else { return }
        self.lock.lock()
        self.collected.append(chunk)
        self.lock.unlock()
      }
    }

    /// The output so far.
    var text: String {
      lock.lock()
      defer { lock.unlock() }
      return String(decoding: collected, as: UTF8.self)
    }

    /// Waits for the job to end (killing it after `seconds`) and returns its output.
    func finish(within seconds: Double) throws -> String {
      let deadline = Date().addingTimeInterval(seconds)
      while process.isRunning && Date() < deadline { usleep(50_000) }
      if process.isRunning {
        // SIGKILL, mpirun's processes first (they would outlive it).
        for child in MPITest.children(of: process.processIdentifier) { kill(child, SIGKILL) }
        kill(process.processIdentifier, SIGKILL)
        Issue.record("mpirun did not end within \(seconds) s: \(text.suffix(800))")
      }
      process.waitUntilExit()
      usleep(100_000)
      output.fileHandleForReading.readabilityHandler = nil
      return text + String(decoding: output.fileHandleForReading.availableData, as: UTF8.self)
    }
  }

  /// Starts `mpirun -np processes genai ARGS`.
  static func start(processes: Int, _ genaiArguments: [String], environment: [String: String] = [:]) throws -> Job {
    let job = Job()
    job.process.executableURL = try #require(mpirun)
    job.process.arguments = try arguments(processes, genaiArguments)
    var env = ProcessInfo.processInfo.environment
    env["GENAI_THREADS"] = "1"
    env["OMPI_MCA_btl_vader_single_copy_mechanism"] = "none"  // no ptrace-based copies in containers
    for (k, v) in environment { env[k] = v }
    job.process.environment = env
    job.process.standardOutput = job.output
    job.process.standardError = job.output
    job.startReading()
    // The test runner's threads block SIGINT and SIGTERM, and a spawned child inherits the
    // spawning thread's mask: unblock them around the spawn so that mpirun hears Ctrl-C.
    var all = sigset_t(), saved = sigset_t()
    sigemptyset(&all)
    pthread_sigmask(SIG_SETMASK, &all, &saved)
    defer { pthread_sigmask(SIG_SETMASK, &saved, nil) }
    try job.process.run()
    return job
  }

  /// Starts a 2-process dcgan run that would go on for hours (a checkpoint every 2 steps) in
  /// `folder/run`, and returns once it has its first checkpoint.
  static func startLongRun(in folder: URL, environment: [String: String] = [:]) throws -> (Job, URL) {
    let run = folder.appending(path: "run")
    let job = try start(processes: 2, [
      "train", "dcgan", "--data", "shapes", "--batch-size", "16", "--steps", "100000", "--checkpoint-every", "2",
      "--plain", "--eval-every", "0", "--sample-every", "0", "--out", run.path,
    ], environment: environment)
    try waitForCheckpoint(in: run, job: job)
    return (job, run)
  }

  /// Runs a job to its end; a failure is an error carrying the output.
  @discardableResult
  static func run(processes: Int, _ genaiArguments: [String]) throws -> String {
    let job = try start(processes: processes, genaiArguments)
    let output = try job.finish(within: 300)
    guard job.process.terminationStatus == 0 else {
      throw TestFailure("mpirun -np \(processes) genai \(genaiArguments.joined(separator: " ")) failed (\(job.process.terminationStatus)): \(output.suffix(1500))")
    }
    return output
  }

  /// Waits (at most 120 s) until the run has a checkpoint.
  static func waitForCheckpoint(in run: URL, job: Job) throws {
    let deadline = Date().addingTimeInterval(120)
    while (try? newestStep(in: run)) == nil {
      guard job.process.isRunning, Date() < deadline else {
        throw TestFailure("no checkpoint appeared in \(run.path): \(job.text.suffix(800))")
      }
      usleep(100_000)
    }
  }

  /// The step of the newest checkpoint in a run folder.
  static func newestStep(in run: URL) throws -> Int {
    let names = try FileManager.default.contentsOfDirectory(atPath: run.appending(path: "checkpoints").path)
    let steps = names.compactMap { name -> Int? in
      guard name.hasPrefix("step-"), name.hasSuffix(".safetensors") else { return nil }
      return Int(name.dropFirst(5).dropLast(12))
    }
    guard let newest = steps.max() else { throw TestFailure("no checkpoint in \(run.path)") }
    return newest
  }

  /// The process ids of `pid`'s children (mpirun's genai processes), ordered by MPI rank (read
  /// from each one's OMPI_COMM_WORLD_RANK).
  static func children(of pid: Int32) -> [Int32] {
    let text = (try? String(contentsOfFile: "/proc/\(pid)/task/\(pid)/children", encoding: .utf8)) ?? ""
    let pids = text.split(separator: " ").compactMap { Int32($0.trimmingCharacters(in: .whitespacesAndNewlines)) }
    func rank(_ child: Int32) -> Int {
      let environ = (try? Data(contentsOf: URL(fileURLWithPath: "/proc/\(child)/environ"))) ?? Data()
      let entries = environ.split(separator: 0).map { String(decoding: $0, as: UTF8.self) }
      return entries.first { $0.hasPrefix("OMPI_COMM_WORLD_RANK=") }.flatMap { Int($0.dropFirst(21)) } ?? Int.max
    }
    return pids.sorted { rank($0) < rank($1) }
  }

  /// The largest and the median absolute difference between the model weights of two runs'
  /// checkpoints at `step` (running statistics and optimiser state left out).
  static func differences(_ a: URL, _ b: URL, step: Int) throws -> (largest: Float, median: Float) {
    let name = String(format: "checkpoints/step-%06d.safetensors", step)
    let x = try SafeTensors.read(from: a.appending(path: name)).tensors
    let y = try SafeTensors.read(from: b.appending(path: name)).tensors
    #expect(Set(x.keys) == Set(y.keys))
    var all: [Float] = []
    for (key, t) in x where key.hasPrefix("model.") && !key.contains("running_") {
      guard let u = y[key], u.shape == t.shape else {
        Issue.record("\(key) differs in shape")
        continue
      }
      all += zip(t.scalars, u.scalars).map { abs($0 - $1) }
    }
    all.sort()
    return (all.last ?? 0, all.isEmpty ? 0 : all[all.count / 2])
  }

  /// The losses of the first logged training step of a run.
  static func firstLosses(_ run: URL) throws -> [String: Float] {
    for line in try MetricsLog.read(run.appending(path: "metrics.jsonl")) {
      if case .training(let training) = line { return training.losses }
    }
    throw TestFailure("no training line in \(run.path)/metrics.jsonl")
  }

  /// A small text file (a few kilobytes of English) for char-gpt.
  static func textFile(in folder: URL) throws -> URL {
    let url = folder.appending(path: "text.txt")
    let line = "The quick brown fox jumps over the lazy dog while the cat sleeps by the warm fire.\n"
    try String(repeating: line, count: 60).write(to: url, atomically: true, encoding: .utf8)
    return url
  }
}

/// A test failure carrying a message.
struct TestFailure: Error, CustomStringConvertible {
  let description: String
  init(_ description: String) { self.description = description }
}
