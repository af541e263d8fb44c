import Foundation
import GenAINN

/// A training run's folder:
///
/// ```
/// RUN/config.json              the full RunConfig (what `--resume` and `genai sample` rebuild from)
/// RUN/metrics.jsonl            one JSON object per logged step: losses, rate, time
/// RUN/checkpoints/step-000500.safetensors   the newest `keepCheckpoints` checkpoints
/// RUN/samples/step-000500.png  samples over time (.png grids, .txt text, folders of .wav)
/// ```
public struct RunDirectory: Sendable, Equatable {
  /// The folder.
  public let url: URL

  /// The run in `url` (nothing is read or created).
  public init(url: URL) { self.url = url }

  /// `config.json`.
  public var configURL: URL { url.appending(path: "config.json") }
  /// `metrics.jsonl`.
  public var metricsURL: URL { url.appending(path: "metrics.jsonl") }
  /// `checkpoints/`.
  public var checkpointsURL: URL { url.appending(path: "checkpoints", directoryHint: .isDirectory) }
  /// `samples/`.
  public var samplesURL: URL { url.appending(path: "samples", directoryHint: .isDirectory) }

  /// `evals/`: one `EvaluationReport` per evaluated step.
  public var evalsURL: URL { url.appending(path: "evals", directoryHint: .isDirectory) }

  /// `evals/step-000500.json`.
  public func evaluationURL(step: Int) -> URL { evalsURL.appending(path: "step-" + String(format: "%06d", step) + ".json") }

  /// Writes `report` to `evals/step-N.json` atomically.
  /// - Throws: `TrainingError` naming the file.
  public func write(evaluation report: EvaluationReport) throws {
    let file = evaluationURL(step: report.step)
    do {
      try FileManager.default.createDirectory(at: evalsURL, withIntermediateDirectories: true)
      try report.encoded().write(to: file, options: .atomic)
    } catch {
      throw TrainingError("cannot write \(file.path): \(error.localizedDescription)")
    }
  }

  /// The evaluation reports saved, oldest step first (unreadable files are skipped).
  public func evaluations() -> [EvaluationReport] {
    let names = ((try? FileManager.default.contentsOfDirectory(atPath: evalsURL.path)) ?? []).filter { $0.hasSuffix(".json") }.sorted()
    return names.compactMap { name in
      FileManager.default.contents(atPath: evalsURL.appending(path: name).path).flatMap { try? JSONDecoder().decode(EvaluationReport.self, from: $0) }
    }
  }

  /// Whether the folder holds a run (has `config.json`).
  public var exists: Bool { FileManager.default.fileExists(atPath: configURL.path) }

  /// A default folder for a new run: `runs/<name>-<UTC date-time>`, `name` usually the recipe's.
  public static func defaultURL(name: String, date: Date = Date()) -> URL {
    let formatter = DateFormatter()
    formatter.dateFormat = "yyyyMMdd-HHmmss"
    formatter.timeZone = TimeZone(identifier: "UTC")
    formatter.locale = Locale(identifier: "en_US_POSIX")
    return URL(fileURLWithPath: "runs").appending(path: "\(name)-\(formatter.string(from: date))")
  }

  /// Creates the folders and writes `config` for a new run.
  /// - Throws: `TrainingError` when the folder already holds a run or cannot be created.
  public func create(config: RunConfig) throws {
    guard !exists else {
      throw TrainingError("\(url.path) already holds a run; continue it with `genai train --resume \(url.path)` or choose another --out")
    }
    do {
      for folder in [url, checkpointsURL, samplesURL] {
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
      }
    } catch {
      throw TrainingError("cannot create the run folder \(url.path): \(error.localizedDescription)")
    }
    try write(config: config)
  }

  /// Writes `config.json` atomically.
  /// - Throws: `TrainingError` naming the file.
  public func write(config: RunConfig) throws {
    do {
      try config.encoded().write(to: configURL, options: .atomic)
    } catch {
      throw TrainingError("cannot write \(configURL.path): \(error.localizedDescription)")
    }
  }

