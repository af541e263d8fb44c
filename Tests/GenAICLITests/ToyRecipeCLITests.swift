import Foundation
import GenAI
import GenAITestSupport
import Testing
@testable import GenAICLI

/// A recipe defined outside the library: a linear decoder from 4 latent numbers to a 28x28
/// image, trained so its images match the batch's pixel by pixel. Small enough to train in a
/// test, complete enough for every command that works through `Recipe` and `RecipeKind`.
final class ToyRecipe: ImageGenerating {
  static let kind = RecipeKind(
    name: "toy", summary: "a linear decoder to 28x28 images (test recipe)", data: [.images(steps: 4, batchSize: 4)],
    mainMetric: MainMetric("fid", better: .lower), benchmarked: false
  ) { setup in ToyRecipe(seed: setup.seed, learningRate: setup.learningRate ?? 1e-2) }

  let decoder: Linear
  let optimizer: Adam
  private var noise: SeededGenerator

  init(seed: UInt64, learningRate: Float) {
    var g = SeededGenerator(seed: seed)
    decoder = Linear(inputSize: 4, outputSize: 28 * 28, using: &g)
    optimizer = Adam(parameters: decoder.parameters(), learningRate: learningRate)
    noise = SeededGenerator(seed: seed &+ 1)
  }

  var models: [String: Module] { ["decoder": decoder] }
  var optimizers: [String: any Optimizer] { ["adam": optimizer] }
  var pixelRange: PixelRange { .minusOneToOne }

  func trainStep(_ batch: Batch) throws -> [String: Float] {
    let n = batch.inputs.shape[0]
    optimizer.zeroGrad()
    let images = decoder(Tensor.randn([n, 4], using: &noise)).tanh().reshaped([n, 1, 28, 28])
    let difference = images - batch.inputs
    let loss = (difference * difference).mean()
    try loss.backward()
    optimizer.step()
    return ["loss": loss.item]
  }

  func sample(count: Int, label: Int?, using generator: inout SeededGenerator) throws -> Tensor {
    if label != nil { throw RecipeError(recipe: Self.name, "not class-conditional") }
    let z = Tensor.randn([count, 4], using: &generator)
    return withNoGrad { decoder(z).tanh().reshaped([count, 1, 28, 28]) }
  }
}

@Suite("A recipe registered in one line", .serialized)
struct ToyRecipeCLITests {
  /// Registering the kind is the only change: `genai train`, `--resume`, `genai sample`,
  /// `genai eval` and `--help` then know the recipe.
  @Test func registeredRecipeTrainsResumesAndSamplesThroughTheCLI() throws {
    try RecipeKind.register(ToyRecipe.kind)

    let folder = try TemporaryFolder.make("cli-toy")
    defer { try? FileManager.default.removeItem(at: folder) }
    let run = folder.appending(path: "run").path
    var train = try GenAICommand.parseAsRoot(
      ["train", "toy", "--data", "shapes", "--steps", "3", "--out", run, "--plain", "--log-every", "1", "--eval-every", "0"])
    try train.run()
    var resume = try GenAICommand.parseAsRoot(["train", "--resume", run, "--steps", "5", "--plain"])
    try resume.run()

    let config = try RunDirectory(url: URL(fileURLWithPath: run)).readConfig()
    #expect(config.recipe == ToyRecipe.kind && config.steps == 5 && config.batchSize == 4)
    let lines = try MetricsLog.read(RunDirectory(url: URL(fileURLWithPath: run)).metricsURL)
    #expect(lines.compactMap(\.training).filter { $0.losses["loss"] != nil }.count == 5)

    let grid = folder.appending(path: "grid.png")
    var sample = try GenAICommand.parseAsRoot(["sample", run, "--count", "6", "--out", grid.path, "--seed", "2"])
    try sample.run()
    let png = try PNGDecoder.read(grid)
    #expect(png.text.contains { $0.key == "genai.recipe" && $0.value == "toy" })
    #expect(png.text.contains { $0.key == "genai.step" && $0.value == "5" })

    let help = GenAICommand.helpMessage(for: TrainCommand.self)
    #expect(help.contains("toy") && help.contains("a linear decoder to 28x28 images"))
    let impostor = RecipeKind(name: "dcgan", summary: "", data: ToyRecipe.kind.data, mainMetric: ToyRecipe.kind.mainMetric) { _ in
      ToyRecipe(seed: 0, learningRate: 1)
    }
    #expect(throws: RecipeError.self) { try RecipeKind.register(impostor) }
  }
}
