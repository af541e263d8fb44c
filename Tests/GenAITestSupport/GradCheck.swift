import GenAITensor
import Testing

// Finite-difference gradient checking (docs/STYLE.md §3.7.1).
//
// For a function `f: [Tensor] -> Tensor` and a seeded random cotangent `r` of the output's shape,
// the checked scalar is `L(x) = Σᵢ f(x)ᵢ · rᵢ`, summed in Double from the float32 outputs (not
// with engine ops, so the check does not trust the ops it checks). A random `r` checks the whole
// vector-Jacobian product, not just the all-ones one that `f(x).sum()` would.
//
// - Analytic: `gradients(of: f(x), withRespectTo: x, cotangent: r)`, once as a plain backward
//   pass (fused backward kernels) and once with `createGraph: true` (pullbacks in recorded ops).
// - Numeric: the 4-point central difference
//   `(−L(x+2h) + 8L(x+h) − 8L(x−h) + L(x−2h)) / 12h`, truncation error O(h⁴).
//
// `h` is a power of two and the input generators quantise values to multiples of 2⁻¹⁰, so every
// perturbed input `x ± h`, `x ± 2h` is exact in float32: the step really is `h`. What is left is
// float32 rounding of the outputs, about `ε·Σ|f·r| / h`, well inside the tolerance for the small
// inputs used here.
//
// Public engine API only, so this target builds in every configuration (a plain `swift build -c
// release` builds it too, and `@testable import` would need `-enable-testing` there). That a case
// really records the op it names is checked where the graph is visible, in GenAITensorTests
// (`GradCheckTests.caseRecordsItsOp`).

// MARK: - Cases

/// One input of a gradient check: its shape and values, and whether its gradient is checked.
public struct GradInput: Sendable {
  /// The input's shape.
  public var shape: [Int]
  /// Its values in row-major order, `elementCount(shape)` of them.
  public var values: [Float]
  /// `false` for inputs that are held constant (a mask, a base that may be negative, ...).
  public var checked = true

  /// An input of `shape` holding `values`, its gradient checked.
  public init(shape: [Int], values: [Float]) {
    self.shape = shape
    self.values = values
  }

  /// This input held constant: passed to `f` but its gradient is not checked.
  public func constant() -> GradInput {
    var c = self
    c.checked = false
    return c
  }
}

/// Absolute and relative tolerance: a check passes when `|a − n| ≤ atol + rtol · |n|`.
public struct GradTolerance: Sendable, CustomStringConvertible {
  /// Absolute tolerance.
  public var atol: Double
  /// Relative tolerance, a fraction of the numeric derivative.
  public var rtol: Double

  /// A tolerance of `atol + rtol · |n|`.
  public init(atol: Double, rtol: Double) {
    self.atol = atol
    self.rtol = rtol
  }

  /// Tight enough to catch a gradient off by 0.1%. With the steps and inputs used here the worst
  /// case in the catalog uses under 10% of it (float32 output rounding, about `ε·Σ|f·r| / h`).
  public static let standard = GradTolerance(atol: 5e-4, rtol: 5e-4)

  public var description: String { "atol \(atol), rtol \(rtol)" }
}

/// A gradient check: `f` evaluated at `inputs`.
public struct GradCase: Sendable, CustomTestStringConvertible, CustomStringConvertible {
  /// A readable name that says which variant this is, e.g. `"add [2,3]+[3]"`.
  public let name: String
  /// The recorded op this case exists to check; `nil` for composites. GenAITensorTests verifies
  /// that the op really occurs in `f`'s graph, so the catalog cannot claim coverage it lacks.
  public let kind: OpKind?
  /// The inputs `f` is evaluated at.
  public let inputs: [GradInput]
  /// The function whose gradient is checked.
  public let f: @Sendable ([Tensor]) -> Tensor
  /// How far the analytic gradient may be from the numeric one.
  public var tolerance = GradTolerance.standard
  /// Finite-difference step; a power of two keeps `x ± h` exact in float32.
  public var step: Float = 0x1p-7

