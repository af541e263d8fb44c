import Foundation
import Synchronization
import Testing

@testable import GenAITensor

/// Tests of the autodiff machinery: backward, cotangents, accumulation, graph release, no-grad
/// mode, `gradients(of:withRespectTo:)`, errors, double backward (WGAN-GP) and very deep graphs.

// MARK: - Helpers (file-private, prefixed so they cannot clash with other test files)

/// Element-wise |a − b| ≤ atol + rtol·|b|.
private func adExpectClose(
  _ a: [Float], _ b: [Float], atol: Float = 1e-5, rtol: Float = 1e-4, _ what: String = "",
  sourceLocation: SourceLocation = #_sourceLocation
) {
  #expect(a.count == b.count, "\(what): counts \(a.count) vs \(b.count)", sourceLocation: sourceLocation)
  for (i, (x, y)) in zip(a, b).enumerated() where !(Swift.abs(x - y) <= atol + rtol * Swift.abs(y)) {
    Issue.record("\(what): element \(i) is \(x), expected \(y) (all: \(a) vs \(b))", sourceLocation: sourceLocation)
    return
  }
}

private func adTensor(_ shape: [Int], _ values: [Float]) -> Tensor {
  // The shapes in this file are literals that match their values.
  try! Tensor(shape: shape, values)
}

// MARK: - First-order basics

@Suite struct AutodiffBasicsTests {
  @Test func backwardOnScalar() throws {
    let x = Tensor([1, 2, 3]).requiringGrad()
    let y = (x * x * x).sum()
    #expect(y.shape == [])
    try y.backward()
    #expect(x.grad?.scalars == [3, 12, 27])
    #expect(x.grad?.shape == [3])
    // Gradients are plain values: they carry no graph.
    #expect(x.grad?.isLeaf == true)
    #expect(x.grad?.requiresGrad == false)
  }

  @Test func backwardThroughBroadcastSumsToInputShape() throws {
    let a = adTensor([2, 3], [1, 2, 3, 4, 5, 6]).requiringGrad()
    let b = Tensor([10, 20, 30]).requiringGrad()
    let s = Tensor(2).requiringGrad()
    try ((a + b) * s).sum().backward()
    #expect(a.grad?.scalars == [2, 2, 2, 2, 2, 2])
    #expect(b.grad?.shape == [3])
    #expect(b.grad?.scalars == [4, 4, 4])
    #expect(s.grad?.shape == [])
    #expect(s.grad?.scalars == [21 + 60 * 2])  // Σ(a + b) = 21 + 2·60
  }

  @Test func backwardWithExplicitCotangent() throws {
    let x = Tensor([1, 2, 3]).requiringGrad()
    let y = x * x  // [3], not a scalar
    try y.backward(cotangent: Tensor([1, 10, 100]))
    #expect(x.grad?.scalars == [2, 40, 600])
  }

  @Test func cotangentIsAllowedForAScalarToo() throws {
    let x = Tensor([3]).requiringGrad()
    try (x * x).sum().backward(cotangent: Tensor(0.5))
    #expect(x.grad?.scalars == [3])
  }

  @Test func gradientsAccumulateUntilZeroed() throws {
    let x = Tensor([1, -2]).requiringGrad()
    try (x * x).sum().backward()
    #expect(x.grad?.scalars == [2, -4])
    try (x * x).sum().backward()
    #expect(x.grad?.scalars == [4, -8])
    try (x * 3).sum().backward()
    #expect(x.grad?.scalars == [7, -5])
    x.zeroGrad()
    #expect(x.grad == nil)
    try (x * x).sum().backward()
    #expect(x.grad?.scalars == [2, -4])
  }

  @Test func sharedInputReceivesTheSumOfItsPaths() throws {
    // y = x·x + x: x feeds three edges; its gradient is 2x + 1.
    let x = Tensor([0.5, 4]).requiringGrad()
    let y = x * x + x
    try y.sum().backward()
    #expect(x.grad?.scalars == [2, 9])
  }

  @Test func graphIsReleasedAfterBackward() throws {
    let x = Tensor([1, 2]).requiringGrad()
    let y = x * x
    let z = y.sum()
    #expect(!y.isLeaf && y.op == .multiply && y.requiresGrad)
    #expect(!z.isLeaf && z.op == .sum)
    try z.backward()
    #expect(x.grad?.scalars == [2, 4])
    // Non-leaf tensors lose their node; leaves keep requiring gradients.
    #expect(y.isLeaf && y.op == nil && !y.requiresGrad)
    #expect(z.isLeaf && z.op == nil && !z.requiresGrad)
    #expect(x.isLeaf && x.requiresGrad)
    // A second backward has nothing to go through.
    #expect(throws: AutodiffError.noGradient) { try z.backward() }
    #expect(x.grad?.scalars == [2, 4])
  }

