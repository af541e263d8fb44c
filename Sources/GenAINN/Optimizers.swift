#if canImport(_Builtin_intrinsics.intel)
  import _Builtin_intrinsics.intel
#endif
import GenAITensor

// Shared machinery of the optimisers in `OptimizerSGD.swift`, `OptimizerAdam.swift` and
// `OptimizerRMSProp.swift`.
//
// Each algorithm is split in two:
// - a static rule `update(param:grad:state:hyper:)` that applies one update to one parameter's
//   raw buffers with flat loops, reading nothing but its arguments, so tests call it directly on
//   arrays (the per-parameter rule of docs/STYLE.md §3.4, mlx-swift's `applySingle`);
// - a subclass of `OptimizerBase` conforming to `Optimizer`: the base owns the per-parameter
//   buffers and update counts, and the subclass loops the rule over the parameters that have a
//   gradient (`forEachUpdate`), in one pass over the elements of all of them split evenly
//   across the thread pool (every element is independent, so the split does not change a single
//   bit).
//
// The rules run four lanes at a time through `Lanes` (`SIMD4<Float>`): Swift's scalar
// `squareRoot()` is a libm call on Linux that stops the loop vectoriser, while SSE's `sqrtps`
// (baseline on x86-64) is just as correctly rounded, so lanes give the same bits 3x faster for
// Adam and RMSProp; SGD's loop, with its loop-invariant branches, also gained 3x. Lane-wise
// IEEE arithmetic in the same order as the scalar formula changes no result.
//
// State dictionaries are flat, PyTorch-named and the same for every optimiser:
// - `"step"`: `[1]`, the number of `step()` calls (`Optimizer.stepCount`);
// - `"lr"`: `[1]`, the learning rate in use (PyTorch keeps it in `param_groups`), so a run whose
//   rate was changed by hand resumes with it;
// - `"<i>.step"`: `[1]`, how many updates parameter `i` has received; it differs from `"step"`
//   when a parameter had no gradient on some steps, and drives Adam's bias correction and SGD's
//   first momentum step exactly as PyTorch's per-parameter `state["step"]` does;
// - `"<i>.<buffer>"`: shaped like parameter `i`, e.g. `"0.exp_avg"`, `"3.momentum_buffer"`.
//
// Counts are stored as float32, exact up to 2^24 = 16,777,216 steps. Beyond that the stored
// count rounds to a multiple of 2 (then 4, ...). The per-parameter counts only enter Adam's bias
// corrections `1 − βᵗ`, which are exactly 1 in Double long before then for any β ≤ 0.9999, and
// SGD's test `t == 1`, so updates stay bit-identical; only the reported `stepCount` would drift.
// A schedule should be driven by the training loop's own step, kept in the checkpoint.

/// A value in a saved optimiser or EMA state that cannot be restored, such as a step count that
/// is negative, fractional or not finite.
public struct StateValueError: Error, CustomStringConvertible, Equatable {
  /// The offending key, e.g. `"0.step"`.
  public var key: String
  /// The value found.
  public var value: Float
  /// What was expected.
  public var expected: String

  /// Creates an error for `key` holding `value` where `expected` was wanted.
  public init(key: String, value: Float, expected: String) {
    self.key = key
    self.value = value
    self.expected = expected
  }

  /// One line naming the key, the value and what was expected.
  public var description: String { "[load] \(key) holds \(value), expected \(expected)" }
}

/// What `SGD`, `Adam`, `AdamW` and `RMSProp` share: the parameters, the learning rate, the step
/// counts and the per-parameter buffers, saved and restored in the flat format described above.
///
/// A subclass adds its hyperparameters and a `step()` that loops its rule over `forEachUpdate`.
public class OptimizerBase {
  /// The parameters updated, in the order their state is saved.
  public let parameters: [Tensor]
  /// Step size `η`; a schedule sets it each step.
  public var learningRate: Float
  /// Number of `step` calls so far.
  public private(set) var stepCount = 0
  /// Buffer names in PyTorch's spelling, e.g. `["exp_avg", "exp_avg_sq"]`.
  let bufferNames: [String]
  /// `buffers[i][k]` is buffer `bufferNames[k]` of parameter `i`, shaped like the parameter.
  let buffers: [[Tensor]]
  /// `updateCounts[i]` counts the updates parameter `i` has received.
  private(set) var updateCounts: [Int]

