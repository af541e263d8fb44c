import GenAIData
import GenAINN
import GenAITensor

/// The `dcgan` recipe: `DCGANGenerator` against `DCGANDiscriminator` with the non-saturating
/// BCE-with-logits losses and Adam(2e-4, β₁ 0.5, β₂ 0.999) for each network.
///
/// One `trainStep` follows `../shared/bench/dcgan.py` (the PyTorch DCGAN tutorial's ordering):
/// 1. z ~ N(0, 1) `[B, 100]` from `generator.noise`; `fake = G(z)` once (train mode, batch
///    statistics, running statistics updated).
/// 2. D update: `L_D = BCE(D(real), 1) + BCE(D(stopgrad(fake)), 0)`, two separate D calls (each
///    with its own dropout masks), then one Adam step of D.
/// 3. G update through the freshly updated D: `L_G = BCE(D(fake), 1)`. D is *frozen* around this
///    step (`freeze()`/`unfreeze()`), so no gradient is computed for or accumulated into D's
///    parameters, only the input gradient that flows back into G.
///
/// A class-conditional G also pays a mode-seeking term (Mao et al. 2019, "Mode Seeking GANs"):
/// a second draw `z₂` for the same labels, and `L_G += λ / (mean|G(z) − G(z₂)| / mean|z − z₂|)`
/// with `λ = modeSeekingWeight` (0.2). Without it the conditional model drew one image per class
/// (recall 0.00, FID 38.7 after 1,381 steps on Fashion-MNIST); the ratio is logged as `g_diversity`.
///
/// Batches are `Batch.inputs` `[B, 1, 28, 28]` in [-1, 1] (and `Batch.labels` `[B]` when the
/// recipe is class-conditional). Returns `d_loss`, `g_loss`, and D's accuracy on this step's
/// real (`d_acc_real`, logit > 0) and fake (`d_acc_fake`, logit < 0) images from the D update.
public final class DCGAN: ImageGenerating {
  /// `dcgan`: Fashion-MNIST by default, tracked by FID.
  public static let kind = RecipeKind(
    name: "dcgan", summary: "DCGAN, 28x28 grey, optional class conditioning",
    data: [.images(steps: 3000, batchSize: 64)], mainMetric: MainMetric("fid", better: .lower), conditionable: true,
    minimumBatchSize: 2
  ) { setup in
    DCGAN(
      classCount: try setup.conditioningClasses(for: name), seed: setup.seed,
      learningRate: setup.learningRate ?? defaultLearningRate)
  }
  /// Adam's step size by default (Radford et al.).
  public static let defaultLearningRate: Float = 2e-4

  /// G.
  public let generator: DCGANGenerator
  /// D.
  public let discriminator: DCGANDiscriminator
  /// Adam for G.
  public let generatorOptimizer: Adam
  /// Adam for D.
  public let discriminatorOptimizer: Adam
  /// Standard deviation of Gaussian noise added to every image D sees, real and fake, in both
  /// updates (0 = off, the default; the health monitor turns it on against a discriminator that
  /// wins too easily). Drawn from `generator.noise`, so runs stay reproducible.
  public var instanceNoise: Float = 0
  /// Weight `λ` of the mode-seeking term in a conditional G's loss (0 turns it off).
  public var modeSeekingWeight: Float = 0.2

  /// A recipe; `classCount` makes both networks class-conditional. All weights, dropout seeds
  /// and the latent noise stream come from `seed`.
  public init(classCount: Int? = nil, seed: UInt64, learningRate: Float = DCGAN.defaultLearningRate, betas: (Float, Float) = (0.5, 0.999)) {
    precondition(classCount.map { $0 > 0 } ?? true, "[dcgan] classCount must be positive")
    var rng = SeededGenerator(seed: seed)
    generator = DCGANGenerator(classCount: classCount, using: &rng)
    discriminator = DCGANDiscriminator(classCount: classCount, using: &rng)
    generatorOptimizer = Adam(parameters: generator.parameters(), learningRate: learningRate, betas: betas)
    discriminatorOptimizer = Adam(parameters: discriminator.parameters(), learningRate: learningRate, betas: betas)
  }

  /// Number of classes when conditional, else `nil`.
  public var classCount: Int? { generator.classCount }