  /// Creates a case whose inputs come from an `InputGenerator` seeded by `name`.
  public init(
    _ name: String, _ kind: OpKind?, tolerance: GradTolerance = .standard,
    inputs: (inout InputGenerator) -> [GradInput], _ f: @escaping @Sendable ([Tensor]) -> Tensor
  ) {
    self.name = name
    self.kind = kind
    var gen = InputGenerator(seed: GradCheck.stableHash(name))
    self.inputs = inputs(&gen)
    self.f = f
    self.tolerance = tolerance
  }

  /// The case's name, as the test output shows it.
  public var testDescription: String { name }
  /// The case's name.
  public var description: String { name }
}

// MARK: - Inputs

/// Seeded input values, quantised to multiples of 2⁻¹⁰ so that finite-difference steps are exact.
/// Helpers build inputs away from kinks by construction.
public struct InputGenerator {
  /// The seeded source of every value.
  public var rng: SeededGenerator
  /// The grid every generated value lies on.
  public static let quantum: Float = 0x1p-10

  /// A generator seeded with `seed`.
  public init(seed: UInt64) { rng = SeededGenerator(seed: seed) }

  /// `v` rounded to the nearest multiple of `quantum`.
  public static func quantised(_ v: Float) -> Float { (v / quantum).rounded() * quantum }

  /// Uniform in `[0, 1)`.
  public mutating func unit() -> Float { rng.nextUniform() }

  /// Uniform in `[lo, hi]`.
  public mutating func uniform(_ shape: [Int], _ lo: Float = -1.5, _ hi: Float = 1.5) -> GradInput {
    GradInput(
      shape: shape,
      values: (0..<elementCount(shape)).map { _ in Self.quantised(lo + (hi - lo) * unit()) })
  }

  /// Uniform in `[lo, hi]`, for domains such as `log` and `sqrt`.
  public mutating func positive(_ shape: [Int], _ lo: Float = 0.3, _ hi: Float = 2) -> GradInput {
    uniform(shape, lo, hi)
  }

  /// Magnitude in `[lo, hi]` with a random sign: away from the kink of relu, abs, leaky relu.
  public mutating func awayFromZero(_ shape: [Int], _ lo: Float = 0.2, _ hi: Float = 1.5) -> GradInput {
    GradInput(
      shape: shape,
      values: (0..<elementCount(shape)).map { _ in
        let m = Self.quantised(lo + (hi - lo) * unit())
        return unit() < 0.5 ? -m : m
      })
  }

  /// Uniform in `[lo, hi]` but at least `margin` from each of `points` (clamp bounds).
  public mutating func avoiding(
    _ points: [Float], margin: Float = 0.1, _ shape: [Int], _ lo: Float = -1.5, _ hi: Float = 1.5
  )
    -> GradInput
  {
    GradInput(
      shape: shape,
      values: (0..<elementCount(shape)).map { _ in
        while true {
          let v = Self.quantised(lo + (hi - lo) * unit())
          if points.allSatisfy({ Swift.abs(v - $0) >= margin }) { return v }
        }
      })
  }

  /// Pairwise distinct values `k · spacing + offset` in random order, centred on `offset`: no
  /// two elements tie under a perturbation of ±2h, so max/min reductions and pooling are smooth.
  public mutating func distinct(_ shape: [Int], spacing: Float = 0.125, offset: Float = 0) -> GradInput {
    let n = elementCount(shape)
    var ks = Array(0..<n)
    for i in stride(from: n - 1, to: 0, by: -1) { ks.swapAt(i, Int(rng.next() % UInt64(i + 1))) }
    return GradInput(shape: shape, values: ks.map { Float($0 - n / 2) * spacing + offset })
  }

