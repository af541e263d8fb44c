import GenAITensor

/// An exponential moving average of weights, kept as shadow copies: after each optimiser step,
/// `shadow = decay · shadow + (1 − decay) · parameter`.
///
/// Sampling a GAN generator (or evaluating any model) with averaged weights gives smoother,
/// usually better outputs than the last iterate. The shadows start as copies of the parameters.
///
/// ```swift
/// let ema = ExponentialMovingAverage(parameters: generator.parameters(), decay: 0.999)
/// for _ in 0..<steps {
///   ...; optimizerG.step()
///   ema.update()
/// }
/// let samples = ema.withAveragedParameters { withNoGrad { generator(noise) } }
/// ```
///
/// With `warmup`, the decay used at update `n` (counting from 0) is `min(decay, (1 + n) / (10 + n))`,
/// as TensorFlow's `ExponentialMovingAverage(num_updates:)`, so early averages are not dominated
/// by the random initial weights.
///
/// Buffers such as BatchNorm running statistics may be listed too; they are averaged the same way.
///
/// References:
/// - Polyak & Juditsky, "Acceleration of Stochastic Approximation by Averaging", SIAM J. Control
///   and Optimization 30(4), 1992.
/// - Yazıcı et al., "The Unusual Effectiveness of Averaging in GAN Training", ICLR 2019,
///   arXiv:1806.04498.
/// - Karras et al., "Progressive Growing of GANs for Improved Quality, Stability, and Variation",
///   ICLR 2018, arXiv:1710.10196 (generator weight averaging).
public final class ExponentialMovingAverage {
  /// The tensors averaged, in the order their shadows are saved.
  public let parameters: [Tensor]
  /// The averages, one per parameter with its shape; plain tensors (no gradient).
  public let shadows: [Tensor]
  /// Weight `decay` of the old average at each update, in `[0, 1]`.
  public var decay: Float
  /// Whether the decay ramps up as `(1 + n) / (10 + n)` over the first updates.
  public let warmup: Bool
  /// Number of `update` calls so far.
  public private(set) var updateCount = 0

  /// Tracks `parameters`, starting every shadow as a copy of its parameter.
  /// - Parameters:
  ///   - parameters: the tensors to average, each listed once.
  ///   - decay: weight of the old average, in `[0, 1]`; 0.999 is common for GAN generators.
  ///   - warmup: ramp the decay up over the first updates (TensorFlow's `num_updates`).
  public convenience init(parameters: [Tensor], decay: Float = 0.999, warmup: Bool = false) {
    self.init(parameters: parameters, shadows: parameters.map { $0.copy() }, decay: decay, warmup: warmup)
  }

  /// Averages `parameters` into `shadows`, existing tensors of the same shapes that become the
  /// averages, e.g. the tensors of a copy of the model: checkpoints then save the averages as that
  /// model's weights. The shadows keep their values (start them as copies of the parameters).
  /// - Precondition: one shadow per parameter, shapes matching, each listed once.
  public init(parameters: [Tensor], shadows: [Tensor], decay: Float = 0.999, warmup: Bool = false) {
    require(decay >= 0 && decay <= 1, "[ExponentialMovingAverage] decay must be in [0, 1], got \(decay)")
    requireDistinct(parameters, "ExponentialMovingAverage")
    requireDistinct(shadows, "ExponentialMovingAverage")
    self.parameters = parameters
    self.shadows = shadows
    self.decay = decay
    self.warmup = warmup
    requireMatching(shadows, "init")
  }

  /// An average of `model`'s tensors (weights and buffers such as batch-norm statistics) kept in
  /// `copy`, a twin built with the same initial values, which is frozen and put in evaluation
  /// mode: the copy is then the averaged model, to sample from and to save in checkpoints.
  /// - Precondition: `copy` has `model`'s tensors, names and shapes.
  public convenience init(averaging model: Module, into copy: Module, decay: Float) {
    copy.freeze()
    copy.eval()
    self.init(parameters: model.namedTensors().map(\.1), shadows: copy.namedTensors().map(\.1), decay: decay)
  }

