import GenAIModels
import Testing

@Suite struct RecipeErrorTests {
  @Test func descriptionNamesTheRecipe() {
    #expect(RecipeError(recipe: "dcgan", "label 12 is out of range 0..<10").description == "[dcgan] label 12 is out of range 0..<10")
  }
}
