import GenAITensor

/// RMSProp with optional momentum, centring and L2 weight decay, with PyTorch's
/// `torch.optim.RMSprop` semantics.
///
/// For each parameter `p` with gradient `g` (`α` smoothing, `μ` momentum, `η` learning rate):
/// ```
/// g = g + λ·p                                   (L2 decay, only when λ ≠ 0)
/// s = α·s + (1 − α)·g²                          ("square_avg")
/// a = a + (1 − α)·(g − a)                       ("grad_avg", centred only)
/// d = √(s − a²) + ε  (centred)   or   √s + ε
/// b = μ·b + g / d;  p = p − η·b                 ("momentum_buffer", when μ > 0)
/// p = p − η·g / d                               (otherwise)
/// ```
/// Note that `ε` is added outside the square root (PyTorch), not inside (Keras, TensorFlow).
///
/// State keys: `"<i>.square_avg"`, `"<i>.momentum_buffer"` (with momentum), `"<i>.grad_avg"`
/// (centred) and the common keys (`Optimizers.swift`).
///
/// References:
/// - Tieleman & Hinton, "Lecture 6.5 — RMSProp: divide the gradient by a running average of its
///   recent magnitude", COURSERA: Neural Networks for Machine Learning, 2012.
/// - Graves, "Generating Sequences With Recurrent Neural Networks", arXiv:1308.0850, 2013 (the
///   centred form with momentum).
public final class RMSProp: OptimizerBase, Optimizer {
  /// Smoothing constant `α` of the running averages.
  public var alpha: Float
  /// Term `ε` added to the denominator.
  public var eps: Float
  /// L2 penalty `λ` added to the gradient.
  public var weightDecay: Float
  /// Momentum factor `μ`; 0 disables the buffer.
  public let momentum: Float
  /// Whether the second moment is centred by the running mean of the gradient.
  public let centered: Bool
  private let momentumIndex: Int?
  private let gradAvgIndex: Int?

  /// An optimiser for `parameters`; the defaults are PyTorch's.
  ///
  /// - Parameters:
  ///   - parameters: the tensors to update, each once (order fixes the state keys).
  ///   - learningRate: step size `η` ≥ 0.
  ///   - alpha: smoothing `α` ≥ 0.
  ///   - eps: `ε` ≥ 0.
  ///   - weightDecay: L2 penalty `λ` ≥ 0.
  ///   - momentum: `μ` ≥ 0.
  ///   - centered: centre the second moment (Graves 2013).
  public init(
    parameters: [Tensor], learningRate: Float = 1e-2, alpha: Float = 0.99, eps: Float = 1e-8,
    weightDecay: Float = 0, momentum: Float = 0, centered: Bool = false
  ) {
    require(learningRate >= 0, "[RMSProp] learning rate must be ≥ 0, got \(learningRate)")
    require(alpha >= 0, "[RMSProp] alpha must be ≥ 0, got \(alpha)")
    require(eps >= 0, "[RMSProp] eps must be ≥ 0, got \(eps)")
    require(weightDecay >= 0, "[RMSProp] weight decay must be ≥ 0, got \(weightDecay)")
    require(momentum >= 0, "[RMSProp] momentum must be ≥ 0, got \(momentum)")
    self.alpha = alpha
    self.eps = eps
    self.weightDecay = weightDecay
    self.momentum = momentum
    self.centered = centered
    var names = ["square_avg"]
    momentumIndex = momentum > 0 ? names.count : nil
    if momentum > 0 { names.append("momentum_buffer") }
    gradAvgIndex = centered ? names.count : nil
    if centered { names.append("grad_avg") }
    super.init(parameters: parameters, learningRate: learningRate, bufferNames: names, op: "RMSProp")
  }

  /// The hyperparameters the next `step` uses.
  public var hyperparameters: Hyperparameters {
    Hyperparameters(
      learningRate: learningRate, alpha: alpha, eps: eps, weightDecay: weightDecay,
      momentum: momentum, centered: centered)
  }

  /// Applies one update to every parameter that has a gradient.
  public func step() {
    let hyper = hyperparameters
    forEachUpdate("RMSProp") { i, _, r, p, g in
      let state = State(
        squareAvg: buffer(i, 0).slice(r), momentumBuffer: momentumIndex.map { buffer(i, $0).slice(r) },
        gradAvg: gradAvgIndex.map { buffer(i, $0).slice(r) })
      RMSProp.update(param: p, grad: g, state: state, hyper: hyper)
    }
  }
}

