import Foundation
import GenAIData
import GenAINN
import GenAITensor
import GenAITestSupport
import Testing

@testable import GenAIModels

/// The improvements `dcgan-plus` draws from (`GANImprovement`): each trains, resumes exactly, and
/// does what its name says.
@Suite struct GANImprovementTests {
  static let sets: [Set<GANImprovement>] = GANImprovement.allCases.map { [$0] } + [Set(GANImprovement.allCases)]

  /// Three steps, a checkpoint, two more in a differently seeded recipe: bit-identical to five
  /// straight steps, for each improvement alone and all together (the averaged generator, the
  /// spectral-norm vectors and the augmentation draws are all restored).
  @Test(arguments: sets)
  func trainsAndResumesBitIdentically(_ improvements: Set<GANImprovement>) throws {
    let batches = (0..<5).map { GANTestData.random(4, seed: 40 + UInt64($0)) }
    let straight = DCGAN(seed: 21, improvements: improvements)
    let expected = try batches.map { try straight.trainStep($0) }
    #expect(expected.allSatisfy { $0.values.allSatisfy(\.isFinite) })
    let first = DCGAN(seed: 21, improvements: improvements)
    var got = try batches[0..<3].map { try first.trainStep($0) }
    let url = FileManager.default.temporaryDirectory.appendingPathComponent("gan-plus-\(UInt32.random(in: 0...UInt32.max)).safetensors")
    defer { try? FileManager.default.removeItem(at: url) }
    try TrainingCheckpoint.save(to: url, models: first.models, optimizers: first.optimizers, step: 3)
    let resumed = DCGAN(seed: 999, improvements: improvements)
    _ = try TrainingCheckpoint.load(from: url, into: resumed.models, optimizers: resumed.optimizers)
    got += try batches[3..<5].map { try resumed.trainStep($0) }
    #expect(got == expected)
    var g1 = SeededGenerator(seed: 5)
    var g2 = SeededGenerator(seed: 5)
    #expect(try straight.sample(count: 3, label: nil, using: &g1).scalars == resumed.sample(count: 3, label: nil, using: &g2).scalars)
  }

  /// The averaged generator starts as G's copy, then after G's step n moves to
  /// `d·old + (1 − d)·new` with `d = min(0.999, (1 + n) / (10 + n))`; samples come from it.
  @Test func averagedGeneratorFollowsGeneratorWithWarmup() throws {
    let recipe = DCGAN(seed: 22, improvements: [.ema])
    let averaged = try #require(recipe.averagedGenerator)
    #expect(recipe.models.keys.sorted() == ["discriminator", "generator", "generator_ema"])
    for (a, b) in zip(recipe.generator.namedTensors(), averaged.namedTensors()) {
      #expect(a.0 == b.0 && a.1.scalars == b.1.scalars)
    }
    let before = recipe.generator.fc.weight.scalars
    _ = try recipe.trainStep(GANTestData.random(4, seed: 23))
    let after = recipe.generator.fc.weight.scalars
    #expect(before != after)
    let d: Float = 2.0 / 11.0
    let want = zip(before, after).map { d * $0 + (1 - d) * $1 }
    #expect(zip(averaged.fc.weight.scalars, want).allSatisfy { abs($0 - $1) < 1e-6 })
    #expect(averaged.parameters().isEmpty, "the average is never trained")
    var g1 = SeededGenerator(seed: 6)
    var g2 = SeededGenerator(seed: 6)
    let sampled = try recipe.sample(count: 2, label: nil, using: &g1)
    #expect(sampled.scalars == GANInputs.sample(averaged, count: 2, labels: nil, using: &g2).scalars)
  }

  @Test func twoTimeScalesSplitTheLearningRate() {
    let recipe = DCGAN(seed: 24, learningRate: 2e-4, improvements: [.ttur])
    #expect(recipe.generatorOptimizer.learningRate == 1e-4)
    #expect(recipe.discriminatorOptimizer.learningRate == 4e-4)
  }

