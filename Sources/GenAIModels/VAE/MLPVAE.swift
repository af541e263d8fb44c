import GenAINN
import GenAITensor

/// The fully connected VAE of Kingma & Welling (784-400-20), for `[N, 1, 28, 28]` images:
///
/// ```
/// encoder: Flatten [N,784] → Linear(784→400)+ReLU → meanHead Linear(400→D), logVarianceHead Linear(400→D)
/// decoder: Linear(D→400)+ReLU → Linear(400→784) → Reshape [N,1,28,28] (logits or means)
/// ```
///
/// Parameter names: `encoder.1.*`, `meanHead.*`, `logVarianceHead.*`, `decoder.{0,2}.*`;
/// 652,824 parameters at `D = 20`.
///
/// Reference: Kingma & Welling, "Auto-Encoding Variational Bayes", ICLR 2014, arXiv:1312.6114.
public final class MLPVAE: Module, VAENetwork {
  /// The latent size `D`.
  public let latentSize: Int
  /// The hidden width (400).
  public let hiddenSize: Int
  /// `[1, 28, 28]`.
  public var imageShape: [Int] { [1, 28, 28] }
  /// `[N, 1, 28, 28]` → hidden `[N, 400]`.
  public let encoder: Sequential
  /// hidden → mean `[N, D]`.
  public let meanHead: Linear
  /// hidden → log variance `[N, D]`.
  public let logVarianceHead: Linear
  /// `[N, D]` → `[N, 1, 28, 28]`.
  public let decoder: Sequential
  /// The reparameterisation noise.
  public let noise: RandomSource

  /// A network with weights drawn from `SeededGenerator(seed: seed)`.
  public init(latentSize: Int = 20, hiddenSize: Int = 400, seed: UInt64 = 0) {
    require(latentSize > 0 && hiddenSize > 0, "[MLPVAE] sizes must be positive")
    self.latentSize = latentSize
    self.hiddenSize = hiddenSize
    var g = SeededGenerator(seed: seed)
    encoder = Sequential([Flatten(), Linear(inputSize: 784, outputSize: hiddenSize, using: &g), ReLU()])
    meanHead = Linear(inputSize: hiddenSize, outputSize: latentSize, using: &g)
    logVarianceHead = Linear(inputSize: hiddenSize, outputSize: latentSize, using: &g)
    decoder = Sequential([
      Linear(inputSize: latentSize, outputSize: hiddenSize, using: &g), ReLU(),
      Linear(inputSize: hiddenSize, outputSize: 784, using: &g), Reshape([1, 28, 28]),
    ])
    noise = RandomSource(seed: seed ^ 0x9E37_79B9_7F4A_7C15)
    super.init()
  }

  /// `[N, 1, 28, 28]` → `(mean [N, D], logVariance [N, D])`.
  public func encode(_ x: Tensor) -> (mean: Tensor, logVariance: Tensor) {
    let h = encoder(x)
    return (meanHead(h), logVarianceHead(h))
  }

  /// `[N, D]` → `[N, 1, 28, 28]`.
  public func decode(_ z: Tensor) -> Tensor { decoder(z) }
}
