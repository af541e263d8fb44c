import GenAINN

/// A GAN recipe whose training the health monitor can steer: it may lower the discriminator's
/// (critic's) learning rate and, where supported, add instance noise to what D sees.
public protocol AdversarialRecipe: ImageGenerating {
  /// The discriminator's (critic's) optimiser.
  var discriminatorOptimizer: Adam { get }
  /// Standard deviation of the Gaussian noise added to every image D sees, real and fake
  /// (Sønderby et al. 2016; 0 = off). Recipes without support ignore it.
  var instanceNoise: Float { get set }
  /// Whether `instanceNoise` has an effect.
  var supportsInstanceNoise: Bool { get }
  /// The logged losses the health monitor watches for explosion: the adversarial ones, on a
  /// scale where 20 is extreme (a BCE of 20 means a logit of ±20). Other logged values have
  /// scales of their own: a VAE-GAN's KL, in nats summed over the latent, sits near 50 in health.
  var adversarialLosses: Set<String> { get }
}

extension DCGAN: AdversarialRecipe {
  /// `true`.
  public var supportsInstanceNoise: Bool { true }
  /// D's and G's losses.
  public var adversarialLosses: Set<String> { ["d_loss", "g_loss"] }
}

extension WGANGP: AdversarialRecipe {
  /// The critic's Adam.
  public var discriminatorOptimizer: Adam { criticOptimizer }
  /// Always 0: the gradient penalty already smooths the critic.
  public var instanceNoise: Float {
    get { 0 }
    set {}
  }
  /// `false`.
  public var supportsInstanceNoise: Bool { false }
  /// Everything it logs: the critic's and G's losses, the penalty and the Wasserstein estimate.
  public var adversarialLosses: Set<String> { ["critic_loss", "g_loss", "gp", "wasserstein"] }
}

extension VAEGAN: AdversarialRecipe {
  /// Always 0: not supported by this recipe.
  public var instanceNoise: Float {
    get { 0 }
    set {}
  }
  /// `false`.
  public var supportsInstanceNoise: Bool { false }
  /// D's loss, the combined `E`,`G` loss and its adversarial part (not `kl` or `rec`).
  public var adversarialLosses: Set<String> { ["d_loss", "g_loss", "adv"] }
}
