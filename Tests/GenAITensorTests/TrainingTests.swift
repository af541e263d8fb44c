import Foundation
import Testing

@testable import GenAITensor

/// End-to-end training with the engine alone: parameters made by hand, optimisers written inline
/// (there is no optimiser library yet). Each run is repeated to check that training is bitwise
/// deterministic for a fixed seed.

/// Adam (Kingma & Ba) over a list of parameters, updating their storage in place.
private struct TrainingAdam {
  var lr: Float
  let beta1: Float = 0.9, beta2: Float = 0.999, epsilon: Float = 1e-8
  var m: [[Float]], v: [[Float]]
  var t = 0

  init(_ parameters: [Tensor], lr: Float) {
    self.lr = lr
    m = parameters.map { [Float](repeating: 0, count: $0.count) }
    v = m
  }

  mutating func step(_ parameters: [Tensor]) {
    t += 1
    let c1 = 1 - Foundation.pow(beta1, Float(t)), c2 = 1 - Foundation.pow(beta2, Float(t))
    for (k, p) in parameters.enumerated() {
      guard let g = p.grad else { continue }
      let pp = p.storage.base, gp = g.storage.base
      for i in 0..<p.count {
        m[k][i] = beta1 * m[k][i] + (1 - beta1) * gp[i]
        v[k][i] = beta2 * v[k][i] + (1 - beta2) * gp[i] * gp[i]
        pp[i] -= lr * (m[k][i] / c1) / ((v[k][i] / c2).squareRoot() + epsilon)
      }
      p.zeroGrad()
    }
  }
}

/// Plain SGD written with tensor ops under no-grad.
private func trainingSGD(_ parameters: [Tensor], lr: Float) {
  withNoGrad {
    for p in parameters {
      guard let g = p.grad else { continue }
      let updated = p - g * lr
      p.storage.base.update(from: updated.storage.base, count: p.count)
      p.zeroGrad()
    }
  }
}

/// A two-layer perceptron `act(x W1 + b1) W2 + b2` with scaled Gaussian initialisation.
private struct TrainingMLP {
  let w1: Tensor, b1: Tensor, w2: Tensor, b2: Tensor
  let relu: Bool
  var parameters: [Tensor] { [w1, b1, w2, b2] }

  init(inputs: Int, hidden: Int, outputs: Int, relu: Bool, rng: inout SeededGenerator) {
    self.relu = relu
    w1 = Tensor.randn([inputs, hidden], std: (2 / Float(inputs)).squareRoot(), using: &rng).requiringGrad()
    b1 = Tensor.zeros([hidden]).requiringGrad()
    w2 = Tensor.randn([hidden, outputs], std: (1 / Float(hidden)).squareRoot(), using: &rng).requiringGrad()
    b2 = Tensor.zeros([outputs]).requiringGrad()
  }

  func callAsFunction(_ x: Tensor) -> Tensor {
    let pre = x.matmul(w1) + b1
    return (relu ? pre.relu() : pre.tanh()).matmul(w2) + b2
  }
}

@Suite struct TrainingTests {
  // MARK: XOR

  struct XORRun: Equatable {
    var losses: [Float]
    var finalLoss: Float
    var accuracy: Float
    var parameters: [[Float]]
  }

  static func trainXOR(seed: UInt64, adam: Bool) throws -> XORRun {
    var rng = SeededGenerator(seed: seed)
    let x = try Tensor(shape: [4, 2], [0, 0, 0, 1, 1, 0, 1, 1])
    let y = try Tensor(shape: [4, 1], [0, 1, 1, 0])
    let model = TrainingMLP(inputs: 2, hidden: 8, outputs: 1, relu: false, rng: &rng)
    var optimiser = TrainingAdam(model.parameters, lr: 0.05)
    var losses: [Float] = []
    for _ in 0..<(adam ? 100 : 200) {
      let loss = model(x).binaryCrossEntropy(withLogitsTargets: y)
      losses.append(loss.item)
      try loss.backward()
      if adam { optimiser.step(model.parameters) } else { trainingSGD(model.parameters, lr: 1.0) }
    }
    let logits = withNoGrad { model(x) }
    let predictions = logits .> 0
    let accuracy = withNoGrad { (predictions .== y).mean().item }
    let finalLoss = withNoGrad { logits.binaryCrossEntropy(withLogitsTargets: y).item }
    return XORRun(losses: losses, finalLoss: finalLoss, accuracy: accuracy, parameters: model.parameters.map(\.scalars))
  }

