import Foundation
import GenAIData
import Testing

@testable import GenAIModels

/// The registry answers what used to be switches on a recipe's name, and every built-in recipe
/// answers for its abilities through `Recipe`, never by downcast.
@Suite("Recipe registry")
struct RecipeRegistryTests {
  /// A setup every built-in recipe can be made from: ten classes, a small vocabulary, tiny text models.
  static func setup(for kind: RecipeKind) -> RecipeSetup {
    var options = RecipeOptions()
    options.charRNN.hiddenSize = 16
    options.charRNN.embeddingSize = 8
    options.charGPT.width = 16
    options.charGPT.layers = 1
    options.charGPT.heads = 2
    options.audio.width = 4
    return RecipeSetup(
      data: kind.defaultData, classNames: (0..<10).map(String.init),
      vocabulary: Vocabulary(characters: Array("abc ".unicodeScalars)), options: options)
  }

  @Test func namesAreUniqueAndLookedUpLoosely() throws {
    let names = RecipeKind.all.map(\.name)
    #expect(Set(names).count == names.count)
    #expect(try RecipeKind.named("Char_GPT") == CharGPT.kind)
    #expect(throws: RecipeError.self) { try RecipeKind.named("stylegan") }
  }

  /// Each recipe's abilities, as the sample writer, evaluator, tuner and trainer ask for them.
  @Test func builtInRecipesAnswerForTheirAbilities() throws {
    // name: images, latent, adversarial, likelihood, restores, text, audio, feature network
    let expected: [String: [Bool]] = [
      "dcgan": [true, true, true, false, false, false, false, false],
      "dcgan-plus": [true, true, true, false, false, false, false, false],
      "wgan-gp": [true, true, true, false, false, false, false, false],
      "vae": [true, true, false, true, false, false, false, false],
      "vaegan": [true, true, true, false, true, false, false, false],
      "char-rnn": [false, false, false, false, false, true, false, false],
      "char-gpt": [false, false, false, false, false, true, false, false],
      "audio": [false, false, false, false, false, false, true, false],
      "classifier": [false, false, false, false, false, false, false, true],
    ]
    #expect(Set(expected.keys) == Set(RecipeKind.builtIn.map(\.name)))
    for kind in RecipeKind.builtIn {
      let recipe = try kind.make(Self.setup(for: kind))
      #expect(recipe.recipeKind == kind)
      let abilities = [
        recipe.imageGenerator != nil, recipe.latentImageGenerator != nil, recipe.adversarial != nil,
        recipe.imageLikelihoodModel != nil, recipe.imageRestorer != nil, recipe.textGenerator != nil,
        recipe.audioGenerator != nil, recipe.featureClassifier != nil,
      ]
      #expect(abilities == expected[kind.name], "\(kind.name)")
    }
  }

  /// The classifier is the one recipe with two kinds of data; each has its own defaults and model.
  @Test func classifierFollowsItsData() throws {
    let kind = ClassifierRecipe.kind
    #expect(kind.defaults(for: .images)?.steps == ImageClassifier.defaultSteps)
    #expect(kind.defaults(for: .audio)?.batchSize == AudioClassifier.defaultBatchSize)
    #expect(kind.defaults(for: .text) == nil)
    var setup = Self.setup(for: kind)
    setup.data = .named(DatasetCatalog.spokenDigits)
    #expect(try kind.make(setup) is AudioClassifier)
    setup.classNames = ["one"]
    #expect(throws: RecipeError.self) { try kind.make(setup) }
  }

  @Test func textRecipesNeedAVocabularyAndReportTheirWindow() throws {
    var setup = Self.setup(for: CharGPT.kind)
    #expect(CharGPT.kind.contextLength(setup.options) == setup.options.charGPT.blockSize)
    #expect(CharRNN.kind.contextLength(setup.options) == setup.options.charRNN.sequenceLength)
    #expect(DCGAN.kind.contextLength(setup.options) == 0)
    setup.vocabulary = nil
    #expect(throws: RecipeError.self) { try CharGPT.kind.make(setup) }
  }

  @Test func kindsTravelInJSONAsTheirNames() throws {
    struct Holder: Codable { var recipe: RecipeKind }
    let data = try JSONEncoder().encode(Holder(recipe: VAEGAN.kind))
    #expect(String(decoding: data, as: UTF8.self) == #"{"recipe":"vaegan"}"#)
    #expect(try JSONDecoder().decode(Holder.self, from: data).recipe == VAEGAN.kind)
    do {
      _ = try JSONDecoder().decode(Holder.self, from: Data(#"{"recipe":"stylegan"}"#.utf8))
      Issue.record("expected an error")
    } catch let DecodingError.dataCorrupted(context) {
      #expect(context.debugDescription.contains("stylegan") && context.debugDescription.contains("dcgan"))
    }
  }
}
