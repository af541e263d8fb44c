import Foundation
import GenAIModels
import GenAINN
import GenAITensor

/// One process's part in data-parallel training over a `Collective` (MPI's world): N processes
/// train one model on shards of the same global batches and stay identical step by step.
///
/// What makes N processes equal one process on the global batch:
/// - the loader gives each process its rows of every global batch (`BatchShard`);
/// - every random draw of a step is made for the whole batch and sliced (`RandomSource.batchShard`);
/// - batch norm takes its statistics over the global batch (`BatchNormBase.statisticsGroup`);
/// - gradients are averaged right after each backward pass, before clipping and the optimiser
///   step (`GradientReduction`), so every process applies the same update;
/// - losses are averaged and Ctrl-C is agreed on every step, so logs, the GAN monitor and the
///   stopping step are the same everywhere.
///
/// Process 0 alone writes the run folder (metrics, samples, evaluations, checkpoints).
struct DataParallel {
  /// The processes.
  let group: any Collective
  /// Steps between checks that all processes still hold identical weights and optimiser state.
  static let consistencyInterval = 100

  /// This process's rows of each batch.
  var shard: BatchShard { BatchShard(index: group.rank, count: group.size) }
  /// Whether this process writes the run folder.
  var writes: Bool { group.rank == 0 }

  /// Points `recipe`'s random sources at this process's rows and its batch norms at the group.
  func prepare(_ recipe: any Recipe) {
    for model in recipe.models.values {
      for (_, source) in model.namedRandomSources() { source.batchShard = shard }
      model.synchronizeBatchNorm(over: group)
    }
  }

  /// Averages the gradients of `leaves` over the processes, in place (one all-reduce of all of
  /// them, in buckets).
  func averageGradients(_ leaves: [Tensor]) {
    let grads = leaves.compactMap(\.grad)
    let total = grads.reduce(0) { $0 + $1.count }
    guard total > 0 else { return }
    var flat = [Float](repeating: 0, count: total)
    flat.withUnsafeMutableBufferPointer { buffer in
      var at = 0
      for g in grads {
        g.withUnsafeBufferPointer { buffer.baseAddress!.advanced(by: at).update(from: $0.baseAddress!, count: $0.count) }
        at += g.count
      }
      group.sum(buffer)
      let scale = 1 / Float(group.size)
      at = 0
      for g in grads {
        g.withUnsafeMutableBufferPointer { out in
          for i in out.indices { out[i] = buffer[at + i] * scale }
        }
        at += g.count
      }
    }
  }

  /// The step's losses averaged over the processes, and whether any process was asked to stop.
  func agree(losses: [String: Float], stop: Bool) -> (losses: [String: Float], stop: Bool) {
    let keys = losses.keys.sorted()
    let summed = group.sum(keys.map { Double(losses[$0]!) } + [stop ? 1 : 0])
    var averaged: [String: Float] = [:]
    for (i, key) in keys.enumerated() { averaged[key] = Float(summed[i] / Double(group.size)) }
    return (averaged, summed[keys.count] > 0)
  }

  /// `values` as process 0 has them (every other process passes zeros or anything; only process
  /// 0's values count).
  func fromWriter(_ values: [Double]) -> [Double] {
    group.sum(writes ? values : values.map { _ in 0 })
  }

  /// Stops the run when the processes no longer hold the same weights, buffers, optimiser state
  /// and random streams (compared through two float64 fingerprints).
  /// - Throws: `TrainingError` naming the step, on every process.
  func checkConsistency(_ recipe: any Recipe, step: Int) throws {
    let mine = fingerprint(recipe)
    let high = group.max(mine + mine.map { -$0 })
    let same = zip(high.prefix(2), high.suffix(2)).allSatisfy { $0 == -$1 }
    guard same else {
      throw TrainingError(
        "the \(group.size) processes no longer hold the same model after step \(step) (process \(group.rank)'s fingerprint \(mine.map { String(format: "%.17g", $0) }.joined(separator: ", "))): "
          + "a process computed something differently (different data, build or CPU code path?); the last checkpoint is intact")
    }
  }

  /// Two numbers that change when any tensor or random state of the recipe changes.
  func fingerprint(_ recipe: any Recipe) -> [Double] {
    var plain = 0.0, weighted = 0.0, index = 0
    func add(_ v: Double) {
      plain += v
      weighted += v * Double(index % 251 + 1)
      index += 1
    }
    for name in recipe.models.keys.sorted() {
      let model = recipe.models[name]!
      for (_, t) in model.namedTensors().sorted(by: { $0.0 < $1.0 }) { t.withUnsafeBufferPointer { for v in $0 { add(Double(v)) } } }
      for (_, r) in model.namedRandomSources() { for w in r.generator.state { add(Double(w % (1 << 40))) } }
    }
    for name in recipe.optimizers.keys.sorted() {
      let state = recipe.optimizers[name]!.stateDict()
      for key in state.keys.sorted() { state[key]!.withUnsafeBufferPointer { for v in $0 { add(Double(v)) } } }
    }
    return [plain, weighted]
  }
}
