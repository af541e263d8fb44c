import GenAIData
import GenAINN
import GenAITensor

/// The `vaegan` recipe: an encoder `E` and generator `G` (the `ConvVAE`'s encoder and decoder,
/// with `tanh` on `G`'s output so images are in `[-1, 1]`) trained as a VAE whose
/// reconstructions and samples must also fool a discriminator `D` (`VAEGANDiscriminator`).
///
/// One training step on images `x` `[B, 1, 28, 28]` in `[-1, 1]`:
/// ```
/// (μ, logσ²) = E(x);  z = μ + σ·ε;  x̃ = G(z);  x_p = G(z_p), z_p ~ N(0, I)   (ε, z_p from vae.noise)
/// D step:   L_D  = BCE(D(x), 1) + ½·[BCE(D(x̃), 0) + BCE(D(x_p), 0)]          (x̃, x_p detached)
/// E,G step: L_EG = λ_rec·L_rec + λ_kl·KL/(C·H·W) + λ_adv·L_adv
///   L_rec = mean |x − G(E(x))|             (L1, mean over pixels and batch)
///   KL    = mean_b −½ Σ (1 + logσ² − μ² − σ²)   (divided by the pixel count to match L_rec's scale)
///   L_adv = ½·[BCE(D(x̃), 1) + BCE(D(x_p), 1)]   (non-saturating form of −log D(G(·)))
/// ```
/// Default weights `λ_rec = 10`, `λ_kl = 1`, `λ_adv = 1`; Adam(2e-4, β₁ 0.5) for both optimisers.
/// `D` is updated first, then `E` and `G` together against the updated `D`.
///
/// Of the DCGAN's improvements (`GANImprovement`), `ema` carries over: samples, reconstructions,
/// variations and restorations then come from `averagedVAE`, an exponential moving average of `E`
/// and `G` (the DCGAN's decay and warm-up), which never changes the training itself. The others
/// change D's loss or G's layers, did not pay on the DCGAN, and are refused here.
///
/// Checkpoints: models `["vae", "discriminator"]` (plus `"vae_ema"` with `ema`), optimisers
/// `["vae", "discriminator"]`.
public final class VAEGAN: ImageGenerating {
  /// `vaegan`: Fashion-MNIST by default, tracked by FID.
  public static let kind = RecipeKind(
    name: "vaegan", summary: "encoder, generator, discriminator; L_adv + L1 + KL",
    data: [.images(steps: 3000, batchSize: 64)], mainMetric: MainMetric("fid", better: .lower)
  ) { setup in
    let improvements = setup.options.ganImprovements ?? []
    let unsupported = improvements.subtracting(supportedImprovements)
    guard unsupported.isEmpty else {
      throw RecipeError(
        recipe: name,
        "takes the improvement \(GANImprovement.describe(supportedImprovements)) only, not \(GANImprovement.describe(unsupported))")
    }
    return VAEGAN(seed: setup.seed, learningRate: setup.learningRate ?? defaultLearningRate, improvements: improvements)
  }
  /// The `GANImprovement`s this recipe takes: the averaged networks.
  public static let supportedImprovements: Set<GANImprovement> = [.ema]
  /// Adam's step size by default.
  public static let defaultLearningRate: Float = 2e-4
  /// `E` and `G` (decoder outputs are pre-`tanh`), plus the noise generator.
  public let vae: ConvVAE
  /// `D`.
  public let discriminator: VAEGANDiscriminator
  /// The exponential moving average of `E`'s and `G`'s weights that samples and reconstructions
  /// come from with `GANImprovement.ema`; `nil` otherwise. Saved by checkpoints as `vae_ema`.
  public let averagedVAE: ConvVAE?
  /// Keeps `averagedVAE` up to date after each `E`,`G` step.
  let average: ExponentialMovingAverage?
  /// The improvements used: `[]` or `[.ema]`.
  public let improvements: Set<GANImprovement>
  /// Adam over `E` and `G`.
  public let vaeOptimizer: Adam
  /// Adam over `D`.
  public let discriminatorOptimizer: Adam
  /// `λ_rec`, the weight of the L1 reconstruction loss.
  public let reconstructionWeight: Float
  /// `λ_kl`, the weight of the per-pixel KL term.
  public let klWeight: Float
  /// `λ_adv`, the weight of the generator's adversarial loss.
  public let adversarialWeight: Float
  /// `.minusOneToOne` (tanh generator).
  public var pixelRange: PixelRange { .minusOneToOne }

