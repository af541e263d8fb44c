#if canImport(Glibc)
  import Glibc
#elseif canImport(Musl)
  import Musl
#elseif canImport(Darwin)
  import Darwin
#endif
import GenAITensor

/// Adam with optional L2 weight decay added to the gradient, with PyTorch's `torch.optim.Adam`
/// semantics (`amsgrad` is not offered).
///
/// For each parameter `p` with gradient `g`, at its `t`-th update:
/// ```
/// g = g + λ·p                                   (L2 decay, only when λ ≠ 0)
/// m = m + (1 − β₁)·(g − m)                      ("exp_avg")
/// v = β₂·v + (1 − β₂)·g²                        ("exp_avg_sq")
/// p = p − (η / (1 − β₁ᵗ)) · m / (√v / √(1 − β₂ᵗ) + ε)
/// ```
/// Bias corrections are computed in Double, as PyTorch computes them in Python floats.
/// For decoupled decay, which is what transformers and GANs usually want, use `AdamW`.
///
/// State keys: `"<i>.exp_avg"`, `"<i>.exp_avg_sq"` and the common keys (`Optimizers.swift`).
///
/// References:
/// - Kingma & Ba, "Adam: A Method for Stochastic Optimization", ICLR 2015, arXiv:1412.6980.
public final class Adam: OptimizerBase, Optimizer {
  /// Decay rate `β₁` of the first moment.
  public var beta1: Float
  /// Decay rate `β₂` of the second moment.
  public var beta2: Float
  /// Term `ε` added to the denominator for stability.
  public var eps: Float
  /// L2 penalty `λ` added to the gradient (coupled with the moments, unlike `AdamW`).
  public var weightDecay: Float

  /// An optimiser for `parameters`; the defaults are PyTorch's.
  ///
  /// - Parameters:
  ///   - parameters: the tensors to update, each once (order fixes the state keys).
  ///   - learningRate: step size `η` ≥ 0.
  ///   - betas: `(β₁, β₂)`, each in `[0, 1)`.
  ///   - eps: `ε` ≥ 0.
  ///   - weightDecay: L2 penalty `λ` ≥ 0 added to the gradient.
  public init(
    parameters: [Tensor], learningRate: Float = 1e-3, betas: (Float, Float) = (0.9, 0.999),
    eps: Float = 1e-8, weightDecay: Float = 0
  ) {
    validateAdam("Adam", learningRate, betas, eps, weightDecay)
    (beta1, beta2) = betas
    self.eps = eps
    self.weightDecay = weightDecay
    super.init(parameters: parameters, learningRate: learningRate, bufferNames: adamBuffers, op: "Adam")
  }

  /// The hyperparameters the next `step` uses.
  public var hyperparameters: Hyperparameters {
    Hyperparameters(
      learningRate: learningRate, beta1: beta1, beta2: beta2, eps: eps, weightDecay: weightDecay,
      decoupledWeightDecay: false)
  }

  /// Applies one update to every parameter that has a gradient.
  public func step() {
    adamStep(self, "Adam") { _ in hyperparameters }
  }
}

/// Adam with decoupled weight decay (AdamW), with PyTorch's `torch.optim.AdamW` semantics; by
/// default the decay reaches only parameters of rank ≥ 2 (weight matrices and kernels, not
/// biases or normalisation gains), as nanoGPT configures it.
///
/// For a decayed parameter the update first shrinks it, `p = p · (1 − η·λ)`, then applies the
/// Adam step of `Adam` without any L2 term. Parameters outside the decay set get the plain Adam
/// step. `appliesWeightDecay[i]` tells which parameters decay.
///
/// ```swift
/// let opt = AdamW(parameters: gpt.parameters(), learningRate: 6e-4, betas: (0.9, 0.95), weightDecay: 0.1)
/// ```
///
/// State keys: as `Adam`.
///
/// References:
/// - Loshchilov & Hutter, "Decoupled Weight Decay Regularization", ICLR 2019, arXiv:1711.05101.
/// - Kingma & Ba, "Adam: A Method for Stochastic Optimization", ICLR 2015, arXiv:1412.6980.
public final class AdamW: OptimizerBase, Optimizer {
  /// Whether each parameter (same order) receives weight decay.
  public let appliesWeightDecay: [Bool]
  /// Decay rate `β₁` of the first moment.
  public var beta1: Float
  /// Decay rate `β₂` of the second moment.
  public var beta2: Float
  /// Term `ε` added to the denominator for stability.
  public var eps: Float
  /// Decoupled decay rate `λ`: a decayed parameter shrinks by `η·λ` of itself each step.
  public var weightDecay: Float

