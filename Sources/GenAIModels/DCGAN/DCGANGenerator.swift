import GenAINN
import GenAITensor

/// The DCGAN generator of the article (corrected) and of `../shared/bench/dcgan.py`:
///
/// ```
/// z [N, 100] (+ label embedding [N, 100] when conditional)
///   → Linear 100 → 7·7·128, no bias        [N, 6272]
///   → BatchNorm1d (momentum 0.2 = Keras 0.8, eps 1e-3) → LeakyReLU 0.2
///   → reshape                               [N, 128, 7, 7]
///   → ConvTranspose2d 128→128, 5x5, s1, same, no bias → BatchNorm2d → LeakyReLU  [N, 128, 7, 7]
///   → ConvTranspose2d 128→64,  5x5, s2, same, no bias → BatchNorm2d → LeakyReLU  [N, 64, 14, 14]
///   → ConvTranspose2d 64→1,    5x5, s2, same, no bias → tanh                     [N, 1, 28, 28]
/// ```
///
/// The output is 28x28x1 in [-1, 1] (Fashion-MNIST's size); the article's "128x128" claim does
/// not follow from this stack (7 → 7 → 14 → 28), so the networks are built for 28x28.
///
/// Inside, the images run channels-last (`[N, H, W, C]`, the reshape moving the features there):
/// the convolutions then read each pixel's channels in place, with no layout copies around them
/// (`ConvolutionChannelsLast.swift`). Shapes above are drawn channels-first as PyTorch's are;
/// parameters, their names and checkpoints are the same as a channels-first network's.
///
/// Linear and convolution weights start as `initialization` says: from N(0, 0.02) as in the DCGAN
/// paper (the default, and WGAN-GP's), or Glorot-uniform as Keras (the `dcgan` recipe's); batch
/// norm starts at weight 1, bias 0.
///
/// Upsampling option (`GANImprovement.upsample`): `ct2` and `ct3` become nearest-neighbour 2x
/// upsampling then a 3x3 "same" convolution (128→64, 64→1), so no output pixel gets more kernel
/// taps than its neighbour and the transposed convolutions' checkerboard cannot appear.
///
/// Class-conditional option: `labelEmbedding` is an `Embedding(classes, 100)` (N(0, 1) rows, so
/// on the scale of z) whose row for each label is *added* to z before the first layer.
///
/// The generator also holds `noise`, the `RandomSource` the recipes draw training latents from,
/// so a `TrainingCheckpoint` of the models alone restores the noise stream exactly.
public final class DCGANGenerator: Module {
  /// Size of the latent vector z.
  public static let latentSize = 100

  /// `[classes, 100]`, or `nil` for an unconditional generator.
  public let labelEmbedding: Embedding?
  /// `[6272, 100]`, no bias.
  public let fc: Linear
  /// Over the 6272 features.
  public let bn0: BatchNorm1d
  /// 128 → 128, stride 1.
  public let ct1: ConvTranspose2d
  /// Over 128 channels.
  public let bn1: BatchNorm2d
  /// 128 → 64, stride 2 (or upsample + 3x3 convolution).
  public let ct2: any UnaryLayer
  /// Over 64 channels.
  public let bn2: BatchNorm2d
  /// 64 → 1, stride 2 (or upsample + 3x3 convolution).
  public let ct3: any UnaryLayer
  /// Where training latents are drawn from (saved with the model by checkpoints).
  public let noise: RandomSource

  /// A generator; `classCount` makes it class-conditional.
  /// - Parameters:
  ///   - classCount: number of classes, or `nil` for unconditional.
  ///   - upsample: upsample + convolution instead of the stride-2 transposed convolutions.
  ///   - initialization: the weights' starting distribution.
  ///   - generator: draws the initial weights and the seed of `noise`.
  public init(
    classCount: Int? = nil, upsample: Bool = false, initialization: DCGANInitialization = .paper,
    using generator: inout some RandomNumberGenerator
  ) {
    let z = DCGANGenerator.latentSize
    let initW = initialization.weights
    labelEmbedding = classCount.map { Embedding(count: $0, dimension: z, using: &generator) }
    fc = Linear(inputSize: z, outputSize: 7 * 7 * 128, bias: false, weightInit: initW, using: &generator)
    bn0 = BatchNorm1d(featureCount: 7 * 7 * 128, epsilon: 1e-3, momentum: 0.2)
    ct1 = ConvTranspose2d(
      inputChannels: 128, outputChannels: 128, kernelSize: 5, stride: 1, padding: .same, bias: false,
      weightInit: initW, layout: .channelsLast, using: &generator)
    bn1 = BatchNorm2d(featureCount: 128, epsilon: 1e-3, momentum: 0.2, layout: .channelsLast)
    ct2 = Self.upsampling(128, 64, upsample: upsample, initW, using: &generator)
    bn2 = BatchNorm2d(featureCount: 64, epsilon: 1e-3, momentum: 0.2, layout: .channelsLast)
    ct3 = Self.upsampling(64, 1, upsample: upsample, initW, using: &generator)
    noise = RandomSource(seed: generator.next())
    super.init()
  }

  /// A channels-last 2x upsampling layer `inputs → outputs` without bias: the 5x5 stride-2
  /// transposed convolution, or nearest upsampling then a 3x3 convolution.
  static func upsampling(
    _ inputs: Int, _ outputs: Int, upsample: Bool, _ initW: Initializer, using generator: inout some RandomNumberGenerator
  ) -> any UnaryLayer {
    guard upsample else {
      return ConvTranspose2d(
        inputChannels: inputs, outputChannels: outputs, kernelSize: 5, stride: 2, padding: .same, bias: false,
        weightInit: initW, layout: .channelsLast, using: &generator)
    }
    return Sequential([
      Upsample(scale: (2, 2), layout: .channelsLast),
      Conv2d(
        inputChannels: inputs, outputChannels: outputs, kernelSize: 3, padding: .same, bias: false, weightInit: initW,
        layout: .channelsLast, using: &generator),
    ])
  }

  /// Number of classes of a conditional generator, else `nil`.
  public var classCount: Int? { labelEmbedding?.count }

  /// Images `[N, 1, 28, 28]` in [-1, 1] from latents `z` `[N, 100]` (and `labels` `[N]` when
  /// conditional; ignored otherwise).
  public func callAsFunction(_ z: Tensor, labels: IndexTensor? = nil) -> Tensor {
    let n = z.shape[0]
    var h = z
    if let labelEmbedding, let labels { h = h + labelEmbedding(labels) }
    h = bn0(fc(h)).leakyRelu(slope: 0.2).reshaped([n, 128, 7, 7]).permuted([0, 2, 3, 1])
    h = bn1(ct1(h)).leakyRelu(slope: 0.2)
    h = bn2(ct2(h)).leakyRelu(slope: 0.2)
    // [N, 28, 28, 1] is [N, 1, 28, 28] in memory.
    return ct3(h).tanh().reshaped([n, 1, 28, 28])
  }
}
