import GenAITensor

/// Flattens a range of axes into one (PyTorch's `nn.Flatten`, Keras `Flatten`): by default every
/// axis but the batch axis, `[N, C, H, W]` → `[N, C·H·W]`.
///
/// Flattening a channels-first tensor orders features `(c, h, w)` as PyTorch does; Keras flattens
/// channels-last `(h, w, c)`, so a dense layer after it needs its weight columns permuted to port.
///
/// `Flatten(channelsLastImages: true)` takes `[N, H, W, C]` and still orders features `(c, h, w)`,
/// so a channels-last network keeps the dense weights (and checkpoints) of its channels-first twin.
public final class Flatten: Module, UnaryLayer {
  /// First axis flattened (negative counts from the end).
  public let startAxis: Int
  /// Last axis flattened, inclusive (negative counts from the end).
  public let endAxis: Int
  /// Whether the input is `[N, H, W, C]`, moved to `[N, C, H, W]` before flattening.
  public let channelsLastImages: Bool

  /// Flattens axes `startAxis...endAxis` (PyTorch's `start_dim`, `end_dim`); with
  /// `channelsLastImages`, a `[N, H, W, C]` input is flattened in `(c, h, w)` order.
  public init(startAxis: Int = 1, endAxis: Int = -1, channelsLastImages: Bool = false) {
    self.startAxis = startAxis
    self.endAxis = endAxis
    self.channelsLastImages = channelsLastImages
    super.init()
  }

  /// `x` with axes `startAxis...endAxis` merged; shares storage (channels-first).
  /// - Precondition: both axes exist and `startAxis ≤ endAxis`.
  public func callAsFunction(_ x: Tensor) -> Tensor {
    var x = x
    if channelsLastImages {
      require(x.rank == 4, "[Flatten] channels-last images must be [N, H, W, C], got \(shapeString(x.shape))")
      x = x.permuted([0, 3, 1, 2])
    }
    let s = startAxis < 0 ? startAxis + x.rank : startAxis
    let e = endAxis < 0 ? endAxis + x.rank : endAxis
    require(s >= 0 && e < x.rank && s <= e,
      "[Flatten] axes \(startAxis)...\(endAxis) do not fit input \(shapeString(x.shape))")
    return x.reshaped(Array(x.shape[..<s]) + [x.shape[s...e].reduce(1, *)] + Array(x.shape[(e + 1)...]))
  }
}

/// Reshapes every sample, keeping the batch axis: `[N, ...]` → `[N, shape...]` (Keras `Reshape`,
/// PyTorch's `nn.Unflatten(1, shape)`). E.g. a generator's `Linear` output `[N, 128·7·7]` with
/// `Reshape([128, 7, 7])` becomes `[N, 128, 7, 7]`.
///
/// `Reshape([C, H, W], toChannelsLast: true)` gives `[N, H, W, C]`: the features are read in
/// `(c, h, w)` order as before, then moved channels-last for a channels-last network.
public final class Reshape: Module, UnaryLayer {
  /// The per-sample shape; one size may be `-1`, inferred.
  public let shape: [Int]
  /// Whether a `[C, H, W]` sample is then moved to `[H, W, C]`.
  public let toChannelsLast: Bool

  /// Reshapes each sample to `shape` (without the batch axis), then with `toChannelsLast` (a
  /// 3-axis `shape`) moves its channels last.
  public init(_ shape: [Int], toChannelsLast: Bool = false) {
    require(!toChannelsLast || shape.count == 3, "[Reshape] toChannelsLast needs a [C, H, W] shape, got \(shape)")
    self.shape = shape
    self.toChannelsLast = toChannelsLast
    super.init()
  }

  /// `x` `[N, ...]` viewed as `[N, shape...]`; shares storage unless moved channels-last.
  /// - Precondition: each sample has as many elements as `shape`.
  public func callAsFunction(_ x: Tensor) -> Tensor {
    require(x.rank >= 1, "[Reshape] expects a batch axis, got a scalar")
    let y = x.reshaped([x.shape[0]] + shape)
    return toChannelsLast ? y.permuted([0, 2, 3, 1]) : y
  }
}

/// Nearest-neighbour upsampling by whole factors (PyTorch's `nn.Upsample(mode="nearest")`, Keras
/// `UpSampling2D`): `[N, C, H, W]` → `[N, C, H·sh, W·sw]`, each pixel repeated. Followed by a
/// convolution it replaces a stride-2 transposed convolution without its checkerboard pattern
/// (Odena et al., "Deconvolution and Checkerboard Artifacts", Distill 2016).
public final class Upsample: Module, UnaryLayer {
  /// Factors along height and width.
  public let scale: (Int, Int)
  /// Where the channels are: `[N, C, H, W]` or `[N, H, W, C]`.
  public let layout: ConvLayout

  /// Upsampling by `scale` (height, width) of images laid out as `layout` says.
  public init(scale: (Int, Int) = (2, 2), layout: ConvLayout = .channelsFirst) {
    self.scale = scale
    self.layout = layout
    super.init()
  }

  /// `x` `[N, C, H, W]` upsampled to `[N, C, H·sh, W·sw]` (channels-last: `[N, H, W, C]` to
  /// `[N, H·sh, W·sw, C]`).
  public func callAsFunction(_ x: Tensor) -> Tensor { x.upsampleNearest2d(scale: scale, layout: layout) }
}
