import Foundation
import GenAIData
import GenAIModels
import GenAINN
import GenAITensor
import GenAITestSupport
import Testing

/// Fixed binary images `[n, 1, 28, 28]`.
private func binaryImages(_ n: Int, seed: UInt64) -> Tensor {
  var g = SeededGenerator(seed: seed)
  return Tensor.bernoulli([n, 1, 28, 28], p: 0.3, using: &g)
}

/// The first `n` Fashion-MNIST test images in [0, 1], or nil when the data is absent.
private func fashionImages(_ n: Int) throws -> Tensor? {
  guard let file = SharedData.file(.fashionMNIST, "t10k-images-idx3-ubyte.gz") else { return nil }
  let set = try ImageSet.idx(images: file, range: .zeroToOne)
  var g = SeededGenerator(seed: 0)
  return set.makeBatch(indices: Array(0..<n), generator: &g).inputs
}

private func bits(_ t: Tensor) -> [UInt32] { t.scalars.map(\.bitPattern) }

@Suite struct VAETests {
  @Test func convNetworkHasTheBenchArchitecture() throws {
    let net = ConvVAE(latentSize: 16, seed: 1)
    let expected: [(String, [Int])] = [
      ("encoder.0.weight", [32, 1, 3, 3]), ("encoder.0.bias", [32]),
      ("encoder.2.weight", [64, 32, 3, 3]), ("encoder.2.bias", [64]),
      ("encoder.5.weight", [32, 3136]), ("encoder.5.bias", [32]),
      ("decoder.0.weight", [3136, 16]), ("decoder.0.bias", [3136]),
      ("decoder.3.weight", [64, 64, 3, 3]), ("decoder.3.bias", [64]),
      ("decoder.5.weight", [64, 32, 3, 3]), ("decoder.5.bias", [32]),
      ("decoder.7.weight", [32, 1, 3, 3]), ("decoder.7.bias", [1]),
    ]
    let params = net.namedParameters()
    #expect(params.map(\.0) == expected.map(\.0))
    #expect(params.map(\.1.shape) == expected.map(\.1))
    let byHand = (32 * 9 + 32) + (64 * 32 * 9 + 64) + (3136 * 32 + 32) + (16 * 3136 + 3136)
      + (64 * 64 * 9 + 64) + (64 * 32 * 9 + 32) + (32 * 9 + 1)
    #expect(net.parameterCount() == byHand)
    #expect(byHand == 228_193)

    let x = binaryImages(2, seed: 3)
    let (mean, logVariance) = net.encode(x)
    #expect(mean.shape == [2, 16] && logVariance.shape == [2, 16])
    #expect(net.decode(mean).shape == [2, 1, 28, 28])

    let vae = try VAE(network: net)
    var g = SeededGenerator(seed: 4)
    let samples = try vae.sample(count: 3, label: nil, using: &g)
    #expect(samples.shape == [3, 1, 28, 28])
    #expect(samples.scalars.allSatisfy { $0 >= 0 && $0 <= 1 })
    #expect(try vae.reconstruct(x).shape == [2, 1, 28, 28])
    let path = try vae.interpolate(from: x.slice(axis: 0, 0..<1), to: x.slice(axis: 0, 1..<2).squeezed(axes: [0]), steps: 4)
    #expect(path.shape == [4, 1, 28, 28])
    // The ends of the path are the reconstructions. The first bit for bit: a row of a batched
    // product gives the same bits alone on every kernel path (GemmTests checks this per path;
    // convolutions are products over the same K whatever the batch); the last within a
    // tolerance, because the interpolated latent is recomputed.
    let rec = try vae.reconstruct(x)
    #expect(bits(path.slice(axis: 0, 0..<1)) == bits(rec.slice(axis: 0, 0..<1)))
    #expect(zip(path.slice(axis: 0, 3..<4).scalars, rec.slice(axis: 0, 1..<2).scalars).allSatisfy { abs($0 - $1) < 1e-5 })
    #expect(net.isTraining)
  }

