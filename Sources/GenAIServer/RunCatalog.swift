import Foundation
import GenAI

/// The runs under the studio's runs folder, addressed by id (the run folder's name), never by a
/// path from a request: an id is looked up among the folders that exist, so nothing outside the
/// runs folder can be reached.
struct RunCatalog: Sendable {
  /// The runs folder.
  let root: URL

  /// Every run folder's id, sorted.
  func ids() -> [String] {
    let names = (try? FileManager.default.contentsOfDirectory(atPath: root.path)) ?? []
    return names.filter { !$0.hasPrefix(".") && RunDirectory(url: root.appending(path: $0)).exists }.sorted()
  }

  /// The run called `id`.
  /// - Throws: `StudioError.notFound` when there is no such run.
  func run(_ id: String) throws -> RunDirectory {
    guard ids().contains(id) else { throw StudioError.notFound("no run \"\(id)\" in \(root.lastPathComponent)") }
    return RunDirectory(url: root.appending(path: id))
  }

  /// The file `components` (one or two names: `grid.png`, `step-000500/sample-001.wav`) under
  /// the samples folder of `run`, each component checked against the folder's listing and the
  /// result checked to resolve inside the run (no `..`, no link out).
  /// - Throws: `StudioError.notFound` for anything else.
  func sampleFile(_ run: RunDirectory, _ components: [String]) throws -> URL {
    var url = run.samplesURL
    for name in components {
      let entries = (try? FileManager.default.contentsOfDirectory(atPath: url.path)) ?? []
      guard !name.hasPrefix("."), entries.contains(name) else { throw StudioError.notFound("no sample \(components.joined(separator: "/"))") }
      url = url.appending(path: name)
    }
    let resolved = url.resolvingSymlinksInPath().path
    var isFolder: ObjCBool = false
    guard resolved.hasPrefix(run.url.resolvingSymlinksInPath().path + "/"),
      FileManager.default.fileExists(atPath: resolved, isDirectory: &isFolder), !isFolder.boolValue
    else { throw StudioError.notFound("no sample \(components.joined(separator: "/"))") }
    return url
  }

  /// What the runs table shows for `id`.
  func summary(_ id: String) throws -> RunSummary {
    let run = try run(id)
    let config = try run.readConfig()
    let step = run.checkpoints().last?.step ?? 0
    let best = BestCheckpoints(run: run).best?.entry
    return RunSummary(
      id: id, recipe: config.recipe.name, data: config.data.description, step: step, steps: config.steps,
      status: status(run, step: step, of: config.steps).rawValue, mainMetric: config.recipe.mainMetric.name,
      better: config.recipe.mainMetric.better.rawValue, best: best?.value, bestStep: best?.step,
      newestSample: newestSample(run).map { "/api/runs/\(id)/files/\($0)" })
  }

  /// Finished when the newest checkpoint reached the configured steps, training while the
  /// metrics log grew in the last minute, else stopped.
  func status(_ run: RunDirectory, step: Int, of steps: Int) -> RunStatus {
    if step >= steps { return .finished }
    let modified = (try? FileManager.default.attributesOfItem(atPath: run.metricsURL.path)[.modificationDate]) as? Date
    if let modified, Date().timeIntervalSince(modified) < 60 { return .training }
    return .stopped
  }

  /// The newest image or text sample file's name in the samples folder.
  func newestSample(_ run: RunDirectory) -> String? {
    sampleFiles(run).last
  }

  /// The sample files directly in the samples folder (PNG, text, WAV), oldest first by name
  /// (training samples are `step-NNNNNN.*`, studio ones `studio-NNNN.*`).
  func sampleFiles(_ run: RunDirectory) -> [String] {
    let names = (try? FileManager.default.contentsOfDirectory(atPath: run.samplesURL.path)) ?? []
    return names.filter { name in
      !name.hasPrefix(".") && [".png", ".txt", ".wav"].contains { name.hasSuffix($0) }
    }.sorted()
  }
}

/// Where a run stands.
enum RunStatus: String, Codable, Sendable {
  case training, stopped, finished
}