  @Test func retainedGraphSupportsASecondBackward() throws {
    let x = Tensor([1, 2]).requiringGrad()
    let y = x * x
    let z = y.sum()
    try z.backward(retainGraph: true)
    #expect(!y.isLeaf && !z.isLeaf)
    #expect(x.grad?.scalars == [2, 4])
    try z.backward()  // retainGraph defaults to false: the graph goes now
    #expect(x.grad?.scalars == [4, 8])
    #expect(y.isLeaf && z.isLeaf)
  }

  @Test func gradientsOfWithRespectToLeavesGradUntouched() throws {
    let x = Tensor([1, 2, 3]).requiringGrad()
    let w = Tensor([2, 2, 2]).requiringGrad()
    let unrelated = adTensor([2, 2], [1, 1, 1, 1]).requiringGrad()
    let loss = (x * x * w).sum()
    let gs = try gradients(of: loss, withRespectTo: [x, w, unrelated])
    #expect(gs.count == 3)
    #expect(gs[0].scalars == [4, 8, 12])
    #expect(gs[1].scalars == [1, 4, 9])
    // A tensor the output does not depend on gets zeros of its shape.
    #expect(gs[2].shape == [2, 2] && gs[2].scalars == [0, 0, 0, 0])
    #expect(x.grad == nil && w.grad == nil && unrelated.grad == nil)
    #expect(!gs[0].requiresGrad)
    // Without createGraph the graph is released as by backward.
    #expect(loss.isLeaf)
  }

  @Test func gradientsWithRespectToAnIntermediateTensor() throws {
    let x = Tensor([1, 2]).requiringGrad()
    let h = x * 3
    let loss = (h * h).sum()
    let gs = try gradients(of: loss, withRespectTo: [h, x])
    #expect(gs[0].scalars == [6, 12])  // 2h
    #expect(gs[1].scalars == [18, 36])  // 2h·3
  }

  @Test func withNoGradRecordsNothing() throws {
    let x = Tensor([1, 2]).requiringGrad()
    #expect(GradMode.isEnabled)
    let y = withNoGrad { () -> Tensor in
      #expect(!GradMode.isEnabled)
      return (x * x).exp().sum()
    }
    #expect(GradMode.isEnabled)
    #expect(y.op == nil && y.isLeaf && !y.requiresGrad)
    #expect(throws: AutodiffError.noGradient) { try y.backward() }
    // Nested no-grad regions restore the outer state, also when the body throws.
    struct Boom: Error {}
    withNoGrad {
      #expect(throws: Boom.self) { try withNoGrad { () throws -> Void in throw Boom() } }
      #expect(!GradMode.isEnabled)
    }
    #expect(throws: Boom.self) { try withNoGrad { () throws -> Void in throw Boom() } }
    #expect(GradMode.isEnabled)
    // Recording is back on afterwards.
    #expect((x * x).op == .multiply)
  }

  @Test func detachedCutsTheGraph() throws {
    let x = Tensor([1, 2, 3]).requiringGrad()
    let y = x * x
    let d = y.detached()
    #expect(d.isLeaf && !d.requiresGrad && d.op == nil)
    #expect(d.storage === y.storage)  // shares values
    #expect(d.scalars == [1, 4, 9])
    // d is a constant: ∂(d·x)/∂x = d, not 3x².
    try (d * x).sum().backward()
    #expect(x.grad?.scalars == [1, 4, 9])
    #expect(y.requiresGrad && !y.isLeaf)  // y's own graph was not touched by that backward
    // copy() is detached too, with its own buffer.
    let c = y.copy()
    #expect(c.storage !== y.storage && c.scalars == y.scalars && !c.requiresGrad)
  }

  @Test func backwardOnALeafLoss() throws {
    let x = Tensor(3).requiringGrad()
    try x.backward()
    #expect(x.grad?.scalars == [1])
    #expect(x.isLeaf && x.requiresGrad)
  }

  @Test func leafWithoutRequiresGradGetsNoGradient() throws {
    let x = Tensor([1, 2]).requiringGrad()
    let constant = Tensor([5, 7])
    try (x * constant).sum().backward()
    #expect(x.grad?.scalars == [5, 7])
    #expect(constant.grad == nil)
  }
}