extension RMSProp {
  /// The hyperparameters of one RMSProp update (see `RMSProp`).
  public struct Hyperparameters: Sendable, Equatable {
    /// Step size `η`.
    public var learningRate: Float
    /// Smoothing constant `α`.
    public var alpha: Float
    /// Denominator term `ε`.
    public var eps: Float
    /// L2 penalty `λ`.
    public var weightDecay: Float
    /// Momentum `μ`; a buffer is needed when it is > 0.
    public var momentum: Float
    /// Centre the second moment; a gradient average is needed.
    public var centered: Bool

    /// Creates a set of hyperparameters; the defaults are PyTorch's.
    public init(
      learningRate: Float = 1e-2, alpha: Float = 0.99, eps: Float = 1e-8, weightDecay: Float = 0,
      momentum: Float = 0, centered: Bool = false
    ) {
      self.learningRate = learningRate
      self.alpha = alpha
      self.eps = eps
      self.weightDecay = weightDecay
      self.momentum = momentum
      self.centered = centered
    }
  }

  /// The state buffers of one parameter, updated in place.
  public struct State {
    /// Running mean of squared gradients `s` ("square_avg").
    public var squareAvg: UnsafeMutableBufferPointer<Float>
    /// Momentum buffer `b` ("momentum_buffer"), required when `momentum > 0`.
    public var momentumBuffer: UnsafeMutableBufferPointer<Float>?
    /// Running mean of gradients `a` ("grad_avg"), required when centred.
    public var gradAvg: UnsafeMutableBufferPointer<Float>?

    /// Bundles the buffers.
    public init(
      squareAvg: UnsafeMutableBufferPointer<Float>, momentumBuffer: UnsafeMutableBufferPointer<Float>? = nil,
      gradAvg: UnsafeMutableBufferPointer<Float>? = nil
    ) {
      self.squareAvg = squareAvg
      self.momentumBuffer = momentumBuffer
      self.gradAvg = gradAvg
    }
  }

  /// One RMSProp update of one parameter, in place: the pure per-parameter rule.
  ///
  /// Reads only its arguments and writes only `param` and the state buffers, one flat loop.
  /// - Parameters:
  ///   - param: the parameter's values `[n]`, updated in place.
  ///   - grad: its gradient `[n]`.
  ///   - state: the buffers `[n]`, updated in place.
  ///   - hyper: the hyperparameters.
  /// - Precondition: equal counts; a momentum buffer when `momentum > 0`, a gradient average when
  ///   centred.
  public static func update(
    param: UnsafeMutableBufferPointer<Float>, grad: UnsafeBufferPointer<Float>, state: State,
    hyper: Hyperparameters
  ) {
    let n = param.count
    require(
      grad.count == n && state.squareAvg.count == n,
      "[RMSProp.update] parameter, gradient and square_avg need equal counts")
    require(
      hyper.momentum <= 0 || state.momentumBuffer?.count == n,
      "[RMSProp.update] momentum needs a buffer of \(n) values")
    require(
      !hyper.centered || state.gradAvg?.count == n,
      "[RMSProp.update] centred RMSProp needs a gradient average of \(n) values")
    guard n > 0, let p = param.baseAddress, let g = grad.baseAddress, let s = state.squareAvg.baseAddress
    else { return }

    let negLR = -hyper.learningRate
    let alpha = hyper.alpha
    let w = Float(1 - Double(hyper.alpha))
    let eps = hyper.eps
    let wd = hyper.weightDecay
    let hasDecay = wd != 0
    let mu = hyper.momentum
    // Four lanes at a time (see `Lanes`); the buffer checks are loop-invariant, and one loop with
    // them runs as fast as one loop per combination of buffers.
    let b = hyper.momentum > 0 ? state.momentumBuffer?.baseAddress : nil
    let a = hyper.centered ? state.gradAvg?.baseAddress : nil
    forEachLaneBlock(n) { i, k in
      let pi = Lanes.load(p + i, count: k)
      let g0 = Lanes.load(g + i, count: k)
      let gi = hasDecay ? g0 + wd * pi : g0
      let si = Lanes.load(s + i, count: k) * alpha + w * gi * gi
      si.store(s + i, count: k)
      var variance = si
      if let a {
        let a0 = Lanes.load(a + i, count: k)
        let ai = a0 + w * (gi - a0)
        ai.store(a + i, count: k)
        variance = si + (-ai) * ai
      }
      let d = variance.laneSquareRoot() + eps
      if let b {
        let bi = Lanes.load(b + i, count: k) * mu + gi / d
        bi.store(b + i, count: k)
        (pi + negLR * bi).store(p + i, count: k)
      } else {
        (pi + negLR * gi / d).store(p + i, count: k)
      }
    }
  }
}
