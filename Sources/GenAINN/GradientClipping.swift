import GenAITensor

/// Scales the gradients of `parameters` in place so that their global L2 norm is at most
/// `maxNorm`, and returns the norm they had before, as PyTorch's `clip_grad_norm_`.
///
/// The global norm is `‖g‖ = √(Σ over every parameter and element of g²)`, accumulated in Double.
/// When `maxNorm / (‖g‖ + 1e-6) < 1` every gradient is multiplied by that factor (the 1e-6 is
/// PyTorch's, so a clipped norm lands just under `maxNorm`); otherwise nothing changes.
/// Parameters without a gradient are skipped. Call it between `backward()` and `step()`:
/// ```swift
/// try loss.backward()
/// let norm = clipGradNorm(model.parameters(), maxNorm: 1)
/// optimizer.step()
/// ```
/// A gradient buffer shared by several parameters (the engine hands `a` and `b` of `a + b` the
/// same gradient storage) counts once per parameter in the norm and is scaled once.
///
/// As PyTorch with `error_if_nonfinite=False`, a NaN norm makes every gradient NaN and an infinite
/// one zeroes the finite entries (infinite ones become NaN); check the returned norm to skip such
/// a step.
///
/// - Parameters:
///   - parameters: the parameters whose `grad` is clipped, each listed once.
///   - maxNorm: the largest global norm allowed, > 0.
/// - Returns: the global norm before clipping (useful to log).
///
/// References:
/// - Pascanu, Mikolov & Bengio, "On the difficulty of training recurrent neural networks",
///   ICML 2013, arXiv:1211.5063.
@discardableResult
public func clipGradNorm(_ parameters: [Tensor], maxNorm: Float) -> Float {
  require(maxNorm > 0, "[clipGradNorm] maxNorm must be > 0, got \(maxNorm)")
  let grads = parameters.compactMap(\.grad)
  var total: Double = 0
  for s in sumsOfSquares(grads) { total += s }
  let norm = total.squareRoot()
  let coefficient = Double(maxNorm) / (norm + 1e-6)
  // `!(c >= 1)` rather than `c < 1`: a NaN factor must reach the gradients, as in PyTorch.
  if !(coefficient >= 1) {
    let factor = Float(coefficient)
    forEachDistinctGradient(grads) { b in
      guard let base = b.baseAddress else { return }
      parallelFor(b.count) { r in for i in r { base[i] = base[i] * factor } }
    }
  }
  return Float(norm)
}

/// Clamps every gradient element of `parameters` to `[-clipValue, clipValue]` in place, as
/// PyTorch's `clip_grad_value_`. NaN stays NaN. Parameters without a gradient are skipped.
///
/// - Parameters:
///   - parameters: the parameters whose `grad` is clipped.
///   - clipValue: the largest magnitude allowed, ≥ 0.
public func clipGradValue(_ parameters: [Tensor], clipValue: Float) {
  require(clipValue >= 0, "[clipGradValue] clipValue must be ≥ 0, got \(clipValue)")
  let high = clipValue
  let low = -clipValue
  forEachDistinctGradient(parameters.compactMap(\.grad)) { b in
    guard let base = b.baseAddress else { return }
    parallelFor(b.count) { r in
      for i in r {
        let x = base[i]
        base[i] = x > high ? high : (x < low ? low : x)
      }
    }
  }
}

/// `Σ x²` in Double with eight independent accumulators (a fixed order, so the result does not
/// depend on the thread count; eight chains keep the adds from waiting on each other).
/// The global L2 norm of the gradients of `parameters` (those without one count as zero), as
/// `clipGradNorm` computes it, without changing anything: what the GAN monitor watches.
public func gradientNorm(_ parameters: [Tensor]) -> Float {
  var total: Double = 0
  for g in parameters.compactMap(\.grad) { total += g.withUnsafeBufferPointer(sumOfSquares) }
  return Float(total.squareRoot())
}

func sumOfSquares(_ b: UnsafeBufferPointer<Float>) -> Double {
  guard let p = b.baseAddress else { return 0 }
  let n = b.count
  var acc = SIMD8<Double>()
  var i = 0
  while i + 8 <= n {
    let x = SIMD8<Double>(
      Double(p[i]), Double(p[i + 1]), Double(p[i + 2]), Double(p[i + 3]),
      Double(p[i + 4]), Double(p[i + 5]), Double(p[i + 6]), Double(p[i + 7]))
    acc += x * x
    i += 8
  }
  var total = acc.sum()
  while i < n {
    let x = Double(p[i])
    total += x * x
    i += 1
  }
  return total
}

/// `sumOfSquares` of each of `grads`, the gradients shared out across the thread pool in runs
/// of about equal element counts. Each sum is still worked out whole on one thread, so the
/// results are a serial loop's; most gradients are too small to split (char-gpt's hold 8-65 K
/// elements), and summing them one after another left the other cores idle.
func sumsOfSquares(_ grads: [Tensor]) -> [Double] {
  var sums = [Double](repeating: 0, count: grads.count)
  let total = grads.reduce(0) { $0 + $1.count }
  let chunks = Swift.min(ThreadPool.shared.threadCount, Swift.max(1, total / 32_768))
  sums.withUnsafeMutableBufferPointer { out in
    ThreadPool.shared.run(chunks: chunks) { chunk in
      // Gradient k belongs to the chunk its first element (in all of them in a row) falls in.
      var start = 0
      for (k, g) in grads.enumerated() {
        if start * chunks / Swift.max(total, 1) == chunk { out[k] = g.withUnsafeBufferPointer(sumOfSquares) }
        start += g.count
      }
    }
  }
  return sums
}

/// Runs `body` once per distinct gradient storage among `grads`.
func forEachDistinctGradient(_ grads: [Tensor], _ body: (UnsafeMutableBufferPointer<Float>) -> Void) {
  var seen = Set<ObjectIdentifier>()
  for g in grads where seen.insert(ObjectIdentifier(g.storage)).inserted { body(g.storage.buffer) }
}