  @Test func mlpNetworkIs784_400_20() {
    let net = MLPVAE(seed: 1)
    let params = net.namedParameters()
    #expect(params.map(\.0) == [
      "encoder.1.weight", "encoder.1.bias", "meanHead.weight", "meanHead.bias",
      "logVarianceHead.weight", "logVarianceHead.bias", "decoder.0.weight", "decoder.0.bias",
      "decoder.2.weight", "decoder.2.bias",
    ])
    #expect(params.map(\.1.shape) == [[400, 784], [400], [20, 400], [20], [20, 400], [20], [400, 20], [400], [784, 400], [784]])
    #expect(net.parameterCount() == (784 * 400 + 400) + 2 * (400 * 20 + 20) + (20 * 400 + 400) + (400 * 784 + 784))
    let x = binaryImages(3, seed: 2)
    #expect(net.encode(x).mean.shape == [3, 20])
    #expect(net.decode(net.encode(x).mean).shape == [3, 1, 28, 28])
  }

  @Test(arguments: VAELikelihood.allCases)
  func elboMatchesAHandComputation(likelihood: VAELikelihood) throws {
    let net = MLPVAE(latentSize: 5, hiddenSize: 16, seed: 7)
    let vae = try VAE(network: net, likelihood: likelihood)
    let x = binaryImages(4, seed: 8)
    var noise = net.noise.generator
    let f = try withNoGrad { try vae.forward(x, beta: 0.25) }
    let eps = Tensor.randn([4, 5], using: &noise).scalars
    let mu = f.mean.scalars, lv = f.logVariance.scalars, z = f.z.scalars
    for i in 0..<20 {
      let expected = Double(mu[i]) + exp(0.5 * Double(lv[i])) * Double(eps[i])
      #expect(abs(Double(z[i]) - expected) < 1e-5)
    }
    let out = f.outputs.scalars.map(Double.init), target = x.scalars.map(Double.init)
    var recon = 0.0
    for (o, t) in zip(out, target) {
      switch likelihood {
      case .bernoulli: recon += max(o, 0) - o * t + log(1 + exp(-abs(o)))
      case .gaussian: recon += 0.5 * (o - t) * (o - t)
      case .l1: recon += abs(o - t)
      }
    }
    recon /= 4
    var kl = 0.0
    for i in 0..<20 { kl += -0.5 * (1 + Double(lv[i]) - Double(mu[i]) * Double(mu[i]) - exp(Double(lv[i]))) }
    kl /= 4
    #expect(abs(Double(f.reconstruction.item) - recon) < 1e-4 * max(1, recon))
    #expect(abs(Double(f.kl.item) - kl) < 1e-5 * max(1, kl))
    #expect(abs(Double(f.loss.item) - (recon + 0.25 * kl)) < 1e-4 * max(1, recon))
  }

  @Test func klWarmupRisesLinearly() throws {
    let w = KLWarmup(steps: 4)
    #expect((0...6).map { w.beta(atStep: $0) } == [0, 0.25, 0.5, 0.75, 1, 1, 1])
    #expect(KLWarmup(steps: 0).beta(atStep: 0) == 1)
    let vae = try VAE(network: MLPVAE(latentSize: 4, hiddenSize: 8, seed: 1), warmupSteps: 2)
    let batch = Batch(inputs: binaryImages(2, seed: 1))
    let betas = try (0..<3).map { _ in try vae.trainStep(batch)["beta"]! }
    #expect(betas == [0, 0.5, 1])
  }

  @Test func overfitsOneBatch() throws {
    // A narrow MLP VAE (784-64-8) keeps the debug build fast.
    let vae = try VAE(network: MLPVAE(latentSize: 8, hiddenSize: 64, seed: 3), learningRate: 3e-3)
    let batch = Batch(inputs: binaryImages(8, seed: 5))
    var losses: [Float] = []
    for _ in 0..<30 { losses.append(try vae.trainStep(batch)["loss"]!) }
    #expect(losses.allSatisfy { $0.isFinite })
    #expect(losses.last! < 0.6 * losses.first!, "losses \(losses)")
  }

  @Test(.requiresSharedData(.fashionMNIST))
  func shortRunOnFashionMNISTFallsAndIsDeterministic() throws {
    let images = try #require(try fashionImages(48))
    func run() throws -> [Float] {
      let vae = try VAE(network: MLPVAE(latentSize: 8, hiddenSize: 64, seed: 11), warmupSteps: 3)
      return try (0..<6).map { i in
        try vae.trainStep(Batch(inputs: images.slice(axis: 0, (i * 8)..<(i * 8 + 8))))["loss"]!
      }
    }
    let a = try run(), b = try run()
    #expect(a.map(\.bitPattern) == b.map(\.bitPattern))
    #expect(a.allSatisfy { $0.isFinite })
    #expect(a.last! < a.first! - 5, "losses \(a)")
  }

  @Test(.requiresSharedData(.fashionMNIST))
  func convVAETrainsOnFashionMNIST() throws {
    let images = try #require(try fashionImages(8))
    let vae = try VAE(network: ConvVAE(seed: 5))
    let batch = Batch(inputs: images)
    let losses = try (0..<4).map { _ in try vae.trainStep(batch)["loss"]! }
    #expect(losses.allSatisfy { $0.isFinite })
    #expect(losses.last! < losses.first!, "losses \(losses)")
  }

  @Test func misuseGivesRecipeErrors() throws {
    let vae = try VAE(network: MLPVAE(latentSize: 4, hiddenSize: 8, seed: 1))
    var g = SeededGenerator(seed: 1)
    #expect(throws: RecipeError.self) { _ = try vae.sample(count: 2, label: 3, using: &g) }
    #expect(throws: RecipeError.self) { _ = try vae.sample(count: -1, label: nil, using: &g) }
    #expect(try vae.sample(count: 0, label: nil, using: &g).shape == [0, 1, 28, 28])
    #expect(throws: RecipeError.self) { _ = try vae.trainStep(Batch(inputs: Tensor.zeros([2, 1, 14, 14]))) }
    #expect(throws: RecipeError.self) { _ = try vae.interpolate(from: binaryImages(1, seed: 1), to: binaryImages(1, seed: 2), steps: 1) }
    #expect(throws: RecipeError.self) {
      _ = try VAE(network: MLPVAE(latentSize: 4, hiddenSize: 8), likelihood: .bernoulli, pixelRange: .minusOneToOne)
    }
    #expect(VAE.name == "vae")
  }

  @Test func checkpointResumeIsBitIdentical() throws {
    func make() throws -> VAE { try VAE(network: MLPVAE(latentSize: 6, hiddenSize: 32, seed: 21), warmupSteps: 4) }
    let batches = (0..<5).map { Batch(inputs: binaryImages(4, seed: UInt64(100 + $0))) }
    let straight = try make()
    let expected = try batches.map { try straight.trainStep($0)["loss"]! }

    let first = try make()
    var losses = try batches[0..<3].map { try first.trainStep($0)["loss"]! }
    let url = FileManager.default.temporaryDirectory.appendingPathComponent("vae-\(UUID().uuidString).safetensors")
    defer { try? FileManager.default.removeItem(at: url) }
    try TrainingCheckpoint.save(to: url, models: first.models, optimizers: first.optimizers, step: 3)

    let resumed = try VAE(network: MLPVAE(latentSize: 6, hiddenSize: 32, seed: 99), warmupSteps: 4)
    let r = try TrainingCheckpoint.load(from: url, into: resumed.models, optimizers: resumed.optimizers)
    #expect(r.step == 3)
    #expect(resumed.beta == 0.75)
    losses += try batches[3..<5].map { try resumed.trainStep($0)["loss"]! }
    #expect(losses.map(\.bitPattern) == expected.map(\.bitPattern))
    for ((n1, p1), (n2, p2)) in zip(straight.network.namedParameters(), resumed.network.namedParameters()) {
      #expect(n1 == n2 && bits(p1) == bits(p2))
    }
  }

  /// A longer run for a release build, off unless `GENAI_VAE_LONG=1`:
  /// `GENAI_VAE_LONG=1 swift test -c release --filter longConvRun`.
  @Test(.longRun(filter: "longConvRun", variable: "GENAI_VAE_LONG"), .requiresSharedData(.fashionMNIST))
  func longConvRun() throws {
    let images = try #require(try fashionImages(10_000))
    let vae = try VAE(network: ConvVAE(seed: 1), warmupSteps: 200)
    var g = SeededGenerator(seed: 2)
    let start = Date()
    for step in 0..<600 {
      let idx = (0..<64).map { _ in Int.random(in: 0..<10_000, using: &g) }
      let x = Tensor.concatenate(idx.map { images.slice(axis: 0, $0..<($0 + 1)) }, axis: 0)
      let r = try vae.trainStep(Batch(inputs: x))
      if step % 100 == 0 || step == 599 { print("step \(step) \(r) \(Date().timeIntervalSince(start))s") }
    }
    let s = try vae.sample(count: 64, label: nil, using: &g)
    let dir = FileManager.default.temporaryDirectory
    try ImageGrid.write(s, to: dir.appendingPathComponent("vae-samples.png"), range: .zeroToOne, scale: 2)
    let originals = images.slice(axis: 0, 0..<8)
    let recon = try vae.reconstruct(originals)
    try ImageGrid.write(Tensor.concatenate([originals, recon], axis: 0), to: dir.appendingPathComponent("vae-recon.png"),
                        range: .zeroToOne, columns: 8, scale: 2)
    let path = try vae.interpolate(from: images.slice(axis: 0, 0..<1), to: images.slice(axis: 0, 1..<2), steps: 8)
    try ImageGrid.write(path, to: dir.appendingPathComponent("vae-interp.png"), range: .zeroToOne, columns: 8, scale: 2)
  }
}
