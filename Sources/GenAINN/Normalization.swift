import GenAITensor

// MARK: - Batch normalisation

/// What `BatchNorm1d` and `BatchNorm2d` share (PyTorch's `_BatchNorm`): the scale and shift, the
/// running statistics under PyTorch's keys, and the normalisation of `[N, C, ...]` (or
/// channels-last `[N, H, W, C]`) over every axis but the channels'. Use one of the two; each adds the input shapes it accepts.
public class BatchNormBase: Module {
  /// Scale γ `[C]`, initially ones; `nil` when not affine.
  public let weight: Tensor?
  /// Shift β `[C]`, initially zeros; `nil` when not affine.
  public let bias: Tensor?
  /// Running mean `[C]`, initially zeros (key `running_mean`); `nil` without running statistics.
  public let runningMean: Tensor?
  /// Running variance `[C]`, initially ones (key `running_var`); `nil` without running statistics.
  public let runningVar: Tensor?
  /// Added to the variance.
  public let epsilon: Float
  /// Weight of the batch statistics in the running update (PyTorch convention; see
  /// `BatchNorm1d`).
  public let momentum: Float

  /// A batch norm over `featureCount` channels.
  /// - Parameters:
  ///   - featureCount: `C`.
  ///   - epsilon: added to the variance (PyTorch's `eps`).
  ///   - momentum: PyTorch's `momentum`, i.e. `1 −` Keras' `momentum`.
  ///   - affine: whether to learn `weight` and `bias`.
  ///   - trackRunningStats: whether to keep running statistics; without them batch statistics are
  ///     used in evaluation mode too.
  public init(
    featureCount: Int, epsilon: Float = 1e-5, momentum: Float = 0.1, affine: Bool = true,
    trackRunningStats: Bool = true
  ) {
    require(featureCount > 0, "[BatchNorm] needs a positive number of features, got \(featureCount)")
    weight = affine ? Tensor.ones([featureCount]).requiringGrad() : nil
    bias = affine ? Tensor.zeros([featureCount]).requiringGrad() : nil
    runningMean = trackRunningStats ? Tensor.zeros([featureCount]) : nil
    runningVar = trackRunningStats ? Tensor.ones([featureCount]) : nil
    self.epsilon = epsilon
    self.momentum = momentum
    super.init()
  }

  /// The processes whose batches this layer's statistics span in training (synchronised batch
  /// norm, for data-parallel training); `nil` normalises by this process's batch alone. With a
  /// group, N processes holding a global batch's shards normalise exactly as one process holding
  /// the whole batch does, at the price of two small all-reduces (2·C floats) forward and two
  /// backward per layer, and of the unfused (composed) normalisation.
  public var statisticsGroup: (any Collective)?

  /// The number of channels `C` when the layer has parameters or running statistics.
  var channelCount: Int? { (weight ?? runningMean)?.count }

  /// Normalises `x` over every axis but `channelAxis` (1 for `[N, C, ...]`, 3 for `[N, H, W, C]`):
  /// by the batch statistics (updating the running ones) in training mode or without running
  /// statistics, otherwise by the running statistics.
  func normalize(_ x: Tensor, channelAxis: Int = 1) -> Tensor {
    let c = x.shape[channelAxis]
    let axes = (0..<x.rank).filter { $0 != channelAxis }
    guard !isTraining, let runningMean, let runningVar else {
      let group = isTraining ? statisticsGroup.flatMap { $0.size > 1 ? $0 : nil } : nil
      let (y, mean, variance) =
        group.map { synchronizedNormalization(x, overAxes: axes, channels: c, group: $0) }
        ?? x.normalized(overAxes: axes, epsilon: epsilon, scale: weight, offset: bias)
      if isTraining, let runningMean, let runningVar {
        let n = x.count / Swift.max(c, 1) * (group?.size ?? 1)
        require(n > 1,
          "[BatchNorm] expects more than 1 value per channel when training, got input \(shapeString(x.shape))")
        // PyTorch's rule, with the unbiased batch variance for the running variance.
        let correction = Float(n) / Float(n - 1)
        mean.withUnsafeBufferPointer { bm in
          variance.withUnsafeBufferPointer { bv in
            runningMean.withUnsafeMutableBufferPointer { rm in
              runningVar.withUnsafeMutableBufferPointer { rv in
                for i in 0..<c {
                  rm[i] = (1 - momentum) * rm[i] + momentum * bm[i]
                  rv[i] = (1 - momentum) * rv[i] + momentum * bv[i] * correction
                }
              }
            }
          }
        }
      }
      return y
    }
    // Evaluation: y = x·k + (β − μ·k) with k = γ / √(σ² + ε), per channel.
    let channelShape = [c] + Array(repeating: 1, count: x.rank - 1 - channelAxis)
    var k = (runningVar + epsilon).pow(-0.5)
    if let weight { k = k * weight }
    var shift = -(runningMean * k)
    if let bias { shift = shift + bias }
    return x * k.reshaped(channelShape) + shift.reshaped(channelShape)
  }