  @Test func spectralNormAndUpsampleChangeTheLayers() {
    let recipe = DCGAN(seed: 25, improvements: [.spectralNorm, .upsample])
    let dNames = recipe.discriminator.namedTensors().map(\.0)
    #expect(dNames.contains("conv1.weight_orig") && dNames.contains("fc.weight_u"))
    #expect(recipe.generator.namedParameters().map(\.0).contains("ct2.1.weight"))
    var g = SeededGenerator(seed: 26)
    #expect(recipe.generator(Tensor.randn([2, 100], using: &g)).shape == [2, 1, 28, 28])
    // Plain dcgan keeps the article's layers and names.
    #expect(DCGAN(seed: 25).discriminator.namedTensors().map(\.0).contains("conv1.weight"))
  }

  /// Translation moves each image by at most 1/8 of its size (a single bright pixel lands within
  /// 3 pixels of where it was, or falls off), its pullback sends gradient only to pixels that were
  /// moved into the output, and cutout zeroes one rectangle of at most half the size per image.
  @Test func diffAugmentTranslatesAndCutsOut() throws {
    let n = 16
    var pixels = [Float](repeating: 0, count: n * 28 * 28)
    for i in 0..<n { pixels[i * 784 + 14 * 28 + 14] = 1 }
    let dot = try Tensor(shape: [n, 1, 28, 28], pixels)
    let noise = RandomSource(seed: 27)
    let moved = DiffAugment.translate(dot, noise: noise).scalars
    var shifts = Set<Int>()
    for i in 0..<n {
      let image = Array(moved[i * 784..<(i + 1) * 784])
      #expect(image.reduce(0, +) == 1)
      let at = try #require(image.firstIndex(of: 1))
      #expect(abs(at / 28 - 14) <= 3 && abs(at % 28 - 14) <= 3)
      shifts.insert(at)
    }
    #expect(shifts.count > 1, "different images get different shifts")

    let ones = Tensor.ones([n, 1, 28, 28]).requiringGrad()
    let shifted = DiffAugment.translate(ones, noise: RandomSource(seed: 28))
    try shifted.sum().backward()
    let kept = shifted.scalars.reduce(0, +)
    #expect(try #require(ones.grad).scalars.reduce(0, +) == kept)
    #expect(kept <= Float(n * 784) && kept >= Float(n * 25 * 25))

    let cut = DiffAugment.cutout(Tensor.ones([n, 1, 28, 28]), noise: RandomSource(seed: 29)).scalars
    for i in 0..<n {
      let zeros = (0..<784).filter { cut[i * 784 + $0] == 0 }
      #expect(!zeros.isEmpty && zeros.count <= 14 * 14)
      let rows = Set(zeros.map { $0 / 28 })
      let cols = Set(zeros.map { $0 % 28 })
      #expect(rows.count * cols.count == zeros.count, "one rectangle")
    }
  }

  @Test func namesParseAndDescribe() {
    #expect(GANImprovement(rawValue: "spectral-norm") == .spectralNorm)
    #expect(GANImprovement.describe([.ttur, .ema]) == "ema, ttur")
    #expect(GANImprovement.describe([]) == "none")
    #expect(RecipeKind.all.contains(DCGAN.plusKind))
  }
}

/// The two ways the DCGAN networks start: Keras's defaults and the DCGAN paper's.
@Suite struct DCGANInitializationTests {
  @Test func kerasIsGlorotUniformWithZeroBiasesAndPaperIsNarrowNormal() throws {
    var g = SeededGenerator(seed: 30)
    let keras = DCGANDiscriminator(initialization: .keras, using: &g)
    for (name, t) in keras.namedParameters() where name.hasSuffix("bias") { #expect(t.scalars.allSatisfy { $0 == 0 }, "\(name)") }
    // conv2 [128, 64, 5, 5]: fans 1600 and 3200, bound √(6/4800).
    let conv2 = try #require(keras.namedParameters().first { $0.0 == "conv2.weight" }?.1)
    let bound = Float(6.0 / 4800.0).squareRoot()
    #expect(conv2.scalars.allSatisfy { abs($0) <= bound } && conv2.scalars.contains { abs($0) > 0.9 * bound })
    let paper = DCGANGenerator(initialization: .paper, using: &g)
    let w = paper.fc.weight.scalars
    let std = (w.map { $0 * $0 }.reduce(0, +) / Float(w.count)).squareRoot()
    #expect(abs(std - 0.02) < 0.001)
  }
}