// MARK: - Errors

@Suite struct AutodiffErrorTests {
  @Test func notScalar() throws {
    let x = adTensor([2, 3], [1, 2, 3, 4, 5, 6]).requiringGrad()
    let y = x * 2
    #expect(throws: AutodiffError.notScalar(shape: [2, 3])) { try y.backward() }
    #expect(throws: AutodiffError.notScalar(shape: [2, 3])) { _ = try gradients(of: y, withRespectTo: [x]) }
    #expect(AutodiffError.notScalar(shape: [2, 3]).description.contains("[2, 3]"))
    #expect(x.grad == nil)
  }

  @Test func noGradient() throws {
    let c = Tensor([1, 2])
    #expect(throws: AutodiffError.noGradient) { try c.sum().backward() }
    #expect(throws: AutodiffError.noGradient) { try Tensor(3).backward() }
    #expect(AutodiffError.noGradient.description.contains("[backward]"))
  }

  @Test func cotangentShape() throws {
    let x = Tensor([1, 2, 3]).requiringGrad()
    let y = x * x
    #expect(throws: AutodiffError.cotangentShape(expected: [3], got: [2])) {
      try y.backward(cotangent: Tensor([1, 1]))
    }
    #expect(throws: AutodiffError.cotangentShape(expected: [3], got: [1, 3])) {
      try y.backward(cotangent: adTensor([1, 3], [1, 1, 1]))
    }
    let d = AutodiffError.cotangentShape(expected: [3], got: [2]).description
    #expect(d.contains("[2]") && d.contains("[3]"))
    #expect(x.grad == nil)
  }

  @Test func nonFiniteLossNamesTheOp() throws {
    let x = Tensor(-1).requiringGrad()
    let loss = x.log()  // NaN
    let error = #expect(throws: AutodiffError.self) { try loss.backward() }
    guard case .nonFiniteLoss(let value, let op)? = error else {
      Issue.record("expected nonFiniteLoss, got \(String(describing: error))")
      return
    }
    #expect(value.isNaN)
    #expect(op == "log")
    #expect(error?.description.contains("'log'") == true)
    #expect(x.grad == nil)

    // An infinite loss is rejected too, naming its op.
    let y = Tensor(0).requiringGrad()
    let inf = (-y.log())  // +inf, produced by negate
    let e2 = #expect(throws: AutodiffError.self) { try inf.backward() }
    #expect(e2 == .nonFiniteLoss(value: .infinity, op: "negate"))
  }
}

// MARK: - Grad mode is per thread

@Suite struct AutodiffGradModeThreadTests {
  /// `GradMode` must not leak between threads: Swift Testing runs tests concurrently, and a data
  /// loader or evaluation thread may call `withNoGrad` while the training thread records a graph.
  @Test func noGradOnAnotherThreadDoesNotStopRecordingHere() throws {
    final class Flags: Sendable {
      let stop = Atomic<Bool>(false)
      let started = Atomic<Bool>(false)
      let otherSawEnabledByDefault = Atomic<Bool>(false)
      let iterations = Atomic<Int>(0)
    }
    let flags = Flags()
    let done = DispatchSemaphore(value: 0)
    let thread = Thread {
      flags.otherSawEnabledByDefault.store(GradMode.isEnabled, ordering: .relaxed)
      flags.started.store(true, ordering: .releasing)
      let c = Tensor([1, 2])
      while !flags.stop.load(ordering: .relaxed) {
        withNoGrad { _ = c + c }
        flags.iterations.add(1, ordering: .relaxed)
      }
      done.signal()
    }
    thread.start()
    while !flags.started.load(ordering: .acquiring) {}
    let x = Tensor([1, 2]).requiringGrad()
    var unrecorded = 0
    let before = flags.iterations.load(ordering: .relaxed)
    // Keep checking until the other thread has toggled the mode many times meanwhile.
    var checks = 0
    while checks < 5_000 || flags.iterations.load(ordering: .relaxed) - before < 1_000 && checks < 200_000 {
      if !GradMode.isEnabled || (x * x).op != .multiply { unrecorded += 1 }
      checks += 1
    }
    flags.stop.store(true, ordering: .relaxed)
    done.wait()
    #expect(unrecorded == 0)
    let otherSawEnabled = flags.otherSawEnabledByDefault.load(ordering: .relaxed)
    #expect(otherSawEnabled)
  }
}

// MARK: - Second order: closed forms

