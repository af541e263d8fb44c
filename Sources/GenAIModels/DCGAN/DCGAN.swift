import GenAIData
import GenAINN
import GenAITensor

/// The `dcgan` recipe: `DCGANGenerator` against `DCGANDiscriminator` with the non-saturating
/// BCE-with-logits losses and Adam(2e-4, β₁ 0.5, β₂ 0.999, ε 1e-7) for each network, both
/// networks starting as Keras starts them (`DCGANInitialization.keras`): the article's model is
/// Keras, and these two choices are what made ours learn as fast as the Keras one (the paper's
/// N(0, 0.02) and PyTorch's ε 1e-8 left it 24% behind in FID after one epoch).
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
/// `improvements` (`GANImprovement`) change this step where the literature says small GANs gain:
/// D's and G's losses become hinge losses, D's layers spectrally normalised, every image D sees
/// is augmented differentiably (`DiffAugment`, fresh draws for each of the three D calls), the two
/// learning rates split (D 2x, G 0.5x), G upsamples by nearest + convolution, and samples come
/// from `averagedGenerator`, an exponential moving average of G. `dcgan` uses none of them,
/// `dcgan-plus` `GANImprovement.recommended`.
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
      learningRate: setup.learningRate ?? defaultLearningRate, improvements: setup.options.ganImprovements ?? [])
  }
  /// `dcgan-plus`: the DCGAN with the measured improvements (`GANImprovement.recommended`) and
  /// twice the learning rate (`plusLearningRate`).
  public static let plusKind = RecipeKind(
    name: "dcgan-plus",
    summary: "the recommended image GAN: DCGAN with \(GANImprovement.describe(GANImprovement.recommended)), learning rate 4e-4",
    data: [.images(steps: 3000, batchSize: 64)], mainMetric: MainMetric("fid", better: .lower), conditionable: true,
    benchmarked: false, minimumBatchSize: 2
  ) { setup in try makePlus(setup) }

  /// The `dcgan-plus` recipe for `setup`.
  static func makePlus(_ setup: RecipeSetup) throws -> DCGAN {
    DCGAN(
      classCount: try setup.conditioningClasses(for: plusKind.name), seed: setup.seed,
      learningRate: setup.learningRate ?? plusLearningRate,
      improvements: setup.options.ganImprovements ?? GANImprovement.recommended, kind: plusKind)
  }
  /// Adam's step size by default (Radford et al.).
  public static let defaultLearningRate: Float = 2e-4
  /// `dcgan-plus`'s step size for both networks: twice the article's. The averaged generator
  /// smooths out the larger steps' noise; over 5 epochs on Fashion-MNIST it took FID from 10.05
  /// to 7.73 at equal steps (seed 0; docs/gan-quality.md).
  public static let plusLearningRate: Float = 4e-4
  /// Adam's `ε`: Keras's default, not PyTorch's 1e-8. With Keras's Glorot-uniform initial weights
  /// (`DCGANInitialization.keras`) it closed most of the gap to the Keras DCGAN after one epoch
  /// (FID 34.6 → 30.8 over two seeds, Keras 27.9; see docs/gan-quality.md).
  public static let adamEpsilon: Float = 1e-7
  /// The decay of `averagedGenerator`'s average once warmed up.
  public static let averageDecay: Float = 0.999

  /// G.
  public let generator: DCGANGenerator
  /// D.
  public let discriminator: DCGANDiscriminator
  /// The exponential moving average of G's weights and batch-norm statistics that samples come
  /// from, with `GANImprovement.ema`; `nil` otherwise. Saved by checkpoints as `generator_ema`.
  public let averagedGenerator: DCGANGenerator?
  /// Keeps `averagedGenerator` up to date after each G step.
  let average: ExponentialMovingAverage?
  /// What this DCGAN changes from the article's (empty for `dcgan`).
  public let improvements: Set<GANImprovement>
  /// `dcgan` or `dcgan-plus`, as built.
  public let recipeKind: RecipeKind
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
  /// and the latent noise stream come from `seed`; `improvements` are applied as described above
  /// (TTUR scales `learningRate`: D 2x, G 0.5x), and `kind` says which recipe this is.
  public init(
    classCount: Int? = nil, seed: UInt64, learningRate: Float = DCGAN.defaultLearningRate, betas: (Float, Float) = (0.5, 0.999),
    improvements: Set<GANImprovement> = [], kind: RecipeKind = DCGAN.kind
  ) {
    precondition(classCount.map { $0 > 0 } ?? true, "[dcgan] classCount must be positive")
    var rng = SeededGenerator(seed: seed)
    let upsample = improvements.contains(.upsample)
    var copyRNG = rng  // the averaged copy starts with G's very weights
    let initialization = DCGANInitialization.keras
    generator = DCGANGenerator(classCount: classCount, upsample: upsample, initialization: initialization, using: &rng)
    discriminator = DCGANDiscriminator(
      classCount: classCount, spectralNorm: improvements.contains(.spectralNorm), initialization: initialization, using: &rng)
    let split: (g: Float, d: Float) = improvements.contains(.ttur) ? (0.5, 2) : (1, 1)
    generatorOptimizer = Adam(
      parameters: generator.parameters(), learningRate: learningRate * split.g, betas: betas, eps: Self.adamEpsilon)
    discriminatorOptimizer = Adam(
      parameters: discriminator.parameters(), learningRate: learningRate * split.d, betas: betas, eps: Self.adamEpsilon)
    self.improvements = improvements
    recipeKind = kind
    if improvements.contains(.ema) {
      let copy = DCGANGenerator(classCount: classCount, upsample: upsample, initialization: initialization, using: &copyRNG)
      averagedGenerator = copy
      average = ExponentialMovingAverage(averaging: generator, into: copy, decay: Self.averageDecay)
    } else {
      averagedGenerator = nil
      average = nil
    }
  }

  /// The generator samples come from: the averaged one with `GANImprovement.ema`, else G.
  public var samplingGenerator: DCGANGenerator { averagedGenerator ?? generator }

  /// Number of classes when conditional, else `nil`.
  public var classCount: Int? { generator.classCount }

  /// `generator`, `discriminator`, and `generator_ema` with `GANImprovement.ema`.
  public var models: [String: Module] {
    var models: [String: Module] = ["generator": generator, "discriminator": discriminator]
    if let averagedGenerator { models["generator_ema"] = averagedGenerator }
    return models
  }
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

    let d = try discriminatorStep(real: seen(real), fake: seen(fake.detached()), labels: labels)

    discriminator.freeze()
    defer { discriminator.unfreeze() }
    generatorOptimizer.zeroGrad()
    let fakeLogits = discriminator(seen(fake), labels: labels)
    var gLoss =
      improvements.contains(.hinge) ? -fakeLogits.mean() : fakeLogits.binaryCrossEntropy(withLogitsTargets: Tensor(1))
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
    if let average {
      // Warm-up as TensorFlow's `num_updates`, counted by G's optimiser so a resumed run continues it.
      average.update(decay: ExponentialMovingAverage.warmedUp(Self.averageDecay, updates: generatorOptimizer.stepCount))
    }
    var logged = ["d_loss": d.loss, "g_loss": gLoss.item, "d_acc_real": d.accReal, "d_acc_fake": d.accFake]
    if let diversity { logged["g_diversity"] = diversity }
    return logged
  }

  /// `images` as D sees them: differentiably augmented with `GANImprovement.diffAugment`, plus
  /// instance noise when it is on (unchanged, with no draw, when both are off).
  func seen(_ images: Tensor) -> Tensor {
    var x = images
    if improvements.contains(.diffAugment) { x = DiffAugment.apply(x, noise: generator.noise) }
    guard instanceNoise > 0 else { return x }
    return x + generator.noise.normal(batchShape: x.shape) * instanceNoise
  }

  /// One D update on `real` against `fake` (already detached): zero grads, one D call on the
  /// two batches stacked (the logits of two calls, in half the weight packing), backward, Adam
  /// step. Returns the loss and D's accuracies (before the update).
  func discriminatorStep(real: Tensor, fake: Tensor, labels: IndexTensor?) throws -> (loss: Float, accReal: Float, accFake: Float) {
    discriminatorOptimizer.zeroGrad()
    let n = real.shape[0]
    let both = discriminator(
      Tensor.concatenate([real, fake], axis: 0), labels: labels.map { IndexTensor($0.values + $0.values) },
      stackedBatches: 2)
    let realLogits = both.slice(axis: 0, 0..<n), fakeLogits = both.slice(axis: 0, n..<2 * n)
    let loss =
      improvements.contains(.hinge)
      ? (1 - realLogits).relu().mean() + (1 + fakeLogits).relu().mean()
      : realLogits.binaryCrossEntropy(withLogitsTargets: Tensor(1)) + fakeLogits.binaryCrossEntropy(withLogitsTargets: Tensor(0))
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
    return GANInputs.sample(samplingGenerator, count: count, labels: labels, using: &generator)
  }
}
