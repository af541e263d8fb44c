import GenAIData
import GenAINN
import GenAITensor

/// A diagonal Gaussian over a generator's latent codes: `z = mean + std ⊙ ε`, `ε ~ N(0, I)`.
/// The standard prior is `N(0, I)`; `genai tune` fits one to the codes of samples people liked.
public struct LatentPrior: Codable, Equatable, Sendable {
  /// `[D]`.
  public var mean: [Float]
  /// `[D]`, all positive.
  public var std: [Float]

  /// `N(0, I)` over `size` dimensions.
  public static func standard(_ size: Int) -> LatentPrior {
    LatentPrior(mean: Array(repeating: 0, count: size), std: Array(repeating: 1, count: size))
  }

  /// A prior with these parameters.
  public init(mean: [Float], std: [Float]) {
    self.mean = mean
    self.std = std
  }

  /// The prior fitted to `codes` (rows of `D` values): their mean, and a spread shrunk toward 1
  /// by `pseudoCount` imaginary unit-variance codes, `σ² = (Σ(z − μ)² + pseudoCount) / (n + pseudoCount)`,
  /// so a handful of liked samples moves the centre without collapsing the spread to a point.
  /// - Throws: `RecipeError` for no codes or rows of different lengths.
  public static func fitted(to codes: [[Float]], pseudoCount: Float = 4) throws -> LatentPrior {
    guard let d = codes.first?.count, d > 0, codes.allSatisfy({ $0.count == d }) else {
      throw RecipeError(recipe: "tune", "fitting a prior needs at least one latent code, all of the same length")
    }
    let n = Float(codes.count)
    let mean = (0..<d).map { j in codes.reduce(0) { $0 + $1[j] } / n }
    let std = (0..<d).map { j -> Float in
      let ss = codes.reduce(0) { $0 + ($1[j] - mean[j]) * ($1[j] - mean[j]) }
      return ((ss + pseudoCount) / (n + pseudoCount)).squareRoot()
    }
    return LatentPrior(mean: mean, std: std)
  }

  /// `count` codes `[count, D]`: standard normal draws from `generator`, scaled and shifted. With
  /// the standard prior the draws are exactly those `sample(count:label:using:)` makes.
  public func draw(count: Int, using generator: inout SeededGenerator) -> Tensor {
    let eps = Tensor.randn([count, mean.count], using: &generator)
    guard self != .standard(mean.count) else { return eps }
    return eps * Tensor(std).reshaped([1, std.count]) + Tensor(mean).reshaped([1, mean.count])
  }
}

/// An image generator driven by a latent code: GANs and VAEs. Its samples can be drawn from a
/// tuned prior, and the code behind every sample is known (ratings are stored as codes).
public protocol LatentImageGenerating: ImageGenerating {
  /// `D`.
  var latentSize: Int { get }
  /// Images `[N, C, H, W]` for codes `[N, D]` (evaluation mode, nothing recorded); `labels` for a
  /// conditional model (`nil` cycles through classes as `sample` does).
  /// - Throws: `RecipeError` for codes of the wrong shape or a bad label.
  func generate(latents: Tensor, label: Int?) throws -> Tensor
}

extension LatentImageGenerating {
  /// `count` codes `[count, D]` drawn from `prior` (`nil`: the standard `N(0, I)`). With the
  /// standard prior they are the codes `sample(count:label:using:)` draws from the same generator.
  /// - Throws: `RecipeError` for a prior of the wrong size or `count < 1`.
  public func latents(count: Int, prior: LatentPrior?, using generator: inout SeededGenerator) throws -> Tensor {
    let prior = prior ?? .standard(latentSize)
    guard prior.mean.count == latentSize else {
      throw RecipeError(recipe: Self.name, "the prior has \(prior.mean.count) dimensions, the model's latent code \(latentSize)")
    }
    guard count >= 1 else { throw RecipeError(recipe: Self.name, "sample count must be positive, got \(count)") }
    return prior.draw(count: count, using: &generator)
  }

  /// `count` codes from `prior` (`nil`: the standard `N(0, I)`) and their images. With the
  /// standard prior this equals `sample(count:label:using:)` draw for draw.
  /// - Throws: `RecipeError` for a prior of the wrong size or a bad label.
  public func sample(count: Int, label: Int?, prior: LatentPrior?, using generator: inout SeededGenerator) throws -> (latents: Tensor, images: Tensor) {
    let z = try latents(count: count, prior: prior, using: &generator)
    return (z, try generate(latents: z, label: label))
  }

  func checkLatents(_ z: Tensor) throws {
    guard z.rank == 2, z.shape[1] == latentSize, z.shape[0] > 0 else {
      throw RecipeError(recipe: Self.name, "expects latent codes [N, \(latentSize)], got \(z.shape)")
    }
  }
}

extension ImageGenerating {
  /// `count` images `[count, C, H, W]`: decoded from codes drawn from `prior` when one is given
  /// (GANs and VAEs), else the model's own `sample(count:label:using:)`.
  ///
  /// Everything that samples images with an optional tuned prior (sample files, evaluation,
  /// `genai sample --classify`) calls this, so a tuned prior is honoured, or refused, alike.
  /// - Throws: `RecipeError` for a prior given to a model without a latent code, a prior of the
  ///   wrong size, or a bad label.
  public func sampleImages(count: Int, label: Int?, prior: LatentPrior?, using generator: inout SeededGenerator) throws -> Tensor {
    guard let prior else { return try sample(count: count, label: label, using: &generator) }
    guard let latent = latentImageGenerator else {
      throw RecipeError(recipe: Self.name, "has no latent code to draw from a prior")
    }
    return try latent.sample(count: count, label: label, prior: prior, using: &generator).images
  }
}

extension DCGAN: LatentImageGenerating {
  /// 100.
  public var latentSize: Int { DCGANGenerator.latentSize }
  /// `G(z)` in evaluation mode (the averaged G with `GANImprovement.ema`).
  public func generate(latents: Tensor, label: Int?) throws -> Tensor {
    try checkLatents(latents)
    return try GANInputs.generate(samplingGenerator, latents: latents, label: label, recipe: Self.name)
  }
}

extension WGANGP: LatentImageGenerating {
  /// 100.
  public var latentSize: Int { DCGANGenerator.latentSize }
  /// `G(z)` in evaluation mode.
  public func generate(latents: Tensor, label: Int?) throws -> Tensor {
    try checkLatents(latents)
    return try GANInputs.generate(generator, latents: latents, label: label, recipe: Self.name)
  }
}

extension VAE: LatentImageGenerating {
  /// The network's latent size.
  public var latentSize: Int { network.latentSize }
  /// Decoded images in the data range.
  public func generate(latents: Tensor, label: Int?) throws -> Tensor {
    if label != nil { throw RecipeError(recipe: Self.name, "the VAE is not class-conditional; sample without a label") }
    try checkLatents(latents)
    return evaluating { likelihood.images(from: network.decode(latents)) }
  }
}

extension VAEGAN: LatentImageGenerating {
  /// The VAE's latent size.
  public var latentSize: Int { vae.latentSize }
  /// `G(z)` of `samplingVAE` in [-1, 1].
  public func generate(latents: Tensor, label: Int?) throws -> Tensor {
    if label != nil { throw RecipeError(recipe: Self.name, "the VAE-GAN is not class-conditional; sample without a label") }
    try checkLatents(latents)
    return evaluating { Self.images($0, latents) }
  }
}
