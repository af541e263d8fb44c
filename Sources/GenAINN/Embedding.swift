import GenAITensor

/// A look-up table of learned vectors, one per id (PyTorch's `nn.Embedding`, Keras `Embedding`):
/// token ids `[B, T]` become vectors `[B, T, dimension]`.
///
/// `weight` is `[count, dimension]`, initialised from N(0, 1) as in PyTorch (Keras draws
/// `U(±0.05)`; pass `weightInit: .uniform(low: -0.05, high: 0.05)` to match it). The gradient of
/// the look-up adds into the rows that were picked, repeated ids accumulating.
public final class Embedding: Module {
  /// `[count, dimension]`: row `i` is the vector of id `i`.
  public let weight: Tensor

  /// A table of `count` vectors of size `dimension`.
  /// - Parameters:
  ///   - count: number of ids (PyTorch's `num_embeddings`, e.g. the vocabulary size).
  ///   - dimension: size of each vector (PyTorch's `embedding_dim`).
  ///   - weightInit: N(0, 1) unless told otherwise.
  public init(
    count: Int, dimension: Int, weightInit: Initializer = .normal(mean: 0, std: 1),
    using generator: inout some RandomNumberGenerator
  ) {
    require(count > 0 && dimension > 0, "[Embedding] sizes must be positive, got \(count) x \(dimension)")
    weight = weightInit.make([count, dimension], using: &generator).requiringGrad()
    super.init()
  }

  /// Number of ids.
  public var count: Int { weight.shape[0] }
  /// Size of each vector.
  public var dimension: Int { weight.shape[1] }

  /// The vectors of `ids` `[...]`: `[..., dimension]`.
  /// - Precondition: every id is in `0..<count`.
  public func callAsFunction(_ ids: IndexTensor) -> Tensor { weight.indexSelect(ids, axis: 0) }

  /// `x · Wᵀ` for `x` `[..., dimension]` → `[..., count]`: the table used as an output projection
  /// to logits, for language models that tie input and output embeddings.
  public func asLinear(_ x: Tensor) -> Tensor { x.matmul(weight, transposeB: true) }
}
