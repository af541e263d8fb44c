import Foundation
import Testing

@testable import GenAITensor

/// Memory tests: training steps must not leak `Storage` buffers (no reference cycles through the
/// graph), including steps that differentiate through a gradient (create-graph).
///
/// `StorageStats.liveCount` is process-wide and Swift Testing runs other suites concurrently (the
/// `.serialized` trait only orders this suite's own tests), so a reading can be disturbed by
/// another test allocating at the same moment. Three defences:
/// - each step's temporaries and each model are also checked with weak references, which no
///   other test can disturb;
/// - the live count is compared between step 5 and step 50 (and against the count before the
///   model existed) inside one attempt, and one exactly clean attempt passes; attempts repeat for
///   up to 8 s, by when the other tests have normally finished (run alone, `--filter Memory`,
///   the first attempt is exact). A leak never gives a clean attempt;
/// - only if other tests kept every attempt noisy for 8 s, the median growth over the attempts
///   must stay below 20 buffers per 45 steps: a leak of one buffer a step adds ≥ 45 to every
///   attempt (`theDetectorCatchesALeakOfOneBufferPerStep`).
@Suite(.serialized) struct MemoryTests {
  /// A 2 → 8 → 1 MLP with its data.
  final class TinyMLP {
    let w1: Tensor, b1: Tensor, w2: Tensor, b2: Tensor
    let x: Tensor, y: Tensor
    var parameters: [Tensor] { [w1, b1, w2, b2] }

    init(seed: UInt64) {
      var rng = SeededGenerator(seed: seed)
      w1 = (Tensor.randn([2, 8], using: &rng) * 0.7).requiringGrad()
      b1 = Tensor.zeros([8]).requiringGrad()
      w2 = (Tensor.randn([8, 1], using: &rng) * 0.35).requiringGrad()
      b2 = Tensor.zeros([1]).requiringGrad()
      let x = Tensor.randn([16, 2], using: &rng)
      self.x = x
      y = (x.slice(axis: 1, 0..<1) * x.slice(axis: 1, 1..<2)) .> 0
    }

    /// One step: forward, backward, SGD update under no-grad, zeroGrad. Returns weak references
    /// to the step's temporaries so the caller can check that they were freed.
    func step(lr: Float = 0.1) throws -> [() -> Tensor?] {
      weak var weakHidden: Tensor?
      weak var weakLoss: Tensor?
      weak var weakGrad: Tensor?
      let hidden = (x.matmul(w1) + b1).tanh()
      let loss = (hidden.matmul(w2) + b2).binaryCrossEntropy(withLogitsTargets: y)
      weakHidden = hidden
      weakLoss = loss
      try loss.backward()
      weakGrad = w1.grad
      withNoGrad {
        for p in parameters {
          guard let g = p.grad else { continue }
          let updated = p - g * lr
          p.storage.base.update(from: updated.storage.base, count: p.count)
          p.zeroGrad()
        }
      }
      return [{ weakHidden }, { weakLoss }, { weakGrad }]
    }
  }

  /// What `measureGrowth` saw.
  struct Growth {
    /// Some attempt had exactly the same live count at step 5 and step 50, and after teardown
    /// as before setup.
    var clean: Bool
    /// The median growth from step 5 to step 50 over the attempts made.
    var median: Int
    var attempts: [String]
  }

  /// Runs `attempt` (which returns the live counts at step 5, at step 50, before setup and after
  /// teardown) until one attempt is clean: at least `tries` times, and for as long as `patience`
  /// allows, since another test building a large graph can keep every reading moving for a while.
  func measureGrowth(
    tries: Int = 15, patience: Duration = .seconds(8),
    _ attempt: () throws -> (atStep5: Int, atStep50: Int, before: Int, after: Int)
  ) rethrows -> Growth {
    var deltas: [Int] = []
    var seen: [String] = []
    let clock = ContinuousClock()
    let start = clock.now
    while deltas.count < tries || clock.now - start < patience {
      let r = try attempt()
      let delta = r.atStep50 - r.atStep5
      if delta == 0 && r.before == r.after { return Growth(clean: true, median: 0, attempts: seen) }
      deltas.append(delta)
      if seen.count < 20 { seen.append("\(delta) over 45 steps, \(r.after - r.before) after teardown") }
    }
    return Growth(clean: false, median: deltas.sorted()[deltas.count / 2], attempts: seen)
  }

