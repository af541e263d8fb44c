import Foundation
import GenAI

/// Runs model work (loading checkpoints, sampling) one job at a time on a thread of its own, so
/// the server's request handlers never block and a small machine never holds two models' worth
/// of sampling memory at once.
enum StudioWork {
  /// The one queue all model work goes through, in arrival order.
  static let queue = DispatchQueue(label: "genai.studio.models")

  /// The value of `body`, computed on `queue`.
  /// - Throws: what `body` throws.
  static func run<T: Sendable>(_ body: @escaping @Sendable () throws -> T) async throws -> T {
    try await withCheckedThrowingContinuation { continuation in
      queue.async { continuation.resume(with: Result { try body() }) }
    }
  }

  /// The last checkpoint loaded, kept until a request asks for another or a newer one appears.
  /// Only code running on `queue` touches it, which is what makes the unchecked access safe.
  nonisolated(unsafe) private static var loaded: (key: String, model: LoadedModel)?

  /// A loaded checkpoint and the provenance its samples record (which hashes the checkpoint
  /// file, so it is worked out once).
  struct LoadedModel {
    let trained: TrainedRecipe
    let provenance: [String: String]
  }

  /// The newest checkpoint of `run` with its recipe, loaded once and reused while it stays the
  /// newest (sampling leaves a model unchanged). Call only from `queue`.
  /// - Throws: what loading the run or its checkpoint throws.
  static func model(_ run: RunDirectory) throws -> LoadedModel {
    dispatchPrecondition(condition: .onQueue(queue))
    let checkpoint = try RunDirectory.locate(run.url.path).checkpoint
    let modified = (try? FileManager.default.attributesOfItem(atPath: checkpoint.path)[.modificationDate]) as? Date
    let key = "\(checkpoint.standardizedFileURL.path)@\(modified?.timeIntervalSince1970 ?? 0)"
    if let loaded, loaded.key == key { return loaded.model }
    loaded = nil  // the old model's memory goes before the new one is read
    let trained = try TrainedRecipe(loading: checkpoint.path)
    let model = LoadedModel(trained: trained, provenance: trained.provenance)
    loaded = (key, model)
    return model
  }

  /// What the newest checkpoint of `run` can do, by name (see `RunDetail.abilities`). Call only
  /// from `queue`.
  static func abilities(of run: RunDirectory) throws -> [String] {
    let recipe = try model(run).trained.recipe
    let answers: [(String, Bool)] = [
      ("images", recipe.imageGenerator != nil), ("latent", recipe.latentImageGenerator != nil),
      ("restore", recipe.imageRestorer != nil), ("text", recipe.textGenerator != nil), ("audio", recipe.audioGenerator != nil),
      ("tune", recipe.latentImageGenerator != nil || recipe.textGenerator != nil),
    ]
    return answers.filter(\.1).map(\.0)
  }
}
