import CGenAIKernels

/// An n-dimensional array of float32 values that records the ops applied to it for reverse-mode
/// automatic differentiation.
///
/// Storage is always contiguous and row-major; `reshaped` shares it, every other view copies.
/// Tensors are reference types: an optimiser updates a parameter's storage in place, and a
/// gradient is written to `grad` of the leaf tensor that asked for it.
///
/// ```swift
/// var rng = SeededGenerator(seed: 0)
/// let w = Tensor.randn([3, 2], using: &rng).requiringGrad()
/// let x = try Tensor(shape: [4, 3], (0..<12).map(Float.init))
/// let loss = x.matmul(w).relu().sum()
/// try loss.backward()
/// print(w.grad!)   // [3, 2]
/// ```
public final class Tensor: @unchecked Sendable {
  /// Sizes of each axis, e.g. `[B, C, H, W]`. A scalar has shape `[]`.
  public let shape: [Int]
  /// The contiguous row-major buffer holding the values.
  public let storage: Storage
  /// Whether gradients flow to this tensor. Set it on leaves (parameters, inputs of a gradient
  /// penalty); results of ops on such tensors require gradients too.
  public var requiresGrad: Bool
  /// The accumulated gradient of a leaf tensor after `backward()`, shape equal to `shape`.
  public var grad: Tensor?
  /// The op that produced this tensor, its inputs and its pullback; `nil` for leaves.
  var node: Node?

  /// Wraps `storage` (which must hold `elementCount(shape)` floats) without copying.
  init(shape: [Int], storage: Storage, requiresGrad: Bool = false) {
    assert(storage.count == elementCount(shape))
    self.shape = shape
    self.storage = storage
    self.requiresGrad = requiresGrad
  }

  deinit {
    // Release long graphs (an LSTM over thousands of steps) iteratively: letting ARC recurse
    // through `node.inputs` would overflow the stack.
    guard let first = node else { return }
    node = nil
    var pending = [first]
    while let n = pending.popLast() {
      var inputs = n.inputs
      n.inputs = []
      while var t = inputs.popLast() {
        if isKnownUniquelyReferenced(&t), let child = t.node {
          t.node = nil
          pending.append(child)
        }
      }
    }
  }

  // MARK: - Basic properties

  /// Number of axes.
  @inlinable public var rank: Int { shape.count }
  /// Total number of elements.
  @inlinable public var count: Int { storage.count }
  /// Whether this tensor was produced by a recorded op (as opposed to being a leaf).
  public var isLeaf: Bool { node == nil }
  /// The op that produced this tensor, if it was recorded.
  public var op: OpKind? { node?.op }

  /// The values in row-major order.
  public var scalars: [Float] { Array(storage.buffer) }

  /// The single value of a one-element tensor.
  /// - Precondition: `count == 1`.
  public var item: Float {
    require(count == 1, "[item] needs a tensor of one element, got shape \(shapeString(shape))")
    return storage.base[0]
  }

  /// Reads the values through a buffer pointer, without copying.
  @inlinable public func withUnsafeBufferPointer<R>(_ body: (UnsafeBufferPointer<Float>) throws -> R) rethrows -> R {
    try body(UnsafeBufferPointer(storage.buffer))
  }

  /// Mutates the values in place. Used by optimisers and initialisers; it is not recorded.
  @inlinable public func withUnsafeMutableBufferPointer<R>(
    _ body: (UnsafeMutableBufferPointer<Float>) throws -> R
  ) rethrows -> R {
    try body(storage.buffer)
  }

  /// This tensor marked as requiring gradients (a leaf), returned for chaining.
  @discardableResult public func requiringGrad(_ flag: Bool = true) -> Tensor {
    requiresGrad = flag
    return self
  }

  /// A tensor that shares this one's values but is cut from the graph: no gradient flows through it.
  public func detached() -> Tensor { Tensor(shape: shape, storage: storage) }

