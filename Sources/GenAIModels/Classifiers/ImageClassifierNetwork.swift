import GenAINN
import GenAITensor

/// The image classifier's network, a small VGG-style CNN.
///
/// ```
/// x [N, 1, 28, 28] in [-1, 1]
///   → Conv2d 1→32,  3x3 same → BatchNorm → ReLU → MaxPool 2   [N, 32, 14, 14]
///   → Conv2d 32→64, 3x3 same → BatchNorm → ReLU → MaxPool 2   [N, 64, 7, 7]
///   → Flatten → Linear 3136→128 → BatchNorm → ReLU            [N, 128]  (features)
///   → Dropout 0.3 → Linear 128→K                              [N, K]    (logits)
/// ```
///
/// Batch norm lets Adam at 1e-3 converge within a couple of epochs; the features are taken after
/// the ReLU and before dropout, so they are deterministic in evaluation mode. The dropout masks
/// come from the layer's own `RandomSource`, saved by training checkpoints.
public final class ImageClassifierNetwork: Module {
  /// Width of the feature layer, `F`.
  public static let featureSize = 128

  /// 1 → 32.
  public let conv1: Conv2d
  /// After `conv1`.
  public let norm1: BatchNorm2d
  /// 32 → 64.
  public let conv2: Conv2d
  /// After `conv2`.
  public let norm2: BatchNorm2d
  /// 3136 → 128.
  public let fc1: Linear
  /// After `fc1`.
  public let norm3: BatchNorm1d
  /// Dropout 0.3 before the head.
  public let drop: Dropout
  /// 128 → K.
  public let head: Linear

  /// A network for `classCount` classes, weights and the dropout seed drawn from `generator`.
  public init(classCount: Int, using generator: inout some RandomNumberGenerator) {
    conv1 = Conv2d(inputChannels: 1, outputChannels: 32, kernelSize: 3, padding: .same, bias: false, using: &generator)
    norm1 = BatchNorm2d(featureCount: 32)
    conv2 = Conv2d(inputChannels: 32, outputChannels: 64, kernelSize: 3, padding: .same, bias: false, using: &generator)
    norm2 = BatchNorm2d(featureCount: 64)
    fc1 = Linear(inputSize: 64 * 7 * 7, outputSize: Self.featureSize, bias: false, using: &generator)
    norm3 = BatchNorm1d(featureCount: Self.featureSize)
    drop = Dropout(p: 0.3, using: &generator)
    head = Linear(inputSize: Self.featureSize, outputSize: classCount, using: &generator)
    super.init()
  }

  /// Features `[N, 128]` of images `x` `[N, 1, 28, 28]`.
  public func features(_ x: Tensor) -> Tensor {
    let n = x.shape[0]
    var h = norm1(conv1(x)).relu().maxPool2d(kernel: (2, 2))
    h = norm2(conv2(h)).relu().maxPool2d(kernel: (2, 2))
    return norm3(fc1(h.reshaped([n, 64 * 7 * 7]))).relu()
  }

  /// Logits `[N, K]` of features `[N, 128]` (dropout in training mode).
  public func logits(features: Tensor) -> Tensor { head(drop(features)) }

  /// Logits `[N, K]` of images `x` `[N, 1, 28, 28]`.
  public func callAsFunction(_ x: Tensor) -> Tensor { logits(features: features(x)) }
}
