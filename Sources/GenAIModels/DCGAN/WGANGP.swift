import GenAIData
import GenAINN
import GenAITensor

/// The `wgan-gp` recipe: the DCGAN generator against a critic without batch norm or dropout
/// (`DCGANDiscriminator(dropout: false)`, whose output is an unbounded score), trained with the
/// Wasserstein loss plus a gradient penalty λ = 10 (`wganGradientPenalty`), 5 critic steps per
/// generator step, Adam(1e-4, β₁ 0, β₂ 0.9) for each network.
///
/// How batches map to steps: **each `trainStep` call is one critic step** on its batch; every
/// `criticSteps`-th call (by the critic optimiser's step count, which checkpoints restore) then
/// also makes one generator step. So 5 batches make one "iteration" of the paper's algorithm.
///
/// A critic step: z ~ N(0, 1) from `generator.noise`; `fake = G(z)` (train mode, not recorded);
/// α ~ U[0, 1] `[B, 1, 1, 1]` from the same stream;
/// `L_C = mean C(fake) − mean C(real) + λ·GP`, backward (through the penalty's double backward),
/// Adam step. A generator step: fresh z, `L_G = −mean C(G(z))` with the critic frozen, Adam step.
///
/// Returns `critic_loss`, `gp` (the penalty before λ), `wasserstein` (`mean C(real) − mean
/// C(fake)`, the critic's estimate of the distance), and `g_loss`: `−mean C(fake)` of this step's
/// fakes before the critic update (the generator's objective; on generator steps it is the value
/// the generator update actually minimised, recomputed there).
public final class WGANGP: ImageGenerating {
  /// `wgan-gp`: Fashion-MNIST by default, tracked by FID.
  public static let kind = RecipeKind(
    name: "wgan-gp", summary: "DCGAN generator, critic with gradient penalty 10, 5 critic steps",
    data: [.images(steps: 2000, batchSize: 64)], mainMetric: MainMetric("fid", better: .lower), conditionable: true,
    minimumBatchSize: 2
  ) { setup in
    WGANGP(
      classCount: try setup.conditioningClasses(for: name), seed: setup.seed,
      learningRate: setup.learningRate ?? defaultLearningRate)
  }
  /// Adam's step size by default (Gulrajani et al.).
  public static let defaultLearningRate: Float = 1e-4

  /// G.
  public let generator: DCGANGenerator
  /// The critic C.
  public let critic: DCGANDiscriminator
  /// Adam for G.
  public let generatorOptimizer: Adam
  /// Adam for C.
  public let criticOptimizer: Adam
  /// Gradient-penalty weight λ.
  public let penaltyWeight: Float
  /// Critic steps per generator step.
  public let criticSteps: Int

  /// A recipe; `classCount` makes both networks class-conditional. Everything random comes from
  /// `seed`.
  public init(
    classCount: Int? = nil, seed: UInt64, learningRate: Float = WGANGP.defaultLearningRate, betas: (Float, Float) = (0, 0.9),
    penaltyWeight: Float = 10, criticSteps: Int = 5
  ) {
    precondition(classCount.map { $0 > 0 } ?? true, "[wgan-gp] classCount must be positive")
    precondition(criticSteps > 0, "[wgan-gp] criticSteps must be positive")
    var rng = SeededGenerator(seed: seed)
    generator = DCGANGenerator(classCount: classCount, using: &rng)
    critic = DCGANDiscriminator(classCount: classCount, dropout: false, using: &rng)
    generatorOptimizer = Adam(parameters: generator.parameters(), learningRate: learningRate, betas: betas)
    criticOptimizer = Adam(parameters: critic.parameters(), learningRate: learningRate, betas: betas)
    self.penaltyWeight = penaltyWeight
    self.criticSteps = criticSteps
  }

  /// Number of classes when conditional, else `nil`.
  public var classCount: Int? { generator.classCount }

  /// `generator`, `critic`.
  public var models: [String: Module] { ["generator": generator, "critic": critic] }
  /// One Adam per network, under the network's name.
  public var optimizers: [String: any Optimizer] { ["generator": generatorOptimizer, "critic": criticOptimizer] }
  /// [-1, 1] (tanh).
  public var pixelRange: PixelRange { .minusOneToOne }

  /// One step as described above.
  /// - Throws: `RecipeError` for a batch of the wrong shape or with bad labels; `AutodiffError`
  ///   when a loss is not finite.
  public func trainStep(_ batch: Batch) throws -> [String: Float] {
    let (real, labels) = try GANInputs.realBatch(batch, classCount: classCount, recipe: Self.name)
    let n = real.shape[0]
    generator.train()
    critic.train()

    // Critic step.
    let z = generator.noise.normal(batchShape: [n, DCGANGenerator.latentSize])
    let fake = withNoGrad { generator(z, labels: labels) }
    let alpha = generator.noise.uniform(batchShape: [n, 1, 1, 1])
    criticOptimizer.zeroGrad()
    let realScore = critic(real, labels: labels).mean()
    let fakeScore = critic(fake, labels: labels).mean()
    let gp = try wganGradientPenalty(
      critic: { [critic] x in critic(x, labels: labels) }, real: real, fake: fake, alpha: alpha)
    let criticLoss = fakeScore - realScore + penaltyWeight * gp
    try criticLoss.backward()
    criticOptimizer.step()
    var gLoss = -fakeScore.item

    // Generator step every `criticSteps` critic steps.
    if criticOptimizer.stepCount % criticSteps == 0 {
      critic.freeze()
      defer { critic.unfreeze() }
      generatorOptimizer.zeroGrad()
      let z2 = generator.noise.normal(batchShape: [n, DCGANGenerator.latentSize])
      let loss = -critic(generator(z2, labels: labels), labels: labels).mean()
      try loss.backward()
      generatorOptimizer.step()
      gLoss = loss.item
    }
    return [
      "critic_loss": criticLoss.item, "g_loss": gLoss, "gp": gp.item,
      "wasserstein": realScore.item - fakeScore.item,
    ]
  }

  /// `count` images `[count, 1, 28, 28]` in [-1, 1] from G in evaluation mode; as `DCGAN.sample`.
  /// - Throws: `RecipeError` for `count < 1`, a label out of range, or a label given to an
  ///   unconditional model.
  public func sample(count: Int, label: Int?, using generator: inout SeededGenerator) throws -> Tensor {
    let labels = try GANInputs.sampleLabels(count: count, label: label, classCount: classCount, recipe: Self.name)
    return GANInputs.sample(self.generator, count: count, labels: labels, using: &generator)
  }
}