  /// The run's configuration.
  /// - Throws: `TrainingError` when `config.json` is missing, not a run configuration, or holds
  ///   a setting out of range (naming the file and the field).
  public func readConfig() throws -> RunConfig {
    guard let data = FileManager.default.contents(atPath: configURL.path) else {
      throw TrainingError("\(url.path) is not a genai run: it has no config.json")
    }
    return try RunConfig.decode(data, source: configURL.path)
  }

  /// The checkpoint file for `step`: `checkpoints/step-000500.safetensors`.
  public func checkpointURL(step: Int) -> URL {
    checkpointsURL.appending(path: "step-" + String(format: "%06d", step) + ".safetensors")
  }

  /// The step checkpoints present, oldest first: the files named `step-N.safetensors`, never the
  /// temporary files a save writes first (`.step-N.safetensors.tmp-HEX`, renamed into place only
  /// when complete), so a save cut short by a kill is never taken for a checkpoint.
  public func checkpoints() -> [(step: Int, url: URL)] {
    let names = (try? FileManager.default.contentsOfDirectory(atPath: checkpointsURL.path)) ?? []
    return names.compactMap { name -> (Int, URL)? in
      guard name.hasPrefix("step-"), name.hasSuffix(".safetensors"),
        let step = Int(name.dropFirst(5).dropLast(12))
      else { return nil }
      return (step, checkpointsURL.appending(path: name))
    }.sorted { $0.0 < $1.0 }
  }

  /// The newest checkpoint, or `nil`.
  public var latestCheckpoint: URL? { checkpoints().last?.url }

  /// Deletes the temporary files of checkpoint saves that never finished (their writer was
  /// killed), in `checkpoints/` and `checkpoints/best/`: each is as large as a checkpoint. Only
  /// for the run's trainer, the one writer of checkpoints, before it starts.
  public func removeTemporaryCheckpointFiles() {
    for folder in [checkpointsURL, BestCheckpoints(run: self).folder] {
      let names = (try? FileManager.default.contentsOfDirectory(atPath: folder.path)) ?? []
      for name in names where SafeTensors.isTemporaryFile(name) { try? FileManager.default.removeItem(at: folder.appending(path: name)) }
    }
  }

  /// Deletes all but the newest `keep` step checkpoints.
  public func pruneCheckpoints(keep: Int) {
    let all = checkpoints()
    for old in all.dropLast(max(keep, 1)) { try? FileManager.default.removeItem(at: old.url) }
  }

  /// `samples/step-000500` plus `fileExtension` (empty for a folder).
  public func sampleURL(step: Int, fileExtension: String) -> URL {
    let base = "step-" + String(format: "%06d", step)
    return samplesURL.appending(path: fileExtension.isEmpty ? base : base + "." + fileExtension)
  }

  /// The run and checkpoint `path` names: a run folder (its newest checkpoint) or a checkpoint
  /// file inside one.
  /// - Throws: `TrainingError` when `path` is neither, or the run has no checkpoint yet.
  public static func locate(_ path: String) throws -> (run: RunDirectory, checkpoint: URL) {
    let url = URL(fileURLWithPath: path)
    var isFolder: ObjCBool = false
    guard FileManager.default.fileExists(atPath: url.path, isDirectory: &isFolder) else {
      throw TrainingError("\(path): no such run folder or checkpoint file")
    }
    if isFolder.boolValue {
      let run = RunDirectory(url: url)
      guard run.exists else { throw TrainingError("\(path) is not a genai run: it has no config.json") }
      guard let checkpoint = run.latestCheckpoint else {
        throw TrainingError("\(path) has no checkpoint yet (looked in \(run.checkpointsURL.path))")
      }
      return (run, checkpoint)
    }
    // checkpoints/step-N.safetensors -> the run is two levels up (three for checkpoints/best/).
    var run = RunDirectory(url: url.deletingLastPathComponent().deletingLastPathComponent())
    if !run.exists, url.deletingLastPathComponent().lastPathComponent == "best" {
      run = RunDirectory(url: run.url.deletingLastPathComponent())
    }
    guard run.exists else {
      throw TrainingError("\(path): no config.json found for this checkpoint (expected \(run.configURL.path))")
    }
    return (run, url)
  }
}
