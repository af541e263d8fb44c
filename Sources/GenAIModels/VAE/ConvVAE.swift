import GenAINN
import GenAITensor

/// The convolutional VAE of `../shared/bench/vae.py`, for `[N, 1, 28, 28]` images:
///
/// ```
/// encoder: Conv(1→32, 3×3, s2, same)+ReLU   [N,32,14,14]
///          Conv(32→64, 3×3, s2, same)+ReLU  [N,64,7,7]
///          Flatten [N,3136] → Linear(3136 → 2·D), split into mean [N,D] and logVariance [N,D]
/// decoder: Linear(D → 3136)+ReLU → Reshape [N,64,7,7]
///          ConvT(64→64, 3×3, s2, same)+ReLU  [N,64,14,14]
///          ConvT(64→32, 3×3, s2, same)+ReLU  [N,32,28,28]
///          ConvT(32→1, 3×3, s1, same)        [N,1,28,28] logits
/// ```
///
/// Parameter names: `encoder.{0,2,5}.{weight,bias}`, `decoder.{0,3,5,7}.{weight,bias}`;
/// 228,193 parameters at `D = 16`. PyTorch's default initialisation throughout.
///
/// Inside, the images run channels-last (`[N, H, W, C]`, as Keras runs this network): the
/// convolutions then read their window taps in place instead of gathering and scattering them.
/// On a 2-core Sapphire Rapids a training step ran 1.19x faster on two threads (23.1 → 27.4
/// steps/s, `Benchmarks/compare_recipes.py`) and 1.13x on one. The flatten and reshape
/// around the dense layers keep PyTorch's `(c, h, w)` feature order, so the parameters, their
/// names and checkpoints are those of the channels-first network, and `encode` / `decode` take and
/// give `[N, 1, 28, 28]`.
public final class ConvVAE: Module, VAENetwork {
  /// The latent size `D`.
  public let latentSize: Int
  /// `[1, 28, 28]`.
  public var imageShape: [Int] { [1, 28, 28] }
  /// Images `[N, 1, 28, 28]` → `[N, 2·D]` (mean, then log variance).
  public let encoder: Sequential
  /// Codes `[N, D]` → logits `[N, 1, 28, 28]`.
  public let decoder: Sequential
  /// The reparameterisation noise, seeded from the construction seed.
  public let noise: RandomSource

  /// A network with latent size `latentSize`, weights drawn from `SeededGenerator(seed: seed)`
  /// and noise from a generator seeded with `seed` mixed with a constant.
  public init(latentSize: Int = 16, seed: UInt64 = 0) {
    require(latentSize > 0, "[ConvVAE] latent size must be positive, got \(latentSize)")
    self.latentSize = latentSize
    var g = SeededGenerator(seed: seed)
    let last = ConvLayout.channelsLast
    encoder = Sequential([
      Conv2d(inputChannels: 1, outputChannels: 32, kernelSize: 3, stride: 2, padding: .same, layout: last, using: &g),
      ReLU(),
      Conv2d(inputChannels: 32, outputChannels: 64, kernelSize: 3, stride: 2, padding: .same, layout: last, using: &g),
      ReLU(),
      Flatten(channelsLastImages: true),
      Linear(inputSize: 7 * 7 * 64, outputSize: 2 * latentSize, using: &g),
    ])
    decoder = Sequential([
      Linear(inputSize: latentSize, outputSize: 7 * 7 * 64, using: &g), ReLU(), Reshape([64, 7, 7], toChannelsLast: true),
      ConvTranspose2d(
        inputChannels: 64, outputChannels: 64, kernelSize: 3, stride: 2, padding: .same, layout: last, using: &g),
      ReLU(),
      ConvTranspose2d(
        inputChannels: 64, outputChannels: 32, kernelSize: 3, stride: 2, padding: .same, layout: last, using: &g),
      ReLU(),
      ConvTranspose2d(
        inputChannels: 32, outputChannels: 1, kernelSize: 3, stride: 1, padding: .same, layout: last, using: &g),
    ])
    noise = RandomSource(seed: seed ^ 0x9E37_79B9_7F4A_7C15)
    super.init()
  }

  /// `[N, 1, 28, 28]` → `(mean [N, D], logVariance [N, D])`.
  public func encode(_ x: Tensor) -> (mean: Tensor, logVariance: Tensor) {
    require(x.rank == 4 && Array(x.shape.dropFirst()) == imageShape,
      "[ConvVAE] expects images [N, 1, 28, 28], got \(shapeString(x.shape))")
    // One channel: [N, 1, 28, 28] and [N, 28, 28, 1] are the same floats.
    let parts = encoder(x.reshaped([x.shape[0], 28, 28, 1])).split(parts: 2, axis: 1)
    return (parts[0], parts[1])
  }

  /// `[N, D]` → logits `[N, 1, 28, 28]`.
  public func decode(_ z: Tensor) -> Tensor {
    let logits = decoder(z)
    return logits.reshaped([logits.shape[0], 1, 28, 28])
  }
}
