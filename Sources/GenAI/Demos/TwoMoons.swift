import Foundation

/// The built-in demo: a small network learns to separate two interleaved half-moons.
///
/// Everything it touches is real engine code (tensors, autodiff, BLAS products, the fused
/// softmax cross-entropy) and it needs no data files, so it runs on a fresh machine.

/// Two interleaved half-circles in 2-D with Gaussian noise, class 0 and class 1.
public struct TwoMoons: Sendable {
  /// Points `[N, 2]`.
  public let points: Tensor
  /// Classes `[N]`, 0 or 1.
  public let labels: IndexTensor

  /// `count` points (half per moon) with noise of standard deviation `noise`, from `seed`.
  public init(count: Int, noise: Float = 0.1, seed: UInt64) {
    require(count > 0, "[TwoMoons] count must be positive, got \(count)")
    var rng = SeededGenerator(seed: seed)
    var xy: [Float] = []
    var classes: [Int] = []
    for i in 0..<count {
      let moon = i % 2
      let t = Float.pi * rng.nextUniform()
      let (x, y) = moon == 0 ? (Float(cos(Double(t))), Float(sin(Double(t)))) : (1 - Float(cos(Double(t))), 0.5 - Float(sin(Double(t))))
      let n = Tensor.randn([2], std: noise, using: &rng).scalars
      xy += [x + n[0], y + n[1]]
      classes.append(moon)
    }
    points = (try? Tensor(shape: [count, 2], xy)) ?? Tensor.zeros([count, 2])
    labels = IndexTensor(classes)
  }
}

/// A two-hidden-layer tanh MLP `2 → H → H → 2` trained with Adam on full batches.
public final class TwoMoonsClassifier {
  /// Weights and biases in order: `w1 [2, H]`, `b1 [H]`, `w2 [H, H]`, `b2 [H]`, `w3 [H, 2]`, `b3 [2]`.
  public let parameters: [Tensor]
  private var m: [Tensor]
  private var v: [Tensor]
  private var step = 0

  /// A classifier with `hidden` units per layer, initialised (Glorot-style) from `seed`.
  public init(hidden: Int = 32, seed: UInt64) {
    var rng = SeededGenerator(seed: seed)
    func layer(_ i: Int, _ o: Int) -> [Tensor] {
      [Tensor.randn([i, o], std: (2 / Float(i + o)).squareRoot(), using: &rng).requiringGrad(),
       Tensor.zeros([o]).requiringGrad()]
    }
    parameters = layer(2, hidden) + layer(hidden, hidden) + layer(hidden, 2)
    m = parameters.map { Tensor.zeros($0.shape) }
    v = parameters.map { Tensor.zeros($0.shape) }
  }

  /// Class logits `[N, 2]` for points `[N, 2]`.
  public func logits(_ x: Tensor) -> Tensor {
    let p = parameters
    let h1 = (x.matmul(p[0]) + p[1]).tanh()
    let h2 = (h1.matmul(p[2]) + p[3]).tanh()
    return h2.matmul(p[4]) + p[5]
  }

  /// One Adam step on the mean cross-entropy; returns the loss before the step.
  /// - Throws: `AutodiffError` if the loss is not finite.
  @discardableResult
  public func trainStep(_ data: TwoMoons, learningRate: Float = 0.01) throws -> Float {
    let loss = logits(data.points).softmaxCrossEntropy(targets: data.labels)
    for p in parameters { p.zeroGrad() }
    try loss.backward()
    step += 1
    let (b1, b2, eps): (Float, Float, Float) = (0.9, 0.999, 1e-8)
    let c1 = 1 - Float(pow(Double(b1), Double(step))), c2 = 1 - Float(pow(Double(b2), Double(step)))
    withNoGrad {
      for (i, p) in parameters.enumerated() {
        guard let g = p.grad else { continue }
        let gs = g.scalars
        m[i].withUnsafeMutableBufferPointer { mb in
          v[i].withUnsafeMutableBufferPointer { vb in
            p.withUnsafeMutableBufferPointer { pb in
              for j in 0..<pb.count {
                mb[j] = b1 * mb[j] + (1 - b1) * gs[j]
                vb[j] = b2 * vb[j] + (1 - b2) * gs[j] * gs[j]
                pb[j] -= learningRate * (mb[j] / c1) / ((vb[j] / c2).squareRoot() + eps)
              }
            }
          }
        }
      }
    }
    return loss.item
  }

  /// Share of points classified correctly.
  public func accuracy(_ data: TwoMoons) -> Float {
    let predicted = withNoGrad { logits(data.points).argmax(axis: 1) }
    let hits = zip(predicted.values, data.labels.values).filter { $0 == $1 }.count
    return Float(hits) / Float(data.labels.count)
  }

  /// A text picture of the decision regions (`·` class 0, `:` class 1) with the data on top
  /// (`o` class 0, `x` class 1), `width × height` characters over x ∈ [−1.5, 2.5], y ∈ [−1, 1.5].
  public func asciiMap(_ data: TwoMoons, width: Int = 64, height: Int = 20) -> String {
    var grid: [Float] = []
    for r in 0..<height {
      for c in 0..<width {
        grid += [-1.5 + 4 * (Float(c) + 0.5) / Float(width), 1.5 - 2.5 * (Float(r) + 0.5) / Float(height)]
      }
    }
    let cells = (try? Tensor(shape: [width * height, 2], grid)) ?? Tensor.zeros([width * height, 2])
    let regions = withNoGrad { logits(cells).argmax(axis: 1) }.values
    var chars = regions.map { $0 == 0 ? Character("·") : Character(":") }
    let pts = data.points.scalars
    for (i, label) in data.labels.values.enumerated() {
      let c = Int(((pts[2 * i] + 1.5) / 4 * Float(width)).rounded(.down))
      let r = Int(((1.5 - pts[2 * i + 1]) / 2.5 * Float(height)).rounded(.down))
      if c >= 0 && c < width && r >= 0 && r < height { chars[r * width + c] = label == 0 ? "o" : "x" }
    }
    return (0..<height).map { String(chars[($0 * width)..<(($0 + 1) * width)]) }.joined(separator: "\n")
  }
}