  /// `generator`, `discriminator`.
  public var models: [String: Module] { ["generator": generator, "discriminator": discriminator] }
  /// One Adam per network, under the network's name.
  public var optimizers: [String: any Optimizer] {
    ["generator": generatorOptimizer, "discriminator": discriminatorOptimizer]
  }
  /// [-1, 1] (tanh).
  public var pixelRange: PixelRange { .minusOneToOne }

  /// One step as described above.
  /// - Throws: `RecipeError` for a batch of the wrong shape or with bad labels; `AutodiffError`
  ///   when a loss is not finite.
  public func trainStep(_ batch: Batch) throws -> [String: Float] {
    let (real, labels) = try GANInputs.realBatch(batch, classCount: classCount, recipe: Self.name)
    let n = real.shape[0]
    generator.train()
    discriminator.train()
    let z = generator.noise.normal(batchShape: [n, DCGANGenerator.latentSize])
    let fake = generator(z, labels: labels)

    let d = try discriminatorStep(real: noisy(real), fake: noisy(fake.detached()), labels: labels)

    discriminator.freeze()
    defer { discriminator.unfreeze() }
    generatorOptimizer.zeroGrad()
    var gLoss = discriminator(noisy(fake), labels: labels).binaryCrossEntropy(withLogitsTargets: Tensor(1))
    var diversity: Float?
    if labels != nil && modeSeekingWeight > 0 {
      // Mode seeking (Mao et al. 2019): a second draw for the same labels; G is penalised when two
      // latents give nearly the same image, which a conditional G otherwise drifts into.
      let z2 = generator.noise.normal(batchShape: [n, DCGANGenerator.latentSize])
      let fake2 = generator(z2, labels: labels)
      let ratio = (fake - fake2).abs().mean() / (z - z2).abs().mean()
      gLoss = gLoss + Tensor(modeSeekingWeight) / (ratio + 1e-5)
      diversity = ratio.item
    }
    try gLoss.backward()
    generatorOptimizer.step()
    var logged = ["d_loss": d.loss, "g_loss": gLoss.item, "d_acc_real": d.accReal, "d_acc_fake": d.accFake]
    if let diversity { logged["g_diversity"] = diversity }
    return logged
  }

  /// `images` plus instance noise when it is on (unchanged, with no draw, when it is off).
  func noisy(_ images: Tensor) -> Tensor {
    guard instanceNoise > 0 else { return images }
    return images + generator.noise.normal(batchShape: images.shape) * instanceNoise
  }

  /// One D update on `real` against `fake` (already detached): zero grads, the two D calls,
  /// backward, Adam step. Returns the loss and D's accuracies (before the update).
  func discriminatorStep(real: Tensor, fake: Tensor, labels: IndexTensor?) throws -> (loss: Float, accReal: Float, accFake: Float) {
    discriminatorOptimizer.zeroGrad()
    let realLogits = discriminator(real, labels: labels)
    let fakeLogits = discriminator(fake, labels: labels)
    let loss = realLogits.binaryCrossEntropy(withLogitsTargets: Tensor(1))
      + fakeLogits.binaryCrossEntropy(withLogitsTargets: Tensor(0))
    try loss.backward()
    discriminatorOptimizer.step()
    let accReal = Float(realLogits.scalars.filter { $0 > 0 }.count) / Float(realLogits.count)
    let accFake = Float(fakeLogits.scalars.filter { $0 < 0 }.count) / Float(fakeLogits.count)
    return (loss.item, accReal, accFake)
  }

  /// `count` images `[count, 1, 28, 28]` in [-1, 1] from G in evaluation mode (running batch-norm
  /// statistics, nothing recorded), latents drawn from `generator`. A conditional model samples
  /// `label`, or the classes in turn without one.
  /// - Throws: `RecipeError` for `count < 1`, a label out of range, or a label given to an
  ///   unconditional model.
  public func sample(count: Int, label: Int?, using generator: inout SeededGenerator) throws -> Tensor {
    let labels = try GANInputs.sampleLabels(count: count, label: label, classCount: classCount, recipe: Self.name)
    return GANInputs.sample(self.generator, count: count, labels: labels, using: &generator)
  }
}