  /// A tensor with its own copy of the values, cut from the graph.
  public func copy() -> Tensor {
    let s = Storage(uninitializedCount: count)
    s.base.update(from: storage.base, count: count)
    return Tensor(shape: shape, storage: s)
  }
}

// MARK: - Creation

extension Tensor {
  /// A tensor of `shape` holding `values` in row-major order.
  /// - Throws: `ShapeError` when a size is negative or `values.count` differs from the shape's count.
  public convenience init(shape: [Int], _ values: [Float]) throws(ShapeError) {
    try validateShape(shape, op: "Tensor.init")
    guard values.count == elementCount(shape) else {
      throw ShapeError(
        op: "Tensor.init",
        "shape \(shapeString(shape)) needs \(elementCount(shape)) values, got \(values.count)")
    }
    self.init(shape: shape, storage: Storage(values))
  }

  /// A 1-D tensor of `values`, shape `[values.count]`.
  public convenience init(_ values: [Float]) {
    self.init(shape: [values.count], storage: Storage(values))
  }

  /// A scalar (rank-0) tensor.
  public convenience init(_ value: Float) {
    self.init(shape: [], storage: Storage([value]))
  }

  /// A tensor of `shape` with every element equal to `value`.
  /// - Precondition: no size is negative.
  public static func full(_ shape: [Int], _ value: Float) -> Tensor {
    checked { () throws(ShapeError) in try validateShape(shape, op: "full") }
    let s = Storage(uninitializedCount: elementCount(shape))
    s.base.update(repeating: value, count: s.count)
    return Tensor(shape: shape, storage: s)
  }

  /// Zeros of `shape`.
  public static func zeros(_ shape: [Int]) -> Tensor { full(shape, 0) }
  /// Ones of `shape`.
  public static func ones(_ shape: [Int]) -> Tensor { full(shape, 1) }
  /// Zeros with the shape of `other`.
  public static func zeros(like other: Tensor) -> Tensor { full(other.shape, 0) }
  /// Ones with the shape of `other`.
  public static func ones(like other: Tensor) -> Tensor { full(other.shape, 1) }

  /// `[start, start + step, ...]` up to but excluding `end`, shape `[n]`.
  /// - Precondition: `step != 0`.
  public static func arange(_ start: Float, _ end: Float, step: Float = 1) -> Tensor {
    require(step != 0, "[arange] step must not be zero")
    let n = Swift.max(0, Int(((end - start) / step).rounded(.up)))
    return Tensor((0..<n).map { start + Float($0) * step })
  }

  /// Samples of N(mean, std²) of `shape`, drawn from `generator`.
  public static func randn(
    _ shape: [Int], mean: Float = 0, std: Float = 1, using generator: inout some RandomNumberGenerator
  ) -> Tensor {
    let t = unfilled(shape, op: "randn")
    withSeeded(&generator) { $0.fillNormal(t.storage.buffer, mean: mean, std: std) }
    return t
  }

  /// Samples of U[low, high) of `shape`, drawn from `generator`.
  public static func uniform(
    _ shape: [Int], low: Float = 0, high: Float = 1, using generator: inout some RandomNumberGenerator
  ) -> Tensor {
    let t = unfilled(shape, op: "uniform")
    let b = t.storage.buffer
    withSeeded(&generator) { g in for i in 0..<b.count { b[i] = low + (high - low) * g.uniformFloat() } }
    return t
  }

  /// 1 with probability `p`, else 0, of `shape`, keyed by one draw from `generator` (each element
  /// is a hash of that key and its index, so any size advances the generator by one draw).
  public static func bernoulli(
    _ shape: [Int], p: Float, using generator: inout some RandomNumberGenerator
  ) -> Tensor {
    require(p >= 0 && p <= 1, "[bernoulli] p must be in [0, 1], got \(p)")
    return bernoulli(shape, p: p, value: 1, using: &generator)
  }

