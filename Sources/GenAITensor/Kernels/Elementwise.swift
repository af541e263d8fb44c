import CGenAIKernels

/// Element-wise kernels on raw buffers: unary maps and broadcasting binary maps, split across
/// cores above a size threshold. Callers pass the scalar function as a closure literal; the
/// kernels are `@inline(__always)` so that release builds specialise and vectorise each use.
enum Kernels {
  /// Elements below which a kernel runs on one thread (a dispatch costs about a microsecond).
  static let grain = 32_768

  // The kernels are generic over small function types rather than taking closures: a closure
  // reaches the loop inside `parallelFor`'s body as a captured value and is called per element
  // (2 ns an element here), while a generic type is specialised and inlined (0.3 ns).

  /// `out[i] = f(x[i])`.
  static func map<F: UnaryFunction>(_ x: Tensor, _ f: F) -> Storage {
    if let (fn, param) = f.vectorKernel { return map(x, fn, param: param) }
    let out = Storage(uninitializedCount: x.count)
    let src = x.storage.base
    let dst = out.base
    parallelFor(x.count, grain: grain) { r in
      for i in r { dst[i] = f(src[i]) }
    }
    return out
  }

  /// `out[i] = f(x[i])` for a closure: for ops off the hot path.
  static func map(_ x: Tensor, _ f: (Float) -> Float) -> Storage {
    withoutActuallyEscaping(f) { map(x, ClosureUnary(f: $0)) }
  }

  /// `out[i] = f(x[i], y[i])` for two buffers of equal length.
  static func zip<F: BinaryFunction>(_ x: Tensor, _ y: Tensor, _ f: F) -> Storage {
    if let (fn, param) = f.vectorKernel { return zip(x, y, fn, param: param) }
    let out = Storage(uninitializedCount: x.count)
    let a = x.storage.base
    let b = y.storage.base
    let dst = out.base
    parallelFor(x.count, grain: grain) { r in
      for i in r { dst[i] = f(a[i], b[i]) }
    }
    return out
  }

  /// `out[i] = f(x[i], y[i])` for a closure: for ops off the hot path.
  static func zip(_ x: Tensor, _ y: Tensor, _ f: (Float, Float) -> Float) -> Storage {
    withoutActuallyEscaping(f) { zip(x, y, ClosureBinary(f: $0)) }
  }

  /// `f` with NumPy broadcasting, for a closure: for ops off the hot path.
  static func broadcast(_ x: Tensor, _ y: Tensor, op: String, _ f: (Float, Float) -> Float) -> ([Int], Storage) {
    withoutActuallyEscaping(f) { broadcast(x, y, op: op, ClosureBinary(f: $0)) }
  }

  /// `f` applied with NumPy broadcasting; returns the output shape and values.
  /// - Precondition: the shapes broadcast (the message names `op` and both shapes).
  static func broadcast<F: BinaryFunction>(_ x: Tensor, _ y: Tensor, op: String, _ f: F) -> ([Int], Storage) {
    if x.shape == y.shape { return (x.shape, zip(x, y, f)) }
    let shape = checked { () throws(ShapeError) in try broadcastShapes(x.shape, y.shape, op: op) }
    let out = Storage(uninitializedCount: elementCount(shape))
    let a = x.storage.base
    let b = y.storage.base
    let dst = out.base
    if out.count == 0 { return (shape, out) }
    if y.count == 1 {
      let v = b[0]
      parallelFor(out.count, grain: grain) { r in for i in r { dst[i] = f(a[i], v) } }
      return (shape, out)
    }
    if x.count == 1 {
      let v = a[0]
      parallelFor(out.count, grain: grain) { r in for i in r { dst[i] = f(v, b[i]) } }
      return (shape, out)
    }
    let layout = BroadcastLayout(shape: shape, x.shape, y.shape)
    let inner = layout.inner
    let (sa, sb) = (layout.innerStrideA, layout.innerStrideB)
    parallelFor(layout.outerCount, grain: max(1, grain / max(inner, 1))) { rows in
      for row in rows {
        let (oa, ob) = layout.offsets(ofRow: row)
        let d = dst + row * inner
        let pa = a + oa
        let pb = b + ob
        if sa == 1 && sb == 1 {
          for j in 0..<inner { d[j] = f(pa[j], pb[j]) }
        } else if sa == 1 {
          let v = pb[0]
          for j in 0..<inner { d[j] = f(pa[j], v) }
        } else if sb == 1 {
          let v = pa[0]
          for j in 0..<inner { d[j] = f(v, pb[j]) }
        } else {
          for j in 0..<inner { d[j] = f(pa[j * sa], pb[j * sb]) }
        }
      }
    }
    return (shape, out)
  }
}