  /// An optimiser for `parameters` that decays those for which `decayWhere` is true: by default
  /// those of rank ≥ 2, as nanoGPT's `configure_optimizers`. The defaults are PyTorch's.
  ///
  /// - Parameters:
  ///   - parameters: the tensors to update, each once (order fixes the state keys).
  ///   - learningRate: step size `η` ≥ 0.
  ///   - betas: `(β₁, β₂)`, each in `[0, 1)`.
  ///   - eps: `ε` ≥ 0.
  ///   - weightDecay: decoupled decay `λ` ≥ 0.
  ///   - decayWhere: which parameters receive decay; `{ _ in true }` decays all, as PyTorch's
  ///     `AdamW(model.parameters())` does.
  public init(
    parameters: [Tensor], learningRate: Float = 1e-3, betas: (Float, Float) = (0.9, 0.999),
    eps: Float = 1e-8, weightDecay: Float = 1e-2, decayWhere: (Tensor) -> Bool = { $0.rank >= 2 }
  ) {
    validateAdam("AdamW", learningRate, betas, eps, weightDecay)
    appliesWeightDecay = parameters.map(decayWhere)
    (beta1, beta2) = betas
    self.eps = eps
    self.weightDecay = weightDecay
    super.init(parameters: parameters, learningRate: learningRate, bufferNames: adamBuffers, op: "AdamW")
  }

  /// An optimiser with explicit groups, as PyTorch's two `param_groups`: `decay` receives weight
  /// decay, `noDecay` does not. Parameters are ordered `decay` then `noDecay` (that order fixes
  /// the state keys).
  public convenience init(
    decay: [Tensor], noDecay: [Tensor], learningRate: Float = 1e-3,
    betas: (Float, Float) = (0.9, 0.999), eps: Float = 1e-8, weightDecay: Float = 1e-2
  ) {
    let decayed = Set(decay.map(ObjectIdentifier.init))
    self.init(
      parameters: decay + noDecay, learningRate: learningRate, betas: betas, eps: eps,
      weightDecay: weightDecay, decayWhere: { decayed.contains(ObjectIdentifier($0)) })
  }

  /// The hyperparameters the next `step` uses for a parameter that decays; one that does not
  /// uses the same with `weightDecay` 0.
  public var hyperparameters: Adam.Hyperparameters {
    Adam.Hyperparameters(
      learningRate: learningRate, beta1: beta1, beta2: beta2, eps: eps, weightDecay: weightDecay,
      decoupledWeightDecay: true)
  }

  /// Applies one update to every parameter that has a gradient.
  public func step() {
    let decayed = hyperparameters
    var plain = decayed
    plain.weightDecay = 0
    adamStep(self, "AdamW") { appliesWeightDecay[$0] ? decayed : plain }
  }
}

/// Stops on hyperparameters PyTorch also rejects.
private func validateAdam(_ op: String, _ lr: Float, _ betas: (Float, Float), _ eps: Float, _ wd: Float) {
  require(lr >= 0, "[\(op)] learning rate must be ≥ 0, got \(lr)")
  require(eps >= 0, "[\(op)] eps must be ≥ 0, got \(eps)")
  require(betas.0 >= 0 && betas.0 < 1, "[\(op)] beta1 must be in [0, 1), got \(betas.0)")
  require(betas.1 >= 0 && betas.1 < 1, "[\(op)] beta2 must be in [0, 1), got \(betas.1)")
  require(wd >= 0, "[\(op)] weight decay must be ≥ 0, got \(wd)")
}

/// The state buffers of `Adam` and `AdamW`, in PyTorch's names.
private let adamBuffers = ["exp_avg", "exp_avg_sq"]

/// The loop shared by `Adam` and `AdamW`: the rule over every parameter with a gradient.
private func adamStep(_ optimizer: OptimizerBase, _ op: String, _ hyper: (Int) -> Adam.Hyperparameters) {
  optimizer.forEachUpdate(op) { i, t, r, p, g in
    let state = Adam.State(expAvg: optimizer.buffer(i, 0).slice(r), expAvgSq: optimizer.buffer(i, 1).slice(r), step: t)
    Adam.update(param: p, grad: g, state: state, hyper: hyper(i))
  }
}

