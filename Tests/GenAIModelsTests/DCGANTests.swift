import Foundation
import GenAIData
import GenAINN
import GenAITensor
import GenAITestSupport
import Testing

@testable import GenAIModels

/// Data for the GAN tests.
enum GANTestData {
/// The first 10 Fashion-MNIST test images, loaded once per process (decoding the file is the
/// slow part in a DEBUG build), or `nil` when the data is absent.
static let fashionMNIST10: Batch? = try? fashionMNIST(10)

/// A few Fashion-MNIST test images (`[n, 1, 28, 28]` in [-1, 1], with labels) from
/// ../shared/data, or `nil` when the data is absent.
static func fashionMNIST(_ n: Int) throws -> Batch? {
  guard let dir = SharedData.folder(.fashionMNIST) else { return nil }
  let images = dir.appendingPathComponent("t10k-images-idx3-ubyte.gz")
  let labels = dir.appendingPathComponent("t10k-labels-idx1-ubyte.gz")
  let set = try ImageSet.idx(images: images, labels: labels, range: .minusOneToOne)
  var g = SeededGenerator(seed: 0)
  return set.makeBatch(indices: Array(0..<n), generator: &g)
}

/// Random images in [-1, 1] with labels 0..<10, `[n, 1, 28, 28]`.
static func random(_ n: Int, seed: UInt64) -> Batch {
  var g = SeededGenerator(seed: seed)
  return Batch(
    inputs: Tensor.uniform([n, 1, 28, 28], low: -1, high: 1, using: &g), labels: IndexTensor((0..<n).map { $0 % 10 }))
}
}

@Suite struct DCGANTests {
  @Test func generatorOutputIs28x28InRange() {
    var g = SeededGenerator(seed: 1)
    let gen = DCGANGenerator(using: &g)
    let z = Tensor.randn([3, 100], using: &g)
    let x = gen(z)
    // 28x28x1, not the article's claimed 128x128: 7 → 7 → 14 → 28.
    #expect(x.shape == [3, 1, 28, 28])
    #expect(x.scalars.allSatisfy { $0 >= -1 && $0 <= 1 && $0.isFinite })
  }

  @Test func discriminatorOutputIsOneLogitPerImage() {
    var g = SeededGenerator(seed: 2)
    let d = DCGANDiscriminator(using: &g)
    let x = Tensor.uniform([3, 1, 28, 28], low: -1, high: 1, using: &g)
    #expect(d(x).shape == [3, 1])
    let cd = DCGANDiscriminator(classCount: 10, using: &g)
    #expect(cd(x, labels: IndexTensor([0, 4, 9])).shape == [3, 1])
  }

  /// The networks run channels-last inside; this spells out the same stacks channels-first with
  /// the networks' own parameters (PyTorch's layout), for the unconditional, conditional and
  /// upsampling variants: logits, images and the gradient reaching D's input (the one-channel
  /// layers' routing) agree to float rounding.
  @Test(arguments: [(nil, false), (10, false), (nil, true)] as [(Int?, Bool)])
  func channelsLastNetworksComputeTheChannelsFirstStacks(classCount: Int?, upsample: Bool) throws {
    var g = SeededGenerator(seed: 7)
    let gen = DCGANGenerator(classCount: classCount, upsample: upsample, using: &g)
    let disc = DCGANDiscriminator(classCount: classCount, dropout: false, using: &g)
    let n = 3
    let z = Tensor.randn([n, 100], using: &g)
    let labels = classCount.map { _ in IndexTensor([0, 4, 9]) }
    let gp = Dictionary(uniqueKeysWithValues: gen.namedParameters())
    let dp = Dictionary(uniqueKeysWithValues: disc.namedParameters())

    func norm(_ x: Tensor, _ axes: [Int], _ name: String) -> Tensor {
      x.normalized(overAxes: axes, epsilon: 1e-3, scale: gp[name + ".weight"], offset: gp[name + ".bias"]).normalized
    }
    func up(_ x: Tensor, _ name: String) -> Tensor {
      upsample
        ? x.upsampleNearest2d(scale: (2, 2)).conv2d(gp[name + ".1.weight"]!, padding: .same)
        : x.convTranspose2d(gp[name + ".weight"]!, stride: (2, 2), padding: .same)
    }
    var h = z
    if let labels { h = h + gp["labelEmbedding.weight"]!.indexSelect(labels, axis: 0) }
    h = norm(h.matmul(gp["fc.weight"]!.transposed()), [0], "bn0").leakyRelu(slope: 0.2).reshaped([n, 128, 7, 7])
    h = norm(h.convTranspose2d(gp["ct1.weight"]!, padding: .same), [0, 2, 3], "bn1").leakyRelu(slope: 0.2)
    h = norm(up(h, "ct2"), [0, 2, 3], "bn2").leakyRelu(slope: 0.2)
    let expectedImages = up(h, "ct3").tanh()
    let images = gen(z, labels: labels)
    #expect(images.shape == [n, 1, 28, 28])
    #expect(zip(images.scalars, expectedImages.scalars).allSatisfy { abs($0 - $1) < 1e-4 })

    let x = expectedImages.detached()
    let xLast = x.copy().requiringGrad(), xFirst = x.copy().requiringGrad()
    var d: Tensor = xFirst
    if let labels {
      d = Tensor.concatenate([d, dp["labelPlane.weight"]!.indexSelect(labels, axis: 0).reshaped([n, 1, 28, 28])], axis: 1)
    }
    d = d.conv2d(dp["conv1.weight"]!, bias: dp["conv1.bias"], stride: (2, 2), padding: .same).leakyRelu(slope: 0.2)
    d = d.conv2d(dp["conv2.weight"]!, bias: dp["conv2.bias"], stride: (2, 2), padding: .same).leakyRelu(slope: 0.2)
    let expectedLogits = d.reshaped([n, 6272]).matmul(dp["fc.weight"]!.transposed()) + dp["fc.bias"]!
    let logits = disc(xLast, labels: labels)
    #expect(zip(logits.scalars, expectedLogits.scalars).allSatisfy { abs($0 - $1) < 1e-4 * max(1, abs($1)) })
    try logits.sum().backward()
    try expectedLogits.sum().backward()
    let (a, b) = (xLast.grad!.scalars, xFirst.grad!.scalars)
    let scale = b.map(abs).max()!
    #expect(scale > 0 && zip(a, b).allSatisfy { abs($0 - $1) < 1e-4 * scale })
  }

