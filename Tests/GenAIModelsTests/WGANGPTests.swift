import Foundation
import GenAIData
import GenAINN
import GenAITensor
import Testing

@testable import GenAIModels

@Suite struct WGANGPTests {
  /// A linear critic `x ↦ x·w` over flattened images: its input gradient is `w` everywhere.
  private func linearCritic(_ w: Tensor) -> (Tensor) -> Tensor {
    { x in x.reshaped([x.shape[0], 784]).matmul(w) }
  }

  @Test func penaltyIsZeroForUnitGradientNormAndPositiveOtherwise() throws {
    var g = SeededGenerator(seed: 1)
    let real = Tensor.uniform([3, 1, 28, 28], low: -1, high: 1, using: &g)
    let fake = Tensor.uniform([3, 1, 28, 28], low: -1, high: 1, using: &g)
    let alpha = Tensor.uniform([3, 1, 1, 1], using: &g)
    let raw = Tensor.randn([784, 1], using: &g)
    let norm = raw.squared().sum().sqrt().item
    let unit = raw / norm
    #expect(abs(try wganGradientPenalty(critic: linearCritic(unit), real: real, fake: fake, alpha: alpha).item) < 1e-5)
    // ‖∇‖ = 2 → (2 − 1)² = 1; ‖∇‖ = 0.5 → 0.25.
    let p2 = try wganGradientPenalty(critic: linearCritic(unit * 2), real: real, fake: fake, alpha: alpha).item
    #expect(abs(p2 - 1) < 1e-4)
    let pHalf = try wganGradientPenalty(critic: linearCritic(unit * 0.5), real: real, fake: fake, alpha: alpha).item
    #expect(abs(pHalf - 0.25) < 1e-4)
  }

  @Test func penaltyIsDifferentiableAndStepsReduceIt() throws {
    // Double backward: minimising the penalty alone drives a linear critic's norm towards 1.
    var g = SeededGenerator(seed: 2)
    let real = Tensor.uniform([2, 1, 28, 28], low: -1, high: 1, using: &g)
    let fake = Tensor.uniform([2, 1, 28, 28], low: -1, high: 1, using: &g)
    let alpha = Tensor.uniform([2, 1, 1, 1], using: &g)
    let w = (Tensor.randn([784, 1], using: &g) * 0.1).requiringGrad()  // norm ≈ 2.8
    let opt = Adam(parameters: [w], learningRate: 0.01)
    var penalties: [Float] = []
    for _ in 0..<5 {
      opt.zeroGrad()
      let p = try wganGradientPenalty(critic: linearCritic(w), real: real, fake: fake, alpha: alpha)
      try p.backward()
      #expect(w.grad != nil)
      opt.step()
      penalties.append(p.item)
    }
    #expect(penalties.first! > 1)
    #expect(zip(penalties, penalties.dropFirst()).allSatisfy { $0 > $1 }, "\(penalties)")
  }

  @Test func criticHasNoBatchNormOrDropout() {
    let recipe = WGANGP(seed: 3)
    #expect(recipe.critic.namedParameters().map(\.0) == [
      "conv1.weight", "conv1.bias", "conv2.weight", "conv2.bias", "fc.weight", "fc.bias",
    ])
    #expect(recipe.critic.namedBuffers().isEmpty)
    #expect(recipe.critic.namedRandomSources().isEmpty)
    #expect(recipe.critic.parameterCount() == 64 * 25 + 64 + 128 * 64 * 25 + 128 + 6272 + 1)
    #expect(recipe.generatorOptimizer.beta1 == 0 && recipe.generatorOptimizer.beta2 == 0.9)
    #expect(recipe.criticOptimizer.learningRate == 1e-4)
  }

  @Test func fiveCriticStepsPerGeneratorStep() throws {
    let recipe = WGANGP(seed: 4)
    for i in 1...5 {
      let losses = try recipe.trainStep(GANTestData.random(2, seed: UInt64(i)))
      #expect(Set(losses.keys) == ["critic_loss", "g_loss", "gp", "wasserstein"])
      #expect(losses.values.allSatisfy { $0.isFinite })
      #expect(recipe.criticOptimizer.stepCount == i)
      #expect(recipe.generatorOptimizer.stepCount == i / 5)
    }
  }

  @Test func sampleShapesAndLabels() throws {
    var g = SeededGenerator(seed: 6)
    let plain = WGANGP(seed: 7)
    let x = try plain.sample(count: 2, label: nil, using: &g)
    #expect(x.shape == [2, 1, 28, 28])
    #expect(x.scalars.allSatisfy { $0 >= -1 && $0 <= 1 })
    #expect(throws: RecipeError.self) { try plain.sample(count: 1, label: 0, using: &g) }
    let conditional = WGANGP(classCount: 10, seed: 8)
    #expect(try conditional.sample(count: 3, label: 9, using: &g).shape == [3, 1, 28, 28])
    #expect(throws: RecipeError(recipe: "wgan-gp", "label 10 is out of range 0..<10")) {
      try conditional.sample(count: 1, label: 10, using: &g)
    }
    let losses = try conditional.trainStep(GANTestData.random(2, seed: 9))
    #expect(losses.values.allSatisfy { $0.isFinite })
  }

  /// A short seeded run on real Fashion-MNIST images (random when absent), with a generator
  /// step every 2nd critic step here: finite losses, a non-negative penalty, and 3 steps + save +
  /// restore (into a differently seeded recipe) + 2 steps bit-identical to 5 uninterrupted steps.
  @Test func seededRealDataRunResumesBitIdentically() throws {
    let real = GANTestData.fashionMNIST10 ?? GANTestData.random(10, seed: 200)
    let batches = (0..<5).map { i in
      Batch(inputs: real.inputs.slice(axis: 0, 2 * i..<2 * i + 2), labels: nil)
    }
    let straight = WGANGP(seed: 10, criticSteps: 2)
    let expected = try batches.map { try straight.trainStep($0) }
    #expect(expected.allSatisfy { $0.values.allSatisfy { $0.isFinite } && $0["gp"]! >= 0 })

    let first = WGANGP(seed: 10, criticSteps: 2)
    var got = try batches[0..<3].map { try first.trainStep($0) }
    let url = FileManager.default.temporaryDirectory.appendingPathComponent("wgangp-resume-\(UInt32.random(in: 0...UInt32.max)).safetensors")
    defer { try? FileManager.default.removeItem(at: url) }
    try TrainingCheckpoint.save(to: url, models: first.models, optimizers: first.optimizers, step: 3)
    let resumed = WGANGP(seed: 999, criticSteps: 2)
    _ = try TrainingCheckpoint.load(from: url, into: resumed.models, optimizers: resumed.optimizers)
    got += try batches[3..<5].map { try resumed.trainStep($0) }
    #expect(got == expected)
  }
}
