import Foundation
import Testing

@testable import GenAITensor

// The fused binary cross-entropy with logits (`GENAI_ZIP_BCE_LOGITS`, its vector log1p) against
// the formula in Double, on every path: logits from far below exp's range to far above it, with
// the targets 0, 1 and between, at a length with a tail shorter than a vector. The gradient is
// in the gradient-check catalogue; this checks the values, which a gradient check cannot see.
@Suite struct BinaryCrossEntropyTests {
  static let logits: [Float] = [
    -1e4, -100, -88, -60, -30, -17.5, -9, -5, -2, -1, -0.5, -1e-3, -1e-7, 0, 1e-7, 1e-3, 0.25, 0.5,
    0.75, 1, 1.5, 2, 3.3, 5, 9, 16, 30, 60, 87, 89, 100, 1e4,
  ]
  static let targets: [Float] = [0, 1, 0.3, 0.999]

  /// `max(x, 0) − x·t + log1p(e^−|x|)` in Double, and a bound of 4 float ulps of its terms' size.
  static func reference(_ x: Float, _ t: Float) -> (value: Double, bound: Double) {
    let (x, t) = (Double(x), Double(t))
    let tail = log1p(exp(-Swift.abs(x)))
    let size = Swift.max(x, 0) + Swift.abs(x * t) + tail
    return (Swift.max(x, 0) - x * t + tail, 4 * size * Double(Float.ulpOfOne) + 1e-30)
  }

  @Test func valuesMatchTheFormulaOnEveryPath() throws {
    var xs: [Float] = []
    var ts: [Float] = []
    for t in Self.targets {
      xs += Self.logits
      ts += Array(repeating: t, count: Self.logits.count)
    }
    // One more element, so the last vector is partial on every path (4, 8 and 16 lanes).
    xs.append(0.1)
    ts.append(0.5)
    for path in KernelPath.supported {
      let losses = withKernelPath(path) {
        Tensor(xs).binaryCrossEntropy(withLogitsTargets: Tensor(ts), reduction: .none)
      }.scalars
      for (i, (x, t)) in zip(xs, ts).enumerated() {
        let (value, bound) = Self.reference(x, t)
        #expect(Swift.abs(Double(losses[i]) - value) <= bound, "\(path): x \(x), t \(t): \(losses[i]), expected \(value)")
      }
    }
  }

  /// The fused form and the composite one (taken for broadcast targets) agree, forward and back.
  @Test func fusedAndCompositeAgree() throws {
    var rng = SeededGenerator(seed: 5)
    let x = (Tensor.randn([4, 6], using: &rng) * 4).scalars
    let t = Tensor.uniform([4, 6], using: &rng)
    let logits = try Tensor(shape: [4, 6], x).requiringGrad()
    let fused = logits.binaryCrossEntropy(withLogitsTargets: t)
    try fused.backward()
    let fusedGrad = try #require(logits.grad).scalars
    let other = try Tensor(shape: [4, 6], x).requiringGrad()
    // A [1, 4, 6] target broadcasts against [4, 6] logits, so this takes the composite form.
    let composite = other.binaryCrossEntropy(withLogitsTargets: t.reshaped([1, 4, 6]))
    try composite.backward()
    let compositeGrad = try #require(other.grad).scalars
    #expect(Swift.abs(fused.item - composite.item) <= 1e-5 * Swift.abs(composite.item))
    for (a, b) in zip(fusedGrad, compositeGrad) { #expect(Swift.abs(a - b) <= 1e-6, "\(a) vs \(b)") }
  }
}
