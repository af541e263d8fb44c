import GenAINN
import GenAITensor

/// The VAE-GAN's discriminator `D`, a small conv net on `[N, 1, 28, 28]` images in `[-1, 1]`:
///
/// ```
/// Conv(1→32, 3×3, s2, same)+LeakyReLU(0.2)   [N,32,14,14]
/// Conv(32→64, 3×3, s2, same)+LeakyReLU(0.2)  [N,64,7,7]
/// Flatten [N,3136] → Linear(3136→1)          [N,1] logits (real vs generated)
/// ```
///
/// Parameter names `layers.{0,2,5}.{weight,bias}`; 219,393 parameters.
public final class VAEGANDiscriminator: Module, UnaryLayer {
  /// The layers, in order.
  public let layers: Sequential

  /// A discriminator with weights drawn from `SeededGenerator(seed: seed)`.
  public init(seed: UInt64 = 0) {
    var g = SeededGenerator(seed: seed)
    layers = Sequential([
      Conv2d(inputChannels: 1, outputChannels: 32, kernelSize: 3, stride: 2, padding: .same, using: &g),
      LeakyReLU(slope: 0.2),
      Conv2d(inputChannels: 32, outputChannels: 64, kernelSize: 3, stride: 2, padding: .same, using: &g),
      LeakyReLU(slope: 0.2),
      Flatten(),
      Linear(inputSize: 7 * 7 * 64, outputSize: 1, using: &g),
    ])
    super.init()
  }

  /// Images `[N, 1, 28, 28]` → logits `[N, 1]`.
  public func callAsFunction(_ x: Tensor) -> Tensor { layers(x) }
}