  /// Passes on a clean attempt. If other tests never left the process quiet for a whole attempt
  /// within the patience, falls back to the median growth over 45 steps: a leak of one buffer a
  /// step adds ≥ 45 to every attempt.
  func expectNoGrowth(
    _ what: String, sourceLocation: SourceLocation = #_sourceLocation,
    _ attempt: () throws -> (atStep5: Int, atStep50: Int, before: Int, after: Int)
  ) rethrows {
    let g = try measureGrowth(attempt)
    if g.clean { return }
    #expect(
      g.median < 20,
      "\(what): live Storage count grew by a median of \(g.median) over 45 steps: \(g.attempts)",
      sourceLocation: sourceLocation)
  }

  @Test func theDetectorCatchesALeakOfOneBufferPerStep() throws {
    var leaked: [Tensor] = []
    // 15 tries: the median must hold even when a parallel test frees buffers during some of them.
    let g = measureGrowth(tries: 15, patience: .zero) {
      let before = StorageStats.liveCount
      var c5 = 0, c50 = 0
      for i in 1...50 {
        leaked.append(Tensor([Float(i)]))
        if i == 5 { c5 = StorageStats.liveCount }
        if i == 50 { c50 = StorageStats.liveCount }
      }
      return (c5, c50, before, StorageStats.liveCount)
    }
    #expect(!g.clean && g.median >= 20, "\(g.attempts)")
    leaked.removeAll()
  }

  @Test func mlpTrainingStepsReturnToBaseline() throws {
    try expectNoGrowth("MLP steps") {
      let before = StorageStats.liveCount
      var c5 = 0, c50 = 0
      weak var weakW1: Tensor?
      weak var weakX: Tensor?
      do {
        let model = TinyMLP(seed: 3)
        weakW1 = model.w1
        weakX = model.x
        for i in 1...50 {
          let refs = try model.step()
          for (k, ref) in refs.enumerated() {
            #expect(ref() == nil, "step \(i): temporary \(k) outlived its step")
          }
          if i == 5 { c5 = StorageStats.liveCount }
          if i == 50 { c50 = StorageStats.liveCount }
        }
        #expect(model.parameters.allSatisfy { $0.grad == nil && $0.isLeaf && $0.requiresGrad })
      }
      #expect(weakW1 == nil && weakX == nil, "the model outlived its scope")
      return (c5, c50, before, StorageStats.liveCount)
    }
  }

  @Test func mlpTrainingActuallyLearns() throws {
    // Guard against a vacuous memory test: the steps above do real work.
    let model = TinyMLP(seed: 3)
    func loss() -> Float {
      withNoGrad {
        ((model.x.matmul(model.w1) + model.b1).tanh().matmul(model.w2) + model.b2)
          .binaryCrossEntropy(withLogitsTargets: model.y).item
      }
    }
    let first = loss()
    for _ in 0..<50 { _ = try model.step(lr: 0.5) }
    #expect(loss() < first)
  }

  @Test func gradientPenaltyStepsReturnToBaseline() throws {
    try expectNoGrowth("WGAN-GP steps") {
      let before = StorageStats.liveCount
      var c5 = 0, c50 = 0
      do {
        let critic = ADCritic(.tanh, seed: 4)
        var rng = SeededGenerator(seed: 8)
        let x = Tensor.randn([4, 3], using: &rng).requiringGrad()
        for i in 1...50 {
          weak var weakPenalty: Tensor?
          weak var weakFirstOrder: Tensor?
          do {
            let d = critic(x).sum()
            let g = try gradients(of: d, withRespectTo: [x], createGraph: true)[0]
            weakFirstOrder = g
            let p = ADCritic.penalty(ofGradient: g) + d * 0.01  // critic loss plus penalty
            weakPenalty = p
            try p.backward()
          }
          #expect(weakPenalty == nil && weakFirstOrder == nil, "step \(i): the double-backward graph outlived its step")
          withNoGrad {
            for q in critic.parameters {
              guard let g = q.grad else { continue }
              let updated = q - g * 0.01
              q.storage.base.update(from: updated.storage.base, count: q.count)
              q.zeroGrad()
            }
          }
          x.zeroGrad()
          if i == 5 { c5 = StorageStats.liveCount }
          if i == 50 { c50 = StorageStats.liveCount }
        }
      }
      return (c5, c50, before, StorageStats.liveCount)
    }
  }

  @Test func createGraphGradIsFreedByZeroGrad() throws {
    // backward(createGraph: true) stores a differentiable grad whose graph refers back to the
    // leaf (x → x.grad → node → x): a cycle, as in PyTorch, until the grad is cleared.
    try expectNoGrowth("createGraph backward") {
      let before = StorageStats.liveCount
      weak var weakX: Tensor?
      weak var weakGrad: Tensor?
      var c5 = 0, c50 = 0
      do {
        let x = Tensor([0.5, -1, 2]).requiringGrad()
        weakX = x
        for i in 1...50 {
          try (x * x * x).sum().backward(createGraph: true)
          weakGrad = x.grad
          #expect(x.grad?.requiresGrad == true)
          let h = try gradients(of: x.grad!.sum(), withRespectTo: [x])[0]
          #expect(h.scalars == [3, -6, 12])
          x.zeroGrad()
          if i == 5 { c5 = StorageStats.liveCount }
          if i == 50 { c50 = StorageStats.liveCount }
        }
      }
      #expect(weakX == nil && weakGrad == nil)
      return (c5, c50, before, StorageStats.liveCount)
    }
  }

  @Test func retainedGraphIsFreedWhenDropped() throws {
    try expectNoGrowth("retained graph") {
      let before = StorageStats.liveCount
      var c5 = 0, c50 = 0
      let w = Tensor([1, 2, 3]).requiringGrad()
      for i in 1...50 {
        weak var weakLoss: Tensor?
        do {
          let loss = (w.exp() * w).sum()
          weakLoss = loss
          try loss.backward(retainGraph: true)
          try loss.backward(retainGraph: true)
          #expect(!loss.isLeaf)
        }
        #expect(weakLoss == nil)
        w.zeroGrad()
        if i == 5 { c5 = StorageStats.liveCount }
        if i == 50 { c50 = StorageStats.liveCount }
      }
      // w itself (one buffer) is still alive here; it goes when the closure returns.
      return (c5, c50, before + 1, StorageStats.liveCount)
    }
  }

  @Test func gradientsFunctionLeavesNothingBehind() throws {
    try expectNoGrowth("gradients(of:)") {
      let before = StorageStats.liveCount
      var c5 = 0, c50 = 0
      do {
        let x = Tensor([1, 2]).requiringGrad()
        let w = Tensor([3, 4]).requiringGrad()
        for i in 1...50 {
          let gs = try gradients(of: (x * w).sum().exp(), withRespectTo: [x, w])
          #expect(gs.count == 2 && x.grad == nil)
          if i == 5 { c5 = StorageStats.liveCount }
          if i == 50 { c50 = StorageStats.liveCount }
        }
      }
      return (c5, c50, before, StorageStats.liveCount)
    }
  }
}