  /// Training-mode normalisation by the statistics of the global batch spread over `group`
  /// (every member's shard of it), in recorded ops: `allSum`'s pullback sums the statistics'
  /// gradients over the members, so the backward pass needs nothing of its own.
  func synchronizedNormalization(_ x: Tensor, overAxes axes: [Int], channels: Int, group: any Collective)
    -> (normalized: Tensor, mean: Tensor, variance: Tensor)
  {
    let keptShape = x.shape.enumerated().map { axes.contains($0.offset) ? 1 : $0.element }
    let total = Float(x.count / Swift.max(channels, 1) * group.size)
    let mean = x.sum(axes: axes, keepDims: true).allSum(over: group) / total
    let centered = x - mean
    let variance = (centered * centered).sum(axes: axes, keepDims: true).allSum(over: group) / total
    var y = centered * (variance + epsilon).pow(-0.5)
    if let weight { y = y * weight.reshaped(keptShape) }
    if let bias { y = y + bias.reshaped(keptShape) }
    return (y, mean.detached(), variance.detached())
  }

  /// Running statistics under PyTorch's names.
  override func entries() -> [Entry] {
    renamingTensors(super.entries(), ["runningMean": "running_mean", "runningVar": "running_var"])
  }
}

/// Batch normalisation of `[N, C]` or `[N, C, L]` (PyTorch's `nn.BatchNorm1d`, Keras
/// `BatchNormalization(axis=1)`): each channel normalised by statistics over the batch (and
/// length), then scaled by `weight` and shifted by `bias`.
///
/// In training mode the batch's mean and (population) variance normalise the input and update
/// the running statistics by PyTorch's rule
/// `running = (1 − momentum) · running + momentum · batch`, where the running variance takes the
/// *unbiased* batch variance (divided by `n − 1`, `n = N·L`). In evaluation mode the running
/// statistics normalise instead.
///
/// **Momentum differs from Keras.** Keras updates `running = m · running + (1 − m) · batch`, so
/// Keras `momentum=0.8` is PyTorch (and this) `momentum=0.2`; Keras' default `0.99` is `0.01`
/// here. Keras' default `epsilon` is `1e-3`, PyTorch's `1e-5`.
///
/// State-dict keys are PyTorch's: `weight`, `bias`, `running_mean`, `running_var` (PyTorch's
/// `num_batches_tracked` is not kept; load a PyTorch state dict with `strict: false` or drop it).
public final class BatchNorm1d: BatchNormBase, UnaryLayer {
  /// Normalises `x` `[N, C]` or `[N, C, L]`; same shape out.
  public func callAsFunction(_ x: Tensor) -> Tensor {
    let c = channelCount
    require((x.rank == 2 || x.rank == 3) && (c == nil || x.shape[1] == c),
      "[BatchNorm1d] expects [N, C] or [N, C, L] with C = \(c.map(String.init) ?? "C"), got \(shapeString(x.shape))")
    return normalize(x)
  }
}

