import GenAITensor

// Activation functions as layers, for `Sequential`. Each has no parameters and the same output
// shape as its input; the math lives in the engine's `Tensor` methods. Layers without settings
// (`ReLU()`, `Tanh()`, ...) are made with `Module`'s `init()`.

/// `max(x, 0)` (PyTorch's `nn.ReLU`).
public final class ReLU: Module, UnaryLayer {
  /// `max(x, 0)` elementwise.
  public func callAsFunction(_ x: Tensor) -> Tensor { x.relu() }
}

/// `x` where positive, `slope · x` elsewhere (PyTorch's `nn.LeakyReLU`).
///
/// PyTorch's default slope is 0.01 and Keras' 0.3; GANs (DCGAN) use 0.2.
public final class LeakyReLU: Module, UnaryLayer {
  /// The slope for negative inputs (PyTorch's `negative_slope`, Keras' `negative_slope`/`alpha`).
  public let slope: Float
  /// A leaky ReLU with `slope` for negative inputs.
  public init(slope: Float = 0.01) {
    self.slope = slope
    super.init()
  }
  /// `x` or `slope · x` elementwise.
  public func callAsFunction(_ x: Tensor) -> Tensor { x.leakyRelu(slope: slope) }
}

/// The logistic function `1 / (1 + e⁻ˣ)` (PyTorch's `nn.Sigmoid`).
public final class Sigmoid: Module, UnaryLayer {
  /// `1 / (1 + e⁻ˣ)` elementwise.
  public func callAsFunction(_ x: Tensor) -> Tensor { x.sigmoid() }
}

/// Hyperbolic tangent (PyTorch's `nn.Tanh`).
public final class Tanh: Module, UnaryLayer {
  /// `tanh(x)` elementwise.
  public func callAsFunction(_ x: Tensor) -> Tensor { x.tanh() }
}

/// GELU, `x · Φ(x)` (PyTorch's `nn.GELU`); with `approximate` the tanh form used by GPT-2
/// (PyTorch's `approximate='tanh'`).
public final class GELU: Module, UnaryLayer {
  /// Whether to use the tanh approximation.
  public let approximate: Bool
  /// A GELU layer, exact unless `approximate`.
  public init(approximate: Bool = false) {
    self.approximate = approximate
    super.init()
  }
  /// GELU elementwise.
  public func callAsFunction(_ x: Tensor) -> Tensor { x.gelu(approximate: approximate) }
}

/// SiLU (swish), `x · sigmoid(x)` (PyTorch's `nn.SiLU`).
public final class SiLU: Module, UnaryLayer {
  /// `x · sigmoid(x)` elementwise.
  public func callAsFunction(_ x: Tensor) -> Tensor { x.silu() }
}

/// `log(1 + eˣ)` (PyTorch's `nn.Softplus` with `beta = 1`), computed stably.
public final class Softplus: Module, UnaryLayer {
  /// `log(1 + eˣ)` elementwise.
  public func callAsFunction(_ x: Tensor) -> Tensor { x.softplus() }
}

/// Softmax along one axis (PyTorch's `nn.Softmax(dim)`): non-negative values summing to 1.
public final class Softmax: Module, UnaryLayer {
  /// The axis normalised over (negative counts from the end).
  public let axis: Int
  /// A softmax over `axis`, by default the last (class scores `[N, K]`).
  public init(axis: Int = -1) {
    self.axis = axis
    super.init()
  }
  /// Softmax of `x` along `axis`; same shape.
  public func callAsFunction(_ x: Tensor) -> Tensor { x.softmax(axis: axis) }
}

/// Log-softmax along one axis (PyTorch's `nn.LogSoftmax(dim)`), computed stably.
public final class LogSoftmax: Module, UnaryLayer {
  /// The axis normalised over (negative counts from the end).
  public let axis: Int
  /// A log-softmax over `axis`, by default the last.
  public init(axis: Int = -1) {
    self.axis = axis
    super.init()
  }
  /// Log-softmax of `x` along `axis`; same shape.
  public func callAsFunction(_ x: Tensor) -> Tensor { x.logSoftmax(axis: axis) }
}
