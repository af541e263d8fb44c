import Synchronization

extension RecipeKind {
  /// The recipes built into genai, in the order `--help` lists them. Adding a recipe is its
  /// folder in GenAIModels plus one line here.
  static let builtIn: [RecipeKind] = [
    DCGAN.kind, DCGAN.plusKind, WGANGP.kind, VAE.kind, VAEGAN.kind, CharRNN.kind, CharGPT.kind, AudioDigits.kind, ClassifierRecipe.kind,
  ]

  /// Kinds added at run time by a program that embeds genai (see `register`).
  private static let registered = Mutex<[RecipeKind]>([])

  /// Every recipe `genai` knows: the built-in ones, then the registered ones.
  public static var all: [RecipeKind] { builtIn + registered.withLock { $0 } }

  /// Adds `kind` to `all`, so the command line, `config.json` and evaluation know it; a kind
  /// registered again under the same name replaces the earlier one.
  /// - Throws: `RecipeError` when `kind` has a built-in recipe's name.
  public static func register(_ kind: RecipeKind) throws {
    guard !builtIn.contains(kind) else { throw RecipeError(recipe: kind.name, "a built-in recipe has this name") }
    registered.withLock { kinds in
      kinds.removeAll { $0 == kind }
      kinds.append(kind)
    }
  }

  /// The recipe called `name` (any case; `_` for `-`).
  /// - Throws: `RecipeError` listing the valid names.
  public static func named(_ name: String) throws -> RecipeKind {
    let key = name.lowercased().replacingOccurrences(of: "_", with: "-")
    guard let kind = all.first(where: { $0.name == key }) else {
      throw RecipeError(recipe: "genai", "unknown recipe \"\(name)\"; expected one of: \(allNames)")
    }
    return kind
  }

  /// `dcgan, wgan-gp, ...`.
  public static var allNames: String { all.map(\.name).joined(separator: ", ") }

  /// The longest name's length, to line up a table of recipes.
  public static var nameWidth: Int { all.map(\.name.count).max() ?? 0 }
}
