import GenAITensor

/// Stochastic gradient descent with optional momentum, dampening, Nesterov momentum and L2
/// weight decay, with PyTorch's `torch.optim.SGD` semantics.
///
/// For each parameter `p` with gradient `g`, at its `t`-th update (`λ` weight decay, `μ`
/// momentum, `τ` dampening, `η` learning rate):
/// ```
/// d = g + λ·p
/// b = d                       if t == 1
///   = μ·b + (1 − τ)·d         otherwise          (only when μ ≠ 0)
/// d = d + μ·b  (Nesterov)  or  d = b  (classical)
/// p = p − η·d
/// ```
/// The first update copies the gradient into the buffer undamped, as PyTorch does.
///
/// ```swift
/// let opt = SGD(parameters: model.parameters(), learningRate: 0.1, momentum: 0.9, nesterov: true)
/// opt.zeroGrad(); try loss.backward(); opt.step()
/// ```
///
/// State keys: `"<i>.momentum_buffer"` (only with momentum) and the common keys (`Optimizers.swift`).
///
/// References:
/// - Robbins & Monro, "A Stochastic Approximation Method", 1951.
/// - Polyak, "Some methods of speeding up the convergence of iteration methods", 1964.
/// - Sutskever, Martens, Dahl & Hinton, "On the importance of initialization and momentum in deep
///   learning", ICML 2013 (the Nesterov form used here).
public final class SGD: OptimizerBase, Optimizer {
  /// Momentum factor `μ`; 0 disables the buffer.
  public let momentum: Float
  /// Dampening `τ` of the gradient added to the momentum buffer.
  public var dampening: Float
  /// Whether to use Nesterov momentum.
  public let nesterov: Bool
  /// L2 penalty `λ` added to the gradient.
  public var weightDecay: Float

  /// An optimiser for `parameters`.
  ///
  /// - Parameters:
  ///   - parameters: the tensors to update, each once (order fixes the state keys).
  ///   - learningRate: step size `η` ≥ 0; PyTorch's default 1e-3.
  ///   - momentum: `μ` ≥ 0; 0 (the default) is plain SGD.
  ///   - dampening: `τ`, the fraction of each gradient held back from the buffer.
  ///   - nesterov: use Nesterov momentum.
  ///   - weightDecay: L2 penalty `λ` ≥ 0 added to the gradient.
  /// - Precondition: Nesterov needs `momentum > 0` and `dampening == 0` (as in PyTorch).
  public init(
    parameters: [Tensor], learningRate: Float = 1e-3, momentum: Float = 0, dampening: Float = 0,
    nesterov: Bool = false, weightDecay: Float = 0
  ) {
    require(learningRate >= 0, "[SGD] learning rate must be ≥ 0, got \(learningRate)")
    require(momentum >= 0, "[SGD] momentum must be ≥ 0, got \(momentum)")
    require(weightDecay >= 0, "[SGD] weight decay must be ≥ 0, got \(weightDecay)")
    require(
      !nesterov || (momentum > 0 && dampening == 0),
      "[SGD] Nesterov momentum needs momentum > 0 and zero dampening")
    self.momentum = momentum
    self.dampening = dampening
    self.nesterov = nesterov
    self.weightDecay = weightDecay
    super.init(
      parameters: parameters, learningRate: learningRate, bufferNames: momentum != 0 ? ["momentum_buffer"] : [],
      op: "SGD")
  }

  /// The hyperparameters the next `step` uses.
  public var hyperparameters: Hyperparameters {
    Hyperparameters(
      learningRate: learningRate, momentum: momentum, dampening: dampening, nesterov: nesterov,
      weightDecay: weightDecay)
  }

  /// Applies one update to every parameter that has a gradient.
  public func step() {
    let hyper = hyperparameters
    forEachUpdate("SGD") { i, t, r, p, g in
      let state = State(momentumBuffer: momentum != 0 ? buffer(i, 0).slice(r) : nil, step: t)
      SGD.update(param: p, grad: g, state: state, hyper: hyper)
    }
  }
}

extension SGD {
  /// The hyperparameters of one SGD update (see `SGD`).
  public struct Hyperparameters: Sendable, Equatable {
    /// Step size `η`.
    public var learningRate: Float
    /// Momentum factor `μ`; 0 means no momentum buffer.
    public var momentum: Float
    /// Dampening `τ`.
    public var dampening: Float
    /// Nesterov momentum.
    public var nesterov: Bool
    /// L2 penalty `λ`.
    public var weightDecay: Float

    /// Creates a set of hyperparameters; the defaults are PyTorch's.
    public init(
      learningRate: Float = 1e-3, momentum: Float = 0, dampening: Float = 0, nesterov: Bool = false,
      weightDecay: Float = 0
    ) {
      self.learningRate = learningRate
      self.momentum = momentum
      self.dampening = dampening
      self.nesterov = nesterov
      self.weightDecay = weightDecay
    }
  }

  /// The state of one parameter for one update.
  public struct State {
    /// The momentum buffer `b`, updated in place; required when `momentum ≠ 0`.
    public var momentumBuffer: UnsafeMutableBufferPointer<Float>?
    /// The number of this update for this parameter, counting from 1; the buffer is set to the
    /// gradient when it is 1.
    public var step: Int

    /// Bundles a buffer and the update number.
    public init(momentumBuffer: UnsafeMutableBufferPointer<Float>?, step: Int) {
      self.momentumBuffer = momentumBuffer
      self.step = step
    }
  }

  /// One SGD update of one parameter, in place: the pure per-parameter rule.
  ///
  /// Reads only its arguments and writes only `param` and the momentum buffer, one flat loop
  /// (four lanes at a time).
  /// - Parameters:
  ///   - param: the parameter's values `[n]`, updated in place.
  ///   - grad: its gradient `[n]`.
  ///   - state: the momentum buffer `[n]` (updated in place) and the update number.
  ///   - hyper: the hyperparameters.
  /// - Precondition: equal counts; a buffer when `hyper.momentum ≠ 0`.
  public static func update(
    param: UnsafeMutableBufferPointer<Float>, grad: UnsafeBufferPointer<Float>, state: State,
    hyper: Hyperparameters
  ) {
    let n = param.count
    require(grad.count == n, "[SGD.update] gradient has \(grad.count) values, parameter \(n)")
    guard n > 0, let p = param.baseAddress, let g = grad.baseAddress else { return }
    let negLR = -hyper.learningRate
    let wd = hyper.weightDecay
    let hasDecay = wd != 0
    guard hyper.momentum != 0 else {
      forEachLaneBlock(n) { i, k in
        let pi = Lanes.load(p + i, count: k)
        let g0 = Lanes.load(g + i, count: k)
        let d = hasDecay ? g0 + wd * pi : g0
        (pi + negLR * d).store(p + i, count: k)
      }
      return
    }
    require(
      state.momentumBuffer?.count == n, "[SGD.update] momentum needs a buffer of \(n) values")
    guard let b = state.momentumBuffer?.baseAddress else { return }
    let mu = hyper.momentum
    let keep = 1 - hyper.dampening
    let first = state.step <= 1
    let nesterov = hyper.nesterov
    forEachLaneBlock(n) { i, k in
      let pi = Lanes.load(p + i, count: k)
      let g0 = Lanes.load(g + i, count: k)
      let d = hasDecay ? g0 + wd * pi : g0
      let buf = first ? d : Lanes.load(b + i, count: k) * mu + keep * d
      buf.store(b + i, count: k)
      let step = nesterov ? d + mu * buf : buf
      (pi + negLR * step).store(p + i, count: k)
    }
  }
}
