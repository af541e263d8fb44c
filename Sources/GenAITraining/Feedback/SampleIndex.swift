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
    return String(decoding: data, as: UTF8.self).split(separator: "\n").compactMap {
      try? JSONDecoder().decode(Batch.self, from: Data($0.utf8))
    }
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
    let encoder = JSONEncoder()
    encoder.outputFormatting = [.sortedKeys]
    let line = String(decoding: try encoder.encode(batch), as: UTF8.self) + "\n"
    do {
      try FileManager.default.createDirectory(at: run.samplesURL, withIntermediateDirectories: true)
      if !FileManager.default.fileExists(atPath: url.path) { FileManager.default.createFile(atPath: url.path, contents: nil) }
      let handle = try FileHandle(forWritingTo: url)
      defer { try? handle.close() }
      try handle.seekToEnd()
      try handle.write(contentsOf: Data(line.utf8))
    } catch {
      throw TrainingError("cannot append to \(url.path): \(error.localizedDescription)")
    }
    return number
  }
}