  /// A D step's one call on real and fake stacked gives the logits of two calls in turn,
  /// dropout included (two discriminators from one seed).
  @Test func stackedDiscriminatorCallIsTwoCalls() {
    var a = SeededGenerator(seed: 8), b = SeededGenerator(seed: 8)
    let stacked = DCGANDiscriminator(using: &a), inTurn = DCGANDiscriminator(using: &b)
    let real = Tensor.uniform([3, 1, 28, 28], low: -1, high: 1, using: &a)
    let fake = Tensor.uniform([3, 1, 28, 28], low: -1, high: 1, using: &a)
    let both = stacked(Tensor.concatenate([real, fake], axis: 0), stackedBatches: 2).scalars
    let expected = inTurn(real).scalars + inTurn(fake).scalars
    #expect(zip(both, expected).allSatisfy { abs($0 - $1) < 1e-5 * max(1, abs($1)) })
  }

  @Test func goldenParameterNamesAndCounts() {
    var g = SeededGenerator(seed: 3)
    let gen = DCGANGenerator(using: &g)
    #expect(gen.namedParameters().map(\.0) == [
      "fc.weight", "bn0.weight", "bn0.bias", "ct1.weight", "bn1.weight", "bn1.bias",
      "ct2.weight", "bn2.weight", "bn2.bias", "ct3.weight",
    ])
    // fc 100·6272 + bn0 2·6272 + ct1 128·128·25 + bn1 2·128 + ct2 128·64·25 + bn2 2·64 + ct3 64·1·25
    let gCount = 100 * 6272 + 2 * 6272 + 128 * 128 * 25 + 2 * 128 + 128 * 64 * 25 + 2 * 64 + 64 * 25
    #expect(gCount == 1_256_128)
    #expect(gen.parameterCount() == gCount)
    #expect(DCGANGenerator(classCount: 10, using: &g).parameterCount() == gCount + 10 * 100)

    let d = DCGANDiscriminator(using: &g)
    #expect(d.namedParameters().map(\.0) == [
      "conv1.weight", "conv1.bias", "conv2.weight", "conv2.bias", "fc.weight", "fc.bias",
    ])
    // conv1 64·1·25 + 64, conv2 128·64·25 + 128, fc 6272 + 1
    let dCount = 64 * 25 + 64 + 128 * 64 * 25 + 128 + 6272 + 1
    #expect(dCount == 212_865)
    #expect(d.parameterCount() == dCount)
    // Conditional: a second input channel (64·25 more) and a 10 × 784 label-plane table.
    #expect(DCGANDiscriminator(classCount: 10, using: &g).parameterCount() == dCount + 64 * 25 + 10 * 784)
    _ = GANTestData.fashionMNIST10  // warm the cache while cheap tests run
    #expect(d.namedRandomSources().map(\.0) == ["drop1.randomSource", "drop2.randomSource"])
  }

  @Test func overfitOneBatchDiscriminatorLossFalls() throws {
    // A fixed real batch against a fixed fake batch: a dozen D updates (at 5x the default learning
    // rate, to keep the DEBUG test short) separate them.
    let recipe = DCGAN(seed: 4, learningRate: 1e-3)
    let real = GANTestData.random(4, seed: 5).inputs
    var g = SeededGenerator(seed: 6)
    let fake = withNoGrad { recipe.generator(Tensor.randn([4, 100], using: &g)) }
    var losses: [Float] = []
    for _ in 0..<12 { losses.append(try recipe.discriminatorStep(real: real, fake: fake, labels: nil).loss) }
    #expect(losses.allSatisfy { $0.isFinite })
    #expect(losses.last! < 0.5 * losses.first!, "D loss \(losses.first!) → \(losses.last!)")
  }

  @Test func sampleShapesAndEvalMode() throws {
    let recipe = DCGAN(seed: 8)
    var g = SeededGenerator(seed: 9)
    let x = try recipe.sample(count: 2, label: nil, using: &g)
    #expect(x.shape == [2, 1, 28, 28])
    #expect(x.scalars.allSatisfy { $0 >= -1 && $0 <= 1 })
    #expect(recipe.generator.isTraining)  // mode restored
    #expect(recipe.pixelRange == .minusOneToOne)
  }

  @Test func conditionalSamplingAndTraining() throws {
    let recipe = DCGAN(classCount: 10, seed: 10)
    var g = SeededGenerator(seed: 11)
    #expect(try recipe.sample(count: 2, label: 7, using: &g).shape == [2, 1, 28, 28])
    let losses = try recipe.trainStep(GANTestData.random(2, seed: 12))
    #expect(losses["d_loss"]!.isFinite && losses["g_loss"]!.isFinite)
    // The mode-seeking term is on for conditional models and logs its image/latent distance ratio.
    #expect(losses["g_diversity"].map { $0 > 0 && $0.isFinite } == true)
    #expect(try DCGAN(seed: 10).trainStep(GANTestData.random(2, seed: 12))["g_diversity"] == nil)
    // Same noise, different labels → different images.
    var g1 = SeededGenerator(seed: 13)
    var g2 = SeededGenerator(seed: 13)
    let a = try recipe.sample(count: 1, label: 0, using: &g1)
    let b = try recipe.sample(count: 1, label: 7, using: &g2)
    #expect(a.scalars != b.scalars)
  }

  @Test func badLabelsAndCountsThrowRecipeError() throws {
    var g = SeededGenerator(seed: 14)
    let conditional = DCGAN(classCount: 10, seed: 15)
    #expect(throws: RecipeError(recipe: "dcgan", "label 10 is out of range 0..<10")) {
      try conditional.sample(count: 1, label: 10, using: &g)
    }
    #expect(throws: RecipeError.self) { try conditional.sample(count: 1, label: -1, using: &g) }
    #expect(throws: RecipeError.self) { try conditional.sample(count: -2, label: nil, using: &g) }
    let plain = DCGAN(seed: 16)
    #expect(throws: RecipeError.self) { try plain.sample(count: 1, label: 3, using: &g) }
    var bad = GANTestData.random(2, seed: 17)
    bad.labels = IndexTensor([0, 12])
    #expect(throws: RecipeError.self) { try conditional.trainStep(bad) }
    #expect(throws: RecipeError.self) { try conditional.trainStep(Batch(inputs: bad.inputs)) }
    #expect(throws: RecipeError.self) { try plain.trainStep(Batch(inputs: Tensor.zeros([2, 3, 28, 28]))) }
  }

  @Test func discriminatorIsTrainableAgainAfterTheGeneratorStep() throws {
    let recipe = DCGAN(seed: 18)
    _ = try recipe.trainStep(GANTestData.random(2, seed: 19))
    // D was frozen only around the G step.
    #expect(recipe.discriminator.parameters().count == 6)
    #expect(recipe.discriminator.parameters().allSatisfy { $0.requiresGrad })
    #expect(recipe.generator.parameters().allSatisfy { $0.grad != nil })
  }

  /// A short seeded run on real Fashion-MNIST images (random images when the data is absent):
  /// losses stay finite, and a run saved after 3 steps, restored into a differently seeded recipe
  /// and continued for 2 is bit-identical to 5 uninterrupted steps (weights, Adam state, dropout
  /// and latent-noise generators all restored), which also shows that two runs with one seed agree.
  @Test func seededRealDataRunResumesBitIdentically() throws {
    let real = GANTestData.fashionMNIST10 ?? GANTestData.random(10, seed: 100)
    let batches = (0..<5).map { i in
      Batch(inputs: real.inputs.slice(axis: 0, 2 * i..<2 * i + 2), labels: nil)
    }
    let straight = DCGAN(seed: 20)
    let expected = try batches.map { try straight.trainStep($0) }
    for step in expected {
      #expect(Set(step.keys) == ["d_loss", "g_loss", "d_acc_real", "d_acc_fake"])
      #expect(step.values.allSatisfy { $0.isFinite })
    }

    let first = DCGAN(seed: 20)
    var got = try batches[0..<3].map { try first.trainStep($0) }
    let url = FileManager.default.temporaryDirectory.appendingPathComponent("dcgan-resume-\(UInt32.random(in: 0...UInt32.max)).safetensors")
    defer { try? FileManager.default.removeItem(at: url) }
    try TrainingCheckpoint.save(to: url, models: first.models, optimizers: first.optimizers, step: 3)
    let resumed = DCGAN(seed: 999)  // different weights and noise, all overwritten by the load
    let state = try TrainingCheckpoint.load(from: url, into: resumed.models, optimizers: resumed.optimizers)
    #expect(state.step == 3)
    got += try batches[3..<5].map { try resumed.trainStep($0) }
    #expect(got == expected)
    for (a, b) in zip(straight.generator.namedTensors(), resumed.generator.namedTensors()) {
      #expect(a.0 == b.0 && a.1.scalars == b.1.scalars)
    }
  }
}
