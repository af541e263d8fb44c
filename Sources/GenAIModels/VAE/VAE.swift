import GenAIData
import GenAINN
import GenAITensor

/// The `vae` recipe: a variational auto-encoder (conv or MLP network) trained on the ELBO.
///
/// One training step on images `x` `[B, C, H, W]`:
/// ```
/// (μ, logσ²) = encode(x);  z = μ + e^{½logσ²}·ε, ε ~ N(0, I) from network.noise
/// recon = mean_b Σ_pixels −log p(x_b | z_b)          (see `VAELikelihood`)
/// kl    = mean_b −½ Σ_latent (1 + logσ² − μ² − σ²)
/// loss  = recon + β·kl                              (β from `KLWarmup`)
/// ```
/// The one reduction is: **sum over pixels (and latent units), mean over the batch**, as in
/// `../shared/bench/vae.py`, so with `β = 1` the loss is the negative ELBO per image in nats.
/// Optimiser: Adam (default `1e-3`, PyTorch betas).
///
/// Checkpoints: models `["vae": network]` (including its noise generator), optimisers
/// `["adam": optimizer]`; the warm-up reads the optimiser's step count, so it resumes too.
public final class VAE: ImageGenerating {
  /// `vae`: Fashion-MNIST in [0, 1] by default, tracked by the held-out ELBO.
  public static let kind = RecipeKind(
    name: "vae", summary: "variational auto-encoder, conv or MLP (784-400-20)",
    data: [.images(steps: 3000, batchSize: 128)], mainMetric: MainMetric("elbo", better: .higher), pixelRange: .zeroToOne
  ) { setup in
    try VAE(
      network: setup.options.vaeArchitecture.network(seed: setup.seed), warmupSteps: setup.options.klWarmupSteps, learningRate: setup.learningRate ?? defaultLearningRate)
  }
  /// Adam's step size by default.
  public static let defaultLearningRate: Float = 1e-3
  /// The encoder/decoder pair.
  public let network: any VAENetwork
  /// The pixel likelihood.
  public let likelihood: VAELikelihood
  /// The range of the data and of generated images (`.zeroToOne` for Bernoulli).
  public let pixelRange: PixelRange
  /// The KL weight schedule.
  public let warmup: KLWarmup
  /// Adam over every parameter of `network`.
  public let optimizer: Adam

  /// A recipe over `network`.
  /// - Parameters:
  ///   - likelihood: `.bernoulli` (data in `[0, 1]`) or `.gaussian`/`.l1`.
  ///   - pixelRange: the data range; must be `.zeroToOne` for `.bernoulli`.
  ///   - warmupSteps: updates over which β rises linearly from 0 to 1 (0: β = 1 throughout).
  ///   - learningRate: Adam's step size.
  /// - Throws: `RecipeError` for a Bernoulli likelihood on `[-1, 1]` data.
  public init(
    network: any VAENetwork, likelihood: VAELikelihood = .bernoulli, pixelRange: PixelRange = .zeroToOne,
    warmupSteps: Int = 0, learningRate: Float = VAE.defaultLearningRate
  ) throws {
    guard !(likelihood == .bernoulli && pixelRange != .zeroToOne) else {
      throw RecipeError(recipe: Self.name, "a Bernoulli likelihood needs data in [0, 1] (pixel range zeroToOne)")
    }
    guard warmupSteps >= 0 else { throw RecipeError(recipe: Self.name, "warm-up steps must be >= 0, got \(warmupSteps)") }
    self.network = network
    self.likelihood = likelihood
    self.pixelRange = pixelRange
    warmup = KLWarmup(steps: warmupSteps)
    optimizer = Adam(parameters: network.parameters(), learningRate: learningRate)
  }

  /// `["vae": network]`.
  public var models: [String: Module] { ["vae": network] }
  /// `["adam": optimizer]`.
  public var optimizers: [String: any Optimizer] { ["adam": optimizer] }

  /// The KL weight of the next update.
  public var beta: Float { warmup.beta(atStep: optimizer.stepCount) }

  /// Everything one forward pass computes, for logging and tests.
  public struct Forward {
    /// `[B, D]`.
    public let mean: Tensor
    /// `[B, D]`.
    public let logVariance: Tensor
    /// The sampled codes `[B, D]`.
    public let z: Tensor
    /// Decoder outputs `[B, C, H, W]` (logits for Bernoulli).
    public let outputs: Tensor
    /// Reconstruction term, summed over pixels, averaged over the batch (scalar).
    public let reconstruction: Tensor
    /// KL term, summed over latent units, averaged over the batch (scalar).
    public let kl: Tensor
    /// `reconstruction + β·kl` (scalar).
    public let loss: Tensor
    /// The β used.
    public let beta: Float
  }