  /// `value` with probability `p`, else 0: a dropout mask pre-scaled by `1/(1−p)` in one pass.
  ///
  /// One draw from `generator` keys a counter-based hash of each element's index
  /// (`genai_bernoulli`), so the mask is made by the pool in vector code, with the same bits on
  /// every path and thread count, and the generator moves on by one draw whatever the size.
  static func bernoulli(
    _ shape: [Int], p: Float, value: Float, using generator: inout some RandomNumberGenerator
  ) -> Tensor {
    let t = unfilled(shape, op: "bernoulli")
    fillBernoulli(t.storage.base, count: t.count, key: generator.next(), firstIndex: 0, p: p, value: value)
    return t
  }

  /// `count` elements of the mask `bernoulli` keys with `key`, from element `firstIndex` of it on.
  static func fillBernoulli(
    _ base: UnsafeMutablePointer<Float>, count: Int, key: UInt64, firstIndex: Int, p: Float, value: Float
  ) {
    // Element kept where its 24 random bits m satisfy m·2⁻²⁴ < p, i.e. m < ⌈p·2²⁴⌉.
    let threshold = UInt32((Double(p) * 16_777_216).rounded(.up))
    let path = genai_path_active()
    parallelFor(count, grain: Kernels.grain) { r in
      genai_bernoulli(path, key, UInt64(firstIndex + r.lowerBound), threshold, value, base + r.lowerBound, r.count)
    }
  }

  /// A tensor of `shape` whose every element the caller writes next (so it is not zeroed first:
  /// dropout masks are millions of elements a step).
  private static func unfilled(_ shape: [Int], op: String) -> Tensor {
    checked { () throws(ShapeError) in try validateShape(shape, op: op) }
    return Tensor(shape: shape, storage: Storage(uninitializedCount: elementCount(shape)))
  }

  /// Runs `body` on the generator, through a concrete `SeededGenerator` when it is one so the
  /// per-element draws are specialised rather than dispatched through the protocol.
  static func withSeeded<G: RandomNumberGenerator>(_ generator: inout G, _ body: (inout SeededGenerator) -> Void) {
    if var seeded = generator as? SeededGenerator {
      body(&seeded)
      if let back = seeded as? G { generator = back }
    } else {
      var wrapped = AnyGenerator(base: generator)
      var inner = SeededGenerator(seed: wrapped.next())
      body(&inner)
      generator = wrapped.base
    }
  }
}

/// A generator that is not a `SeededGenerator` seeds one (a single draw from it) for bulk fills.
struct AnyGenerator<G: RandomNumberGenerator>: RandomNumberGenerator {
  var base: G
  mutating func next() -> UInt64 { base.next() }
}

// MARK: - Printing

extension Tensor: CustomStringConvertible {
  /// Shape and values, with long axes cut to their first and last three entries.
  public var description: String {
    var out = "Tensor(\(shapeString(shape))"
    if requiresGrad { out += ", requiresGrad" }
    out += ", "
    out += Tensor.format(storage.base, shape: shape[...], strides: contiguousStrides(shape)[...], indent: 1)
    return out + ")"
  }

  static func format(
    _ p: UnsafePointer<Float>, shape: ArraySlice<Int>, strides: ArraySlice<Int>, indent: Int
  ) -> String {
    func num(_ v: Float) -> String {
      if v.isNaN { return "nan" }
      if v.isInfinite { return v > 0 ? "inf" : "-inf" }
      let r = (Double(v) * 10000).rounded() / 10000
      return String(r)
    }
    guard let n = shape.first, let s = strides.first else { return num(p[0]) }
    let edge = 3
    let indices = n > 2 * edge ? Array(0..<edge) + [-1] + Array((n - edge)..<n) : Array(0..<n)
    let parts = indices.map { i -> String in
      i < 0 ? "..." : format(p + i * s, shape: shape.dropFirst(), strides: strides.dropFirst(), indent: indent + 1)
    }
    let sep = shape.count > 1 ? ",\n" + String(repeating: " ", count: indent + 7) : ", "
    return "[" + parts.joined(separator: sep) + "]"
  }
}
