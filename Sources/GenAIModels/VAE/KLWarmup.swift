/// KL warm-up (deterministic annealing): the weight `β` of the KL term grows linearly from 0 to
/// 1 over the first `steps` updates, `β(t) = min(1, t / steps)` where `t` is the number of
/// updates already done (so the first update has `β = 0`); `steps = 0` means `β = 1` throughout.
///
/// Reference: Bowman et al., "Generating Sentences from a Continuous Space", CoNLL 2016;
/// Sønderby et al., "Ladder Variational Autoencoders", NeurIPS 2016.
public struct KLWarmup: Sendable, Equatable {
  /// Number of updates over which `β` rises from 0 to 1.
  public var steps: Int

  /// A warm-up over `steps` updates.
  /// - Precondition: `steps ≥ 0`.
  public init(steps: Int) {
    precondition(steps >= 0, "[KLWarmup] steps must be >= 0, got \(steps)")
    self.steps = steps
  }

  /// `β` for the update after `step` updates: `min(1, step / steps)`.
  public func beta(atStep step: Int) -> Float {
    steps == 0 ? 1 : Float(min(max(step, 0), steps)) / Float(steps)
  }
}