/// Element-wise functions with their first and second derivatives in closed form.
enum ADScalarFunction: String, CaseIterable, Sendable, CustomTestStringConvertible {
  case cube, powThree, tanh, sigmoid, exp, log, sqrt

  var testDescription: String { rawValue }

  func apply(_ x: Tensor) -> Tensor {
    switch self {
    case .cube: return x * x * x
    case .powThree: return x.pow(3)
    case .tanh: return x.tanh()
    case .sigmoid: return x.sigmoid()
    case .exp: return x.exp()
    case .log: return x.log()
    case .sqrt: return x.sqrt()
    }
  }

  func first(_ x: Double) -> Double {
    switch self {
    case .cube, .powThree: return 3 * x * x
    case .tanh: return 1 - Foundation.tanh(x) * Foundation.tanh(x)
    case .sigmoid:
      let s = 1 / (1 + Foundation.exp(-x))
      return s * (1 - s)
    case .exp: return Foundation.exp(x)
    case .log: return 1 / x
    case .sqrt: return 0.5 / x.squareRoot()
    }
  }

  func second(_ x: Double) -> Double {
    switch self {
    case .cube, .powThree: return 6 * x
    case .tanh:
      let t = Foundation.tanh(x)
      return -2 * t * (1 - t * t)
    case .sigmoid:
      let s = 1 / (1 + Foundation.exp(-x))
      return s * (1 - s) * (1 - 2 * s)
    case .exp: return Foundation.exp(x)
    case .log: return -1 / (x * x)
    case .sqrt: return -0.25 / (x * x.squareRoot())
    }
  }

  /// Points inside the domain.
  var points: [Float] {
    switch self {
    case .log, .sqrt: return [0.3, 0.9, 1.7, 3.2]
    default: return [-1.7, -0.4, 0.2, 1.1, 2.3]
    }
  }
}

@Suite struct AutodiffSecondOrderTests {
  @Test(arguments: ADScalarFunction.allCases)
  func secondDerivativeMatchesClosedForm(_ f: ADScalarFunction) throws {
    let x = Tensor(f.points).requiringGrad()
    let g = try gradients(of: f.apply(x).sum(), withRespectTo: [x], createGraph: true)[0]
    #expect(g.requiresGrad && !g.isLeaf, "the first-order gradient must be differentiable")
    adExpectClose(g.scalars, f.points.map { Float(f.first(Double($0))) }, rtol: 1e-4, "f'")
    try g.sum().backward()
    let expected = f.points.map { Float(f.second(Double($0))) }
    adExpectClose(x.grad?.scalars ?? [], expected, atol: 1e-5, rtol: 1e-4, "f''")
  }

  @Test func thirdDerivativeOfCube() throws {
    let x = Tensor([-2, 0.5, 3]).requiringGrad()
    let g1 = try gradients(of: (x * x * x).sum(), withRespectTo: [x], createGraph: true)[0]
    let g2 = try gradients(of: g1.sum(), withRespectTo: [x], createGraph: true)[0]
    let g3 = try gradients(of: g2.sum(), withRespectTo: [x])[0]
    #expect(g1.scalars == [12, 0.75, 27])
    #expect(g2.scalars == [-12, 3, 18])
    #expect(g3.scalars == [6, 6, 6])
  }

  @Test func createGraphKeepsTheForwardGraphEvenIfAskedToRelease() throws {
    // The recorded backward of x·x·x reads the intermediate x·x; releasing the forward graph
    // (retainGraph: false) used to cut that path and give f'' = 8 instead of 12 at x = 2.
    let x = Tensor([2]).requiringGrad()
    let g = try gradients(of: (x * x * x).sum(), withRespectTo: [x], retainGraph: false, createGraph: true)[0]
    #expect(g.scalars == [12])
    try g.sum().backward()
    #expect(x.grad?.scalars == [12])

    let y = Tensor([0.5]).requiringGrad()
    try y.tanh().sum().backward(retainGraph: false, createGraph: true)
    let gy = try #require(y.grad)
    let second = try gradients(of: gy.sum(), withRespectTo: [y])[0].scalars[0]
    let t = Foundation.tanh(0.5)
    #expect(Swift.abs(Double(second) - (-2 * t * (1 - t * t))) < 1e-5)
    y.zeroGrad()
  }

