import GenAITensor

/// An optimiser: updates a fixed list of parameters in place from their gradients.
///
/// The loop stays explicit (nanoGPT style):
/// ```swift
/// let loss = lossFunction(model(x), y)
/// optimizer.zeroGrad()
/// try loss.backward()
/// clipGradNorm(model.parameters(), maxNorm: 1)
/// optimizer.step()
/// ```
public protocol Optimizer: AnyObject {
  /// The parameters updated, in a fixed order (state is saved and restored by this order).
  var parameters: [Tensor] { get }
  /// The learning rate used by the next `step`; a schedule sets it each step.
  var learningRate: Float { get set }
  /// Number of `step` calls so far.
  var stepCount: Int { get }
  /// Applies one update to every parameter that has a gradient.
  func step()
  /// Per-parameter state (moments, momentum buffers) and counters as named tensors, for
  /// checkpoints: keys like `"0.exp_avg"` (parameter index, then the buffer's name) and `"step"`.
  func stateDict() -> [String: Tensor]
  /// Restores what `stateDict()` returned.
  /// - Throws: `StateDictError` naming missing, unexpected or mis-shaped keys.
  func load(stateDict: [String: Tensor]) throws
}

extension Optimizer {
  /// Clears the gradient of every parameter.
  public func zeroGrad() { for p in parameters { p.zeroGrad() } }
}
