import Foundation
import GenAITensor

/// Chooses tokens from logits under `SamplingOptions`, reusing its scratch arrays from one call
/// to the next, so a sampling loop does not allocate per token.
///
/// This is the arithmetic behind `TextSampler.candidates` and `TextSampler.chooseToken` (they
/// call it): tokens ordered most likely first (ties by lower id), top-k, then top-p over the
/// weights `exp((logit − max) / temperature)` in float64, and a draw walked in that order. The
/// same logits and generator state give the same token through either door.
struct TokenChooser {
  /// The options every choice uses.
  let options: SamplingOptions
  /// Token ids, most likely first; the first `kept` are the candidates.
  private var order: [Int] = []
  /// Unnormalised weights of `order`'s first `kept` ids.
  private var weights: [Double] = []
  /// How many candidates the last `prepare` kept.
  private var kept = 0
  /// The sum of the kept weights.
  private var total = 0.0

  /// A chooser for `options`.
  init(options: SamplingOptions) { self.options = options }

  /// Ranks `logits` and keeps the candidates `options` allow.
  private mutating func prepare(_ logits: UnsafeBufferPointer<Float>) {
    precondition(!logits.isEmpty, "[TextSampler] empty logits")
    let n = logits.count
    if order.count != n {
      order = Array(0..<n)
      weights = [Double](repeating: 0, count: n)
    }
    for i in 0..<n { order[i] = i }
    // Insertion sort: no scratch memory (the standard library's stable sort allocates), and a
    // vocabulary of ~65 is small. The order is total (logit, then id), so any sort gives it.
    for i in 1..<n {
      let id = order[i], v = logits[id]
      var j = i
      while j > 0, logits[order[j - 1]] < v || (logits[order[j - 1]] == v && order[j - 1] > id) {
        order[j] = order[j - 1]
        j -= 1
      }
      order[j] = id
    }
    if options.temperature == 0 {
      kept = 1
      weights[0] = 1
      total = 1
      return
    }
    kept = min(n, options.topK ?? n)
    let t = Double(options.temperature)
    let top = Double(logits[order[0]])
    total = 0
    for i in 0..<kept {
      weights[i] = exp((Double(logits[order[i]]) - top) / t)
      total += weights[i]
    }
    if let p = options.topP, p < 1 {
      var mass = 0.0
      var keep = 0
      for i in 0..<kept {
        mass += weights[i] / total
        keep += 1
        if mass >= Double(p) { break }
      }
      kept = keep
      total = 0
      for i in 0..<kept { total += weights[i] }
    }
  }

  /// The candidates and their probabilities (summing to 1), most likely first.
  mutating func candidates(_ logits: UnsafeBufferPointer<Float>) -> [(id: Int, probability: Double)] {
    prepare(logits)
    return (0..<kept).map { (order[$0], weights[$0] / total) }
  }

  /// Draws the next token; a single candidate (greedy) draws nothing from `generator`.
  mutating func choose(_ logits: UnsafeBufferPointer<Float>, using generator: inout SeededGenerator) -> Int {
    prepare(logits)
    if kept == 1 { return order[0] }
    let u = Double.random(in: 0..<1, using: &generator)
    var cumulative = 0.0
    for i in 0..<kept {
      cumulative += weights[i] / total
      if u < cumulative { return order[i] }
    }
    return order[kept - 1]
  }
}
