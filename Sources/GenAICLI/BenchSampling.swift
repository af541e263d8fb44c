import Foundation
import GenAI

/// Sampling speed of a bench recipe, so that `genai bench` reports what generating costs, not
/// only what training does. Measured on the recipe's freshly initialised weights: the work per
/// character or image does not depend on what the weights are.
enum BenchSampling {
  /// Images per timed call: the grid `genai sample` draws by default.
  static let imageCount = 64

  /// The sampling figures of `recipe` as JSON fields: `sample_chars_per_s` for text recipes
  /// (`length` characters after an empty prime, at `genai sample`'s default temperature 0.8),
  /// `sample_ms_per_64` for image recipes (median of `repeats` calls); none for other recipes.
  /// - Throws: what the recipe's sampling throws.
  static func fields(_ recipe: any Recipe, length: Int, repeats: Int) throws -> [(String, Double)] {
    if let seconds = try textSeconds(recipe, length: length) {
      return [("sample_chars_per_s", Double(length) / seconds)]
    }
    if let images = recipe.imageGenerator {
      var g = SeededGenerator(seed: 0)
      _ = try images.sample(count: imageCount, label: nil, using: &g)  // warm-up: buffers, caches
      var times: [Double] = []
      for _ in 0..<max(repeats, 1) {
        times.append(try seconds { _ = try images.sample(count: imageCount, label: nil, using: &g) })
      }
      return [("sample_ms_per_64", times.sorted()[times.count / 2] * 1000)]
    }
    return []
  }

  /// Seconds to generate `length` characters with a text recipe (after an untimed warm-up of a
  /// tenth as many), or `nil` for a recipe that does not generate text.
  private static func textSeconds(_ recipe: any Recipe, length: Int) throws -> Double? {
    let options = SamplingOptions(temperature: 0.8)
    let warmup = max(length / 10, 1)
    guard let text = recipe.textGenerator else { return nil }
    var g = SeededGenerator(seed: 0)
    _ = try text.sample(length: warmup, options: options, using: &g)
    return try seconds { _ = try text.sample(length: length, options: options, using: &g) }
  }

  /// Wall-clock seconds `body` takes.
  private static func seconds(_ body: () throws -> Void) rethrows -> Double {
    let clock = ContinuousClock()
    let start = clock.now
    try body()
    let elapsed = clock.now - start
    return Double(elapsed.components.seconds) + Double(elapsed.components.attoseconds) * 1e-18
  }
}
