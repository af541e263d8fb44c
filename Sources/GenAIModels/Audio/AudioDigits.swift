import GenAIData
import GenAINN
import GenAITensor

/// The `audio` recipe: a class-conditional generator of one-second spoken digits at 8 kHz.
///
/// A conditional VAE (`AudioDigitsVAE`) models the normalised log-magnitude spectrogram of a
/// clip (`DigitSpectrogram`, `[1, 128, 128]`); sampling decodes `z ~ N(0, τ²I)` with the asked
/// label and turns the spectrogram into a waveform with Griffin–Lim. One training step on a batch
/// as `AudioSet.makeBatch` makes it (`inputs` `[B, 1, 8000]` in [-1, 1], `labels` `[B]`):
/// ```
/// x = features(inputs)                               [B, 1, 128, 128], computed every step
/// (μ, logσ²) = encode(x, y);  z = μ + σ·ε            ε from network.noise
/// recon = mean_b Σ_grid |decode(z, y) − x|           (a Laplace likelihood, scale 1)
/// kl    = mean_b −½ Σ (1 + logσ² − μ² − σ²)
/// loss  = recon + klWeight · β · kl                  β: KLWarmup over klWarmupSteps
/// ```
/// Optimiser: Adam (`learningRate`, PyTorch betas). The warm-up reads the optimiser's step count
/// and the noise lives in the network, so a `TrainingCheckpoint` resumes a run exactly.
///
/// Returns `loss`, `recon`, `kl` and `beta` from `trainStep`.
public final class AudioDigits: AudioGenerating {
  /// `audio`: the spoken digits by default, tracked by the feature network's accuracy on
  /// generated digits.
  public static let kind = RecipeKind(
    name: "audio", summary: "spoken digits 0-9 at 8 kHz, conditioned on the digit",
    data: [.audio(steps: Config().steps, batchSize: Config().batchSize)], mainMetric: MainMetric("accuracy", better: .higher),
    minimumBatchSize: 2
  ) { setup in
    var config = setup.options.audio
    if let rate = setup.learningRate { config.learningRate = rate }
    return try AudioDigits(config: config, seed: setup.seed)
  }

  /// The hyperparameters.
  public struct Config: Sendable, Codable, Equatable {
    /// Base channel count `w` of the network.
    public var width = 16
    /// Latent size `D`.
    public var latentSize = 32
    /// Size `E` of the decoder's label vector.
    public var labelSize = 16
    /// Adam's learning rate.
    public var learningRate: Float = 1e-3
    /// Clips per batch (for building the loader; `trainStep` accepts any `B`).
    public var batchSize = 32
    /// Recommended number of training steps (for the CLI's default run length): 3,000 batches of
    /// 32 (64 epochs) take 25–35 minutes on 2 CPU cores in a release build (1.4–2 steps/s).
    public var steps = 3000
    /// Updates over which the KL weight rises from 0 to `klWeight` (0: at once).
    public var klWarmupSteps = 200
    /// Final weight of the KL term.
    public var klWeight: Float = 1
    /// Griffin–Lim rounds when sampling.
    public var griffinLimIterations = 32
    /// Standard deviation `τ` of the latents drawn when sampling (below 1: clearer, less varied
    /// digits). Measured on 200 clips: a log-mel classifier heard the asked digit in 96.5 % of
    /// them at τ = 1 and 98.5 % at τ = 0.7 after 1,900 steps; 99 % and 100 % after 3,100.
    public var temperature: Float = 0.7

    /// The defaults above.
    public init() {}

    /// Checks every field's range (sizes bounded so a typo cannot ask for more memory than a
    /// machine has).
    /// - Throws: `SettingError` naming the first field out of range.
    public func validate() throws {
      try SettingError.check(width, in: 1...256, "width")
      try SettingError.check(latentSize, in: 1...4096, "latentSize")
      try SettingError.check(labelSize, in: 1...4096, "labelSize")
      try SettingError.checkPositive(learningRate, "learningRate")
      try SettingError.check(batchSize, in: 1...65_536, "batchSize")
      try SettingError.check(steps >= 0, "steps", "must be >= 0, got \(steps)")
      try SettingError.check(klWarmupSteps >= 0, "klWarmupSteps", "must be >= 0, got \(klWarmupSteps)")
      try SettingError.checkNonNegative(klWeight, "klWeight")
      try SettingError.check(griffinLimIterations, in: 0...10_000, "griffinLimIterations")
      try SettingError.checkPositive(temperature, "temperature")
    }
  }

  /// The configuration the recipe was made with.
  public let config: Config
  /// The conditional VAE.
  public let network: AudioDigitsVAE
  /// Adam over every parameter of `network`.
  public let optimizer: Adam
  /// The spectrogram features and their inverse.
  public let spectrogram = DigitSpectrogram()
  /// The KL weight schedule.
  public let warmup: KLWarmup

  /// 8000 Hz.
  public var sampleRate: Int { 8000 }
  /// 10 (the digits).
  public var classCount: Int { network.classCount }