/// A scalar function `Float → Float` that kernels specialise on.
protocol UnaryFunction {
  func callAsFunction(_ x: Float) -> Float
  /// The same function as a vectorised C kernel and its parameter, when there is one.
  var vectorKernel: (genai_map_fn, Float)? { get }
}
/// A scalar function `(Float, Float) → Float` that kernels specialise on.
protocol BinaryFunction {
  func callAsFunction(_ a: Float, _ b: Float) -> Float
  /// The same function as a vectorised C kernel and its parameter, when there is one.
  var vectorKernel: (genai_zip_fn, Float)? { get }
}

extension UnaryFunction {
  var vectorKernel: (genai_map_fn, Float)? { nil }
}
extension BinaryFunction {
  var vectorKernel: (genai_zip_fn, Float)? { nil }
}

struct ClosureUnary: UnaryFunction {
  let f: (Float) -> Float
  @inline(__always) func callAsFunction(_ x: Float) -> Float { f(x) }
}
struct ClosureBinary: BinaryFunction {
  let f: (Float, Float) -> Float
  @inline(__always) func callAsFunction(_ a: Float, _ b: Float) -> Float { f(a, b) }
}

// The hot element-wise functions.
struct AddFunction: BinaryFunction {
  @inline(__always) func callAsFunction(_ a: Float, _ b: Float) -> Float { a + b }
  var vectorKernel: (genai_zip_fn, Float)? { (GENAI_ZIP_ADD, 0) }
}
struct SubtractFunction: BinaryFunction {
  @inline(__always) func callAsFunction(_ a: Float, _ b: Float) -> Float { a - b }
  var vectorKernel: (genai_zip_fn, Float)? { (GENAI_ZIP_SUBTRACT, 0) }
}
struct MultiplyFunction: BinaryFunction {
  @inline(__always) func callAsFunction(_ a: Float, _ b: Float) -> Float { a * b }
  var vectorKernel: (genai_zip_fn, Float)? { (GENAI_ZIP_MULTIPLY, 0) }
}
struct DivideFunction: BinaryFunction {
  @inline(__always) func callAsFunction(_ a: Float, _ b: Float) -> Float { a / b }
  var vectorKernel: (genai_zip_fn, Float)? { (GENAI_ZIP_DIVIDE, 0) }
}
struct NegateFunction: UnaryFunction { @inline(__always) func callAsFunction(_ x: Float) -> Float { -x } }
struct LeakyReluFunction: UnaryFunction {
  let slope: Float
  @inline(__always) func callAsFunction(_ x: Float) -> Float { x > 0 ? x : slope * x }
  var vectorKernel: (genai_map_fn, Float)? { (GENAI_MAP_LEAKY_RELU, slope) }
}
/// `g` where `x > 0`, else `g · slope`: the leaky-ReLU (slope 0: ReLU) pullback in one pass.
struct LeakyReluGradFunction: BinaryFunction {
  let slope: Float
  @inline(__always) func callAsFunction(_ g: Float, _ x: Float) -> Float { x > 0 ? g : g * slope }
  var vectorKernel: (genai_zip_fn, Float)? { (GENAI_ZIP_LEAKY_RELU_GRAD, slope) }
}

/// Index arithmetic for a broadcast binary op: the output seen as `[outerCount, inner]` rows,
/// with axes merged where both inputs are laid out alike so the inner loop is as long as possible.
struct BroadcastLayout {
  /// Merged outer sizes and each input's strides along them.
  var outerShape: [Int] = []
  var outerStridesA: [Int] = []
  var outerStridesB: [Int] = []
  var inner = 1
  var innerStrideA = 0
  var innerStrideB = 0
  var outerCount: Int { outerShape.reduce(1, *) }

  init(shape: [Int], _ ashape: [Int], _ bshape: [Int]) {
    let sa = broadcastStrides(ashape, to: shape)
    let sb = broadcastStrides(bshape, to: shape)
    // Merge adjacent axes when, for both inputs, stride[i] == stride[i+1] * size[i+1].
    var dims: [(size: Int, a: Int, b: Int)] = []
    for i in 0..<shape.count where shape[i] != 1 {
      if let last = dims.last, last.a == sa[i] * shape[i], last.b == sb[i] * shape[i] {
        dims[dims.count - 1] = (last.size * shape[i], sa[i], sb[i])
      } else {
        dims.append((shape[i], sa[i], sb[i]))
      }
    }
    if let last = dims.popLast() {
      inner = last.size
      innerStrideA = last.a
      innerStrideB = last.b
    }
    outerShape = dims.map(\.size)
    outerStridesA = dims.map(\.a)
    outerStridesB = dims.map(\.b)
  }

  /// Offsets into A and B of the first element of output row `row`.
  @inline(__always)
  func offsets(ofRow row: Int) -> (Int, Int) {
    var r = row
    var oa = 0
    var ob = 0
    var i = outerShape.count - 1
    while i >= 0 {
      let s = outerShape[i]
      let idx = r % s
      r /= s
      oa += idx * outerStridesA[i]
      ob += idx * outerStridesB[i]
      i -= 1
    }
    return (oa, ob)
  }
}