/// Batch normalisation of `[N, C, H, W]` (PyTorch's `nn.BatchNorm2d`, Keras
/// `BatchNormalization(axis=1)` on channels-first data), or of `[N, H, W, C]` with
/// `layout: .channelsLast` (Keras' default axis -1): each channel normalised by statistics over
/// the batch and both spatial axes, then scaled by `weight` and shifted by `bias`.
///
/// In training mode the batch's mean and (population) variance normalise the input and update
/// the running statistics by PyTorch's rule
/// `running = (1 − momentum) · running + momentum · batch`, where the running variance takes the
/// *unbiased* batch variance (divided by `n − 1`, `n = N·H·W`). In evaluation mode the running
/// statistics normalise instead.
///
/// **Momentum differs from Keras.** Keras updates `running = m · running + (1 − m) · batch`, so
/// Keras `momentum=0.8` (as in the Keras DCGAN examples) is PyTorch (and this) `momentum=0.2`;
/// Keras' default `0.99` is `0.01` here. Keras' default `epsilon` is `1e-3`, PyTorch's `1e-5`.
///
/// State-dict keys are PyTorch's: `weight`, `bias`, `running_mean`, `running_var` (PyTorch's
/// `num_batches_tracked` is not kept; load a PyTorch state dict with `strict: false` or drop it).
public final class BatchNorm2d: BatchNormBase, UnaryLayer {
  /// Where the channels are: `[N, C, H, W]` (`.channelsFirst`) or `[N, H, W, C]` (`.channelsLast`).
  public let layout: ConvLayout

  /// A batch norm over `featureCount` channels of images laid out as `layout` says; the other
  /// parameters are `BatchNormBase`'s. Parameters and running statistics are `[C]` either way, so
  /// checkpoints do not depend on the layout.
  public init(
    featureCount: Int, epsilon: Float = 1e-5, momentum: Float = 0.1, affine: Bool = true,
    trackRunningStats: Bool = true, layout: ConvLayout = .channelsFirst
  ) {
    self.layout = layout
    super.init(
      featureCount: featureCount, epsilon: epsilon, momentum: momentum, affine: affine,
      trackRunningStats: trackRunningStats)
  }

  /// Normalises `x` `[N, C, H, W]` (or `[N, H, W, C]` channels-last); same shape out.
  public func callAsFunction(_ x: Tensor) -> Tensor {
    let c = channelCount
    require(x.rank == 4 && (c == nil || x.shape[layout.channelAxis] == c),
      "[BatchNorm2d] expects \(layout.shapeDescription) with C = \(c.map(String.init) ?? "C"), got \(shapeString(x.shape))")
    return normalize(x, channelAxis: layout.channelAxis)
  }
}

extension Module {
  /// Makes every batch norm in this module and its children take its training statistics over
  /// `group`'s processes (`nil`: over this process's batch alone); see
  /// `BatchNormBase.statisticsGroup`.
  public func synchronizeBatchNorm(over group: (any Collective)?) {
    for (_, module) in namedModules() {
      if let norm = module as? BatchNormBase { norm.statisticsGroup = group }
    }
  }

  /// `entries` with the tensors named in `names` (Swift property name → state-dict key) renamed:
  /// how a layer gives a buffer PyTorch's snake-case key while keeping a Swift property name.
  func renamingTensors(_ entries: [Entry], _ names: [String: String]) -> [Entry] {
    entries.map { entry in
      if case .tensor(let name, let t) = entry, let key = names[name] { return .tensor(key, t) }
      return entry
    }
  }
}

// MARK: - Layer and group normalisation

/// Layer normalisation (PyTorch's `nn.LayerNorm`, Keras `LayerNormalization`): each sample
/// normalised over its last axes, `normalizedShape`, then scaled and shifted elementwise.
///
/// Input `[..., normalizedShape...]`, e.g. `[B, T, C]` with `normalizedShape == [C]`; same shape
/// out. Statistics are per sample in training and evaluation alike (no running statistics).
public final class LayerNorm: Module, UnaryLayer {
  /// Scale `normalizedShape`, initially ones; `nil` without elementwise affine.
  public let weight: Tensor?
  /// Shift `normalizedShape`, initially zeros; `nil` without it.
  public let bias: Tensor?
  /// The trailing axes normalised over, e.g. `[C]`.
  public let normalizedShape: [Int]
  /// Added to the variance.
  public let epsilon: Float

