import CGenAIKernels

/// Element-wise arithmetic and maths with NumPy broadcasting, each with its pullback.

extension Tensor {
  /// A recorded element-wise map of this tensor.
  func unaryOp<F: UnaryFunction>(_ kind: OpKind, _ f: F, pullback: @escaping Pullback) -> Tensor {
    Tensor.record(kind, shape: shape, storage: Kernels.map(self, f), inputs: [self], pullback: pullback)
  }

  /// A recorded element-wise map of this tensor, for a closure.
  func unaryOp(_ kind: OpKind, _ f: (Float) -> Float, pullback: @escaping Pullback) -> Tensor {
    Tensor.record(kind, shape: shape, storage: Kernels.map(self, f), inputs: [self], pullback: pullback)
  }

  /// A recorded broadcasting element-wise map of two tensors.
  static func binaryOp<F: BinaryFunction>(
    _ kind: OpKind, _ a: Tensor, _ b: Tensor, _ f: F, pullback: @escaping Pullback
  ) -> Tensor {
    let (shape, storage) = Kernels.broadcast(a, b, op: kind.rawValue, f)
    return record(kind, shape: shape, storage: storage, inputs: [a, b], pullback: pullback)
  }

  /// A recorded broadcasting element-wise map of two tensors, for a closure.
  static func binaryOp(
    _ kind: OpKind, _ a: Tensor, _ b: Tensor, _ f: (Float, Float) -> Float, pullback: @escaping Pullback
  ) -> Tensor {
    let (shape, storage) = Kernels.broadcast(a, b, op: kind.rawValue, f)
    return record(kind, shape: shape, storage: storage, inputs: [a, b], pullback: pullback)
  }

  /// An unrecorded element-wise map of two tensors of equal shape. Pullbacks use it for a fused
  /// one-pass gradient when no graph is being recorded; under `createGraph` they use the
  /// equivalent composition of recorded ops instead, so second derivatives stay available.
  static func fusedZip<F: BinaryFunction>(_ a: Tensor, _ b: Tensor, _ f: F) -> Tensor {
    assert(a.shape == b.shape)
    return Tensor(shape: a.shape, storage: Kernels.zip(a, b, f))
  }

  /// A constant 0/1 mask, `1` where `predicate(x)` holds: the derivative of a kink-free piece.
  func mask(_ predicate: (Float) -> Bool) -> Tensor {
    Tensor(shape: shape, storage: Kernels.map(self) { predicate($0) ? 1 : 0 })
  }

  // MARK: - Binary operators

  /// Element-wise sum with broadcasting: `[..]` + `[..]` → broadcast shape.
  public static func + (a: Tensor, b: Tensor) -> Tensor {
    binaryOp(.add, a, b, AddFunction()) { g, _, _ in [g, g] }
  }

  /// Element-wise difference with broadcasting.
  public static func - (a: Tensor, b: Tensor) -> Tensor {
    binaryOp(.subtract, a, b, SubtractFunction()) { g, _, _ in [g, -g] }
  }

  /// Element-wise product with broadcasting.
  public static func * (a: Tensor, b: Tensor) -> Tensor {
    binaryOp(.multiply, a, b, MultiplyFunction()) { g, _, x in
      [x[0].requiresGrad ? g * x[1] : nil, x[1].requiresGrad ? g * x[0] : nil]
    }
  }

  /// Element-wise quotient with broadcasting.
  public static func / (a: Tensor, b: Tensor) -> Tensor {
    binaryOp(.divide, a, b, DivideFunction()) { g, out, x in
      let ga = g / x[1]
      return [ga, x[1].requiresGrad ? -(ga * out) : nil]
    }
  }

  /// Element-wise negation.
  public static prefix func - (a: Tensor) -> Tensor {
    a.unaryOp(.negate, NegateFunction()) { g, _, _ in [-g] }
  }

  // MARK: - Scalar forms

  /// Adds a scalar to every element.
  public static func + (a: Tensor, s: Float) -> Tensor { a + Tensor(s) }
  /// Adds a scalar to every element.
  public static func + (s: Float, a: Tensor) -> Tensor { Tensor(s) + a }
  /// Subtracts a scalar from every element.
  public static func - (a: Tensor, s: Float) -> Tensor { a + Tensor(-s) }
  /// Subtracts every element from a scalar.
  public static func - (s: Float, a: Tensor) -> Tensor { Tensor(s) - a }
  /// Multiplies every element by a scalar.
  public static func * (a: Tensor, s: Float) -> Tensor { a * Tensor(s) }
  /// Multiplies every element by a scalar.
  public static func * (s: Float, a: Tensor) -> Tensor { Tensor(s) * a }
  /// Divides every element by a scalar.
  public static func / (a: Tensor, s: Float) -> Tensor { a * Tensor(1 / s) }
  /// Divides a scalar by every element.
  public static func / (s: Float, a: Tensor) -> Tensor { Tensor(s) / a }

  // MARK: - Powers, exponentials, roots

  /// Each element raised to the scalar power `p`.
  public func pow(_ p: Float) -> Tensor {
    if p == 2 { return self * self }
    return unaryOp(.powScalar, { _pow($0, p) }) { g, _, x in [g * (p * x[0].pow(p - 1))] }
  }