  @Test func backwardWithCreateGraphMakesDifferentiableGrad() throws {
    // backward(createGraph:) writes a grad that is itself differentiable.
    let x = Tensor([1, 2]).requiringGrad()
    try (x * x * x).sum().backward(createGraph: true)
    let g = try #require(x.grad)
    #expect(g.scalars == [3, 12] && g.requiresGrad)
    let h = try gradients(of: g.sum(), withRespectTo: [x])[0]
    #expect(h.scalars == [6, 12])
    x.zeroGrad()  // breaks the x → grad → graph → x cycle that createGraph makes
  }

  /// Hessian-vector product of `L(x) = c · softmax(x)` against the closed form
  /// `H_ij = s_i(δ_ij − s_j)(c_i − c̄) − s_i s_j (c_j − c̄)`, `c̄ = c · s`.
  @Test func softmaxHessianVectorProduct() throws {
    let xv: [Float] = [0.3, -1.2, 0.8, 2.0]
    let cv: [Float] = [1.5, -0.5, 2.0, 0.25]
    let vv: [Float] = [0.7, -1.1, 0.4, 1.3]
    let x = Tensor(xv).requiringGrad()
    let loss = (x.softmax() * Tensor(cv)).sum()
    let g = try gradients(of: loss, withRespectTo: [x], createGraph: true)[0]
    let hv = try gradients(of: (g * Tensor(vv)).sum(), withRespectTo: [x])[0]

    let xd = xv.map(Double.init), c = cv.map(Double.init), v = vv.map(Double.init)
    let m = xd.max()!
    let e = xd.map { Foundation.exp($0 - m) }
    let z = e.reduce(0, +)
    let s = e.map { $0 / z }
    let cbar = zip(c, s).map(*).reduce(0, +)
    let n = xv.count
    let grad = (0..<n).map { s[$0] * (c[$0] - cbar) }
    var expected = [Double](repeating: 0, count: n)
    for i in 0..<n {
      for j in 0..<n {
        let h = s[i] * ((i == j ? 1 : 0) - s[j]) * (c[i] - cbar) - s[i] * s[j] * (c[j] - cbar)
        expected[i] += h * v[j]
      }
    }
    adExpectClose(g.scalars, grad.map(Float.init), atol: 1e-6, rtol: 1e-4, "softmax gradient")
    adExpectClose(hv.scalars, expected.map(Float.init), atol: 1e-6, rtol: 1e-4, "softmax Hv")
  }

  @Test func logSoftmaxAndMatmulHessianVectorProduct() throws {
    // L = logsumexp(W x)·… : compare the Hessian-vector product with a central difference
    // of the (first-order) gradient, which is exact enough for this smooth function.
    let w = adTensor([3, 2], [0.5, -1, 1.5, 0.25, -0.75, 1])
    let v = Tensor([0.3, -0.8])
    func grad(_ xv: [Float], createGraph: Bool) throws -> (Tensor, Tensor) {
      let x = Tensor(xv).requiringGrad()
      let loss = -w.matmul(x).logSoftmax().adElement(0)
      return (try gradients(of: loss, withRespectTo: [x], createGraph: createGraph)[0], x)
    }
    let x0: [Float] = [0.4, -0.9]
    let (g, x) = try grad(x0, createGraph: true)
    let hv = try gradients(of: (g * v).sum(), withRespectTo: [x])[0].scalars
    let h: Float = 1e-2
    let gp = try grad(zip(x0, v.scalars).map { $0 + h * $1 }, createGraph: false).0.scalars
    let gm = try grad(zip(x0, v.scalars).map { $0 - h * $1 }, createGraph: false).0.scalars
    let fd = zip(gp, gm).map { ($0 - $1) / (2 * h) }
    adExpectClose(hv, fd, atol: 1e-3, rtol: 1e-2, "logSoftmax Hv")
  }
}

extension Tensor {
  /// Element `i` of a 1-D tensor, recorded (a slice reshaped to a scalar).
  fileprivate func adElement(_ i: Int) -> Tensor { slice(axis: 0, i..<(i + 1)).reshaped([]) }
}

// MARK: - WGAN-GP: gradient penalty through a double backward

/// A small critic `D(x) = act(x W1 + b1) W2 + b2` over inputs `[4, 3]`.
struct ADCritic {
  enum Activation: String, CaseIterable, Sendable { case tanh, leakyRelu }
  let activation: Activation
  let w1: Tensor  // [3, 5]
  let b1: Tensor  // [5]
  let w2: Tensor  // [5, 1]
  let b2: Tensor  // [1]
  var parameters: [Tensor] { [w1, b1, w2, b2] }