  /// A recipe with weights and the noise stream drawn from `seed`.
  /// - Throws: `SettingError` for a field of `config` out of range (see `Config.validate()`).
  public init(config: Config = Config(), seed: UInt64) throws {
    try config.validate()
    self.config = config
    var generator = SeededGenerator(seed: seed)
    network = AudioDigitsVAE(
      classCount: 10, width: config.width, latentSize: config.latentSize, labelSize: config.labelSize,
      using: &generator)
    optimizer = Adam(parameters: network.parameters(), learningRate: config.learningRate)
    warmup = KLWarmup(steps: config.klWarmupSteps)
  }

  /// `["vae": network]` (including its noise generator).
  public var models: [String: Module] { ["vae": network] }
  /// `["adam": optimizer]`.
  public var optimizers: [String: any Optimizer] { ["adam": optimizer] }

  /// The KL weight of the next update, `klWeight · β`.
  public var beta: Float { config.klWeight * warmup.beta(atStep: optimizer.stepCount) }

  /// The waveforms `[B, 1, 8000]` and labels `[B]` of `batch`.
  /// - Throws: `RecipeError` for another shape, missing labels or a label out of range.
  func inputs(_ batch: Batch) throws -> (Tensor, IndexTensor) {
    let x = batch.inputs
    let t = DigitSpectrogram.clipLength
    guard x.rank == 3, x.shape[0] > 0, x.shape[1] == 1, x.shape[2] == t else {
      throw RecipeError(recipe: Self.name, "expects waveforms [B, 1, \(t)] with B > 0, got \(x.shape)")
    }
    guard let labels = batch.labels else {
      throw RecipeError(recipe: Self.name, "is class-conditional (\(classCount) classes) but the batch has no labels")
    }
    guard labels.count == x.shape[0] else {
      throw RecipeError(recipe: Self.name, "has \(labels.count) labels for \(x.shape[0]) clips")
    }
    if let bad = labels.values.first(where: { $0 < 0 || $0 >= classCount }) {
      throw RecipeError(recipe: Self.name, "label \(bad) is out of range 0..<\(classCount)")
    }
    return (x, labels.reshaped([labels.count]))
  }

  /// The loss terms of one forward pass on grids `x` `[B, 1, 128, 128]` with labels `[B]` and
  /// KL weight `beta` (draws ε from the network's noise).
  func losses(_ x: Tensor, labels: IndexTensor, beta: Float) -> (loss: Tensor, recon: Tensor, kl: Tensor) {
    let (mean, logVariance) = network.encode(x, labels: labels)
    let z = network.reparameterize(mean: mean, logVariance: logVariance)
    let out = network.decode(z, labels: labels)
    let recon = (out - x).abs().sum() * (1 / Float(x.shape[0]))
    let kl = klDivergenceFromStandardNormal(mean: mean, logVariance: logVariance)
    return (recon + kl * beta, recon, kl)
  }

  /// One Adam update as described above; returns `loss`, `recon`, `kl`, `beta`.
  /// - Throws: `RecipeError` for a batch of the wrong shape or with bad labels; `AutodiffError`
  ///   when the loss is not finite.
  public func trainStep(_ batch: Batch) throws -> [String: Float] {
    let (waveforms, labels) = try inputs(batch)
    let x = spectrogram.features(waveforms)
    let beta = self.beta
    network.train()
    optimizer.zeroGrad()
    let (loss, recon, kl) = losses(x, labels: labels, beta: beta)
    try loss.backward()
    optimizer.step()
    return ["loss": loss.item, "recon": recon.item, "kl": kl.item, "beta": beta]
  }

  /// Spectrogram grids `[count, 1, 128, 128]` decoded (evaluation mode, nothing recorded) from
  /// `z ~ N(0, τ²I)` drawn with `generator`, for `label` or the classes in turn.
  /// - Throws: `RecipeError` for `count < 1` or a label out of range.
  public func sampleSpectrograms(count: Int, label: Int?, using generator: inout SeededGenerator) throws -> Tensor {
    guard let labels = try GANInputs.sampleLabels(count: count, label: label, classCount: classCount, recipe: Self.name) else {
      throw RecipeError(recipe: Self.name, "needs labels")  // unreachable: the recipe is conditional
    }
    let z = Tensor.randn([count, network.latentSize], using: &generator) * config.temperature
    let wasTraining = network.isTraining
    network.eval()
    defer { network.train(wasTraining) }
    return withNoGrad { network.decode(z, labels: labels) }
  }

  /// `count` clips `[count, 8000]` in [-1, 1] at 8 kHz: `sampleSpectrograms`, then Griffin–Lim
  /// (`griffinLimIterations` rounds, initial phases from `generator`).
  /// - Throws: `RecipeError` for `count < 1` or a label out of range.
  public func sample(count: Int, label: Int?, using generator: inout SeededGenerator) throws -> Tensor {
    let grids = try sampleSpectrograms(count: count, label: label, using: &generator)
    return spectrogram.waveforms(grids, iterations: config.griffinLimIterations, using: &generator)
  }
}

extension AudioDigits {
  /// The log-mel spectrograms the network models.
  public func spectrograms(of clips: Tensor) -> Tensor? { spectrogram.features(clips) }
}