  @Test(arguments: [true, false])
  func xorIsLearnedDeterministically(adam: Bool) throws {
    let first = try Self.trainXOR(seed: 42, adam: adam)
    #expect(first.accuracy == 1, "accuracy \(first.accuracy)")
    #expect(first.finalLoss < 0.05, "final loss \(first.finalLoss)")
    #expect(first.losses.first! > 0.5)
    let second = try Self.trainXOR(seed: 42, adam: adam)
    // Bitwise identical: compare bit patterns, not values within a tolerance.
    #expect(first.finalLoss.bitPattern == second.finalLoss.bitPattern)
    #expect(first.losses.map(\.bitPattern) == second.losses.map(\.bitPattern))
    #expect(first.parameters.map { $0.map(\.bitPattern) } == second.parameters.map { $0.map(\.bitPattern) })
    // A different seed gives a different run.
    let other = try Self.trainXOR(seed: 43, adam: adam)
    #expect(other.losses != first.losses)
  }

  // MARK: Two moons

  /// Two interleaved half circles, `n` points each, with Gaussian noise: the upper moon is class 0,
  /// the lower (shifted) one class 1. Points come out in a seeded shuffled order.
  static func twoMoons(n: Int, noise: Float, seed: UInt64) -> (x: Tensor, labels: IndexTensor) {
    var rng = SeededGenerator(seed: seed)
    var points: [(Float, Float, Int)] = []
    for i in 0..<(2 * n) {
      let angle = Float.pi * rng.nextUniform()
      if i < n {
        points.append((Foundation.cos(angle), Foundation.sin(angle), 0))
      } else {
        points.append((1 - Foundation.cos(angle), 0.5 - Foundation.sin(angle), 1))
      }
    }
    points.shuffle(using: &rng)
    let jitter = Tensor.randn([2 * n, 2], std: noise, using: &rng).scalars
    var xy: [Float] = []
    for (i, p) in points.enumerated() { xy += [p.0 + jitter[2 * i], p.1 + jitter[2 * i + 1]] }
    let x = try! Tensor(shape: [2 * n, 2], xy)
    return (x, IndexTensor(points.map(\.2)))
  }

  static func trainMoons(seed: UInt64) throws -> (finalLoss: Float, accuracy: Float) {
    let data = twoMoons(n: 100, noise: 0.1, seed: 7)
    var rng = SeededGenerator(seed: seed)
    let model = TrainingMLP(inputs: 2, hidden: 16, outputs: 2, relu: true, rng: &rng)
    var optimiser = TrainingAdam(model.parameters, lr: 0.03)
    for _ in 0..<300 {
      let loss = model(data.x).softmaxCrossEntropy(targets: data.labels)
      try loss.backward()
      optimiser.step(model.parameters)
    }
    let logits = withNoGrad { model(data.x) }
    let predicted = logits.argmax(axis: 1).values
    let correct = zip(predicted, data.labels.values).filter { $0 == $1 }.count
    let finalLoss = withNoGrad { logits.softmaxCrossEntropy(targets: data.labels).item }
    return (finalLoss, Float(correct) / Float(predicted.count))
  }

  @Test func twoMoonsDataLooksRight() {
    let data = Self.twoMoons(n: 100, noise: 0.1, seed: 7)
    #expect(data.x.shape == [200, 2])
    #expect(data.labels.values.filter { $0 == 1 }.count == 100)
    // Same seed, same data; the classes are interleaved by the shuffle.
    #expect(Self.twoMoons(n: 100, noise: 0.1, seed: 7).x.scalars == data.x.scalars)
    #expect(Array(data.labels.values.prefix(20)).contains(0) && Array(data.labels.values.prefix(20)).contains(1))
    // Class 0 sits higher on average than class 1.
    let ys = data.x.slice(axis: 1, 1..<2).scalars
    let mean0 = zip(ys, data.labels.values).filter { $1 == 0 }.map(\.0).reduce(0, +) / 100
    let mean1 = zip(ys, data.labels.values).filter { $1 == 1 }.map(\.0).reduce(0, +) / 100
    #expect(mean0 > mean1 + 0.5)
  }

  @Test func twoMoonsClassifierReachesFullTrainingAccuracy() throws {
    let first = try Self.trainMoons(seed: 1)
    #expect(first.accuracy == 1, "training accuracy \(first.accuracy)")
    #expect(first.finalLoss < 0.1, "final loss \(first.finalLoss)")
    let second = try Self.trainMoons(seed: 1)
    #expect(first.finalLoss.bitPattern == second.finalLoss.bitPattern, "\(first.finalLoss) vs \(second.finalLoss)")
    #expect(first.accuracy == second.accuracy)
  }
}
