import GenAITensor

/// Inverted dropout (PyTorch's `nn.Dropout`, Keras `Dropout`): in training mode each element is
/// zeroed with probability `p` and the rest scaled by `1/(1 − p)`; in evaluation mode the layer is
/// the identity.
///
/// Input any shape, same shape out. The masks come from the layer's own `randomSource`, which a
/// training checkpoint saves and restores (see `Module.namedRandomSources()`), so a resumed run
/// draws the same masks as an uninterrupted one. Give each dropout layer its own seed (or build
/// them with `init(p:using:)` from one generator): two layers with one seed draw equal masks.
public final class Dropout: Module, UnaryLayer {
  /// Probability of zeroing an element, in `[0, 1)`.
  public let p: Float
  /// The generator the masks are drawn from.
  public let randomSource: RandomSource

  /// A dropout layer drawing its masks from a generator seeded with `seed`.
  /// - Precondition: `0 ≤ p < 1`.
  public init(p: Float = 0.5, seed: UInt64) {
    require(p >= 0 && p < 1, "[Dropout] p must be in [0, 1), got \(p)")
    self.p = p
    randomSource = RandomSource(seed: seed)
    super.init()
  }

  /// A dropout layer seeded from `generator` (one draw), so that layers built in turn from one
  /// generator get different seeds.
  /// - Precondition: `0 ≤ p < 1`.
  public convenience init(p: Float = 0.5, using generator: inout some RandomNumberGenerator) {
    self.init(p: p, seed: generator.next())
  }

  /// `x` with dropout applied in training mode; `x` itself in evaluation mode or when `p == 0`.
  public func callAsFunction(_ x: Tensor) -> Tensor { callAsFunction(x, stackedBatches: 1) }

  /// Dropout of `x` `[B·N, ...]`: `stackedBatches` (B) batches of N stacked along axis 0, each
  /// masked as a call of its own would mask it (the same draws, in data-parallel training too),
  /// so one call on a stack is B calls in turn.
  /// - Precondition: B divides `x.shape[0]`.
  public func callAsFunction(_ x: Tensor, stackedBatches: Int) -> Tensor {
    guard isTraining, p > 0 else { return x }
    guard stackedBatches > 1 else { return randomSource.dropout(x, p: p) }
    return randomSource.dropout(x, p: p, stackedBatches: stackedBatches)
  }
}
