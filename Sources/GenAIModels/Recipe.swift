import GenAIData
import GenAINN
import GenAITensor

/// A trainable generative model with everything its training loop needs: the networks, their
/// optimisers, one training step, and the losses it reports. The CLI's `train`, `sample` and
/// checkpointing work through this protocol, so each recipe is a library type with tests and the
/// command line stays a thin shell.
public protocol Recipe: AnyObject {
  /// What the recipe is before one exists: its name, data, defaults, main metric and builder.
  static var kind: RecipeKind { get }
  /// The kind this recipe was built as: `Self.kind`, except for a type that serves several kinds
  /// (`DCGAN` is both `dcgan` and `dcgan-plus`).
  var recipeKind: RecipeKind { get }
  /// Every network by name (checkpoint keys `model.<name>.*`).
  var models: [String: Module] { get }
  /// Every optimiser by name (checkpoint keys `optim.<name>.*`).
  var optimizers: [String: any Optimizer] { get }
  /// One training step on `batch`; returns the losses it logs by name (e.g. `"d_loss"`, `"g_loss"`).
  /// - Throws: `AutodiffError` when a loss is not finite.
  func trainStep(_ batch: Batch) throws -> [String: Float]

  // What the recipe can do besides training: `nil`, or the recipe itself when it conforms to
  // the protocol (the defaults are in RecipeAbilities.swift), so no caller downcasts.
  /// The recipe as an image generator.
  var imageGenerator: (any ImageGenerating)? { get }
  /// The recipe as a generator of images from latent codes (GANs, VAEs).
  var latentImageGenerator: (any LatentImageGenerating)? { get }
  /// The recipe as a GAN with a discriminator the health monitor can act on.
  var adversarial: (any AdversarialRecipe)? { get }
  /// The recipe as an image model with a likelihood bound (the VAE).
  var imageLikelihoodModel: (any ImageLikelihoodModel)? { get }
  /// The recipe as a restorer of damaged images (the VAE-GAN).
  var imageRestorer: (any ImageRestoring)? { get }
  /// The recipe as a text generator.
  var textGenerator: (any TextGenerating)? { get }
  /// The recipe as an audio generator.
  var audioGenerator: (any AudioGenerating)? { get }
  /// The recipe as the evaluation's feature network.
  var featureClassifier: (any FeatureClassifier)? { get }
}

extension Recipe {
  /// The recipe's name on the command line, e.g. `"dcgan"`.
  public static var name: String { kind.name }
  /// `Self.kind`.
  public var recipeKind: RecipeKind { Self.kind }
}

/// A recipe that generates images `[N, C, H, W]` in its data range.
public protocol ImageGenerating: Recipe {
  /// The range generated pixels are in (`.minusOneToOne` for tanh generators).
  var pixelRange: PixelRange { get }
  /// `count` new images, drawn with `generator`; `label` asks a class-conditional model for a class.
  /// - Throws: `RecipeError` when `label` is out of range or the model is not conditional.
  func sample(count: Int, label: Int?, using generator: inout SeededGenerator) throws -> Tensor
}

/// A misuse of a recipe: a label out of range, a negative count, data of the wrong shape.
public struct RecipeError: Error, CustomStringConvertible, Equatable, Sendable {
  /// The recipe's name.
  public let recipe: String
  /// What is wrong and what was expected.
  public let message: String

  /// An error in `recipe`.
  public init(recipe: String, _ message: String) {
    self.recipe = recipe
    self.message = message
  }

  /// `"[recipe] message"`.
  public var description: String { "[\(recipe)] \(message)" }
}
