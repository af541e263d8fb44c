import GenAIData
import GenAINN
import GenAITensor

// What a recipe can do besides training, asked for by name instead of found out with `as?`:
// each ability is `nil` unless the recipe conforms to the protocol that provides it, and the
// protocol's extension below answers `self`. A new recipe gains an ability by conforming.

extension Recipe {
  /// `nil`: the recipe does not generate images.
  public var imageGenerator: (any ImageGenerating)? { nil }
  /// `nil`: the recipe's images do not come from a latent code.
  public var latentImageGenerator: (any LatentImageGenerating)? { nil }
  /// `nil`: the recipe is not a GAN with a discriminator.
  public var adversarial: (any AdversarialRecipe)? { nil }
  /// `nil`: the recipe has no likelihood bound on images.
  public var imageLikelihoodModel: (any ImageLikelihoodModel)? { nil }
  /// `nil`: the recipe cannot restore damaged images.
  public var imageRestorer: (any ImageRestoring)? { nil }
  /// `nil`: the recipe does not generate text.
  public var textGenerator: (any TextGenerating)? { nil }
  /// `nil`: the recipe does not generate audio.
  public var audioGenerator: (any AudioGenerating)? { nil }
  /// `nil`: the recipe is not a feature network.
  public var featureClassifier: (any FeatureClassifier)? { nil }
}

extension ImageGenerating {
  /// `self`.
  public var imageGenerator: (any ImageGenerating)? { self }
}

extension LatentImageGenerating {
  /// `self`.
  public var latentImageGenerator: (any LatentImageGenerating)? { self }
}

extension AdversarialRecipe {
  /// `self`.
  public var adversarial: (any AdversarialRecipe)? { self }
}

extension ImageLikelihoodModel {
  /// `self`.
  public var imageLikelihoodModel: (any ImageLikelihoodModel)? { self }
}

extension ImageRestoring {
  /// `self`.
  public var imageRestorer: (any ImageRestoring)? { self }
}

extension TextGenerating {
  /// `self`.
  public var textGenerator: (any TextGenerating)? { self }
}

extension AudioGenerating {
  /// `self`.
  public var audioGenerator: (any AudioGenerating)? { self }
}

extension FeatureClassifier {
  /// `self`.
  public var featureClassifier: (any FeatureClassifier)? { self }
}

/// An image model with an encoder whose evidence bound scores images (the VAE): held-out
/// likelihoods, reconstructions and latent interpolations.
public protocol ImageLikelihoodModel: LatentImageGenerating {
  /// The decoder's pixel likelihood.
  var likelihood: VAELikelihood { get }
  /// The ELBO and importance-weighted bound of each image `[N, C, H, W]`, with `samples`
  /// posterior draws per image from `generator`.
  /// - Throws: `RecipeError` for images of the wrong shape or `samples < 1`.
  func logLikelihood(_ images: Tensor, samples: Int, chunk: Int, using generator: inout SeededGenerator) throws -> VAELogLikelihood
  /// Reconstructions `[B, C, H, W]` of `images` from the posterior means.
  /// - Throws: `RecipeError` for images of the wrong shape.
  func reconstruct(_ images: Tensor) throws -> Tensor
  /// `steps` images decoded along the line between the codes of `start` and `end`.
  /// - Throws: `RecipeError` for images of the wrong shape or `steps < 2`.
  func interpolate(from start: Tensor, to end: Tensor, steps: Int) throws -> Tensor
}

/// An image model that repairs images `[B, 1, 28, 28]` in [-1, 1] (the VAE-GAN): denoising,
/// variations of one image, and filling a masked region.
public protocol ImageRestoring: ImageGenerating {
  /// The reconstruction of `images`, which drops noise the model has not learnt to draw.
  /// - Throws: `RecipeError` for images of the wrong shape.
  func reconstruct(_ images: Tensor) throws -> Tensor
  /// `count` new images similar to `image`, drawn with `generator`.
  /// - Throws: `RecipeError` for an image of the wrong shape or `count < 0`.
  func variations(of image: Tensor, count: Int, using generator: inout SeededGenerator) throws -> Tensor
  /// `damaged` with the pixels where `mask` is 0 filled in over `steps` rounds.
  /// - Throws: `RecipeError` for mismatched shapes or `steps < 1`.
  func restore(damaged: Tensor, mask: Tensor, steps: Int) throws -> Tensor
}

extension VAE: ImageLikelihoodModel {}
extension VAEGAN: ImageRestoring {}

/// A character model that writes text: char-rnn and char-gpt.
public protocol TextGenerating: CharacterModel {
  /// `length` characters continuing `prime`, drawn with `generator` under `options`, each passed
  /// to `onCharacter` as it is generated.
  /// - Throws: `RecipeError` for a negative length, bad options or an unknown priming character.
  func sample(
    prime: String, length: Int, options: SamplingOptions, using generator: inout SeededGenerator,
    onCharacter: (String) throws -> Void
  ) throws -> String
  /// What a text file's provenance records about how `options` were applied (char-gpt: how the
  /// context moved past the block size).
  func samplingProvenance(_ options: SamplingOptions) -> [String: String]
  /// Trains on at a constant `rate` from now on (fine-tuning on liked texts), whatever schedule
  /// the recipe had.
  func holdLearningRate(at rate: Float)
}

extension TextGenerating {
  /// Nothing beyond the options themselves.
  public func samplingProvenance(_ options: SamplingOptions) -> [String: String] { [:] }

  /// Sets every optimiser's rate.
  public func holdLearningRate(at rate: Float) {
    for optimizer in optimizers.values { optimizer.learningRate = rate }
  }

  /// `length` characters after an empty prime, passed to no one as they come.
  /// - Throws: `RecipeError` for a negative length or bad options.
  public func sample(length: Int, options: SamplingOptions = SamplingOptions(), using generator: inout SeededGenerator) throws -> String {
    try sample(prime: "", length: length, options: options, using: &generator, onCharacter: { _ in })
  }
}

extension CharRNN: TextGenerating {}

extension CharGPT: TextGenerating {
  /// `sample` with the KV cache (the `TextGenerating` form).
  public func sample(
    prime: String, length: Int, options: SamplingOptions, using generator: inout SeededGenerator,
    onCharacter: (String) throws -> Void
  ) throws -> String {
    try sample(prime: prime, length: length, options: options, useCache: true, using: &generator, onCharacter: onCharacter)
  }

  /// `context`: `exact` (the window slides) or `restart` (see `GPTPredictor`); its absence marks
  /// text written before the restart rule, with the sliding window.
  public func samplingProvenance(_ options: SamplingOptions) -> [String: String] {
    ["context": options.exactContext ? "exact" : "restart"]
  }

  /// Sets the optimiser's rate and holds it there instead of following the schedule.
  public func holdLearningRate(at rate: Float) {
    for optimizer in optimizers.values { optimizer.learningRate = rate }
    fixedLearningRate = rate
  }
}