  /// A recipe with networks seeded from `seed` (D from `seed + 1`); `improvements` may hold
  /// `GANImprovement.ema` (the others are a programmer's mistake here).
  public init(
    latentSize: Int = 16, seed: UInt64 = 0, reconstructionWeight: Float = 10, klWeight: Float = 1,
    adversarialWeight: Float = 1, learningRate: Float = VAEGAN.defaultLearningRate, improvements: Set<GANImprovement> = []
  ) {
    precondition(improvements.isSubset(of: Self.supportedImprovements), "[vaegan] takes only \(Self.supportedImprovements)")
    self.improvements = improvements
    vae = ConvVAE(latentSize: latentSize, seed: seed)
    if improvements.contains(.ema) {
      let copy = ConvVAE(latentSize: latentSize, seed: seed)  // the same seed: it starts as vae's copy
      averagedVAE = copy
      average = ExponentialMovingAverage(averaging: vae, into: copy, decay: DCGAN.averageDecay)
    } else {
      averagedVAE = nil
      average = nil
    }
    discriminator = VAEGANDiscriminator(seed: seed &+ 1)
    vaeOptimizer = Adam(parameters: vae.parameters(), learningRate: learningRate, betas: (0.5, 0.999))
    discriminatorOptimizer = Adam(parameters: discriminator.parameters(), learningRate: learningRate, betas: (0.5, 0.999))
    self.reconstructionWeight = reconstructionWeight
    self.klWeight = klWeight
    self.adversarialWeight = adversarialWeight
  }

  /// `["vae": vae, "discriminator": discriminator]`, plus `"vae_ema"` with `GANImprovement.ema`.
  public var models: [String: Module] {
    var models: [String: Module] = ["vae": vae, "discriminator": discriminator]
    if let averagedVAE { models["vae_ema"] = averagedVAE }
    return models
  }
  /// The network samples, reconstructions, variations and restorations come from:
  /// `averagedVAE` with `GANImprovement.ema`, else `vae`.
  public var samplingVAE: ConvVAE { averagedVAE ?? vae }
  /// `["vae": vaeOptimizer, "discriminator": discriminatorOptimizer]`.
  public var optimizers: [String: any Optimizer] { ["vae": vaeOptimizer, "discriminator": discriminatorOptimizer] }

  func checkImages(_ x: Tensor) throws {
    guard x.rank == 4, x.shape[0] > 0, Array(x.shape.dropFirst()) == vae.imageShape else {
      throw RecipeError(recipe: Self.name, "expects images [B, 1, 28, 28], got \(shapeString(x.shape))")
    }
  }

  /// `G(z)` of the network being trained: codes `[N, D]` → images `[N, 1, 28, 28]` in `[-1, 1]`.
  public func generate(_ z: Tensor) -> Tensor { Self.images(vae, z) }

  /// `network`'s decoder: codes `[N, D]` → images `[N, 1, 28, 28]` in `[-1, 1]`.
  static func images(_ network: ConvVAE, _ z: Tensor) -> Tensor { network.decode(z).tanh() }

  /// One update of `D`, then one of `E` and `G`, on `batch.inputs` `[B, 1, 28, 28]` in
  /// `[-1, 1]`. Returns `d_loss`, `g_loss` (`L_EG`), `rec` (`L_rec`), `kl` and `adv` (`L_adv`).
  /// - Throws: `RecipeError` for images of the wrong shape, `AutodiffError` for a non-finite loss.
  public func trainStep(_ batch: Batch) throws -> [String: Float] {
    let x = batch.inputs
    try checkImages(x)
    vae.train()
    discriminator.train()
    let (mean, logVariance) = vae.encode(x)
    let z = vae.reparameterize(mean: mean, logVariance: logVariance)
    let reconstruction = generate(z)
    let prior = generate(vae.noise.normal(batchShape: mean.shape))
    let n = x.shape[0]
    let ones = Tensor.ones([n, 1]), zeros = Tensor.zeros([n, 1])

    discriminatorOptimizer.zeroGrad()
    let dLoss = discriminator(x).binaryCrossEntropy(withLogitsTargets: ones)
      + (discriminator(reconstruction.detached()).binaryCrossEntropy(withLogitsTargets: zeros)
        + discriminator(prior.detached()).binaryCrossEntropy(withLogitsTargets: zeros)) * 0.5
    try dLoss.backward()
    discriminatorOptimizer.step()

    vaeOptimizer.zeroGrad()
    let rec = reconstruction.l1Loss(x)
    let kl = klDivergenceFromStandardNormal(mean: mean, logVariance: logVariance)
    let adv = (discriminator(reconstruction).binaryCrossEntropy(withLogitsTargets: ones)
      + discriminator(prior).binaryCrossEntropy(withLogitsTargets: ones)) * 0.5
    let pixels = Float(vae.imageShape.reduce(1, *))
    let gLoss = rec * reconstructionWeight + kl * (klWeight / pixels) + adv * adversarialWeight
    try gLoss.backward()
    vaeOptimizer.step()
    if let average {
      // The DCGAN's warm-up, counted by the optimiser so a resumed run continues it.
      average.update(decay: ExponentialMovingAverage.warmedUp(DCGAN.averageDecay, updates: vaeOptimizer.stepCount))
    }
    discriminator.zeroGrad()
    return ["d_loss": dLoss.item, "g_loss": gLoss.item, "rec": rec.item, "kl": kl.item, "adv": adv.item]
  }