  init(_ activation: Activation, seed: UInt64) {
    var rng = SeededGenerator(seed: seed)
    self.activation = activation
    w1 = Tensor.randn([3, 5], std: 0.9, using: &rng).requiringGrad()
    b1 = Tensor.randn([5], std: 0.3, using: &rng).requiringGrad()
    w2 = Tensor.randn([5, 1], std: 0.9, using: &rng).requiringGrad()
    b2 = Tensor([0.1]).requiringGrad()
  }

  func preActivation(_ x: Tensor) -> Tensor { x.matmul(w1) + b1 }

  func callAsFunction(_ x: Tensor) -> Tensor {
    let pre = preActivation(x)
    let h = activation == .tanh ? pre.tanh() : pre.leakyRelu(slope: 0.2)
    return h.matmul(w2) + b2
  }

  /// `mean_i (‖∇ₓD(x)_i‖₂ − 1)²`, with the gradient recorded so the penalty is differentiable.
  func penalty(_ x: Tensor) throws -> Tensor {
    let g = try gradients(of: self(x).sum(), withRespectTo: [x], createGraph: true)[0]
    return ADCritic.penalty(ofGradient: g)
  }

  static func penalty(ofGradient g: Tensor) -> Tensor {
    let norm = (g * g).sum(axes: [1]).sqrt()
    let dev = norm - 1
    return (dev * dev).mean()
  }

  /// The penalty with the activation's derivative treated as a constant: what a backward pass
  /// that dropped the second-order term of the activation would differentiate. ∇ₓD is written
  /// by hand as `(act'(pre) ⊙ W2ᵀ) W1ᵀ`.
  func penaltyWithConstantActivationDerivative(_ x: Tensor) -> Tensor {
    let pre = preActivation(x)
    let slope: Tensor
    switch activation {
    case .tanh:
      let t = pre.tanh().detached()
      slope = withNoGrad { 1 - t * t }
    case .leakyRelu:
      slope = withNoGrad { pre.detached().mask { $0 > 0 } * 0.8 + 0.2 }
    }
    let g = (slope * w2.reshaped([1, 5])).matmul(w1, transposeB: true)
    return ADCritic.penalty(ofGradient: g)
  }
}

@Suite struct AutodiffGradientPenaltyTests {
  static func input() -> Tensor {
    var rng = SeededGenerator(seed: 99)
    return Tensor.randn([4, 3], using: &rng).requiringGrad()
  }

  /// dP/dθ by a 4-point central difference, P evaluated through first-order gradients.
  static func finiteDifference(_ critic: ADCritic, _ x: Tensor, h: Float = 1e-2) throws -> [[Float]] {
    func p() throws -> Double { Double(try critic.penalty(x).item) }
    return try critic.parameters.map { param in
      try (0..<param.count).map { i -> Float in
        let base = param.storage.base
        let v = base[i]
        defer { base[i] = v }
        base[i] = v + 2 * h
        let p2 = try p()
        base[i] = v + h
        let p1 = try p()
        base[i] = v - h
        let m1 = try p()
        base[i] = v - 2 * h
        let m2 = try p()
        return Float((-p2 + 8 * p1 - 8 * m1 + m2) / (12 * Double(h)))
      }
    }
  }

  static func distance(_ a: [Float], _ b: [Float]) -> Float {
    zip(a, b).map { ($0 - $1) * ($0 - $1) }.reduce(0, +).squareRoot()
  }
  static func norm(_ a: [Float]) -> Float { a.map { $0 * $0 }.reduce(0, +).squareRoot() }

