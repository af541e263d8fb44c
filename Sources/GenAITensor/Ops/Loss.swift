import CGenAIKernels

/// Losses. Softmax cross-entropy and binary cross-entropy with logits are fused (one stable pass
/// each way); the others are compositions of differentiable ops.

/// How a loss combines its per-element terms.
public enum Reduction: String, Sendable, CaseIterable {
  /// The average over all terms.
  case mean
  /// The sum of all terms.
  case sum
  /// No reduction: one term per element.
  case none
}

extension Tensor {
  func reduced(_ reduction: Reduction) -> Tensor {
    switch reduction {
    case .mean: return mean()
    case .sum: return sum()
    case .none: return self
    }
  }

  /// Binary cross-entropy of logits against targets in [0, 1] (broadcasting), computed stably as
  /// `max(x, 0) − x·t + log(1 + e^−|x|)`. Targets of the logits' shape take one fused pass
  /// forward and two back (`σ(x) − t`, times the incoming gradient) instead of nine element-wise
  /// ops each way; broadcast targets use the composite form.
  public func binaryCrossEntropy(withLogitsTargets targets: Tensor, reduction: Reduction = .mean) -> Tensor {
    guard targets.shape == shape else {
      return (relu() - self * targets + ((-abs()).exp() + 1).log()).reduced(reduction)
    }
    let losses = Tensor.record(
      .binaryCrossEntropyWithLogits, shape: shape, storage: Kernels.zip(self, targets, GENAI_ZIP_BCE_LOGITS),
      inputs: [self, targets]
    ) { g, _, xs in
      let (x, t) = (xs[0], xs[1])
      let dt = t.requiresGrad ? -(g * x) : nil  // ∂/∂t = −x
      if GradMode.isEnabled { return [g * (x.sigmoid() - t), dt] }
      let dx = Storage(uninitializedCount: x.count)
      Kernels.zip(x.storage.base, t.storage.base, dx.base, count: x.count, GENAI_ZIP_BCE_LOGITS_GRAD)
      Kernels.zip(dx.base, g.storage.base, dx.base, count: x.count, GENAI_ZIP_MULTIPLY)
      return [Tensor(shape: x.shape, storage: dx), dt]
    }
    return losses.reduced(reduction)
  }

  /// Softmax cross-entropy of logits `[..., C]` against integer class targets `[...]` (fused and
  /// stable: `logsumexp(x) − x[target]`).
  /// - Precondition: targets have the logits' shape without its last axis; each is in `0..<C`.
  public func softmaxCrossEntropy(targets: IndexTensor, reduction: Reduction = .mean) -> Tensor {
    require(rank >= 1 && targets.shape == Array(shape.dropLast()),
      "[softmaxCrossEntropy] targets \(shapeString(targets.shape)) must have the logits' shape \(shapeString(shape)) without its last axis")
    let c = shape[rank - 1]
    let rows = count / Swift.max(c, 1)
    if let bad = targets.values.first(where: { $0 < 0 || $0 >= c }) {
      fatalError("[softmaxCrossEntropy] target \(bad) is out of range 0..<\(c)")
    }
    let logp = Kernels.softmax(reshaped([rows, c]), axis: 1, log: true)
    let losses = Storage(uninitializedCount: rows)
    for (r, t) in targets.values.enumerated() { losses.base[r] = -logp.base[r * c + t] }
    let perRow = Tensor.record(.softmaxCrossEntropy, shape: targets.shape, storage: losses, inputs: [self]) { g, _, x in
      let onehot = Tensor.zeros([rows, c])
      for (r, t) in targets.values.enumerated() { onehot.storage.base[r * c + t] = 1 }
      let probs = x[0].reshaped([rows, c]).softmax(axis: 1)
      return [((probs - onehot) * g.reshaped([rows, 1])).reshaped(x[0].shape)]
    }
    return perRow.reduced(reduction)
  }

  /// Mean squared error against `target` (broadcasting).
  public func meanSquaredError(_ target: Tensor, reduction: Reduction = .mean) -> Tensor {
    let d = self - target
    return (d * d).reduced(reduction)
  }

  /// Mean absolute error (L1) against `target` (broadcasting).
  public func l1Loss(_ target: Tensor, reduction: Reduction = .mean) -> Tensor {
    (self - target).abs().reduced(reduction)
  }
}

/// KL divergence of the diagonal Gaussian `N(mean, exp(logVariance))` from `N(0, I)`:
/// `−½ Σ (1 + logσ² − μ² − σ²)`, summed over every axis but the first (the latent axes) and
/// averaged over the first (the batch). `mean` and `logVariance` are `[B, ...]`.
public func klDivergenceFromStandardNormal(mean: Tensor, logVariance: Tensor) -> Tensor {
  require(mean.shape == logVariance.shape,
    "[klDivergence] mean \(shapeString(mean.shape)) and logVariance \(shapeString(logVariance.shape)) differ")
  let terms = logVariance + 1 - mean * mean - logVariance.exp()
  let batch = Float(max(mean.shape.first ?? 1, 1))
  return terms.sum() * (-0.5 / batch)
}