  /// Checks that `x` is `[B, C, H, W]` with the network's image shape and `B > 0`.
  func checkImages(_ x: Tensor) throws {
    guard x.rank == 4, x.shape[0] > 0, Array(x.shape.dropFirst()) == network.imageShape else {
      throw RecipeError(
        recipe: Self.name,
        "expects images [B, \(network.imageShape.map(String.init).joined(separator: ", "))], got \(shapeString(x.shape))")
    }
  }

  /// The ELBO's forward pass on `x` `[B, C, H, W]` with KL weight `beta` (draws ε from the
  /// network's noise, recording gradients when enabled).
  /// - Throws: `RecipeError` when `x` has the wrong shape.
  public func forward(_ x: Tensor, beta: Float) throws -> Forward {
    try checkImages(x)
    let (mean, logVariance) = network.encode(x)
    let z = network.reparameterize(mean: mean, logVariance: logVariance)
    let outputs = network.decode(z)
    let recon = likelihood.reconstructionLoss(outputs, x)
    let kl = klDivergenceFromStandardNormal(mean: mean, logVariance: logVariance)
    return Forward(
      mean: mean, logVariance: logVariance, z: z, outputs: outputs, reconstruction: recon, kl: kl,
      loss: recon + kl * beta, beta: beta)
  }

  /// One Adam update on `batch.inputs` `[B, C, H, W]`; returns `loss`, `recon`, `kl`, `beta`.
  /// - Throws: `RecipeError` for images of the wrong shape, `AutodiffError` for a non-finite loss.
  public func trainStep(_ batch: Batch) throws -> [String: Float] {
    network.train()
    optimizer.zeroGrad()
    let f = try forward(batch.inputs, beta: beta)
    try f.loss.backward()
    optimizer.step()
    return ["loss": f.loss.item, "recon": f.reconstruction.item, "kl": f.kl.item, "beta": f.beta]
  }

  /// Runs `body` in evaluation mode without recording gradients, restoring the mode after.
  func evaluating<R>(_ body: () throws -> R) rethrows -> R {
    let wasTraining = network.isTraining
    network.eval()
    defer { network.train(wasTraining) }
    return try withNoGrad(body)
  }

  /// `count` images `[count, C, H, W]` decoded from `z ~ N(0, I)` drawn with `generator`
  /// (`sigmoid` of the logits for Bernoulli).
  /// - Throws: `RecipeError` when `label` is given (the VAE is not conditional) or `count < 0`.
  public func sample(count: Int, label: Int?, using generator: inout SeededGenerator) throws -> Tensor {
    if label != nil { throw RecipeError(recipe: Self.name, "the VAE is not class-conditional; sample without a label") }
    guard count >= 0 else { throw RecipeError(recipe: Self.name, "count must be >= 0, got \(count)") }
    let z = Tensor.randn([count, network.latentSize], using: &generator)
    return evaluating { likelihood.images(from: network.decode(z)) }
  }

  /// Reconstructions `[B, C, H, W]` of `images` `[B, C, H, W]`, decoded from the posterior means.
  /// - Throws: `RecipeError` when the images have the wrong shape.
  public func reconstruct(_ images: Tensor) throws -> Tensor {
    try checkImages(images)
    return evaluating { likelihood.images(from: network.decode(network.encode(images).mean)) }
  }

  /// `steps` images `[steps, C, H, W]` decoded along the straight line between the posterior
  /// means of `start` and `end` (each `[C, H, W]` or `[1, C, H, W]`), both ends included.
  /// - Throws: `RecipeError` for images of the wrong shape or `steps < 2`.
  public func interpolate(from start: Tensor, to end: Tensor, steps: Int) throws -> Tensor {
    guard steps >= 2 else { throw RecipeError(recipe: Self.name, "interpolation needs steps >= 2, got \(steps)") }
    let a = start.rank == 3 ? start.unsqueezed(axis: 0) : start
    let b = end.rank == 3 ? end.unsqueezed(axis: 0) : end
    try checkImages(a)
    try checkImages(b)
    guard a.shape[0] == 1, b.shape[0] == 1 else {
      throw RecipeError(recipe: Self.name, "interpolation takes one image at each end")
    }
    return evaluating {
      let za = network.encode(a).mean
      let zb = network.encode(b).mean
      let codes = (0..<steps).map { i -> Tensor in
        let t = Float(i) / Float(steps - 1)
        return za * (1 - t) + zb * t
      }
      return likelihood.images(from: network.decode(Tensor.concatenate(codes, axis: 0)))
    }
  }
}
