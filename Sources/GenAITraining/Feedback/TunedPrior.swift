import Foundation
import GenAIData
import GenAIModels
import GenAITensor

/// A latent prior fitted to the codes of liked samples, saved as `RUN/tuned-prior.json`;
/// `genai sample` draws from it (unless `--prior standard`), steering a GAN or VAE toward what
/// people liked without retraining it.
public struct TunedPrior: Codable, Equatable, Sendable {
  /// The fitted prior.
  public var prior: LatentPrior
  /// Liked samples it was fitted to.
  public var liked: Int
  /// Disliked samples (recorded; the fit uses the liked ones).
  public var disliked: Int
  /// When it was fitted (ISO 8601).
  public var date: String

  /// `RUN/tuned-prior.json`.
  public static func url(_ run: RunDirectory) -> URL { run.url.appending(path: "tuned-prior.json") }

  /// The run's tuned prior, or `nil` when it has none.
  /// - Throws: `TrainingError` when the file exists but is not a tuned prior.
  public static func load(_ run: RunDirectory) throws -> TunedPrior? {
    guard let data = FileManager.default.contents(atPath: url(run).path) else { return nil }
    do {
      return try JSONDecoder().decode(TunedPrior.self, from: data)
    } catch {
      throw TrainingError("\(url(run).path) is not a tuned prior: \(error)")
    }
  }

  /// Writes it atomically.
  /// - Throws: `TrainingError` naming the file.
  public func save(_ run: RunDirectory) throws {
    let encoder = JSONEncoder()
    encoder.outputFormatting = [.prettyPrinted, .sortedKeys]
    do {
      try encoder.encode(self).write(to: Self.url(run), options: .atomic)
    } catch {
      throw TrainingError("cannot write \(Self.url(run).path): \(error.localizedDescription)")
    }
  }

  /// The latent codes of rated samples: each batch's draws are redone from its seed and prior
  /// (the same draws `genai sample` made), and sample `n` is row `n − 1`.
  /// - Throws: `TrainingError` when a rating names a batch the index does not have.
  public static func codes(
    of ratings: [Ratings.Entry], in index: [SampleIndex.Batch], model: any LatentImageGenerating
  ) throws -> [(entry: Ratings.Entry, code: [Float])] {
    var drawn: [Int: Tensor] = [:]
    return try ratings.map { entry in
      guard let batch = index.first(where: { $0.batch == entry.batch }) else {
        throw TrainingError("rating of batch \(entry.batch): no such batch in samples/index.jsonl")
      }
      if drawn[batch.batch] == nil {
        var g = SeededGenerator(seed: batch.request.seed)
        drawn[batch.batch] = try model.latents(count: batch.request.count, prior: batch.request.prior, using: &g)
      }
      let z = drawn[batch.batch]!
      let d = z.shape[1]
      return (entry, Array(z.scalars[((entry.sample - 1) * d)..<(entry.sample * d)]))
    }
  }
}
