import GenAITensor

/// A fully connected layer (Keras calls it Dense): `y = x · Wᵀ + b`.
///
/// `weight` is `[outputSize, inputSize]` and `bias` `[outputSize]`, as in PyTorch, so weights
/// move between the two unchanged. Input `[..., inputSize]`, output `[..., outputSize]`.
public final class Linear: Module, WeightedLayer {
  /// `[outputSize, inputSize]`.
  public let weight: Tensor
  /// `[outputSize]`, or `nil` without bias.
  public let bias: Tensor?

  /// A layer with PyTorch's default initialisation (Kaiming-uniform weight, uniform bias
  /// `±1/√inputSize`) unless `weightInit` says otherwise.
  public init(
    inputSize: Int, outputSize: Int, bias: Bool = true, weightInit: Initializer = .pytorchDefault,
    using generator: inout some RandomNumberGenerator
  ) {
    require(inputSize > 0 && outputSize > 0, "[Linear] sizes must be positive, got \(inputSize) -> \(outputSize)")
    weight = weightInit.make([outputSize, inputSize], using: &generator).requiringGrad()
    let bound = 1 / Float(inputSize).squareRoot()
    self.bias = bias ? Tensor.uniform([outputSize], low: -bound, high: bound, using: &generator).requiringGrad() : nil
    super.init()
  }

  /// `x · Wᵀ + b` for `x` of `[..., inputSize]`.
  public func callAsFunction(_ x: Tensor) -> Tensor { forward(x, weight: weight) }

  /// `x · weightᵀ + b` with `weight` `[outputSize, inputSize]` in place of the stored one (for
  /// `SpectralNorm`).
  public func forward(_ x: Tensor, weight: Tensor) -> Tensor {
    let y = x.matmul(weight, transposeB: true)
    return bias.map { y + $0 } ?? y
  }
}
