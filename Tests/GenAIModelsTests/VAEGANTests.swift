import Foundation
import GenAIData
import GenAIModels
import GenAINN
import GenAITensor
import GenAITestSupport
import Testing

/// The first `n` Fashion-MNIST test images in [-1, 1], or nil when the data is absent.
private func fashionImages(_ n: Int) throws -> Tensor? {
  guard let file = SharedData.file(.fashionMNIST, "t10k-images-idx3-ubyte.gz") else { return nil }
  let set = try ImageSet.idx(images: file, range: .minusOneToOne)
  var g = SeededGenerator(seed: 0)
  return set.makeBatch(indices: Array(0..<n), generator: &g).inputs
}

/// Fixed images `[n, 1, 28, 28]` in [-1, 1].
private func randomImages(_ n: Int, seed: UInt64) -> Tensor {
  var g = SeededGenerator(seed: seed)
  return Tensor.uniform([n, 1, 28, 28], low: -1, high: 1, using: &g)
}

private func bits(_ t: Tensor) -> [UInt32] { t.scalars.map(\.bitPattern) }

@Suite struct VAEGANTests {
  @Test func networksAndShapes() throws {
    let gan = VAEGAN(seed: 1)
    #expect(Set(gan.models.keys) == ["vae", "discriminator"])
    #expect(Set(gan.optimizers.keys) == ["vae", "discriminator"])
    #expect(gan.discriminator.namedParameters().map(\.0) == [
      "layers.0.weight", "layers.0.bias", "layers.2.weight", "layers.2.bias", "layers.5.weight", "layers.5.bias",
    ])
    #expect(gan.discriminator.parameterCount() == (32 * 9 + 32) + (64 * 32 * 9 + 64) + (3136 + 1))
    #expect(gan.vae.parameterCount() == 228_193)
    #expect(gan.pixelRange == .minusOneToOne)
    var g = SeededGenerator(seed: 2)
    let s = try gan.sample(count: 3, label: nil, using: &g)
    #expect(s.shape == [3, 1, 28, 28])
    #expect(s.scalars.allSatisfy { $0 >= -1 && $0 <= 1 })
    let x = randomImages(2, seed: 3)
    #expect(try gan.reconstruct(x).shape == [2, 1, 28, 28])
    #expect(gan.discriminator(x).shape == [2, 1])
    let v = try gan.variations(of: x.slice(axis: 0, 0..<1).squeezed(axes: [0]), count: 3, using: &g)
    #expect(v.shape == [3, 1, 28, 28])
    #expect(bits(v.slice(axis: 0, 0..<1)) != bits(v.slice(axis: 0, 1..<2)))
  }

  @Test func restoreKeepsKnownPixelsAndFillsTheRest() throws {
    let gan = VAEGAN(seed: 4)
    let x = randomImages(2, seed: 5)
    // Mask out a 10x10 square in the middle.
    var m = [Float](repeating: 1, count: 784)
    for r in 9..<19 { for c in 9..<19 { m[r * 28 + c] = 0 } }
    let mask = try Tensor(shape: [1, 1, 28, 28], m)
    let damaged = x * mask
    let restored = try gan.restore(damaged: damaged, mask: mask, steps: 3)
    #expect(restored.shape == [2, 1, 28, 28])
    let r = restored.scalars, d = damaged.scalars
    for i in 0..<r.count where m[i % 784] == 1 { #expect(r[i].bitPattern == d[i].bitPattern) }
    let filled = (0..<r.count).filter { m[$0 % 784] == 0 }.map { r[$0] }
    #expect(filled.contains { $0 != 0 })
    #expect(filled.allSatisfy { $0 >= -1 && $0 <= 1 })
    #expect(throws: RecipeError.self) { _ = try gan.restore(damaged: damaged, mask: Tensor.ones([1, 1, 14, 14]), steps: 1) }
  }

  @Test(.requiresSharedData(.fashionMNIST))
  func shortRunOnFashionMNISTReducesTheReconstructionLoss() throws {
    let images = try #require(try fashionImages(4))
    func run() throws -> [[String: Float]] {
      let gan = VAEGAN(seed: 6, learningRate: 1e-3)
      return try (0..<4).map { _ in try gan.trainStep(Batch(inputs: images)) }
    }
    let a = try run()
    #expect(a.allSatisfy { $0.values.allSatisfy(\.isFinite) && $0.keys.sorted() == ["adv", "d_loss", "g_loss", "kl", "rec"] })
    #expect(a.last!["rec"]! < a.first!["rec"]! - 0.03, "rec \(a.map { $0["rec"]! })")
    #expect(a.last!["d_loss"]! < a.first!["d_loss"]!, "d_loss \(a.map { $0["d_loss"]! })")
    let b = try run()
    #expect(a.map { $0["g_loss"]!.bitPattern } == b.map { $0["g_loss"]!.bitPattern })
    #expect(a.map { $0["d_loss"]!.bitPattern } == b.map { $0["d_loss"]!.bitPattern })
  }

  @Test func misuseGivesRecipeErrors() throws {
    let gan = VAEGAN(seed: 1)
    var g = SeededGenerator(seed: 1)
    #expect(throws: RecipeError.self) { _ = try gan.sample(count: 1, label: 0, using: &g) }
    #expect(throws: RecipeError.self) { _ = try gan.sample(count: -2, label: nil, using: &g) }
    #expect(throws: RecipeError.self) { _ = try gan.trainStep(Batch(inputs: Tensor.zeros([2, 3, 28, 28]))) }
    #expect(VAEGAN.name == "vaegan")
  }

  /// With and without the averaged networks (`ema`): the average is saved and restored too.
  @Test(arguments: [Set<GANImprovement>(), [.ema]])
  func checkpointResumeIsBitIdentical(_ improvements: Set<GANImprovement>) throws {
    let batches = (0..<5).map { Batch(inputs: randomImages(2, seed: UInt64(50 + $0))) }
    let straight = VAEGAN(seed: 8, improvements: improvements)
    let expected = try batches.map { try straight.trainStep($0)["g_loss"]! }
    let first = VAEGAN(seed: 8, improvements: improvements)
    var losses = try batches[0..<3].map { try first.trainStep($0)["g_loss"]! }
    let url = FileManager.default.temporaryDirectory.appendingPathComponent("vaegan-\(UUID().uuidString).safetensors")
    defer { try? FileManager.default.removeItem(at: url) }
    try TrainingCheckpoint.save(to: url, models: first.models, optimizers: first.optimizers, step: 3)
    let resumed = VAEGAN(seed: 99, improvements: improvements)
    _ = try TrainingCheckpoint.load(from: url, into: resumed.models, optimizers: resumed.optimizers)
    losses += try batches[3..<5].map { try resumed.trainStep($0)["g_loss"]! }
    #expect(losses.map(\.bitPattern) == expected.map(\.bitPattern))
    #expect(Set(straight.models.keys) == Set(resumed.models.keys))
    for (name, model) in straight.models {
      let other = resumed.models[name]!
      #expect(model.namedTensors().map { bits($0.1) } == other.namedTensors().map { bits($0.1) }, "\(name)")
    }
    var g1 = SeededGenerator(seed: 3)
    var g2 = SeededGenerator(seed: 3)
    #expect(bits(try straight.sample(count: 2, label: nil, using: &g1)) == bits(try resumed.sample(count: 2, label: nil, using: &g2)))
  }

  /// `ema`: the averaged E and G start as copies, then after step n move to
  /// `d·old + (1 − d)·new` with the DCGAN's `d = min(0.999, (1 + n) / (10 + n))`; samples,
  /// reconstructions and latent decoding come from them, and training is unchanged.
  @Test func averagedNetworksFollowTheTrainedOnes() throws {
    let gan = VAEGAN(seed: 10, improvements: [.ema])
    let plain = VAEGAN(seed: 10)
    let averaged = try #require(gan.averagedVAE)
    #expect(Set(gan.models.keys) == ["vae", "vae_ema", "discriminator"])
    #expect(averaged.parameters().isEmpty, "the average is never trained")
    #expect(gan.vae.namedTensors().map { bits($0.1) } == averaged.namedTensors().map { bits($0.1) })
    let before = gan.vae.namedTensors().map(\.1.scalars)
    let batch = Batch(inputs: randomImages(2, seed: 11))
    #expect(try gan.trainStep(batch) == (try plain.trainStep(batch)), "the average does not change training")
    let after = gan.vae.namedTensors().map(\.1.scalars)
    let d: Float = 2.0 / 11.0
    for ((old, new), got) in zip(zip(before, after), averaged.namedTensors().map(\.1.scalars)) {
      #expect(zip(zip(old, new), got).allSatisfy { abs(d * $0.0 + (1 - d) * $0.1 - $1) < 1e-6 })
    }
    var g1 = SeededGenerator(seed: 12)
    var g2 = SeededGenerator(seed: 12)
    let sampled = try gan.sample(count: 2, label: nil, using: &g1)
    let z = Tensor.randn([2, averaged.latentSize], using: &g2)
    #expect(bits(sampled) == bits(withNoGrad { averaged.decode(z).tanh() }))
    #expect(bits(sampled) != bits(withNoGrad { gan.vae.decode(z).tanh() }))
    #expect(bits(try gan.generate(latents: z, label: nil)) == bits(sampled))
    let x = randomImages(1, seed: 13)
    #expect(bits(try gan.reconstruct(x)) == bits(withNoGrad { averaged.decode(averaged.encode(x).mean).tanh() }))
  }
}
