#if canImport(Glibc)
  import Glibc
#elseif canImport(Musl)
  import Musl
#elseif canImport(Darwin)
  import Darwin
#endif
import GenAITensor

/// A learning rate as a pure function of the step, like nanoGPT's `get_lr(it)`: no hidden state,
/// so resuming a run at step `k` needs only `k`.
///
/// Steps count from 0: `learningRate(atStep: 0)` is the rate of the first update. Set it before
/// each update, in the explicit loop:
/// ```swift
/// let schedule = CosineWarmupSchedule(learningRate: 6e-4, warmupSteps: 100, totalSteps: 5000, minLearningRate: 6e-5)
/// for it in 0..<5000 {
///   schedule.apply(to: optimizer, atStep: it)
///   ...; optimizer.step()
/// }
/// ```
/// Values are computed in Double and rounded to Float once.
public protocol LearningRateSchedule: Sendable {
  /// The learning rate for the update with 0-based index `step`.
  /// - Precondition: `step >= 0`.
  func learningRate(atStep step: Int) -> Float
}

extension LearningRateSchedule {
  /// Sets `optimizer.learningRate` to this schedule's rate at `step` (by default
  /// `optimizer.stepCount`, the index of the update about to run) and returns it.
  @discardableResult
  public func apply(to optimizer: any Optimizer, atStep step: Int? = nil) -> Float {
    let lr = learningRate(atStep: step ?? optimizer.stepCount)
    optimizer.learningRate = lr
    return lr
  }
}

/// The same rate at every step.
public struct ConstantSchedule: LearningRateSchedule, Codable, Equatable {
  /// The rate.
  public var learningRate: Float

  /// A schedule that always gives `learningRate`.
  public init(learningRate: Float) { self.learningRate = learningRate }

  /// `learningRate`, whatever the step.
  public func learningRate(atStep step: Int) -> Float { learningRate }
}

/// Step decay: the rate is multiplied by `gamma` every `stepSize` steps, PyTorch's `StepLR` in
/// closed form: `η₀ · γ^⌊step / stepSize⌋`.
public struct StepDecaySchedule: LearningRateSchedule, Codable, Equatable {
  /// The initial rate `η₀`.
  public var learningRate: Float
  /// Steps between decays.
  public var stepSize: Int
  /// Factor applied at each decay.
  public var gamma: Float

  /// A schedule starting at `learningRate` that multiplies by `gamma` every `stepSize` steps.
  /// - Precondition: `stepSize > 0`.
  public init(learningRate: Float, stepSize: Int, gamma: Float = 0.1) {
    require(stepSize > 0, "[StepDecaySchedule] stepSize must be > 0, got \(stepSize)")
    self.learningRate = learningRate
    self.stepSize = stepSize
    self.gamma = gamma
  }

  /// `η₀ · γ^⌊step / stepSize⌋`.
  public func learningRate(atStep step: Int) -> Float {
    require(step >= 0, "[StepDecaySchedule] step must be ≥ 0, got \(step)")
    return Float(Double(learningRate) * pow(Double(gamma), Double(step / stepSize)))
  }
}

/// Exponential decay every step, PyTorch's `ExponentialLR` in closed form: `η₀ · γ^step`.
public struct ExponentialDecaySchedule: LearningRateSchedule, Codable, Equatable {
  /// The initial rate `η₀`.
  public var learningRate: Float
  /// Factor applied at every step.
  public var gamma: Float

  /// A schedule starting at `learningRate` that multiplies by `gamma` every step.
  public init(learningRate: Float, gamma: Float) {
    self.learningRate = learningRate
    self.gamma = gamma
  }

  /// `η₀ · γ^step`.
  public func learningRate(atStep step: Int) -> Float {
    require(step >= 0, "[ExponentialDecaySchedule] step must be ≥ 0, got \(step)")
    return Float(Double(learningRate) * pow(Double(gamma), Double(step)))
  }
}

