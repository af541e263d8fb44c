import GenAIData
import GenAIModels

/// The recipes `genai train` knows, with what data each needs and the defaults that give good
/// results on its matching dataset.
public enum RecipeKind: String, CaseIterable, Codable, Sendable {
  /// The article's DCGAN, corrected (28x28 grey).
  case dcgan
  /// The DCGAN generator against a batch-norm-free critic with gradient penalty.
  case wganGP = "wgan-gp"
  /// A variational auto-encoder (conv or MLP).
  case vae
  /// Encoder, generator and discriminator with the article's adversarial and L1 losses.
  case vaegan
  /// A multi-layer LSTM/GRU over characters.
  case charRNN = "char-rnn"
  /// A small causal transformer over characters.
  case charGPT = "char-gpt"
  /// Spoken digits, conditioned on the digit, as 8 kHz WAV.
  case audio
  /// A classifier of the data's classes (images or spoken digits): the feature network of the
  /// evaluation metrics (FID, KID, IS, precision/recall, coverage, audio accuracy).
  case classifier

  /// The recipe named `name`.
  /// - Throws: `TrainingError` listing the valid names.
  public static func named(_ name: String) throws -> RecipeKind {
    guard let kind = RecipeKind(rawValue: name.lowercased().replacingOccurrences(of: "_", with: "-")) else {
      throw TrainingError("unknown recipe \"\(name)\"; expected one of: \(allNames)")
    }
    return kind
  }

  /// `dcgan, wgan-gp, ...`.
  public static var allNames: String { allCases.map(\.rawValue).joined(separator: ", ") }

  /// The longest name's length, to line up a table of recipes.
  public static var nameWidth: Int { allCases.map(\.rawValue.count).max() ?? 0 }

  /// The kind of data the recipe trains on (the classifier: images by default, or spoken digits).
  public var dataKind: DatasetKind {
    switch self {
    case .dcgan, .wganGP, .vae, .vaegan, .classifier: return .images
    case .charRNN, .charGPT: return .text
    case .audio: return .audio
    }
  }

  /// The dataset used when `--data` is not given.
  public var defaultData: DataSpec {
    switch dataKind {
    case .images: return .named(DatasetCatalog.fashionMNIST)
    case .text: return .named(DatasetCatalog.shakespeare)
    case .audio: return .named(DatasetCatalog.spokenDigits)
    }
  }

  /// Training steps by default: enough for recognisable results on the default data.
  public var defaultSteps: Int {
    switch self {
    case .dcgan: return 3000
    case .wganGP: return 2000
    case .vae: return 3000
    case .vaegan: return 3000
    case .charRNN: return 2000
    case .charGPT: return 2000
    case .audio: return AudioDigits.Config().steps
    case .classifier: return 2000
    }
  }

  /// Batch size by default (as the matching ../shared/bench workload).
  public var defaultBatchSize: Int {
    switch self {
    case .dcgan, .wganGP, .vaegan: return 64
    case .audio: return AudioDigits.Config().batchSize
    case .vae, .classifier: return 128
    case .charRNN: return 32
    case .charGPT: return 12
    }
  }

  /// One line for `--help`.
  public var summary: String {
    switch self {
    case .dcgan: return "DCGAN, 28x28 grey, optional class conditioning"
    case .wganGP: return "DCGAN generator, critic with gradient penalty 10, 5 critic steps"
    case .vae: return "variational auto-encoder, conv or MLP (784-400-20)"
    case .vaegan: return "encoder, generator, discriminator; L_adv + L1 + KL"
    case .charRNN: return "character LSTM/GRU, 2x512, sequences of 100 (Shakespeare)"
    case .charGPT: return "character transformer, nanoGPT CPU config (4x4 heads, 128)"
    case .audio: return "spoken digits 0-9 at 8 kHz, conditioned on the digit"
    case .classifier: return "feature network for eval: CNN on 28x28 images or log-mel spoken digits"
    }
  }
}

/// A problem with a training run's request: an unknown recipe, missing data, a run of another
/// recipe, a bad option. The message names the file or option and what was expected.
public struct TrainingError: Error, CustomStringConvertible, Equatable, Sendable {
  /// What is wrong.
  public let message: String
  /// An error with `message`.
  public init(_ message: String) { self.message = message }
  /// The message.
  public var description: String { message }
}
