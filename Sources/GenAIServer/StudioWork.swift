import Foundation

/// Runs model work (loading checkpoints, sampling) one job at a time on a thread of its own, so
/// the server's request handlers never block and a small machine never holds two models' worth
/// of sampling memory at once.
enum StudioWork {
  /// The one queue all model work goes through, in arrival order.
  static let queue = DispatchQueue(label: "genai.studio.models")

  /// The value of `body`, computed on `queue`.
  /// - Throws: what `body` throws.
  static func run<T: Sendable>(_ body: @escaping @Sendable () throws -> T) async throws -> T {
    try await withCheckedThrowingContinuation { continuation in
      queue.async { continuation.resume(with: Result { try body() }) }
    }
  }
}