  @Test(arguments: ADCritic.Activation.allCases)
  func penaltyGradientMatchesFiniteDifferences(_ activation: ADCritic.Activation) throws {
    let x = Self.input()
    // The finite difference moves W1 by up to 2h: for leaky ReLU take the first seed whose
    // pre-activations all stay clear of the kink.
    let critic = (UInt64(1)...).lazy.map { ADCritic(activation, seed: $0) }.first { c in
      activation == .tanh || withNoGrad { c.preActivation(x) }.scalars.allSatisfy { Swift.abs($0) > 0.1 }
    }!

    // ∇ₓD itself against the closed form.
    let g = try gradients(of: critic(x).sum(), withRespectTo: [x], createGraph: true)[0]
    #expect(g.requiresGrad)
    let closed = withNoGrad { () -> Tensor in
      let pre = critic.preActivation(x)
      let slope: Tensor = activation == .tanh ? (1 - pre.tanh() * pre.tanh()) : (pre.mask { $0 > 0 } * 0.8 + 0.2)
      return (slope * critic.w2.reshaped([1, 5])).matmul(critic.w1, transposeB: true)
    }
    adExpectClose(g.scalars, closed.scalars, atol: 1e-5, rtol: 1e-4, "∇ₓD")

    let p = try critic.penalty(x)
    #expect(p.item > 0.05, "a penalty near zero would make the check weak")
    try p.backward()
    let analytic = critic.parameters.map { $0.grad?.scalars ?? [Float](repeating: 0, count: $0.count) }
    // b2 does not affect ∇ₓD: no gradient reaches it.
    #expect(critic.b2.grad == nil || critic.b2.grad!.scalars.allSatisfy { $0 == 0 })

    let fd = try Self.finiteDifference(critic, x)
    for (k, name) in ["W1", "b1", "W2", "b2"].enumerated() {
      let scale = Swift.max(Self.norm(fd[k]), 1e-3)
      #expect(
        Self.distance(analytic[k], fd[k]) <= 2e-2 * scale,
        "d\(name): analytic \(analytic[k]) vs finite difference \(fd[k])")
      for (a, f) in zip(analytic[k], fd[k]) {
        #expect(Swift.abs(a - f) <= 2e-2 * Swift.abs(f) + 2e-3 * scale, "d\(name): \(a) vs \(f)")
      }
    }

    // The check has teeth. Treating ∇ₓD as a constant gives zero gradients, far from the truth.
    #expect(Self.norm(fd[0]) > 0.05 && Self.norm(fd[2]) > 0.05)
    if activation == .tanh {
      // Dropping only tanh's second derivative (d tanh'/dθ) gives a measurably different W1 and b1
      // gradient, more than 10× the tolerance away from the finite difference.
      for q in critic.parameters { q.zeroGrad() }
      try critic.penaltyWithConstantActivationDerivative(x).backward()
      let partialW1 = try #require(critic.w1.grad).scalars
      // With tanh' constant, b1 drops out of ∇ₓD entirely.
      let partialB1 = critic.b1.grad?.scalars ?? [Float](repeating: 0, count: 5)
      #expect(Self.distance(partialW1, fd[0]) > 0.2 * Self.norm(fd[0]), "W1: \(partialW1) vs \(fd[0])")
      #expect(Self.distance(partialB1, fd[1]) > 0.2 * Swift.max(Self.norm(fd[1]), 1e-3), "b1: \(partialB1) vs \(fd[1])")
    }
  }

  @Test func penaltyTrainsWithSGD() throws {
    let critic = ADCritic(.tanh, seed: 5)
    let x = Self.input()
    var history: [Float] = []
    for _ in 0..<25 {
      let p = try critic.penalty(x)
      history.append(p.item)
      try p.backward()
      withNoGrad {
        for q in critic.parameters {
          guard let g = q.grad else { continue }
          let updated = q - g * 0.05
          q.storage.base.update(from: updated.storage.base, count: q.count)
          q.zeroGrad()
        }
      }
      x.zeroGrad()
    }
    let final = try critic.penalty(x).item
    #expect(history[0] > 0.1, "initial penalty \(history[0]) too small to show training")
    #expect(final < 0.25 * history[0], "penalty went \(history)")
    #expect(zip(history, history.dropFirst()).filter { $1 > $0 }.count <= 2, "penalty should mostly decrease: \(history)")
  }
}

// MARK: - Deep graphs

@Suite struct AutodiffDeepGraphTests {
  /// An LSTM cell run for `steps` steps with hidden size 4 and batch 1.
  struct TinyLSTM {
    let w: Tensor  // [2, 16]
    let u: Tensor  // [4, 16]
    let b: Tensor  // [16]
    let xs: [Tensor]  // steps × [1, 2]

    init(steps: Int) {
      var rng = SeededGenerator(seed: 11)
      w = (Tensor.randn([2, 16], using: &rng) * 0.5).requiringGrad()
      u = (Tensor.randn([4, 16], using: &rng) * 0.5).requiringGrad()
      b = Tensor.zeros([16]).requiringGrad()
      xs = (0..<steps).map { _ in Tensor.randn([1, 2], using: &rng) }
    }

    func run() -> Tensor {
      var h = Tensor.zeros([1, 4])
      var c = Tensor.zeros([1, 4])
      for x in xs {
        let z = x.matmul(w) + h.matmul(u) + b
        let gates = z.split(parts: 4, axis: 1)
        let i = gates[0].sigmoid(), f = gates[1].sigmoid(), o = gates[2].sigmoid()
        let g = gates[3].tanh()
        c = f * c + i * g
        h = o * c.tanh()
      }
      return h.sum()
    }
  }

