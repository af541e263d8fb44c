/// Shape arithmetic: element counts, strides and NumPy broadcasting.
///
/// Shape inference is pure and throwing so it can be unit-tested without crashing; ops turn a
/// `ShapeError` into a `preconditionFailure` whose text names the op and the shapes.

/// An error in shape inference: names the op, the shapes involved and what was expected.
public struct ShapeError: Error, CustomStringConvertible, Equatable {
  /// The op that was given the bad shapes, e.g. `"matmul"`.
  public let op: String
  /// A human-readable explanation that names the shapes and what was expected.
  public let message: String

  /// Creates an error for `op` with an explanatory `message`.
  public init(op: String, _ message: String) {
    self.op = op
    self.message = message
  }

  /// `"[op] message"`, in the style of MLX's errors.
  public var description: String { "[\(op)] \(message)" }
}

/// Formats a shape as `[2, 3, 4]`.
@inlinable
public func shapeString(_ shape: [Int]) -> String { "[" + shape.map(String.init).joined(separator: ", ") + "]" }

/// Number of elements of a shape (1 for a scalar `[]`).
@inlinable
public func elementCount(_ shape: [Int]) -> Int { shape.reduce(1, *) }

/// Row-major (C-order) strides of a contiguous tensor of `shape`.
@inlinable
public func contiguousStrides(_ shape: [Int]) -> [Int] {
  var strides = [Int](repeating: 1, count: shape.count)
  var s = 1
  for i in stride(from: shape.count - 1, through: 0, by: -1) {
    strides[i] = s
    s *= shape[i]
  }
  return strides
}

/// NumPy broadcasting of two shapes: align from the right; sizes must match or one must be 1.
/// - Throws: `ShapeError` naming both shapes when they cannot broadcast.
public func broadcastShapes(_ a: [Int], _ b: [Int], op: String = "broadcast") throws(ShapeError) -> [Int] {
  let n = max(a.count, b.count)
  var out = [Int](repeating: 1, count: n)
  for i in 0..<n {
    let da = i < n - a.count ? 1 : a[i - (n - a.count)]
    let db = i < n - b.count ? 1 : b[i - (n - b.count)]
    if da == db || db == 1 {
      out[i] = da
    } else if da == 1 {
      out[i] = db
    } else {
      throw ShapeError(
        op: op,
        "shapes \(shapeString(a)) and \(shapeString(b)) cannot broadcast: axis \(i - n) has sizes \(da) and \(db)"
      )
    }
  }
  return out
}

/// Normalises a possibly negative axis (`-1` = last) against `rank`.
/// - Throws: `ShapeError` when the axis is out of range.
public func normalizedAxis(_ axis: Int, rank: Int, op: String) throws(ShapeError) -> Int {
  let a = axis < 0 ? axis + rank : axis
  guard a >= 0 && a < rank else {
    throw ShapeError(op: op, "axis \(axis) is out of range for a tensor of rank \(rank)")
  }
  return a
}

/// Validates that every size is non-negative.
/// - Throws: `ShapeError` naming the negative size.
public func validateShape(_ shape: [Int], op: String) throws(ShapeError) {
  if let bad = shape.first(where: { $0 < 0 }) {
    throw ShapeError(op: op, "negative size \(bad) in shape \(shapeString(shape))")
  }
}

/// Runs shape inference and turns its error into a precondition failure with the op's message.
@inlinable
func checked<T>(_ body: () throws(ShapeError) -> T) -> T {
  do {
    return try body()
  } catch {
    fatalError(error.description)
  }
}

/// The strides with which a tensor of `shape` is read when broadcast to `target` (0 on broadcast axes).
@inlinable
func broadcastStrides(_ shape: [Int], to target: [Int]) -> [Int] {
  let own = contiguousStrides(shape)
  let offset = target.count - shape.count
  var out = [Int](repeating: 0, count: target.count)
  for i in 0..<shape.count where shape[i] != 1 || target[i + offset] == 1 {
    out[i + offset] = shape[i] == 1 ? 0 : own[i]
  }
  return out
}

/// Stops with `message` when `condition` is false, in every build configuration: unlike
/// `precondition`, whose message optimised builds drop, a user always sees which op failed and why.
@inline(__always)
public func require(
  _ condition: @autoclosure () -> Bool, _ message: @autoclosure () -> String,
  file: StaticString = #fileID, line: UInt = #line
) {
  if !condition() { fatalError(message(), file: file, line: line) }
}
