import GenAITensor

/// Distances from each query to its nearest reference, for the memorisation check: generated
/// images much closer to a training image than held-out real images are would be copies.
public enum NearestNeighbour {
  /// The Euclidean distance from each row of `queries` `[N, D]` to its nearest row of
  /// `references` `[M, D]`, `[N]`. Uses `‖q‖² + ‖r‖² − 2·q·rᵀ` with the engine's matrix product,
  /// `chunk` queries at a time (so `[chunk, M]` distances are in memory at once).
  /// - Throws: `MetricError` when the tensors are not rank 2 with the same `D`, or a set is empty.
  public static func distances(from queries: Tensor, to references: Tensor, chunk: Int = 256) throws -> [Double] {
    guard queries.rank == 2, references.rank == 2, queries.shape[1] == references.shape[1] else {
      throw MetricError(metric: "nearest neighbour", "expected queries [N, D] and references [M, D], got \(queries.shape) and \(references.shape)")
    }
    guard queries.shape[0] > 0, references.shape[0] > 0 else {
      throw MetricError(metric: "nearest neighbour", "both sets must be non-empty")
    }
    return withNoGrad {
      let referenceNorms = (references * references).sum(axes: [1]).scalars
      // q·rᵀ without materialising the transpose.
      var result = [Double]()
      result.reserveCapacity(queries.shape[0])
      for start in stride(from: 0, to: queries.shape[0], by: chunk) {
        let q = queries.slice(axis: 0, start..<Swift.min(start + chunk, queries.shape[0]))
        let queryNorms = (q * q).sum(axes: [1]).scalars
        let dots = q.matmul(references, transposeB: true).scalars
        let m = referenceNorms.count
        for i in 0..<queryNorms.count {
          var best = Double.infinity
          for j in 0..<m { best = Swift.min(best, Double(queryNorms[i]) + Double(referenceNorms[j]) - 2 * Double(dots[i * m + j])) }
          result.append(Swift.max(best, 0).squareRoot())
        }
      }
      return result
    }
  }
}
