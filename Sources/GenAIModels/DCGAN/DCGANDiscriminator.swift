import GenAINN
import GenAITensor

/// The DCGAN discriminator (and, without dropout, the WGAN-GP critic):
///
/// ```
/// x [N, 1, 28, 28] (+ label plane [N, 1, 28, 28] when conditional → [N, 2, 28, 28])
///   → Conv2d C→64,  5x5, s2, same → LeakyReLU 0.2 → Dropout 0.3   [N, 64, 14, 14]
///   → Conv2d 64→128, 5x5, s2, same → LeakyReLU 0.2 → Dropout 0.3  [N, 128, 7, 7]
///   → Flatten                                                    [N, 6272]
///   → Linear 6272 → 1                                            [N, 1] (a logit / a score)
/// ```
///
/// Class-conditional option: `labelPlane` is an `Embedding(classes, 784)` whose row for each label
/// is reshaped to a 28x28 plane and concatenated to the image as a second input channel
/// (the Keras cGAN recipe). Dropout layers draw from their own `RandomSource`s, held by the module
/// so checkpoints save them. Weights and biases start as `initialization` says: N(0, 0.02) and
/// PyTorch's biases (the paper, and WGAN-GP), or Glorot-uniform and zeros (Keras, the `dcgan` recipe).
///
/// Inside, the images run channels-last (`[N, H, W, C]`) as in `DCGANGenerator`; the flatten
/// before `fc` keeps PyTorch's `(c, h, w)` feature order, so parameters and checkpoints are a
/// channels-first network's.
///
/// Spectral-normalisation option (`GANImprovement.spectralNorm`): `conv1`, `conv2` and `fc` run
/// with their weights divided by their largest singular value (`SpectralNorm`, one power
/// iteration per training call).
public final class DCGANDiscriminator: Module {
  /// `[classes, 784]`, or `nil` for an unconditional discriminator.
  public let labelPlane: Embedding?
  /// C → 64, stride 2 (spectrally normalised or not).
  public let conv1: any UnaryLayer
  /// Dropout 0.3 after the first block, or `nil` (critic).
  public let drop1: Dropout?
  /// 64 → 128, stride 2 (spectrally normalised or not).
  public let conv2: any UnaryLayer
  /// Dropout 0.3 after the second block, or `nil` (critic).
  public let drop2: Dropout?
  /// `[1, 6272]` with bias (spectrally normalised or not).
  public let fc: any UnaryLayer

  /// A discriminator; `classCount` makes it class-conditional, `dropout: false` gives the critic,
  /// `spectralNorm: true` normalises every layer's weight.
  public init(
    classCount: Int? = nil, dropout: Bool = true, spectralNorm: Bool = false, initialization: DCGANInitialization = .paper,
    using generator: inout some RandomNumberGenerator
  ) {
    func normalised<L: WeightedLayer>(_ layer: L) -> any UnaryLayer {
      spectralNorm ? SpectralNorm(layer, using: &generator) : layer
    }
    let initW = initialization.weights
    labelPlane = classCount.map { Embedding(count: $0, dimension: 28 * 28, using: &generator) }
    conv1 = normalised(Conv2d(
      inputChannels: classCount == nil ? 1 : 2, outputChannels: 64, kernelSize: 5, stride: 2, padding: .same,
      weightInit: initW, layout: .channelsLast, using: &generator))
    drop1 = dropout ? Dropout(p: 0.3, using: &generator) : nil
    conv2 = normalised(Conv2d(
      inputChannels: 64, outputChannels: 128, kernelSize: 5, stride: 2, padding: .same,
      weightInit: initW, layout: .channelsLast, using: &generator))
    drop2 = dropout ? Dropout(p: 0.3, using: &generator) : nil
    fc = normalised(Linear(inputSize: 7 * 7 * 128, outputSize: 1, weightInit: initW, using: &generator))
    super.init()
    initialization.initializeBiases(of: self)
  }

  /// Number of classes of a conditional discriminator, else `nil`.
  public var classCount: Int? { labelPlane?.count }

  /// Logits `[N, 1]` for images `x` `[N, 1, 28, 28]` (and `labels` `[N]` when conditional).
  ///
  /// `stackedBatches` B > 1 takes B batches stacked along axis 0 (a D step's real and fake
  /// images: one call packs each weight once and keeps both cores busier): the dropout masks are
  /// drawn batch after batch, so the logits are those of B calls in turn. D has no batch
  /// statistics, so nothing else depends on the stacking.
  public func callAsFunction(_ x: Tensor, labels: IndexTensor? = nil, stackedBatches: Int = 1) -> Tensor {
    require(x.rank == 4 && Array(x.shape.dropFirst()) == [1, 28, 28],
      "[DCGANDiscriminator] expects images [N, 1, 28, 28], got \(shapeString(x.shape))")
    let n = x.shape[0]
    // [N, 1, 28, 28] is [N, 28, 28, 1] in memory.
    var h = x.reshaped([n, 28, 28, 1])
    if let labelPlane, let labels {
      h = Tensor.concatenate([h, labelPlane(labels).reshaped([n, 28, 28, 1])], axis: 3)
    }
    h = conv1(h).leakyRelu(slope: 0.2)
    if let drop1 { h = drop1(h, stackedBatches: stackedBatches) }
    h = conv2(h).leakyRelu(slope: 0.2)
    if let drop2 { h = drop2(h, stackedBatches: stackedBatches) }
    return fc(h.permuted([0, 3, 1, 2]).reshaped([n, 7 * 7 * 128]))
  }
}