  /// A layer norm over trailing axes of `normalizedShape`.
  /// - Parameters:
  ///   - normalizedShape: sizes of the trailing axes, e.g. `[512]`.
  ///   - epsilon: added to the variance (PyTorch's `eps`; Keras' default is `1e-3`).
  ///   - elementwiseAffine: whether to learn `weight` (and `bias`).
  ///   - bias: whether to learn `bias` when affine (PyTorch's `bias`; GPT-2 style models drop it).
  public init(normalizedShape: [Int], epsilon: Float = 1e-5, elementwiseAffine: Bool = true, bias: Bool = true) {
    require(!normalizedShape.isEmpty && normalizedShape.allSatisfy { $0 > 0 },
      "[LayerNorm] normalizedShape must be non-empty and positive, got \(shapeString(normalizedShape))")
    self.normalizedShape = normalizedShape
    self.epsilon = epsilon
    weight = elementwiseAffine ? Tensor.ones(normalizedShape).requiringGrad() : nil
    self.bias = elementwiseAffine && bias ? Tensor.zeros(normalizedShape).requiringGrad() : nil
    super.init()
  }

  /// A layer norm over the last axis, of size `size`.
  public convenience init(_ size: Int, epsilon: Float = 1e-5, elementwiseAffine: Bool = true, bias: Bool = true) {
    self.init(normalizedShape: [size], epsilon: epsilon, elementwiseAffine: elementwiseAffine, bias: bias)
  }

  /// Normalises `x` `[..., normalizedShape...]`; same shape out.
  public func callAsFunction(_ x: Tensor) -> Tensor {
    let k = normalizedShape.count
    require(x.rank > k && Array(x.shape.suffix(k)) == normalizedShape,
      "[LayerNorm] expects input ending in \(shapeString(normalizedShape)), got \(shapeString(x.shape))")
    return x.layerNormalized(overLast: k, epsilon: epsilon, weight: weight, bias: bias)
  }
}

/// Group normalisation (PyTorch's `nn.GroupNorm`; Wu & He 2018): the channels of each sample
/// split into `groupCount` groups, each normalised over its channels and spatial positions, then
/// scaled and shifted per channel.
///
/// Input `[N, C, ...]` (e.g. `[N, C, H, W]`); same shape out. Independent of the batch size, with
/// no running statistics. `groupCount == 1` is a layer norm over `[C, ...]` with per-channel
/// affine; `groupCount == C` is instance normalisation.
public final class GroupNorm: Module, UnaryLayer {
  /// Scale `[C]`, initially ones; `nil` when not affine.
  public let weight: Tensor?
  /// Shift `[C]`, initially zeros; `nil` when not affine.
  public let bias: Tensor?
  /// Number of groups `G`.
  public let groupCount: Int
  /// Number of channels `C`.
  public let channelCount: Int
  /// Added to the variance.
  public let epsilon: Float

  /// A group norm of `channelCount` channels in `groupCount` groups.
  /// - Parameters:
  ///   - groupCount: `G` (PyTorch's `num_groups`).
  ///   - channelCount: `C` (PyTorch's `num_channels`).
  ///   - epsilon: added to the variance.
  ///   - affine: whether to learn per-channel `weight` and `bias`.
  /// - Precondition: `G` divides `C`.
  public init(groupCount: Int, channelCount: Int, epsilon: Float = 1e-5, affine: Bool = true) {
    require(groupCount > 0 && channelCount > 0 && channelCount % groupCount == 0,
      "[GroupNorm] \(groupCount) group(s) must divide \(channelCount) channels")
    self.groupCount = groupCount
    self.channelCount = channelCount
    self.epsilon = epsilon
    weight = affine ? Tensor.ones([channelCount]).requiringGrad() : nil
    bias = affine ? Tensor.zeros([channelCount]).requiringGrad() : nil
    super.init()
  }

  /// Normalises `x` `[N, C, ...]`; same shape out.
  public func callAsFunction(_ x: Tensor) -> Tensor {
    require(x.rank >= 2 && x.shape[1] == channelCount,
      "[GroupNorm] expects [N, \(channelCount), ...], got \(shapeString(x.shape))")
    var y = x.reshaped([x.shape[0], groupCount, -1]).normalized(overAxes: [2], epsilon: epsilon).normalized
      .reshaped(x.shape)
    let channelShape = [channelCount] + Array(repeating: 1, count: x.rank - 2)
    if let weight { y = y * weight.reshaped(channelShape) }
    if let bias { y = y + bias.reshaped(channelShape) }
    return y
  }
}
