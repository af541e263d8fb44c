import Foundation
import GenAIData
import GenAIModels
import GenAINN
import GenAITensor

/// Steers a trained model toward the samples people liked (`genai tune`):
/// - GANs and VAEs: fits a latent prior to the codes of the liked samples (`TunedPrior`); the
///   weights do not change, so quality cannot fall by more than sampling a narrower region does,
///   and `--prior standard` still gives the original model;
/// - text models: fine-tunes on the liked texts for a few steps at a small learning rate and saves
///   the result as a new checkpoint of the run.
public enum Tuner {
  /// What a tuning did.
  public struct Outcome: Sendable {
    /// One line for people.
    public var summary: String
    /// The prior written (latent models).
    public var prior: TunedPrior?
    /// The checkpoint written (text models).
    public var checkpoint: URL?
  }

  /// Tunes the newest checkpoint of `run` with its ratings.
  /// - Parameters:
  ///   - steps: text models: fine-tuning steps.
  ///   - learningRate: text models: the step size.
  /// - Throws: `TrainingError` when the run has no liked samples, or its recipe cannot be tuned.
  public static func tune(_ run: RunDirectory, steps: Int = 50, learningRate: Float = 1e-4) throws -> Outcome {
    let ratings = Ratings(run: run).entries()
    let liked = ratings.filter { $0.rating == .like }
    guard !liked.isEmpty else {
      throw TrainingError("\(run.url.path) has no liked samples: rate some with `genai rate \(run.url.path) --like N,M`")
    }
    let index = SampleIndex(run: run).batches()
    let trained = try TrainedRecipe(loading: run.url.path)
    if let model = trained.recipe.latentImageGenerator {
      let codes = try TunedPrior.codes(of: liked, in: index, model: model).map(\.code)
      let tuned = TunedPrior(
        prior: try LatentPrior.fitted(to: codes), liked: liked.count, disliked: ratings.count - liked.count,
        date: ISO8601DateFormatter().string(from: Date()))
      try tuned.save(run)
      let shift = tuned.prior.mean.reduce(0) { $0 + $1 * $1 }.squareRoot()
      return Outcome(
        summary: String(format: "fitted the latent prior to %d liked samples (centre moved %.2f from the origin, mean spread %.2f); saved %@",
          liked.count, shift, tuned.prior.std.reduce(0, +) / Float(tuned.prior.std.count), TunedPrior.url(run).path),
        prior: tuned, checkpoint: nil)
    }
    if let text = trained.recipe.textGenerator {
      let texts = try liked.map { entry -> String in
        guard let batch = index.first(where: { $0.batch == entry.batch }), let file = batch.files.first,
          let data = FileManager.default.contents(atPath: file)
        else { throw TrainingError("liked text of batch \(entry.batch) not found (was it moved or deleted?)") }
        return String(decoding: data, as: UTF8.self)
      }
      let url = try fineTune(trained, text, on: texts.joined(separator: "\n\n"), steps: steps, learningRate: learningRate)
      return Outcome(
        summary: "fine-tuned on \(texts.count) liked text(s) for \(steps) steps at lr \(learningRate); saved \(url.path) (sample from it with `genai sample \(run.url.path)`)",
        prior: nil, checkpoint: url)
    }
    throw TrainingError("\(trained.config.recipe.name) runs cannot be tuned from ratings yet (GANs, VAEs and text models can)")
  }

  /// Fine-tunes `model` on `text` and saves checkpoint `step + steps` in the run.
  static func fineTune(_ trained: TrainedRecipe, _ model: any TextGenerating, on text: String, steps: Int, learningRate: Float) throws -> URL {
    let (ids, _) = Evaluator.encodeKnown(text, vocabulary: model.vocabulary)
    let length = min(model.contextLength, max(8, ids.count - 2))
    guard ids.count > length + 1 else { throw TrainingError("the liked texts are too short to fine-tune on (\(ids.count) characters)") }
    let windows = try TextWindows(ids: ids, length: length, sampling: .random, source: "liked texts")
    let loader = try BatchLoader(windows, batchSize: min(8, windows.count), shuffle: true, dropLast: true, seed: trained.config.seed &+ 0x70E)
    model.holdLearningRate(at: learningRate)
    for _ in 0..<steps {
      guard let batch = loader.next() else { break }
      _ = try model.trainStep(batch)
    }
    let step = trained.step + steps
    let url = trained.run.checkpointURL(step: step)
    var config = trained.config
    config.steps = max(config.steps, step)
    let json = String(decoding: try config.encoded(), as: UTF8.self)
    try TrainingCheckpoint.save(
      to: url, models: model.models, optimizers: model.optimizers, step: step,
      userMetadata: ["recipe": config.recipe.name, "config": json, "tuned": "fine-tuned on liked texts"])
    return url
  }
}