  /// An optimiser for `parameters` with zero-filled buffers `bufferNames` for each.
  /// - Precondition: no parameter is listed twice (it would be updated twice per step).
  init(parameters: [Tensor], learningRate: Float, bufferNames: [String], op: String) {
    requireDistinct(parameters, op)
    self.parameters = parameters
    self.learningRate = learningRate
    self.bufferNames = bufferNames
    buffers = parameters.map { p in bufferNames.map { _ in Tensor.zeros(like: p) } }
    updateCounts = Array(repeating: 0, count: parameters.count)
  }

  /// Buffer `k` of parameter `i`, for in-place updates.
  @inline(__always) func buffer(_ i: Int, _ k: Int) -> UnsafeMutableBufferPointer<Float> {
    buffers[i][k].storage.buffer
  }

  /// Counts one `step` call, then runs `body(i, t, range, param, grad)` for every parameter `i`
  /// that has a gradient, `t` being its update number (from 1), over ranges of its elements
  /// (`param` and `grad` are those elements' raw buffers) that cover each element once.
  /// Parameters without a gradient are skipped and keep their count.
  ///
  /// The elements of all parameters are split evenly across the thread pool in one pass, so a
  /// range may be part of a parameter and calls for different parameters run at the same time.
  /// Most parameters are too small to be split on their own (char-gpt's hold 8-65 K elements,
  /// the pool splits from 64 K), and updating them one after another left the other cores idle
  /// for 1.6% of a char-gpt step.
  func forEachUpdate(
    _ op: String,
    _ body: (Int, Int, Range<Int>, UnsafeMutableBufferPointer<Float>, UnsafeBufferPointer<Float>) -> Void
  ) {
    stepCount += 1
    var updates: [(i: Int, t: Int, param: UnsafeMutableBufferPointer<Float>, grad: UnsafeBufferPointer<Float>)] = []
    // `starts[k]` is update k's first element in the concatenation of all of them.
    var starts = [0]
    for (i, p) in parameters.enumerated() {
      guard let g = p.grad else { continue }
      require(
        g.count == p.count,
        "[\(op)] gradient of parameter \(i) has shape \(g.shape), the parameter \(p.shape)")
      updateCounts[i] += 1
      updates.append((i, updateCounts[i], p.storage.buffer, UnsafeBufferPointer(g.storage.buffer)))
      starts.append(starts[starts.count - 1] + p.count)
    }
    parallelFor(starts[starts.count - 1]) { r in
      // The last update that starts at or before r's first element, then those r reaches.
      var lo = 0, hi = updates.count
      while hi - lo > 1 {
        let mid = (lo + hi) / 2
        if starts[mid] <= r.lowerBound { lo = mid } else { hi = mid }
      }
      var k = lo
      while k < updates.count && starts[k] < r.upperBound {
        let u = updates[k]
        let part = Swift.max(r.lowerBound, starts[k]) - starts[k]..<Swift.min(r.upperBound, starts[k + 1]) - starts[k]
        if !part.isEmpty { body(u.i, u.t, part, u.param.slice(part), u.grad.slice(part)) }
        k += 1
      }
    }
  }

  /// Copies of every buffer and count: `"<i>.<buffer>"` (each optimiser lists its buffers),
  /// `"<i>.step"`, `"step"` and `"lr"`.
  public func stateDict() -> [String: Tensor] {
    var out: [String: Tensor] = ["step": Tensor([Float(stepCount)]), "lr": Tensor([learningRate])]
    for (i, row) in buffers.enumerated() {
      out["\(i).step"] = Tensor([Float(updateCounts[i])])
      for (name, b) in zip(bufferNames, row) { out["\(i).\(name)"] = b.copy() }
    }
    return out
  }

  /// Restores what `stateDict()` returned, including the learning rate. The state is validated
  /// completely before anything is copied.
  /// - Throws: `StateDictError` naming missing, unexpected or mis-shaped keys; `StateValueError`
  ///   for a count that is not a whole number ≥ 0 or a rate that is not finite. Nothing changes
  ///   when it throws.
  public func load(stateDict state: [String: Tensor]) throws {
    var expected: [(String, [Int])] = [("step", [1]), ("lr", [1])]
    for (i, row) in buffers.enumerated() {
      expected.append(("\(i).step", [1]))
      for (name, b) in zip(bufferNames, row) { expected.append(("\(i).\(name)", b.shape)) }
    }
    try checkKeys(state, expected: expected)

    let stepCount = try storedCount(state, "step")
    let lr = state["lr"]?.item ?? 0
    guard lr.isFinite else { throw StateValueError(key: "lr", value: lr, expected: "a finite learning rate") }
    var updateCounts: [Int] = []
    for i in buffers.indices { updateCounts.append(try storedCount(state, "\(i).step")) }

    self.updateCounts = updateCounts
    for (i, row) in buffers.enumerated() {
      for (name, b) in zip(bufferNames, row) {
        if let src = state["\(i).\(name)"] { copyValues(from: src, to: b) }
      }
    }
    self.stepCount = stepCount
    learningRate = lr
  }
}

