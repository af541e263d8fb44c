import GenAITensor

/// Weight initialisers. Each fills a new tensor of `shape` from an explicit generator.
///
/// Fans follow PyTorch: for a weight `[out, in, k...]` (Linear, Conv), `fanIn = in · Πk` and
/// `fanOut = out · Πk`; for a transposed convolution's `[in, out, k...]` pass `transposed: true`.
public enum Initializer: Sendable, Equatable {
  /// Zeros.
  case zeros
  /// Ones.
  case ones
  /// N(mean, std²); DCGAN uses `normal(mean: 0, std: 0.02)`.
  case normal(mean: Float, std: Float)
  /// U[low, high).
  case uniform(low: Float, high: Float)
  /// Glorot/Xavier uniform, `±√(6 / (fanIn + fanOut))` (the Keras default).
  case glorotUniform
  /// Glorot/Xavier normal, `std = √(2 / (fanIn + fanOut))`.
  case glorotNormal
  /// Kaiming/He uniform with negative slope `a`: bound `√(6 / ((1 + a²)·fanIn))`. PyTorch's
  /// Linear and Conv default is `a = √5`, i.e. bound `1/√fanIn`.
  case kaimingUniform(a: Float)
  /// Kaiming/He normal for ReLU: `std = √(2 / fanIn)`.
  case kaimingNormal
  /// A (semi-)orthogonal matrix of the weight viewed as `[shape[0], rest]`, times `gain`
  /// (recurrent weights).
  case orthogonal(gain: Float)

  /// PyTorch's default for Linear and Conv weights.
  public static let pytorchDefault = Initializer.kaimingUniform(a: Float(5).squareRoot())

  /// `(fanIn, fanOut)` of a weight of `shape`.
  public static func fans(_ shape: [Int], transposed: Bool = false) -> (Int, Int) {
    guard shape.count >= 2 else { return (shape.first ?? 1, shape.first ?? 1) }
    let receptive = shape.dropFirst(2).reduce(1, *)
    let (o, i) = transposed ? (shape[1], shape[0]) : (shape[0], shape[1])
    return (i * receptive, o * receptive)
  }

  /// A new tensor of `shape` initialised by this rule (not requiring a gradient).
  public func make(_ shape: [Int], transposed: Bool = false, using generator: inout some RandomNumberGenerator) -> Tensor {
    let (fanIn, fanOut) = Initializer.fans(shape, transposed: transposed)
    switch self {
    case .zeros: return Tensor.zeros(shape)
    case .ones: return Tensor.ones(shape)
    case .normal(let m, let s): return Tensor.randn(shape, mean: m, std: s, using: &generator)
    case .uniform(let lo, let hi): return Tensor.uniform(shape, low: lo, high: hi, using: &generator)
    case .glorotUniform:
      let b = (6 / Float(max(fanIn + fanOut, 1))).squareRoot()
      return Tensor.uniform(shape, low: -b, high: b, using: &generator)
    case .glorotNormal:
      return Tensor.randn(shape, std: (2 / Float(max(fanIn + fanOut, 1))).squareRoot(), using: &generator)
    case .kaimingUniform(let a):
      let b = (6 / ((1 + a * a) * Float(max(fanIn, 1)))).squareRoot()
      return Tensor.uniform(shape, low: -b, high: b, using: &generator)
    case .kaimingNormal:
      return Tensor.randn(shape, std: (2 / Float(max(fanIn, 1))).squareRoot(), using: &generator)
    case .orthogonal(let gain):
      return Initializer.orthogonal(shape, gain: gain, using: &generator)
    }
  }

  /// Gram–Schmidt on a Gaussian matrix: rows (or columns, whichever are fewer) orthonormal.
  static func orthogonal(_ shape: [Int], gain: Float, using generator: inout some RandomNumberGenerator) -> Tensor {
    let rows = shape.first ?? 1
    let cols = shape.dropFirst().reduce(1, *)
    let (r, c) = rows < cols ? (rows, cols) : (cols, rows)  // r vectors of length c, r <= c
    var g = Tensor.randn([r, c], using: &generator).scalars.map(Double.init)
    for i in 0..<r {
      for j in 0..<i {
        var dot = 0.0
        for k in 0..<c { dot += g[i * c + k] * g[j * c + k] }
        for k in 0..<c { g[i * c + k] -= dot * g[j * c + k] }
      }
      var norm = 0.0
      for k in 0..<c { norm += g[i * c + k] * g[i * c + k] }
      norm = max(norm.squareRoot(), 1e-12)
      for k in 0..<c { g[i * c + k] /= norm }
    }
    // Vectors are rows when rows < cols, else columns of the [rows, cols] matrix.
    var out = [Float](repeating: 0, count: rows * cols)
    for i in 0..<r {
      for k in 0..<c {
        let v = Float(g[i * c + k]) * gain
        if rows < cols { out[i * cols + k] = v } else { out[k * cols + i] = v }
      }
    }
    return (try? Tensor(shape: shape, out)) ?? Tensor.zeros(shape)
  }
}