  /// `body(samplingVAE)` in evaluation mode with nothing recorded, restoring the mode afterwards.
  func evaluating<R>(_ body: (ConvVAE) throws -> R) rethrows -> R {
    let network = samplingVAE
    let wasTraining = network.isTraining
    network.eval()
    defer { network.train(wasTraining) }
    return try withNoGrad { try body(network) }
  }

  /// `count` images `[count, 1, 28, 28]` in `[-1, 1]`, `G(z)` of `samplingVAE` with `z ~ N(0, I)`
  /// from `generator`.
  /// - Throws: `RecipeError` when `label` is given (not conditional) or `count < 0`.
  public func sample(count: Int, label: Int?, using generator: inout SeededGenerator) throws -> Tensor {
    if label != nil { throw RecipeError(recipe: Self.name, "the VAE-GAN is not class-conditional; sample without a label") }
    guard count >= 0 else { throw RecipeError(recipe: Self.name, "count must be >= 0, got \(count)") }
    let z = Tensor.randn([count, vae.latentSize], using: &generator)
    return evaluating { Self.images($0, z) }
  }

  /// `G(μ(E(x)))` for images `[B, 1, 28, 28]` in `[-1, 1]`: the reconstruction, which also
  /// removes noise the model has not learnt to draw (denoising).
  /// - Throws: `RecipeError` for images of the wrong shape.
  public func reconstruct(_ images: Tensor) throws -> Tensor {
    try checkImages(images)
    return evaluating { network in Self.images(network, network.encode(images).mean) }
  }

  /// `count` new images similar to `image` (`[1, 1, 28, 28]` or `[1, 28, 28]`): `G(μ + σ·ε)`
  /// with `(μ, logσ²) = E(image)` and `ε ~ N(0, I)` from `generator`; `[count, 1, 28, 28]`.
  /// - Throws: `RecipeError` for an image of the wrong shape or `count < 0`.
  public func variations(of image: Tensor, count: Int, using generator: inout SeededGenerator) throws -> Tensor {
    let x = image.rank == 3 ? image.unsqueezed(axis: 0) : image
    try checkImages(x)
    guard x.shape[0] == 1 else { throw RecipeError(recipe: Self.name, "variations take one image, got \(x.shape[0])") }
    guard count >= 0 else { throw RecipeError(recipe: Self.name, "count must be >= 0, got \(count)") }
    let eps = Tensor.randn([count, vae.latentSize], using: &generator)
    return evaluating { network in
      let (mean, logVariance) = network.encode(x)
      return Self.images(network, mean + (logVariance * 0.5).exp() * eps)
    }
  }

  /// Fills the unknown pixels of `damaged` `[B, 1, 28, 28]` by iterating encode–decode while
  /// keeping the known pixels: `x ← m·damaged + (1 − m)·G(μ(E(x)))` for `steps` rounds, where
  /// `mask` (same shape, or `[1, 1, 28, 28]`) is 1 on known pixels and 0 on missing ones.
  /// Known pixels come back unchanged.
  /// - Throws: `RecipeError` for mismatched shapes or `steps < 1`.
  public func restore(damaged: Tensor, mask: Tensor, steps: Int = 10) throws -> Tensor {
    try checkImages(damaged)
    guard steps >= 1 else { throw RecipeError(recipe: Self.name, "restore needs steps >= 1, got \(steps)") }
    guard mask.rank == 4, Array(mask.shape.dropFirst()) == vae.imageShape,
      mask.shape[0] == 1 || mask.shape[0] == damaged.shape[0]
    else {
      throw RecipeError(recipe: Self.name, "mask \(shapeString(mask.shape)) does not match images \(shapeString(damaged.shape))")
    }
    return evaluating { network in
      let known = damaged * mask
      let unknown = 1 - mask
      var x = known
      for _ in 0..<steps { x = known + unknown * Self.images(network, network.encode(x).mean) }
      return x
    }
  }
}