  /// Values on the grid `k/4 + offset`, `k` in `-6...6`. Two inputs on grids with offsets 0 and
  /// 1/8 never come closer than 1/8: `minimum`, `maximum` and `l1Loss` stay off their kinks.
  public mutating func grid(_ shape: [Int], offset: Float) -> GradInput {
    GradInput(
      shape: shape,
      values: (0..<elementCount(shape)).map { _ in Float(Int(rng.next() % 13) - 6) / 4 + offset })
  }
}

// MARK: - The check

/// The outcome of one gradient check, for tests that want more than a pass/fail.
public struct GradCheckReport {
  /// Worst `|a − n| / (atol + rtol·|n|)` over all checked elements (≤ 1 passes).
  public var worstRatio = 0.0
  /// How many element comparisons failed (each backward mode counts).
  public var failures = 0
  /// How many element comparisons were made (each backward mode counts).
  public var checkedElements = 0

  /// An empty report.
  public init() {}
}

/// The gradient checker and its helpers (a namespace, so they cannot clash with other test files).
public enum GradCheck {
  /// FNV-1a of the UTF-8 bytes: a seed that, unlike `hashValue`, is the same in every process.
  public static func stableHash(_ s: String) -> UInt64 {
    var h: UInt64 = 0xcbf2_9ce4_8422_2325
    for b in s.utf8 {
      h ^= UInt64(b)
      h = h &* 0x100_0000_01b3
    }
    return h
  }

  /// Builds a leaf tensor from float values; a shape that does not fit the values is a bug in
  /// the test itself.
  public static func tensor(_ shape: [Int], _ values: [Float]) -> Tensor {
    do { return try Tensor(shape: shape, values) } catch { preconditionFailure("\(error)") }
  }

  /// `Σ out · r` in Double.
  public static func contract(_ out: Tensor, _ r: [Double]) -> Double {
    let v = out.scalars
    precondition(v.count == r.count, "output has \(v.count) elements, cotangent \(r.count)")
    var s = 0.0
    for i in 0..<v.count { s += Double(v[i]) * r[i] }
    return s
  }

  /// Renders a flat index of `shape` as `[i, j, k]`.
  public static func multiIndex(_ flat: Int, _ shape: [Int]) -> String {
    var rem = flat
    var idx = [Int](repeating: 0, count: shape.count)
    for d in stride(from: shape.count - 1, through: 0, by: -1) where shape[d] > 0 {
      idx[d] = rem % shape[d]
      rem /= shape[d]
    }
    return "[" + idx.map(String.init).joined(separator: ", ") + "]"
  }

  /// The two ways the engine computes a gradient: fused kernels when the backward pass is not
  /// recorded, and pullbacks written in recorded ops under `createGraph` (for higher orders).
  /// Several ops (activations, normalisation) take different code paths in the two.
  public enum BackwardMode: String, CaseIterable, Sendable {
    /// `gradients(of:…)` without a recorded backward pass: the fused backward kernels.
    case plain = "backward"
    /// `gradients(of:…, createGraph: true)`: the pullbacks written in recorded ops.
    case createGraph = "createGraph backward"
  }

