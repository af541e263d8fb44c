import CGenAIKernels

/// Activations. ReLU, leaky ReLU, sigmoid, tanh and exact GELU are fused primitives (one pass
/// each way, they sit in every model's hot path); tanh-GELU, softplus and SiLU are compositions.

extension Tensor {
  /// `max(x, 0)`; the gradient at 0 is 0.
  public func relu() -> Tensor {
    unaryOp(.relu, LeakyReluFunction(slope: 0)) { g, _, x in
      GradMode.isEnabled ? [g * x[0].mask { $0 > 0 }] : [Tensor.fusedZip(g, x[0], LeakyReluGradFunction(slope: 0))]
    }
  }

  /// `x` where positive, `slope · x` elsewhere.
  public func leakyRelu(slope: Float = 0.2) -> Tensor {
    let y = Kernels.map(self, LeakyReluFunction(slope: slope))
    return Tensor.record(.leakyRelu, shape: shape, storage: y, inputs: [self]) { g, _, x in
      GradMode.isEnabled
        ? [g * (x[0].mask { $0 > 0 } * (1 - slope) + slope)]
        : [Tensor.fusedZip(g, x[0], LeakyReluGradFunction(slope: slope))]
    }
  }

  /// The logistic function `1 / (1 + e⁻ˣ)`, computed without overflow.
  public func sigmoid() -> Tensor {
    Tensor.record(.sigmoid, shape: shape, storage: Kernels.map(self, GENAI_MAP_SIGMOID), inputs: [self]) {
      g, out, _ in
      GradMode.isEnabled ? [g * out * (1 - out)] : [Tensor(shape: g.shape, storage: Kernels.zip(g, out, GENAI_ZIP_SIGMOID_GRAD))]
    }
  }

  /// Hyperbolic tangent.
  public func tanh() -> Tensor {
    Tensor.record(.tanh, shape: shape, storage: Kernels.map(self, GENAI_MAP_TANH), inputs: [self]) { g, out, _ in
      GradMode.isEnabled ? [g * (1 - out * out)] : [Tensor(shape: g.shape, storage: Kernels.zip(g, out, GENAI_ZIP_TANH_GRAD))]
    }
  }

  /// `log(1 + eˣ)`, stable for large |x|: `relu(x) + log(1 + e^-|x|)`.
  public func softplus() -> Tensor { relu() + ((-abs()).exp() + 1).log() }

  /// SiLU (swish): `x · sigmoid(x)`.
  public func silu() -> Tensor { self * sigmoid() }

  /// GELU. Exact `x · Φ(x)` by default (PyTorch's `nn.GELU()`); `approximate: true` gives the tanh
  /// form `0.5x(1 + tanh(√(2/π)(x + 0.044715x³)))`.
  public func gelu(approximate: Bool = false) -> Tensor {
    if approximate {
      let inner = (self + self * self * self * 0.044715) * Float(0.7978845608028654)
      return self * 0.5 * (inner.tanh() + 1)
    }
    // One fused pass each way. A recorded backward composes `Φ(x) + x·φ(x)` from
    // differentiable ops so that second derivatives work.
    return Tensor.record(.gelu, shape: shape, storage: Kernels.map(self, GENAI_MAP_GELU), inputs: [self]) {
      g, _, x in
      let x = x[0]
      guard GradMode.isEnabled else {
        return [Tensor(shape: x.shape, storage: Kernels.zip(g, x, GENAI_ZIP_GELU_GRAD))]
      }
      let cdf = ((x * Float(0.7071067811865476)).erf() + 1) * 0.5
      let pdf = (x * x * -0.5).exp() * Float(0.3989422804014327)
      return [g * (cdf + x * pdf)]
    }
  }
}
