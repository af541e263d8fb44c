import Foundation

/// The numbered batches of samples `genai sample` wrote for a run, one JSON line each in
/// `RUN/samples/index.jsonl`, so `genai rate RUN --like 3,7` knows which outputs 3 and 7 were.
/// Samples are numbered from 1: separate files in name order, grid cells left to right, top to
/// bottom, audio clips in order.
public struct SampleIndex: Sendable {
  /// One `genai sample` call.
  public struct Batch: Codable, Equatable, Sendable {
    /// Its number in the run (1, 2, ...).
    public var batch: Int
    /// The files it wrote.
    public var files: [String]
    /// How many samples it numbered.
    public var count: Int
    /// The checkpoint it sampled.
    public var checkpointPath: String
    /// The settings it used (`SampleRequest`).
    public var request: SampleRequest
    /// The recipe.
    public var recipe: String
  }

  /// The run.
  public let run: RunDirectory
  /// The index of `run`.
  public init(run: RunDirectory) { self.run = run }

  /// `samples/index.jsonl`.
  public var url: URL { run.samplesURL.appending(path: "index.jsonl") }

  /// Every batch recorded, oldest first.
  public func batches() -> [Batch] {
    guard let data = FileManager.default.contents(atPath: url.path) else { return [] }
    return JSONLines.decode(Batch.self, lines: data, source: url.path).values
  }

  /// Records a new batch and returns its number.
  /// - Throws: `TrainingError` when the index cannot be written.
  @discardableResult
  public func append(files: [URL], count: Int, checkpoint: URL, request: SampleRequest, recipe: String) throws -> Int {
    let number = (batches().last?.batch ?? 0) + 1
    var stored = request
    stored.trainingText = nil
    let batch = Batch(
      batch: number, files: files.map(\.path), count: count, checkpointPath: checkpoint.standardizedFileURL.path,
      request: stored, recipe: recipe)
    do {
      try FileManager.default.createDirectory(at: run.samplesURL, withIntermediateDirectories: true)
    } catch {
      throw TrainingError("cannot create \(run.samplesURL.path): \(error.localizedDescription)")
    }
    try JSONLines.append([batch], to: url)
    return number
  }
}