  /// Checks the analytic gradient of `c.f`, from both backward modes, against central
  /// differences; records an issue per mismatching element (the first few) naming the case, the
  /// backward mode, the input, the element and both values.
  @discardableResult
  public static func run(_ c: GradCase, sourceLocation: SourceLocation = #_sourceLocation) throws
    -> GradCheckReport
  {
    var report = GradCheckReport()
    let checkedIndices = c.inputs.indices.filter { c.inputs[$0].checked }
    var r: [Double] = []
    var analytic: [BackwardMode: [Tensor]] = [:]
    for mode in BackwardMode.allCases {
      let leaves = c.inputs.map { tensor($0.shape, $0.values).requiringGrad($0.checked) }
      let out = c.f(leaves)
      guard out.requiresGrad else {
        Issue.record(
          "[\(c.name)] the output does not depend on any checked input",
          sourceLocation: sourceLocation)
        return report
      }
      // Random cotangent, seeded by the case name, quantised so it is exact in float32 and Double.
      var rng = SeededGenerator(seed: stableHash(c.name) ^ 0x5EED)
      let rT = Tensor.randn(out.shape, using: &rng)
      rT.withUnsafeMutableBufferPointer { b in
        for i in b.indices { b[i] = InputGenerator.quantised(b[i]) }
      }
      r = rT.scalars.map(Double.init)
      analytic[mode] = try gradients(
        of: out, withRespectTo: checkedIndices.map { leaves[$0] }, cotangent: rT,
        createGraph: mode == .createGraph)
    }

    func loss(_ values: [[Float]]) -> Double {
      withNoGrad {
        let ts = zip(c.inputs, values).map { tensor($0.shape, $1) }
        return contract(c.f(ts), r)
      }
    }
    let base = c.inputs.map(\.values)
    let l0 = loss(base)
    if !l0.isFinite {
      Issue.record("[\(c.name)] L(x) = \(l0) is not finite", sourceLocation: sourceLocation)
      return report
    }
    if loss(base) != l0 {
      Issue.record(
        "[\(c.name)] f is not deterministic: two evaluations differ", sourceLocation: sourceLocation
      )
    }

    let h = c.step
    let maxReported = 6
    for (slot, i) in checkedIndices.enumerated() {
      let shape = c.inputs[i].shape
      var values: [BackwardMode: [Float]] = [:]
      for mode in BackwardMode.allCases {
        guard let a = analytic[mode]?[slot], a.shape == shape else {
          Issue.record(
            "[\(c.name)] \(mode.rawValue): gradient of input \(i) has shape \(shapeString(analytic[mode]?[slot].shape ?? [])), expected \(shapeString(shape))",
            sourceLocation: sourceLocation)
          continue
        }
        values[mode] = a.scalars
      }
      var numericAllZero = true
      for j in 0..<c.inputs[i].values.count {
        var v = base
        let x = base[i][j]
        func at(_ k: Float) -> Double {
          v[i][j] = x + k * h
          return loss(v)
        }
        let numeric = (-at(2) + 8 * at(1) - 8 * at(-1) + at(-2)) / (12 * Double(h))
        if Swift.abs(numeric) > 1e-6 { numericAllZero = false }
        let tol = c.tolerance.atol + c.tolerance.rtol * Swift.abs(numeric)
        for mode in BackwardMode.allCases {
          guard let av = values[mode] else { continue }
          let analyticValue = Double(av[j])
          let diff = Swift.abs(analyticValue - numeric)
          report.checkedElements += 1
          report.worstRatio = Swift.max(report.worstRatio, diff.isNaN ? .infinity : diff / tol)
          guard !(diff <= tol) else { continue }
          report.failures += 1
          if report.failures <= maxReported {
            Issue.record(
              """
              [\(c.name)] \(mode.rawValue): input \(i) \(shapeString(shape)), element \(j) \
              \(multiIndex(j, shape)) at x = \(x): analytic \(analyticValue) vs numeric \(numeric) \
              (|diff| \(diff) > \(tol); \(c.tolerance))
              """,
              sourceLocation: sourceLocation)
          }
        }
      }
      // A check against an all-zero gradient proves nothing: f must depend on every input.
      if numericAllZero && !c.inputs[i].values.isEmpty {
        Issue.record(
          "[\(c.name)] f does not depend on input \(i): every numeric derivative is 0",
          sourceLocation: sourceLocation)
      }
    }
    if report.failures > maxReported {
      Issue.record(
        "[\(c.name)] \(report.failures) of \(report.checkedElements) gradient comparisons mismatch (first \(maxReported) shown)",
        sourceLocation: sourceLocation)
    }
    return report
  }
}
