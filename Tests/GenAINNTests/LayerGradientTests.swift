import GenAITestSupport
import Testing

@testable import GenAINN
@testable import GenAITensor

// Finite-difference gradient checks of every layer, with respect to its input and to every
// parameter: the layer's real parameter tensors are perturbed in place, so the check covers the
// layer as a user runs it (which tensors it reads, how it wires them), not a re-derived function.
// Same method as Tests/GenAITestSupport/GradCheck.swift: values quantised to 2⁻¹⁰, a power-of-two
// step, a seeded random cotangent, both backward modes, the 4-point central difference.

enum LayerGradCheck {
  /// Checks `forward` (which calls `layer`) at `input` and the layer's current mode. Parameters are
  /// first overwritten with quantised values from U[-1, 1] seeded by `name`; `input == nil` for
  /// layers that take no float input (the embedding).
  @discardableResult
  static func run(
    _ name: String, _ layer: Module, input: GradInput?, tolerance: GradTolerance = .standard,
    step h: Float = 0x1p-7, sourceLocation: SourceLocation = #_sourceLocation, _ forward: (Tensor) -> Tensor
  ) throws -> GradCheckReport {
    var report = GradCheckReport()
    var gen = InputGenerator(seed: GradCheck.stableHash(name) ^ 0xA11CE)
    let params = layer.namedParameters()
    for (_, p) in params {
      let values = gen.uniform(p.shape, -1, 1).values
      p.withUnsafeMutableBufferPointer { b in for i in b.indices { b[i] = values[i] } }
    }
    let xShape = input?.shape ?? [0]
    var xValues = input?.values ?? []
    let hasInput = input?.checked ?? false
    func makeInput(_ grad: Bool) -> Tensor { GradCheck.tensor(xShape, xValues).requiringGrad(grad) }

    // What is checked: the input (when it is), then each parameter; read and write one element.
    var names: [String] = hasInput ? ["input"] : []
    var shapes: [[Int]] = hasInput ? [xShape] : []
    names += params.map(\.0)
    shapes += params.map(\.1.shape)
    func value(_ t: Int, _ j: Int) -> Float {
      let k = hasInput ? t - 1 : t
      return k < 0 ? xValues[j] : params[k].1.withUnsafeBufferPointer { $0[j] }
    }
    func set(_ t: Int, _ j: Int, _ v: Float) {
      let k = hasInput ? t - 1 : t
      if k < 0 { xValues[j] = v } else { params[k].1.withUnsafeMutableBufferPointer { $0[j] = v } }
    }

    var r: [Double] = []
    var analytic: [GradCheck.BackwardMode: [[Float]]] = [:]
    for mode in GradCheck.BackwardMode.allCases {
      let x = makeInput(hasInput)
      let out = forward(x)
      var rng = SeededGenerator(seed: GradCheck.stableHash(name) ^ 0x5EED)
      let rT = Tensor.randn(out.shape, using: &rng)
      rT.withUnsafeMutableBufferPointer { b in for i in b.indices { b[i] = InputGenerator.quantised(b[i]) } }
      r = rT.scalars.map(Double.init)
      let wrt = (hasInput ? [x] : []) + params.map(\.1)
      analytic[mode] = try gradients(of: out, withRespectTo: wrt, cotangent: rT, createGraph: mode == .createGraph)
        .map(\.scalars)
    }

    func loss() -> Double { withNoGrad { GradCheck.contract(forward(makeInput(false)), r) } }
    let l0 = loss()
    guard l0.isFinite, loss() == l0 else {
      Issue.record("[\(name)] L(x) = \(l0) is not finite or not deterministic", sourceLocation: sourceLocation)
      return report
    }
    for t in names.indices {
      var numericAllZero = true
      for j in 0..<elementCount(shapes[t]) {
        let x = value(t, j)
        func at(_ k: Float) -> Double {
          set(t, j, x + k * h)
          return loss()
        }
        let numeric = (-at(2) + 8 * at(1) - 8 * at(-1) + at(-2)) / (12 * Double(h))
        set(t, j, x)
        if abs(numeric) > 1e-6 { numericAllZero = false }
        let tol = tolerance.atol + tolerance.rtol * abs(numeric)
        for mode in GradCheck.BackwardMode.allCases {
          guard let a = analytic[mode]?[t][j] else { continue }
          let diff = abs(Double(a) - numeric)
          report.checkedElements += 1
          report.worstRatio = max(report.worstRatio, diff.isNaN ? .infinity : diff / tol)
          guard !(diff <= tol) else { continue }
          report.failures += 1
          if report.failures <= 6 {
            Issue.record(
              """
              [\(name)] \(mode.rawValue): \(names[t]) \(shapeString(shapes[t])) element \
              \(GradCheck.multiIndex(j, shapes[t])) at \(x): analytic \(a) vs numeric \(numeric)
              """,
              sourceLocation: sourceLocation)
          }
        }
      }
      if numericAllZero {
        Issue.record("[\(name)] f does not depend on \(names[t])", sourceLocation: sourceLocation)
      }
    }
    return report
  }
}

@Suite struct LayerGradientTests {
  var rng = SeededGenerator(seed: 7)
  var inputs = InputGenerator(seed: 11)

  // MARK: - Linear and convolutions

  @Test mutating func linear() throws {
    let layer = Linear(inputSize: 3, outputSize: 2, using: &rng)
    try LayerGradCheck.run("Linear", layer, input: inputs.uniform([2, 3])) { layer($0) }
  }

  @Test mutating func conv1d() throws {
    let layer = Conv1d(inputChannels: 2, outputChannels: 2, kernelSize: 3, stride: 2, padding: .same, using: &rng)
    try LayerGradCheck.run("Conv1d", layer, input: inputs.uniform([2, 2, 5])) { layer($0) }
  }

