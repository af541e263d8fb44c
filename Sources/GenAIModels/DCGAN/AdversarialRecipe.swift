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
}

extension DCGAN: AdversarialRecipe {
  /// `true`.
  public var supportsInstanceNoise: Bool { true }
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
}

extension VAEGAN: AdversarialRecipe {
  /// Always 0: not supported by this recipe.
  public var instanceNoise: Float {
    get { 0 }
    set {}
  }
  /// `false`.
  public var supportsInstanceNoise: Bool { false }
}