  /// The decay the next `update` uses.
  public var currentDecay: Float { warmup ? Self.warmedUp(decay, updates: updateCount) : decay }

  /// `min(decay, (1 + n) / (10 + n))` after `n` updates: the warm-up ramp (TensorFlow's
  /// `num_updates`), for a caller that counts updates itself (`update(decay:)`).
  public static func warmedUp(_ decay: Float, updates n: Int) -> Float {
    Swift.min(decay, Float((1 + Double(n)) / (10 + Double(n))))
  }

  /// Moves every shadow towards its parameter: `s = d · s + (1 − d) · p`.
  public func update() { update(decay: currentDecay) }

  /// Moves every shadow towards its parameter with decay `d` instead of `currentDecay`, for a
  /// caller that derives the decay from a count of its own (one a checkpoint restores).
  public func update(decay d: Float) {
    let w = 1 - d
    updateCount += 1
    for (p, s) in zip(parameters, shadows) {
      let pb = p.storage.base
      let sb = s.storage.base
      parallelFor(p.count) { r in for i in r { sb[i] = d * sb[i] + w * pb[i] } }
    }
  }

  /// Copies the averages into `targets` (by default the tracked parameters), e.g. into a separate
  /// evaluation copy of the model.
  /// - Precondition: `targets` matches `parameters` in count and shapes.
  public func copyTo(_ targets: [Tensor]? = nil) {
    let targets = targets ?? parameters
    requireMatching(targets, "copyTo")
    for (s, t) in zip(shadows, targets) { copyValues(from: s, to: t) }
  }

  /// Exchanges the values of every parameter with its shadow: after one call the parameters hold
  /// the averages, after a second the trained values again. Cheap (no allocation).
  public func swap() {
    for (p, s) in zip(parameters, shadows) {
      let a = p.storage.base
      let b = s.storage.base
      for i in 0..<p.count {
        let x = a[i]
        a[i] = b[i]
        b[i] = x
      }
    }
  }

  /// Runs `body` with the averages swapped into the parameters, then swaps the trained values back
  /// (also when `body` throws).
  public func withAveragedParameters<R>(_ body: () throws -> R) rethrows -> R {
    swap()
    defer { swap() }
    return try body()
  }

  /// Copies of the shadows, `"<i>.shadow"`, and the update count `"num_updates"` (`[1]`, exact up
  /// to 2^24 updates).
  public func stateDict() -> [String: Tensor] {
    var out: [String: Tensor] = ["num_updates": Tensor([Float(updateCount)])]
    for (i, s) in shadows.enumerated() { out["\(i).shadow"] = s.copy() }
    return out
  }

  /// Restores what `stateDict()` returned.
  /// - Throws: `StateDictError` naming missing, unexpected or mis-shaped keys; `StateValueError`
  ///   when the count is not a whole number. Nothing changes when it throws.
  public func load(stateDict state: [String: Tensor]) throws {
    var expected: [(String, [Int])] = [("num_updates", [1])]
    for (i, s) in shadows.enumerated() { expected.append(("\(i).shadow", s.shape)) }
    try checkKeys(state, expected: expected)
    let n = try storedCount(state, "num_updates")
    for (i, s) in shadows.enumerated() {
      if let src = state["\(i).shadow"] { copyValues(from: src, to: s) }
    }
    updateCount = n
  }

  private func requireMatching(_ targets: [Tensor], _ op: String) {
    require(
      targets.count == shadows.count,
      "[ExponentialMovingAverage.\(op)] \(targets.count) tensors for \(shadows.count) shadows")
    for (i, (s, t)) in zip(shadows, targets).enumerated() {
      require(
        s.shape == t.shape,
        "[ExponentialMovingAverage.\(op)] tensor \(i) has shape \(t.shape), its shadow \(s.shape)")
    }
  }
}