  @Test mutating func conv2d() throws {
    let layer = Conv2d(inputChannels: 2, outputChannels: 2, kernelSize: [3, 2], stride: 2, padding: .same, using: &rng)
    try LayerGradCheck.run("Conv2d same stride 2", layer, input: inputs.uniform([1, 2, 4, 5])) { layer($0) }
    let grouped = Conv2d(inputChannels: 4, outputChannels: 2, kernelSize: 2, padding: .symmetric(1), dilation: 2,
                         groups: 2, bias: false, using: &rng)
    try LayerGradCheck.run("Conv2d groups 2", grouped, input: inputs.uniform([1, 4, 3, 3])) { grouped($0) }
  }

  @Test mutating func convTranspose1d() throws {
    let layer = ConvTranspose1d(inputChannels: 2, outputChannels: 2, kernelSize: 3, stride: 2, padding: .symmetric(1),
                                outputPadding: 1, using: &rng)
    try LayerGradCheck.run("ConvTranspose1d", layer, input: inputs.uniform([2, 2, 3])) { layer($0) }
  }

  @Test mutating func convTranspose2d() throws {
    let layer = ConvTranspose2d(inputChannels: 2, outputChannels: 2, kernelSize: [3, 4], stride: 2, padding: .same,
                                using: &rng)
    try LayerGradCheck.run("ConvTranspose2d same stride 2", layer, input: inputs.uniform([1, 2, 2, 2])) { layer($0) }
  }

  // MARK: - Normalisation

  @Test mutating func batchNorm() throws {
    let bn2 = BatchNorm2d(featureCount: 2)
    try LayerGradCheck.run("BatchNorm2d train", bn2, input: inputs.uniform([2, 2, 2, 2])) { bn2($0) }
    bn2.eval()
    try LayerGradCheck.run("BatchNorm2d eval", bn2, input: inputs.uniform([2, 2, 2, 2])) { bn2($0) }
    let bn1 = BatchNorm1d(featureCount: 3)
    try LayerGradCheck.run("BatchNorm1d [N, C]", bn1, input: inputs.uniform([4, 3])) { bn1($0) }
    try LayerGradCheck.run("BatchNorm1d [N, C, L]", bn1, input: inputs.uniform([2, 3, 3])) { bn1($0) }
  }

  @Test mutating func layerAndGroupNorm() throws {
    let ln = LayerNorm(4)
    try LayerGradCheck.run("LayerNorm [4]", ln, input: inputs.uniform([2, 3, 4])) { ln($0) }
    let ln2 = LayerNorm(normalizedShape: [2, 3])
    try LayerGradCheck.run("LayerNorm [2, 3]", ln2, input: inputs.uniform([2, 2, 3])) { ln2($0) }
    let gn = GroupNorm(groupCount: 2, channelCount: 4)
    try LayerGradCheck.run("GroupNorm", gn, input: inputs.uniform([2, 4, 2, 2])) { gn($0) }
  }

  // MARK: - Dropout, embedding, reshaping, activations

  @Test mutating func dropoutWithAFixedMask() throws {
    let drop = Dropout(p: 0.5, seed: 3)
    try LayerGradCheck.run("Dropout", drop, input: inputs.uniform([3, 4])) { x in
      drop.randomSource.generator = SeededGenerator(seed: 3)  // the same mask at every evaluation
      return drop(x)
    }
  }

  @Test mutating func embedding() throws {
    let emb = Embedding(count: 5, dimension: 3, using: &rng)
    let ids = try IndexTensor(shape: [2, 3], [0, 4, 2, 2, 1, 0])  // 3 unused, 0 and 2 repeated
    try LayerGradCheck.run("Embedding", emb, input: nil) { _ in emb(ids) * emb(ids) }
  }

  @Test mutating func reshaping() throws {
    let flatten = Flatten(), reshape = Reshape([3, -1])
    try LayerGradCheck.run("Flatten+Reshape", flatten, input: inputs.uniform([2, 3, 2])) {
      reshape(flatten($0)).squared()
    }
  }

  @Test mutating func activations() throws {
    let smooth: [(String, any UnaryLayer)] = [
      ("Sigmoid", Sigmoid()), ("Tanh", Tanh()), ("GELU", GELU()), ("GELU tanh", GELU(approximate: true)),
      ("SiLU", SiLU()), ("Softplus", Softplus()), ("Softmax", Softmax(axis: 0)), ("LogSoftmax", LogSoftmax()),
    ]
    for (name, layer) in smooth {
      try LayerGradCheck.run(name, layer, input: inputs.uniform([2, 3])) { layer($0) }
    }
    for (name, layer) in [("ReLU", ReLU()), ("LeakyReLU", LeakyReLU(slope: 0.2))] as [(String, any UnaryLayer)] {
      try LayerGradCheck.run(name, layer, input: inputs.awayFromZero([2, 3])) { layer($0) }
    }
  }

  // MARK: - Spectral normalisation

  @Test mutating func spectralNorm() throws {
    // Evaluation mode keeps u and v fixed, so f is deterministic; the gradient still runs through σ.
    let sn = SpectralNorm(Linear(inputSize: 3, outputSize: 2, using: &rng), using: &rng)
    sn.eval()
    try LayerGradCheck.run("SpectralNorm(Linear)", sn, input: inputs.uniform([2, 3])) { sn($0) }
    let snt = SpectralNorm(
      ConvTranspose2d(inputChannels: 2, outputChannels: 2, kernelSize: 2, stride: 2, using: &rng), using: &rng)
    snt.eval()
    try LayerGradCheck.run("SpectralNorm(ConvTranspose2d)", snt, input: inputs.uniform([1, 2, 2, 2])) { snt($0) }
  }
}
