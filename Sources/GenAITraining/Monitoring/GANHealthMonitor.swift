import Foundation
import GenAITensor

/// Watches a GAN's training for the usual failures and says which signal fired:
/// - **near-duplicates**: more than half of the pairs of fixed-noise samples closer than a quarter
///   of the median distance between real images, after they were once varied (mode collapse: G
///   ignores z);
/// - **discriminator pinned**: D's accuracy on real and on fake images both at least 0.99 on
///   average over the last `window` steps (G gets no useful gradient);
/// - **exploding losses**: one of `watchedLosses` above `lossLimit` (a BCE of 20 means a logit
///   of ±20);
/// - **exploding gradients**: the global gradient norm at a check non-finite or above 20 times the
///   median of the earlier checks' norms (at least 5 of them);
/// - **coverage falling**: the feature network sees less than 60% of the best class coverage so far.
///
/// The trainer feeds it each step's losses and each evaluation's coverage, asks `diagnose` every
/// `checkEvery` steps with fresh fixed-noise samples, and applies its `MonitorPolicy`.
public final class GANHealthMonitor {
  /// What to do when a signal fires.
  public let policy: MonitorPolicy
  /// Steps between checks.
  public let checkEvery: Int
  /// Steps after an action before the monitor acts again (lets the fix take effect).
  public let cooldown: Int
  /// Steps the accuracy signal averages over.
  public let window: Int
  /// The loss above which training is said to explode.
  public let lossLimit: Float
  /// The logged losses compared with `lossLimit` (`nil`: every logged value), e.g. a recipe's
  /// `AdversarialRecipe.adversarialLosses`.
  public let watchedLosses: Set<String>?
  /// Steps after which near-identical samples count as collapse even if they were never varied.
  public var settleSteps = 500
  /// Fixed-noise sample pairs closer than this are near-duplicates (a quarter of the median
  /// distance between real images).
  public let duplicateRadius: Double

  private var recent: [[String: Float]] = []
  private var gradientNorms: [Float] = []
  /// Whether the fixed-noise samples were ever varied: samples that never were (a generator
  /// still at its start) have not collapsed.
  private var wasDiverse = false
  private var bestCoverage: Double?
  private var lastCoverage: Double?
  /// The step of the last action, if any.
  public private(set) var lastActionStep: Int?
  /// Actions taken so far.
  public private(set) var actionCount = 0

  /// A monitor calibrated on `realImages` `[N, C, H, W]` (N ≥ 2, e.g. one training batch).
  public init(
    policy: MonitorPolicy, realImages: Tensor, checkEvery: Int = 50, cooldown: Int = 200, window: Int = 100, lossLimit: Float = 20,
    watchedLosses: Set<String>? = nil
  ) {
    self.policy = policy
    self.watchedLosses = watchedLosses
    self.checkEvery = max(1, checkEvery)
    self.cooldown = cooldown
    self.window = max(1, window)
    self.lossLimit = lossLimit
    let distances = Self.pairwiseDistances(realImages).sorted()
    duplicateRadius = distances.isEmpty ? 0 : 0.25 * distances[distances.count / 2]
  }

  /// Records one step's losses.
  public func observe(losses: [String: Float]) {
    recent.append(losses)
    if recent.count > window { recent.removeFirst(recent.count - window) }
  }

  /// Records the global gradient norm of a check step (see `gradientNorm(_:)`).
  public func observe(gradientNorm: Float) { gradientNorms.append(gradientNorm) }

  /// Records an evaluation's class coverage.
  public func observe(coverage: Double) {
    lastCoverage = coverage
    bestCoverage = max(bestCoverage ?? coverage, coverage)
  }

  /// The share of pairs of `samples` `[N, ...]` closer than `duplicateRadius`; with `labels`
  /// (a conditional model's classes) only pairs of the same class count, so a model that draws
  /// one image per class is caught too.
  public func nearDuplicateShare(_ samples: Tensor, labels: [Int]? = nil) -> Double {
    let d = Self.pairwiseDistances(samples, labels: labels)
    guard !d.isEmpty else { return 0 }
    return Double(d.filter { $0 < duplicateRadius }.count) / Double(d.count)
  }

