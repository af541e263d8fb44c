/// An n-dimensional array of integer indices: class targets `[N]`, token ids `[B, T]`,
/// positions for gathers. Not differentiable.
public struct IndexTensor: Sendable, Equatable, CustomStringConvertible {
  /// Sizes of each axis.
  public let shape: [Int]
  /// The indices in row-major order.
  public let values: [Int]

  /// Indices of `shape` in row-major order.
  /// - Throws: `ShapeError` when the count does not match the shape or a size is negative.
  public init(shape: [Int], _ values: [Int]) throws(ShapeError) {
    try validateShape(shape, op: "IndexTensor.init")
    guard values.count == elementCount(shape) else {
      throw ShapeError(
        op: "IndexTensor.init", "shape \(shapeString(shape)) needs \(elementCount(shape)) values, got \(values.count)")
    }
    self.shape = shape
    self.values = values
  }

  /// A 1-D index tensor of shape `[values.count]`.
  public init(_ values: [Int]) {
    self.shape = [values.count]
    self.values = values
  }

  /// Number of indices.
  public var count: Int { values.count }

  /// The same indices viewed with another shape of equal count.
  /// - Precondition: counts match.
  public func reshaped(_ newShape: [Int]) -> IndexTensor {
    require(elementCount(newShape) == values.count,
      "[IndexTensor.reshaped] cannot view \(values.count) indices as \(shapeString(newShape))")
    // The count was just checked, so this cannot throw.
    return (try? IndexTensor(shape: newShape, values)) ?? self
  }

  /// Shape and indices, e.g. `IndexTensor([2], [3, 1])`.
  public var description: String {
    let shown = values.count > 12 ? values.prefix(6).map(String.init) + ["..."] + values.suffix(6).map(String.init)
      : values.map(String.init)
    return "IndexTensor(\(shapeString(shape)), [\(shown.joined(separator: ", "))])"
  }
}