/// Throws a `StateDictError` unless `state` has exactly the `expected` keys with those shapes.
func checkKeys(_ state: [String: Tensor], expected: [(String, [Int])]) throws {
  var error = StateDictError()
  for (key, shape) in expected {
    guard let t = state[key] else {
      error.missing.append(key)
      continue
    }
    if t.shape != shape { error.mismatched.append((key, shape, t.shape)) }
  }
  let known = Set(expected.map(\.0))
  error.unexpected = state.keys.filter { !known.contains($0) }.sorted()
  if !error.isEmpty { throw error }
}

/// The whole number ≥ 0 stored in the one-element tensor `state[key]`.
/// - Throws: `StateValueError` when it is fractional, negative or not finite.
func storedCount(_ state: [String: Tensor], _ key: String) throws -> Int {
  let v = state[key]?.item ?? 0
  guard let n = Int(exactly: v), n >= 0 else {
    throw StateValueError(key: key, value: v, expected: "a whole number ≥ 0")
  }
  return n
}

/// Copies the values of `src` into `dst` (same element count).
func copyValues(from src: Tensor, to dst: Tensor) {
  src.withUnsafeBufferPointer { s in
    dst.withUnsafeMutableBufferPointer { d in
      if let sb = s.baseAddress, let db = d.baseAddress { db.update(from: sb, count: min(s.count, d.count)) }
    }
  }
}

/// Stops when `parameters` lists one tensor twice (it would be updated twice per step).
func requireDistinct(_ parameters: [Tensor], _ op: String) {
  let ids = Set(parameters.map(ObjectIdentifier.init))
  require(ids.count == parameters.count, "[\(op)] a parameter is listed more than once")
}

extension UnsafeMutableBufferPointer {
  /// The elements in `range`, as a buffer of their own (no copy).
  @inline(__always) func slice(_ range: Range<Int>) -> UnsafeMutableBufferPointer {
    UnsafeMutableBufferPointer(rebasing: self[range])
  }
}

extension UnsafeBufferPointer {
  /// The elements in `range`, as a buffer of their own (no copy).
  @inline(__always) func slice(_ range: Range<Int>) -> UnsafeBufferPointer {
    UnsafeBufferPointer(rebasing: self[range])
  }
}

/// Four `Float` lanes and the loads, stores and square root the rules need.
typealias Lanes = SIMD4<Float>

extension SIMD4 where Scalar == Float {
  /// The `count` (1...4) values at `p`, zero-padded.
  @inline(__always) static func load(_ p: UnsafePointer<Float>, count: Int) -> Lanes {
    if count == 4 { return UnsafeRawPointer(p).loadUnaligned(as: Lanes.self) }
    var v = Lanes()
    for k in 0..<count { v[k] = p[k] }
    return v
  }

  /// Stores the first `count` (1...4) lanes at `p`.
  @inline(__always) func store(_ p: UnsafeMutablePointer<Float>, count: Int) {
    if count == 4 {
      UnsafeMutableRawPointer(p).storeBytes(of: self, as: Lanes.self)
      return
    }
    for k in 0..<count { p[k] = self[k] }
  }

  /// The correctly rounded square root of every lane (`sqrtps` on x86-64).
  @inline(__always) func laneSquareRoot() -> Lanes {
    #if canImport(_Builtin_intrinsics.intel)
      return _mm_sqrt_ps(self)
    #else
      return squareRoot()
    #endif
  }
}

/// Runs `body(i, count)` over `0..<n` in blocks of four elements (the last may be shorter).
@inline(__always) func forEachLaneBlock(_ n: Int, _ body: (Int, Int) -> Void) {
  var i = 0
  while i + 4 <= n {
    body(i, 4)
    i += 4
  }
  if i < n { body(i, n - i) }
}
