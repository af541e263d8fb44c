import GenAITensor

/// A layer with a learned `weight` that it can also run with a substituted weight: what
/// `SpectralNorm` wraps. `Linear` and every convolution conform.
public protocol WeightedLayer: UnaryLayer {
  /// The stored weight, e.g. `[O, C/groups, KH, KW]` for `Conv2d`.
  var weight: Tensor { get }
  /// The axis of `weight` that indexes output features: `0` for `Linear` and convolutions, `1` for
  /// transposed convolutions (PyTorch's `spectral_norm` `dim`). Defaults to `0`.
  var weightOutputAxis: Int { get }
  /// The layer applied with `weight` (same shape as the stored one) in its place; the bias and
  /// every other setting stay the layer's own.
  func forward(_ x: Tensor, weight: Tensor) -> Tensor
}

extension WeightedLayer {
  /// Output features run along axis 0 of the weight unless a layer says otherwise.
  public var weightOutputAxis: Int { 0 }
}

/// Spectral normalisation of any layer with a weight: the layer runs with `W / σ(W)`, where
/// `σ(W)` is the largest singular value of the weight seen as a matrix `[outputs, rest]`,
/// estimated by power iteration (PyTorch's `torch.nn.utils.spectral_norm`).
///
/// ```swift
/// let conv = SpectralNorm(Conv2d(inputChannels: 64, outputChannels: 128, kernelSize: 4, stride: 2,
///                                padding: .symmetric(1), using: &rng), using: &rng)
/// let y = conv(x)   // [N, 64, H, W] -> [N, 128, H/2, W/2], with a weight of spectral norm ≈ 1
/// ```
///
/// In training mode each call first runs `powerIterations` steps `v ← Wᵀu/‖Wᵀu‖`, `u ← Wv/‖Wv‖`
/// on the persistent vectors `u` `[outputs]` and `v` `[rest]` (without recording them), then uses
/// `σ = uᵀ W v`. Gradients flow into `W` through `σ` too, with `u` and `v` held constant, as in
/// PyTorch. In evaluation mode the stored `u`, `v` are used as they are.
///
/// State-dict keys match PyTorch's: the wrapped layer's tensors appear directly under this
/// module, its `weight` (the unnormalised parameter, which stays the layer's own tensor) as
/// `weight_orig`, with buffers `weight_u` and `weight_v`. `SpectralNorm(Conv2d(...))` in a
/// `Sequential` at index 2 thus has keys `2.weight_orig`, `2.bias`, `2.weight_u`, `2.weight_v`.
/// Calling the wrapped layer directly uses the unnormalised weight.
public final class SpectralNorm<Layer: WeightedLayer>: Module, UnaryLayer {
  /// The wrapped layer; its `weight` is the trained, unnormalised `weight_orig`.
  public let layer: Layer
  /// Left singular vector estimate `[outputs]` (PyTorch's `weight_u`).
  public let u: Tensor
  /// Right singular vector estimate `[rest]`, `rest` the product of the weight's other axes
  /// (PyTorch's `weight_v`).
  public let v: Tensor
  /// Power-iteration steps per training-mode call.
  public let powerIterations: Int
  /// Guards the normalisation of `u` and `v` against division by zero.
  public let epsilon: Float

  /// Wraps `layer`, with `u` and `v` drawn from N(0, 1) and normalised (as PyTorch does).
  /// - Parameters:
  ///   - layer: any layer with a weight, e.g. `Conv2d` or `Linear`.
  ///   - powerIterations: steps per training-mode call (PyTorch's `n_power_iterations`).
  ///   - epsilon: PyTorch's `eps`.
  /// - Precondition: `powerIterations >= 0`.
  public init(
    _ layer: Layer, powerIterations: Int = 1, epsilon: Float = 1e-12,
    using generator: inout some RandomNumberGenerator
  ) {
    require(powerIterations >= 0, "[SpectralNorm] powerIterations must not be negative, got \(powerIterations)")
    let w = layer.weight
    let axis = layer.weightOutputAxis
    require(w.rank >= 1 && axis < w.rank, "[SpectralNorm] weight \(shapeString(w.shape)) has no axis \(axis)")
    let rows = w.shape[axis]
    let cols = w.count / Swift.max(rows, 1)
    self.layer = layer
    self.powerIterations = powerIterations
    self.epsilon = epsilon
    u = SpectralNorm.normalize(Tensor.randn([rows], using: &generator), epsilon)
    v = SpectralNorm.normalize(Tensor.randn([cols], using: &generator), epsilon)
    super.init()
  }

  /// The layer applied with its spectrally normalised weight.
  public func callAsFunction(_ x: Tensor) -> Tensor {
    if layer.isTraining != isTraining { layer.train(isTraining) }
    return layer.forward(x, weight: normalizedWeight())
  }

  /// `W / σ(W)`, shaped like the layer's weight; differentiable with respect to `W`.
  /// - Parameter update: run the power iteration first (updating `u`, `v`); defaults to whether
  ///   the module is in training mode.
  public func normalizedWeight(update: Bool? = nil) -> Tensor {
    let w = layer.weight
    let matrix = weightMatrix(w)
    if update ?? isTraining, powerIterations > 0 {
      withNoGrad {
        let m = matrix.detached()
        var uu = u, vv = v
        for _ in 0..<powerIterations {
          vv = SpectralNorm.normalize(m.matmul(uu, transposeA: true), epsilon)
          uu = SpectralNorm.normalize(m.matmul(vv), epsilon)
        }
        SpectralNorm.overwrite(u, with: uu)
        SpectralNorm.overwrite(v, with: vv)
      }
    }
    // Copies, so a later call that updates u and v in place cannot change this graph's pullbacks.
    let estimate = u.copy().matmul(matrix.matmul(v.copy()))
    return w / estimate
  }

  /// The current estimate of `σ(W)`, `uᵀ W v`, without updating `u` and `v`.
  public var sigma: Float { withNoGrad { u.matmul(weightMatrix(layer.weight).matmul(v)).item } }

  /// The weight as a matrix `[outputs, rest]`, output axis first.
  func weightMatrix(_ w: Tensor) -> Tensor {
    let axis = layer.weightOutputAxis
    let front = axis == 0 ? w : w.permuted([axis] + (0..<w.rank).filter { $0 != axis })
    return front.reshaped([w.shape[axis], -1])
  }

  /// `t / max(‖t‖, ε)`.
  static func normalize(_ t: Tensor, _ epsilon: Float) -> Tensor {
    withNoGrad { t / t.squared().sum().sqrt().clamped(min: epsilon) }
  }

  /// Copies `source`'s values into `target` in place.
  static func overwrite(_ target: Tensor, with source: Tensor) {
    source.withUnsafeBufferPointer { s in
      target.withUnsafeMutableBufferPointer { d in
        for i in d.indices { d[i] = s[i] }
      }
    }
  }

  // MARK: - PyTorch names

  /// The wrapped layer's tensors (its `weight` renamed `weight_orig`) and children, then the
  /// buffers `weight_u` and `weight_v`.
  override func entries() -> [Entry] {
    var out = renamingTensors(layer.entries(), ["weight": "weight_orig"])
    out.append(.tensor("weight_u", u))
    out.append(.tensor("weight_v", v))
    return out
  }

  /// A tensor frozen in the wrapped layer before wrapping is still a parameter here.
  override func isParameter(_ name: String, _ t: Tensor) -> Bool {
    super.isParameter(name, t) || layer.isParameter(name == "weight_orig" ? "weight" : name, t)
  }
}