extension Adam {
  /// The hyperparameters of one Adam or AdamW update.
  public struct Hyperparameters: Sendable, Equatable {
    /// Step size `η`.
    public var learningRate: Float
    /// Decay rate `β₁` of the first moment.
    public var beta1: Float
    /// Decay rate `β₂` of the second moment.
    public var beta2: Float
    /// Stability term `ε`.
    public var eps: Float
    /// Decay `λ`: an L2 term added to the gradient, or with `decoupledWeightDecay` a shrink
    /// `p · (1 − η·λ)` before the step (AdamW).
    public var weightDecay: Float
    /// Whether weight decay is decoupled from the gradient (AdamW).
    public var decoupledWeightDecay: Bool

    /// Creates a set of hyperparameters; the defaults are PyTorch's `Adam`.
    public init(
      learningRate: Float = 1e-3, beta1: Float = 0.9, beta2: Float = 0.999, eps: Float = 1e-8,
      weightDecay: Float = 0, decoupledWeightDecay: Bool = false
    ) {
      self.learningRate = learningRate
      self.beta1 = beta1
      self.beta2 = beta2
      self.eps = eps
      self.weightDecay = weightDecay
      self.decoupledWeightDecay = decoupledWeightDecay
    }
  }

  /// The state of one parameter for one update.
  public struct State {
    /// First moment `m` ("exp_avg"), updated in place.
    public var expAvg: UnsafeMutableBufferPointer<Float>
    /// Second moment `v` ("exp_avg_sq"), updated in place.
    public var expAvgSq: UnsafeMutableBufferPointer<Float>
    /// The number of this update for this parameter, counting from 1 (the bias corrections use it).
    public var step: Int

    /// Bundles the moments and the update number.
    public init(expAvg: UnsafeMutableBufferPointer<Float>, expAvgSq: UnsafeMutableBufferPointer<Float>, step: Int) {
      self.expAvg = expAvg
      self.expAvgSq = expAvgSq
      self.step = step
    }
  }

  /// One Adam (or AdamW) update of one parameter, in place: the pure per-parameter rule.
  ///
  /// Reads only its arguments and writes only `param` and the two moments, one flat loop; the
  /// per-step constants (bias corrections) are computed once, in Double.
  /// - Parameters:
  ///   - param: the parameter's values `[n]`, updated in place.
  ///   - grad: its gradient `[n]`.
  ///   - state: the moments `[n]` (updated in place) and the update number `t ≥ 1`.
  ///   - hyper: the hyperparameters.
  /// - Precondition: equal counts, `state.step ≥ 1`.
  public static func update(
    param: UnsafeMutableBufferPointer<Float>, grad: UnsafeBufferPointer<Float>, state: State,
    hyper: Hyperparameters
  ) {
    let n = param.count
    require(
      grad.count == n && state.expAvg.count == n && state.expAvgSq.count == n,
      "[Adam.update] parameter, gradient and moments need equal counts")
    require(state.step >= 1, "[Adam.update] the update number counts from 1, got \(state.step)")
    guard n > 0, let p = param.baseAddress, let g = grad.baseAddress,
      let m = state.expAvg.baseAddress, let v = state.expAvgSq.baseAddress
    else { return }

    let t = Double(state.step)
    let lr = Double(hyper.learningRate)
    let beta1 = Double(hyper.beta1)
    let beta2 = Double(hyper.beta2)
    let correction1 = 1 - pow(beta1, t)
    let correction2Sqrt = Float(pow(1 - pow(beta2, t), 0.5))
    let negStepSize = Float(-(lr / correction1))
    let w1 = Float(1 - beta1)
    let w2 = Float(1 - beta2)
    let b2 = hyper.beta2
    let eps = hyper.eps
    let l2 = hyper.decoupledWeightDecay ? 0 : hyper.weightDecay
    let hasL2 = l2 != 0
    // AdamW's shrink; multiplying by exactly 1 changes no bit, so it needs no branch.
    let shrink = hyper.decoupledWeightDecay ? Float(1 - lr * Double(hyper.weightDecay)) : 1
    forEachLaneBlock(n) { i, k in
      let pi = Lanes.load(p + i, count: k) * shrink
      let g0 = Lanes.load(g + i, count: k)
      let gi = hasL2 ? g0 + l2 * pi : g0
      let m0 = Lanes.load(m + i, count: k)
      let mi = m0 + w1 * (gi - m0)
      let vi = Lanes.load(v + i, count: k) * b2 + w2 * gi * gi
      mi.store(m + i, count: k)
      vi.store(v + i, count: k)
      let denom = vi.laneSquareRoot() / correction2Sqrt + eps
      (pi + negStepSize * mi / denom).store(p + i, count: k)
    }
  }
}
