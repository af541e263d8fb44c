import GenAITensor

/// Flattens a range of axes into one (PyTorch's `nn.Flatten`, Keras `Flatten`): by default every
/// axis but the batch axis, `[N, C, H, W]` → `[N, C·H·W]`.
///
/// Flattening a channels-first tensor orders features `(c, h, w)` as PyTorch does; Keras flattens
/// channels-last `(h, w, c)`, so a dense layer after it needs its weight columns permuted to port.
public final class Flatten: Module, UnaryLayer {
  /// First axis flattened (negative counts from the end).
  public let startAxis: Int
  /// Last axis flattened, inclusive (negative counts from the end).
  public let endAxis: Int

  /// Flattens axes `startAxis...endAxis` (PyTorch's `start_dim`, `end_dim`).
  public init(startAxis: Int = 1, endAxis: Int = -1) {
    self.startAxis = startAxis
    self.endAxis = endAxis
    super.init()
  }

  /// `x` with axes `startAxis...endAxis` merged; shares storage.
  /// - Precondition: both axes exist and `startAxis ≤ endAxis`.
  public func callAsFunction(_ x: Tensor) -> Tensor {
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
public final class Reshape: Module, UnaryLayer {
  /// The per-sample shape; one size may be `-1`, inferred.
  public let shape: [Int]

  /// Reshapes each sample to `shape` (without the batch axis).
  public init(_ shape: [Int]) {
    self.shape = shape
    super.init()
  }

  /// `x` `[N, ...]` viewed as `[N, shape...]`; shares storage.
  /// - Precondition: each sample has as many elements as `shape`.
  public func callAsFunction(_ x: Tensor) -> Tensor {
    require(x.rank >= 1, "[Reshape] expects a batch axis, got a scalar")
    return x.reshaped([x.shape[0]] + shape)
  }
}

/// Nearest-neighbour upsampling by whole factors (PyTorch's `nn.Upsample(mode="nearest")`, Keras
/// `UpSampling2D`): `[N, C, H, W]` → `[N, C, H·sh, W·sw]`, each pixel repeated. Followed by a
/// convolution it replaces a stride-2 transposed convolution without its checkerboard pattern
/// (Odena et al., "Deconvolution and Checkerboard Artifacts", Distill 2016).
public final class Upsample: Module, UnaryLayer {
  /// Factors along height and width.
  public let scale: (Int, Int)

  /// Upsampling by `scale` (height, width).
  public init(scale: (Int, Int) = (2, 2)) {
    self.scale = scale
    super.init()
  }

  /// `x` `[N, C, H, W]` upsampled to `[N, C, H·sh, W·sw]`.
  public func callAsFunction(_ x: Tensor) -> Tensor { x.upsampleNearest2d(scale: scale) }
}