  /// The signal that fires at `step`, described with its value and limit, or `nil` when healthy
  /// (or when not due: between checks, or within `cooldown` of the last action).
  /// - Parameter fixedSamples: fresh samples `[N, C, H, W]` from the fixed noise, and their
  ///   classes for a conditional model.
  public func diagnose(step: Int, fixedSamples: () -> (Tensor, [Int]?)) -> String? {
    guard policy.enabled, step % checkEvery == 0 else { return nil }
    if let last = lastActionStep, step - last < cooldown { return nil }
    // Every signal that fires is reported, so the log says all that was wrong at once.
    var reasons: [String] = []
    let watched = recent.last?.filter { watchedLosses?.contains($0.key) ?? true } ?? [:]
    if let bad = watched.first(where: { !$0.value.isFinite || $0.value > lossLimit }) {
      reasons.append(String(format: "exploding losses: %@ = %.3g (limit %.0f)", bad.key, bad.value, lossLimit))
    }
    if let norm = gradientNorms.last {
      let earlier = gradientNorms.dropLast().sorted()
      if !norm.isFinite {
        reasons.append("exploding gradients: the gradient norm is \(norm)")
      } else if earlier.count >= 5, norm > 20 * earlier[earlier.count / 2] {
        reasons.append(String(format: "exploding gradients: norm %.3g, over 20 times the median %.3g of earlier checks", norm, earlier[earlier.count / 2]))
      }
    }
    let (samples, labels) = fixedSamples()
    let share = nearDuplicateShare(samples, labels: labels)
    if share <= 0.5 { wasDiverse = true }
    // Early eval-mode samples all look alike until batch norm's running statistics settle:
    // only flag samples that were varied once, or after `settleSteps`.
    if share > 0.5 && (wasDiverse || step >= settleSteps) {
      reasons.append(String(
        format: "near-duplicates: %.2f of fixed-noise sample pairs%@ within %.3g of each other (limit 0.50)", share,
        labels == nil ? "" : " of the same class", duplicateRadius))
    }
    if recent.count >= window {
      let real = recent.compactMap { $0["d_acc_real"] }
      let fake = recent.compactMap { $0["d_acc_fake"] }
      if real.count == window, fake.count == window {
        let r = real.reduce(0, +) / Float(window)
        let f = fake.reduce(0, +) / Float(window)
        if r >= 0.99 && f >= 0.99 {
          reasons.append(String(format: "discriminator pinned: accuracy %.3f on real and %.3f on fake over the last %d steps (limit 0.99)", r, f, window))
        }
      }
    }
    if let last = lastCoverage, let best = bestCoverage, last < 0.6 * best {
      reasons.append(String(format: "coverage falling: %.2f of classes, best so far %.2f (limit 60%% of best)", last, best))
    }
    return reasons.isEmpty ? nil : reasons.joined(separator: "; ")
  }

  /// Notes that the trainer acted at `step` (starts the cool-down, forgets the window).
  public func acted(at step: Int) {
    lastActionStep = step
    actionCount += 1
    recent.removeAll()
    lastCoverage = nil
    gradientNorms.removeAll()
  }

  /// Euclidean distances between all pairs of rows of `x` `[N, ...]` (of the same label when given).
  static func pairwiseDistances(_ x: Tensor, labels: [Int]? = nil) -> [Double] {
    let n = x.shape.first ?? 0
    guard n >= 2 else { return [] }
    let d = x.count / n
    let s = x.scalars
    var out = [Double]()
    out.reserveCapacity(n * (n - 1) / 2)
    for i in 0..<n {
      for j in (i + 1)..<n where labels.map({ $0[i] == $0[j] }) ?? true {
        var sum: Float = 0
        for k in 0..<d {
          let diff = s[i * d + k] - s[j * d + k]
          sum += diff * diff
        }
        out.append(Double(sum).squareRoot())
      }
    }
    return out
  }
}
