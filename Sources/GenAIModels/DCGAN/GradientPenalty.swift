import GenAITensor

/// WGAN-GP's gradient penalty (Gulrajani et al. 2017):
///
/// `x̂ = α·real + (1 − α)·fake` with `α` `[B, 1, ..., 1]` (one draw of U[0, 1] per example),
/// `penalty = mean_b((‖∇_x̂ C(x̂)_b‖₂ − 1)²)`.
///
/// The input gradient comes from `gradients(of:withRespectTo:createGraph: true)`, so the returned
/// scalar is itself differentiable with respect to the critic's parameters (double backward).
/// `real` and `fake` are treated as constants (detached). A tiny `1e-12` inside the square root
/// keeps the norm's derivative finite at a zero gradient.
/// - Parameters:
///   - critic: maps `[B, ...]` to scores `[B, 1]` (or `[B]`), each depending on its own example.
///   - real: `[B, ...]`.
///   - fake: `[B, ...]`, same shape.
///   - alpha: `[B, 1, ..., 1]` of the same rank, in [0, 1].
/// - Returns: the penalty, a scalar tensor.
/// - Throws: `AutodiffError` from the inner backward pass.
public func wganGradientPenalty(
  critic: (Tensor) -> Tensor, real: Tensor, fake: Tensor, alpha: Tensor
) throws -> Tensor {
  let mixed = (alpha * real.detached() + (1 - alpha) * fake.detached()).detached().requiringGrad()
  let scores = critic(mixed)
  let grad = try gradients(of: scores.sum(), withRespectTo: [mixed], createGraph: true)[0]
  let axes = Array(1..<grad.rank)
  let norm = (grad.squared().sum(axes: axes) + 1e-12).sqrt()
  return (norm - 1).squared().mean()
}
