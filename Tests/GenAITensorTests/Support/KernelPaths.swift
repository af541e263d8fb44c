import GenAITestSupport
import Synchronization
import Testing

@testable import GenAITensor

// Shared by the tests that hold every kernel path (`KernelPath`) to a reference: GemmTests,
// ConvolutionProductTests and the per-path gradient checks in GradCheckTests.
//
// Swift Testing cannot skip one argument of a parameterised test (`Test.cancel()` inside a
// case reports that case as passed), so a path-dependent test is written once per path with the
// trait `.requires(path)`: a path this CPU lacks shows up in the output as
// `Test "SGEMM on the neon path" skipped: "this CPU (or build) cannot run the neon path"`, never
// as a silent pass.
//
// Tolerances. A float32 result that is a sum of `n` products (each with its own rounding,
// u = 2⁻²⁴) is compared with the same sum in Double. Rounding errors of random sign add up like
// a random walk, so the error grows like √n rather than n (Higham & Mary, "A New Approach to
// Probabilistic Rounding Error Analysis", SIAM J. Sci. Comput. 41(5), 2019): for independent,
// mean-zero rounding errors `|ŝ − s| ≤ λ·√n·u·Σ|terms|` fails with a probability that falls like
// `exp(−λ²/2)`, and for the sign-random data used here the error is smaller still (partial sums
// grow like √n while `Σ|terms|` grows like n). `KernelTolerance.lambda` is 4: the worst element
// seen across all paths and cases uses under 30% of its bound (a short sum with beta·C or a
// bias), and the largest bound anywhere is about 0.006 (a transposed convolution summing 2,120
// terms), so a single wrong or missing term of typical size (|term| ≈ 0.25 for values uniform in
// [−1, 1)) fails it 40 times over.

extension KernelPath {
  /// Why a test of this path is skipped on a CPU that lacks it.
  var unsupportedReason: Comment { Comment(rawValue: "this CPU (or build) cannot run the \(self) path") }
}

extension Trait where Self == ConditionTrait {
  /// Runs the test only where `path` is supported; elsewhere it is reported as skipped, with the
  /// reason.
  static func requires(_ path: KernelPath, sourceLocation: SourceLocation = #_sourceLocation) -> Self {
    .enabled(if: path.isSupported, path.unsupportedReason, sourceLocation: sourceLocation)
  }
}

/// The √n rounding-error bound of the kernel tests (see the comment at the top of this file).
enum KernelTolerance {
  /// Float32 unit roundoff.
  static let u = 0x1p-24
  /// Safety factor of the probabilistic bound.
  static let lambda = 4.0

  /// `λ·√(n + 2)·u·magnitude` for a float32 sum of `n` products plus at most one more term (beta·C
  /// or a bias), `magnitude` being the sum of all terms' absolute values.
  ///
  /// Every term meets at most `n + 2` roundings: its product, at most `n − 1` additions, and
  /// alpha (applied when A is packed) or the addition of the extra term.
  static func bound(terms n: Int, magnitude: Double) -> Double {
    lambda * Double(n + 2).squareRoot() * u * magnitude
  }
}

/// One check of a kernel path, named for the test output.
///
/// A file's checks run through four per-path tests, each enabled only where its path is
/// supported.
struct PathCheck: Sendable, CustomTestStringConvertible {
  let name: String
  let body: @Sendable (KernelPath) throws -> Void

  init(_ name: String, _ body: @escaping @Sendable (KernelPath) throws -> Void) {
    self.name = name
    self.body = body
  }

  var testDescription: String { name }

  /// Runs the check on `path`.
  func callAsFunction(_ path: KernelPath) throws { try body(path) }
}

/// Element-wise comparisons of kernel results with a Double reference.
enum KernelCheck {
  /// Seeded values uniform in `[-1, 1)`.
  static func values(_ count: Int, seed: UInt64) -> [Float] {
    var rng = SeededGenerator(seed: seed)
    return (0..<count).map { _ in rng.nextUniform() * 2 - 1 }
  }

  /// Expects `|actual[i] − expected[i]| ≤ bound[i]` for every `i` (a NaN always fails).
  ///
  /// Records one issue naming `what`, the number of mismatches, and the worst element as a
  /// multi-index of `shape` (element `i` sits at flat index `indices[i]`, or `i` when `indices` is
  /// nil). Returns the worst `|diff| / bound` (0 when all are exact).
  @discardableResult
  static func expectWithin(
    _ actual: [Float], _ expected: [Double], bound: [Double], shape: [Int], indices: [Int]? = nil,
    _ what: String, sourceLocation: SourceLocation = #_sourceLocation
  ) -> Double {
    guard actual.count == expected.count, expected.count == bound.count else {
      Issue.record(
        "[\(what)] \(actual.count) values, expected \(expected.count) (bounds \(bound.count))",
        sourceLocation: sourceLocation)
      return .infinity
    }
    var bad = 0
    var worst = (index: -1, ratio: 0.0)
    for i in 0..<actual.count {
      let d = Swift.abs(Double(actual[i]) - expected[i])
      if d == 0 { continue }
      let ratio = d.isNaN ? .infinity : d / bound[i]
      if !(d <= bound[i]) { bad += 1 }
      if !(ratio <= worst.ratio) { worst = (i, ratio) }
    }
    if bad > 0 {
      let i = worst.index
      Issue.record(
        """
        [\(what)] \(bad) of \(actual.count) values outside the bound; worst at \
        \(GradCheck.multiIndex(indices?[i] ?? i, shape)): \(actual[i]) vs expected \(expected[i]) \
        (|diff| \(Swift.abs(Double(actual[i]) - expected[i])), bound \(bound[i]))
        """,
        sourceLocation: sourceLocation)
    }
    return worst.ratio
  }

  /// Expects the two arrays to hold the same bits, recording the first difference.
  static func expectBitIdentical(
    _ a: [Float], _ b: [Float], _ what: String, sourceLocation: SourceLocation = #_sourceLocation
  ) {
    guard a.count == b.count else {
      Issue.record("[\(what)] \(a.count) values vs \(b.count)", sourceLocation: sourceLocation)
      return
    }
    guard let i = a.indices.first(where: { a[$0].bitPattern != b[$0].bitPattern }) else { return }
    let differing = a.indices.count { a[$0].bitPattern != b[$0].bitPattern }
    Issue.record(
      "[\(what)] \(differing) of \(a.count) values differ in their bits; first at \(i): \(a[i]) vs \(b[i])",
      sourceLocation: sourceLocation)
  }
}

/// Computes each (expensive) reference once per test process, however many paths ask for it.
final class ReferenceCache<Value: Sendable>: Sendable {
  private let values = Mutex<[String: Value]>([:])

  /// The value stored under `key`, made by `make` on first use (under the lock, so concurrent
  /// callers wait instead of computing it twice).
  func value(_ key: String, _ make: () -> Value) -> Value {
    values.withLock { stored in
      if let v = stored[key] { return v }
      let v = make()
      stored[key] = v
      return v
    }
  }
}
