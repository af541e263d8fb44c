import GenAITensor

/// A stand-in for `size` processes that all hold this process's values: a sum over the group is
/// `size` times the values, a maximum is the values. For checking ops across processes (their
/// values and gradients) in one process.
public final class ReplicaGroup: Collective, @unchecked Sendable {
  /// Always 0.
  public let rank = 0
  /// The number of identical members simulated.
  public let size: Int

  /// A group of `size` identical members.
  public init(size: Int) { self.size = size }

  /// Multiplies by `size`.
  public func sum(_ values: UnsafeMutableBufferPointer<Float>) {
    for i in values.indices { values[i] *= Float(size) }
  }

  /// Multiplies by `size`.
  public func sum(_ values: UnsafeMutableBufferPointer<Double>) {
    for i in values.indices { values[i] *= Double(size) }
  }

  /// The values themselves.
  public func max(_ values: UnsafeMutableBufferPointer<Double>) {}
}
