import Foundation
import GenAIData
import GenAIModels

/// What `genai eval` (or the evaluation during training) measures and on what.
public struct EvaluationOptions: Sendable {
  /// Only these metrics (by name, e.g. `fid`, `val_loss`), or every metric that applies (`nil`).
  public var metrics: Set<String>?
  /// Generated samples to score: images (default 1,000), audio clips (300), text characters (2,000).
  public var samples: Int?
  /// Held-out data to score instead of the run's own held-out split (`--data`).
  public var data: DataSpec?
  /// Where named datasets are (`nil`: the folder the run trained from).
  public var dataDirectory: DataDirectory?
  /// The feature network's run folder (`nil`: look for `classifier-<data>` beside the run and in `runs/`).
  public var classifier: String?
  /// The seed of every draw the evaluation makes.
  public var seed: UInt64 = 0xE7A1
  /// VAEs: posterior draws per image for the importance-weighted bound.
  public var importanceSamples = 64
  /// VAEs: held-out images the likelihood bounds are computed on.
  public var likelihoodImages = 500
  /// Real training items the sample statistics are compared with (images and audio).
  public var referenceCount = 5000
  /// Compute the real-data ceilings too.
  public var ceilings = true
  /// GANs and VAEs: draw codes from this prior instead of `N(0, I)` (a tuned prior).
  public var prior: LatentPrior?

  /// Defaults: every metric that applies, with its ceiling.
  public init() {}

  /// Checks the counts: at least 2 samples (statistics need two) and at most
  /// `RunConfig.countLimit`; 1 to 100,000 importance draws.
  /// - Throws: `SettingError` naming the first field out of range.
  public func validate() throws {
    if let samples { try SettingError.check(samples, in: 2...RunConfig.countLimit, "samples") }
    try SettingError.check(importanceSamples, in: 1...100_000, "importanceSamples")
    try SettingError.check(likelihoodImages, in: 1...RunConfig.countLimit, "likelihoodImages")
    try SettingError.check(referenceCount, in: 2...RunConfig.countLimit, "referenceCount")
  }

  /// Whether `name` is asked for.
  public func wants(_ name: String) -> Bool { metrics.map { $0.contains(name) } ?? true }

  /// Whether any of `names` is asked for.
  public func wantsAny(_ names: [String]) -> Bool { names.contains(where: wants) }
}
