import GenAIData
import GenAIModels
import GenAITensor
import Testing

/// Drawing latent codes from an optional prior and decoding them happens in one place
/// (`LatentImageGenerating.latents`, `.sample(count:label:prior:using:)`,
/// `ImageGenerating.sampleImages`); these check that the paths agree draw for draw.
@Suite("Latent-prior sampling")
struct LatentSamplingTests {
  @Test func noPriorAndTheStandardPriorDrawTheModelsOwnSamples() throws {
    let model = DCGAN(seed: 1)
    var g1 = SeededGenerator(seed: 9)
    let own = try model.sample(count: 3, label: nil, using: &g1)
    var g2 = SeededGenerator(seed: 9)
    let none = try model.sampleImages(count: 3, label: nil, prior: nil, using: &g2)
    var g3 = SeededGenerator(seed: 9)
    let standard = try model.sampleImages(count: 3, label: nil, prior: .standard(model.latentSize), using: &g3)
    var g4 = SeededGenerator(seed: 9)
    let (codes, images) = try model.sample(count: 3, label: nil, prior: nil, using: &g4)
    var g5 = SeededGenerator(seed: 9)
    let redrawn = try model.latents(count: 3, prior: nil, using: &g5)
    #expect(own.scalars == none.scalars)
    #expect(own.scalars == standard.scalars)
    #expect(own.scalars == images.scalars)
    #expect(codes.shape == [3, model.latentSize] && codes.scalars == redrawn.scalars)
  }

  @Test func aTunedPriorShiftsTheCodes() throws {
    let model = try VAE(network: VAEArchitecture.mlp.network(seed: 0))
    let prior = LatentPrior(mean: Array(repeating: 3, count: model.latentSize), std: Array(repeating: 0.5, count: model.latentSize))
    var g1 = SeededGenerator(seed: 4)
    let standard = try model.latents(count: 2, prior: nil, using: &g1)
    var g2 = SeededGenerator(seed: 4)
    let tuned = try model.latents(count: 2, prior: prior, using: &g2)
    for (s, t) in zip(standard.scalars, tuned.scalars) { #expect(abs(t - (3 + 0.5 * s)) < 1e-5) }
    var g3 = SeededGenerator(seed: 4)
    #expect(try model.sampleImages(count: 2, label: nil, prior: prior, using: &g3).shape == [2, 1, 28, 28])
  }

  @Test func aPriorOfTheWrongSizeIsRefused() {
    let model = DCGAN(seed: 1)
    var g = SeededGenerator(seed: 0)
    #expect(throws: RecipeError.self) { try model.sampleImages(count: 2, label: nil, prior: .standard(3), using: &g) }
  }

  /// Each architecture name builds its network (the sizes `config.json` runs were trained with).
  @Test func vaeArchitecturesBuildTheirNetworks() {
    #expect(VAEArchitecture.names == ["conv", "mlp"] && VAEArchitecture.nameList == "conv or mlp")
    #expect(VAEArchitecture.conv.network(seed: 0) is ConvVAE && VAEArchitecture.conv.network(seed: 0).latentSize == 16)
    #expect(VAEArchitecture.mlp.network(seed: 0) is MLPVAE && VAEArchitecture.mlp.network(seed: 0).latentSize == 20)
  }
}
