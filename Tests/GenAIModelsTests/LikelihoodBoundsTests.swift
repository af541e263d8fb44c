import Foundation
import GenAIData
import GenAINN
import GenAITensor
import Testing
@testable import GenAIModels

@Suite struct LikelihoodBoundsTests {
  /// The importance-weighted bound is never below the ELBO of the same draws, equals it with one
  /// draw, and the Bernoulli log-probability is minus the training loss's reconstruction term.
  @Test func importanceWeightedBoundIsAboveTheELBO() throws {
    let vae = try VAE(network: MLPVAE(latentSize: 4, hiddenSize: 16, seed: 2))
    var g = SeededGenerator(seed: 9)
    let x = Tensor.uniform([12, 1, 28, 28], using: &g)
    for _ in 0..<5 { _ = try vae.trainStep(Batch(inputs: x)) }
    var a = SeededGenerator(seed: 1)
    let bounds = try vae.logLikelihood(x, samples: 16, chunk: 5, using: &a)
    #expect(bounds.elbo.count == 12)
    for (e, w) in zip(bounds.elbo, bounds.importanceWeighted) { #expect(w >= e - 1e-9) }
    var b = SeededGenerator(seed: 1)
    let single = try vae.logLikelihood(x, samples: 1, using: &b)
    for (e, w) in zip(single.elbo, single.importanceWeighted) { #expect(abs(w - e) < 1e-9) }
    // More draws tighten the bound on average.
    #expect(bounds.meanImportanceWeighted > single.meanImportanceWeighted - 1)
    #expect(bounds.bitsPerDimension(784 * log(2)) == 1)
    // log p(x|z) summed over pixels is minus the training reconstruction term (summed over the batch).
    let logits = Tensor.randn([3, 1, 28, 28], using: &g)
    let targets = Tensor.uniform([3, 1, 28, 28], using: &g)
    let logP = VAELikelihood.bernoulli.logProbability(logits, targets).reduce(0, +)
    let loss = Double(VAELikelihood.bernoulli.reconstructionLoss(logits, targets).item) * 3
    #expect(abs(logP + loss) < 1e-2 * abs(loss))
  }

  /// The standard-normal and diagonal log densities match the closed forms at a point.
  @Test func logDensities() {
    let z = try! Tensor(shape: [1, 2], [0.5, -1])
    let expected = -0.5 * (0.25 + 1) - log(2 * Double.pi)
    #expect(abs(VAE.standardNormalLogDensity(z)[0] - expected) < 1e-6)
    let lv = try! Tensor(shape: [1, 2], [Float(log(4.0)), 0])
    // eps = (z − μ)/σ; log N = −½Σ(ε² + log σ² + log 2π).
    let value = VAE.diagonalNormalLogDensity(eps: z, logVariance: lv)[0]
    #expect(abs(value - (-0.5 * (0.25 + 1 + log(4.0)) - log(2 * Double.pi))) < 1e-6)
  }

  /// Scoring text: the loss of a window equals the cross-entropy computed by hand.
  @Test func characterLossMatchesTheCrossEntropy() throws {
    let vocabulary = Vocabulary.characters(in: "abcdefgh ")
    var config = CharGPT.Config()
    config.width = 16
    config.layers = 1
    config.heads = 2
    config.blockSize = 8
    let gpt = try CharGPT(vocabulary: vocabulary, config: config, seed: 4)
    let ids = try vocabulary.encode("abc defgh abcdefg habc")
    let loss = try gpt.characterLoss(ids: ids, maxWindows: 1)
    #expect(loss.characters == 8)
    let manual = withNoGrad {
      gpt.logits(IndexTensor(Array(ids[0..<8])).reshaped([1, 8])).softmaxCrossEntropy(targets: IndexTensor(Array(ids[1..<9])).reshaped([1, 8]))
    }
    #expect(abs(loss.nats - Double(manual.item)) < 1e-5)
    #expect(throws: RecipeError.self) { try gpt.characterLoss(ids: [1, 2]) }
  }
}