  /// Each element raised to the matching element of `exponent` (broadcasting). The gradient
  /// with respect to the exponent needs positive bases (it uses `log(base)`).
  public func pow(_ exponent: Tensor) -> Tensor {
    Tensor.binaryOp(.pow, self, exponent, _pow) { g, out, x in
      [g * x[1] * x[0].pow(x[1] - 1), g * out * x[0].log()]
    }
  }

  /// Element-wise `eˣ`.
  public func exp() -> Tensor {
    Tensor.record(.exp, shape: shape, storage: Kernels.map(self, GENAI_MAP_EXP), inputs: [self]) { g, out, _ in
      [g * out]
    }
  }

  /// Element-wise natural logarithm.
  public func log() -> Tensor { unaryOp(.log, _log) { g, _, x in [g / x[0]] } }

  /// Element-wise square root.
  public func sqrt() -> Tensor { unaryOp(.sqrt, { $0.squareRoot() }) { g, out, _ in [g * 0.5 / out] } }

  /// Element-wise absolute value (gradient 0 at 0).
  public func abs() -> Tensor {
    unaryOp(.abs, { Swift.abs($0) }) { g, _, x in [g * x[0].mask { $0 > 0 } - g * x[0].mask { $0 < 0 }] }
  }

  /// Element-wise error function.
  public func erf() -> Tensor {
    Tensor.record(.erf, shape: shape, storage: Kernels.map(self, GENAI_MAP_ERF), inputs: [self]) { g, _, x in
      [g * (x[0] * x[0] * -1).exp() * Float(1.1283791670955126)]
    }
  }

  /// Each element limited to `[low, high]`; the gradient is zero where it was limited.
  public func clamped(min low: Float = -.infinity, max high: Float = .infinity) -> Tensor {
    require(low <= high, "[clamp] min \(low) is greater than max \(high)")
    return unaryOp(.clamp, { Swift.min(Swift.max($0, low), high) }) { g, _, x in
      [g * x[0].mask { $0 >= low && $0 <= high }]
    }
  }

  /// Element-wise minimum with broadcasting; a tie sends the gradient to `self`.
  public func minimum(_ other: Tensor) -> Tensor {
    Tensor.binaryOp(.minimum, self, other, { Swift.min($0, $1) }) { g, _, x in
      let takeA = Tensor(shape: g.shape, storage: Kernels.broadcast(x[0], x[1], op: "minimum") { $0 <= $1 ? 1 : 0 }.1)
      return [g * takeA, g * (1 - takeA)]
    }
  }

  /// Element-wise maximum with broadcasting; a tie sends the gradient to `self`.
  public func maximum(_ other: Tensor) -> Tensor {
    Tensor.binaryOp(.maximum, self, other, { Swift.max($0, $1) }) { g, _, x in
      let takeA = Tensor(shape: g.shape, storage: Kernels.broadcast(x[0], x[1], op: "maximum") { $0 >= $1 ? 1 : 0 }.1)
      return [g * takeA, g * (1 - takeA)]
    }
  }

  /// Element-wise square.
  public func squared() -> Tensor { self * self }
}

// MARK: - Comparison masks

infix operator .> : ComparisonPrecedence
infix operator .>= : ComparisonPrecedence
infix operator .< : ComparisonPrecedence
infix operator .<= : ComparisonPrecedence
infix operator .== : ComparisonPrecedence
infix operator .!= : ComparisonPrecedence

extension Tensor {
  static func compare(_ a: Tensor, _ b: Tensor, _ name: String, _ p: (Float, Float) -> Bool) -> Tensor {
    let (shape, s) = Kernels.broadcast(a, b, op: name) { p($0, $1) ? 1 : 0 }
    return Tensor(shape: shape, storage: s)
  }

  /// 1 where `a > b`, else 0 (broadcasting; not differentiable).
  public static func .> (a: Tensor, b: Tensor) -> Tensor { compare(a, b, ".>", >) }
  /// 1 where `a >= b`, else 0.
  public static func .>= (a: Tensor, b: Tensor) -> Tensor { compare(a, b, ".>=", >=) }
  /// 1 where `a < b`, else 0.
  public static func .< (a: Tensor, b: Tensor) -> Tensor { compare(a, b, ".<", <) }
  /// 1 where `a <= b`, else 0.
  public static func .<= (a: Tensor, b: Tensor) -> Tensor { compare(a, b, ".<=", <=) }
  /// 1 where `a == b`, else 0.
  public static func .== (a: Tensor, b: Tensor) -> Tensor { compare(a, b, ".==", ==) }
  /// 1 where `a != b`, else 0.
  public static func .!= (a: Tensor, b: Tensor) -> Tensor { compare(a, b, ".!=", !=) }
  /// 1 where `a > s`, else 0.
  public static func .> (a: Tensor, s: Float) -> Tensor { compare(a, Tensor(s), ".>", >) }
  /// 1 where `a < s`, else 0.
  public static func .< (a: Tensor, s: Float) -> Tensor { compare(a, Tensor(s), ".<", <) }
  /// 1 where `a >= s`, else 0.
  public static func .>= (a: Tensor, s: Float) -> Tensor { compare(a, Tensor(s), ".>=", >=) }
  /// 1 where `a <= s`, else 0.
  public static func .<= (a: Tensor, s: Float) -> Tensor { compare(a, Tensor(s), ".<=", <=) }
  /// 1 where `a == s`, else 0.
  public static func .== (a: Tensor, s: Float) -> Tensor { compare(a, Tensor(s), ".==", ==) }
}