  @Test func thousandStepRecurrenceBackwardAndRelease() throws {
    let lstm = TinyLSTM(steps: 1000)

    // 1. Forward and backward; backward releases the graph.
    weak var weakLoss: Tensor?
    do {
      let loss = lstm.run()
      weakLoss = loss
      #expect(!loss.isLeaf)
      #expect(loss.topologicalOrder().count > 15_000)
      try loss.backward()
      #expect(loss.isLeaf)
    }
    #expect(weakLoss == nil)
    for p in [lstm.w, lstm.u, lstm.b] {
      let g = try #require(p.grad).scalars
      #expect(g.allSatisfy { $0.isFinite })
      #expect(g.contains { $0 != 0 })
    }

    // 2. Forward, then drop the whole graph without a backward (as a retained graph is dropped):
    //    Tensor.deinit must unwind it without recursing once per step.
    do {
      let l = lstm.run()
      weakLoss = l
      #expect(!l.isLeaf)
    }
    #expect(weakLoss == nil)

    // 3. The gradient is right: one bias entry against a central difference.
    let bGrad = lstm.b.grad!.scalars
    let h: Float = 1e-2
    let k = 12  // a cell-input bias
    func lossAt(_ delta: Float) -> Double {
      let base = lstm.b.storage.base
      let v = base[k]
      defer { base[k] = v }
      base[k] = v + delta
      return Double(withNoGrad { lstm.run() }.item)
    }
    let fd = (lossAt(h) - lossAt(-h)) / (2 * Double(h))
    #expect(Swift.abs(fd) > 1e-3)
    #expect(Swift.abs(Double(bGrad[k]) - fd) <= 2e-2 * Swift.abs(fd) + 1e-4, "db[\(k)] \(bGrad[k]) vs \(fd)")
  }

  @Test func deepChainOfCheapOps() throws {
    // 10,000 sequential products: topological sort, backward and release stay iterative;
    // 30,000 sequential adds dropped without a backward.
    let x = Tensor([1]).requiringGrad()
    var y = x
    for _ in 0..<10_000 { y = y * 1.0001 }
    let loss = y.sum()
    try loss.backward()
    let expected = Float(Foundation.pow(1.0001, 10_000.0))
    adExpectClose(x.grad!.scalars, [expected], rtol: 1e-3, "chain")
    weak var weakY: Tensor?
    do {
      var z = x
      for _ in 0..<30_000 { z = z + 1 }
      weakY = z
    }
    #expect(weakY == nil)
  }
}

// MARK: - In-place accumulation (a backward pass that records nothing)

@Suite struct AutodiffAccumulationTests {
  /// A tensor cut into many slices and also used whole, through shared pullback outputs (`a + a`
  /// hands the same gradient to both sides): the in-place sums must equal the recorded pass.
  @Test func slicesAndSharedGradientsMatchTheRecordedPass() throws {
    func loss(_ x: Tensor) -> Tensor {
      let rows = (0..<4).map { x.slice(axis: 0, $0..<($0 + 1)) * Float($0 + 1) }
      let halves = x.split(parts: 2, axis: 1)
      let y = x + x  // one gradient tensor for two inputs
      return Tensor.concatenate(rows, axis: 0).sum() + (halves[0] * halves[1]).sum() + (y * x).sum()
        + x.slice(axis: 1, 1..<3).sum()
    }
    let values = (0..<24).map { Float($0) * 0.25 - 2 }
    let a = try Tensor(shape: [4, 6], values).requiringGrad()
    try loss(a).backward()  // in place
    let b = try Tensor(shape: [4, 6], values).requiringGrad()
    let gb = try gradients(of: loss(b), withRespectTo: [b], createGraph: true)[0]  // recorded, padded
    adExpectClose(try #require(a.grad).scalars, gb.scalars, "in-place vs recorded")
  }

  /// The gradient handed in as a cotangent is never written into.
  @Test func cotangentIsNotAccumulatedInto() throws {
    let x = Tensor([1, 2, 3, 4]).requiringGrad()
    let seed = Tensor([1, 1, 1, 1])
    let y = x * 2 + x * 3
    try y.backward(cotangent: seed)
    #expect(seed.scalars == [1, 1, 1, 1])
    #expect(x.grad?.scalars == [5, 5, 5, 5])
  }
}