/// Linear warm-up then cosine decay to a floor, exactly nanoGPT's `get_lr`:
/// ```
/// step < warmupSteps:   η · (step + 1) / (warmupSteps + 1)
/// step > totalSteps:    η_min
/// otherwise:            η_min + ½(1 + cos(π·r)) · (η − η_min),
///                       r = (step − warmupSteps) / (totalSteps − warmupSteps)
/// ```
/// So the first step already has a small non-zero rate, the peak `η` is reached at step
/// `warmupSteps`, and `η_min` at step `totalSteps` (nanoGPT's `lr_decay_iters`) and after.
///
/// References:
/// - Loshchilov & Hutter, "SGDR: Stochastic Gradient Descent with Warm Restarts", ICLR 2017,
///   arXiv:1608.03983 (cosine annealing).
/// - Goyal et al., "Accurate, Large Minibatch SGD: Training ImageNet in 1 Hour",
///   arXiv:1706.02677, 2017 (linear warm-up).
public struct CosineWarmupSchedule: LearningRateSchedule, Codable, Equatable {
  /// The peak rate `η`.
  public var learningRate: Float
  /// Steps of linear warm-up.
  public var warmupSteps: Int
  /// The step at which the decay reaches `minLearningRate`.
  public var totalSteps: Int
  /// The floor `η_min`.
  public var minLearningRate: Float

  /// A schedule warming up for `warmupSteps` to `learningRate`, then decaying along a cosine to
  /// `minLearningRate` at `totalSteps`.
  /// - Precondition: `0 ≤ warmupSteps ≤ totalSteps`.
  public init(learningRate: Float, warmupSteps: Int, totalSteps: Int, minLearningRate: Float = 0) {
    require(
      warmupSteps >= 0 && warmupSteps <= totalSteps,
      "[CosineWarmupSchedule] needs 0 ≤ warmupSteps ≤ totalSteps, got \(warmupSteps) and \(totalSteps)")
    self.learningRate = learningRate
    self.warmupSteps = warmupSteps
    self.totalSteps = totalSteps
    self.minLearningRate = minLearningRate
  }

  /// The rate of nanoGPT's `get_lr(step)`.
  public func learningRate(atStep step: Int) -> Float {
    require(step >= 0, "[CosineWarmupSchedule] step must be ≥ 0, got \(step)")
    let peak = Double(learningRate)
    let low = Double(minLearningRate)
    if step < warmupSteps { return Float(peak * Double(step + 1) / Double(warmupSteps + 1)) }
    // With no decay phase (`totalSteps == warmupSteps`) the floor follows the warm-up at once.
    if step > totalSteps || totalSteps == warmupSteps { return minLearningRate }
    let ratio = Double(step - warmupSteps) / Double(totalSteps - warmupSteps)
    let coefficient = 0.5 * (1 + cos(Double.pi * ratio))
    return Float(low + coefficient * (peak - low))
  }
}

extension LearningRateSchedule where Self == ConstantSchedule {
  /// The same rate at every step.
  public static func constant(_ learningRate: Float) -> ConstantSchedule {
    ConstantSchedule(learningRate: learningRate)
  }
}

extension LearningRateSchedule where Self == StepDecaySchedule {
  /// `learningRate · gamma^⌊step / stepSize⌋` (PyTorch `StepLR`).
  public static func stepDecay(learningRate: Float, stepSize: Int, gamma: Float = 0.1) -> StepDecaySchedule {
    StepDecaySchedule(learningRate: learningRate, stepSize: stepSize, gamma: gamma)
  }
}

extension LearningRateSchedule where Self == ExponentialDecaySchedule {
  /// `learningRate · gamma^step` (PyTorch `ExponentialLR`).
  public static func exponential(learningRate: Float, gamma: Float) -> ExponentialDecaySchedule {
    ExponentialDecaySchedule(learningRate: learningRate, gamma: gamma)
  }
}

extension LearningRateSchedule where Self == CosineWarmupSchedule {
  /// Linear warm-up then cosine decay to `minLearningRate` (nanoGPT `get_lr`).
  public static func cosineWithWarmup(
    learningRate: Float, warmupSteps: Int, totalSteps: Int, minLearningRate: Float = 0
  ) -> CosineWarmupSchedule {
    CosineWarmupSchedule(
      learningRate: learningRate, warmupSteps: warmupSteps, totalSteps: totalSteps,
      minLearningRate: minLearningRate)
  }
}
