#if canImport(Glibc)
  import Glibc
#elseif canImport(Musl)
  import Musl
#elseif canImport(Darwin)
  import Darwin
#endif

/// Reverse-mode automatic differentiation over the dynamic graph that ops record.
///
/// Each op records a `Node` holding its inputs and a pullback. A pullback maps the gradient of the
/// op's output to gradients of its inputs using ordinary `Tensor` ops, so when `backward` runs
/// with `createGraph: true` the backward pass is itself recorded and can be differentiated
/// again (WGAN-GP, R1). Pullbacks receive the inputs and the output as arguments and never capture
/// tensors, so the graph has no reference cycles and releases itself when the output is dropped.

/// Maps the output gradient `[shape of output]` to one gradient per input (`nil` = no gradient).
/// The engine sums each gradient back to its input's shape after broadcasting.
typealias Pullback = (_ grad: Tensor, _ output: Tensor, _ inputs: [Tensor]) -> [Tensor?]

/// One recorded op: what it was, what it read, and how to send gradients back.
final class Node {
  let op: OpKind
  var inputs: [Tensor]
  let pullback: Pullback
  /// For a one-input op whose gradient is mostly zeros (slice): adds the input's gradient
  /// straight into `accumulator` (a buffer of the input's shape) without building it. A backward
  /// pass that records nothing uses this instead of `pullback`, so cutting `T` pieces from a
  /// tensor costs O(N) in the backward pass, not the O(N·T) of `T` full-size padded gradients.
  let accumulate: ((_ grad: Tensor, _ accumulator: Tensor) -> Void)?

  init(op: OpKind, inputs: [Tensor], pullback: @escaping Pullback,
       accumulate: ((_ grad: Tensor, _ accumulator: Tensor) -> Void)? = nil) {
    self.op = op
    self.inputs = inputs
    self.pullback = pullback
    self.accumulate = accumulate
  }
}

/// Whether ops record a graph. Off inside `withNoGrad` and while running pullbacks of a backward
/// pass that does not create a graph. The flag is per thread, so a sampling thread's `withNoGrad`
/// does not switch recording off for a training thread.
public enum GradMode {
  /// A pthread key whose per-thread value is non-nil while recording is off.
  private static let key: pthread_key_t = {
    var k = pthread_key_t()
    pthread_key_create(&k, nil)
    return k
  }()
  nonisolated(unsafe) private static let off = UnsafeMutableRawPointer(bitPattern: 1)

  static var enabled: Bool {
    get { pthread_getspecific(key) == nil }
    set { pthread_setspecific(key, newValue ? nil : off) }
  }

  /// Whether ops are being recorded now on this thread.
  public static var isEnabled: Bool { enabled }
}

/// Runs `body` without recording any op: for sampling, evaluation and optimiser updates.
@discardableResult
public func withNoGrad<R>(_ body: () throws -> R) rethrows -> R {
  let saved = GradMode.enabled
  GradMode.enabled = false
  defer { GradMode.enabled = saved }
  return try body()
}

/// An error raised by an autodiff entry point.
public enum AutodiffError: Error, CustomStringConvertible, Equatable {
  /// `backward()` without a cotangent was called on a tensor with more than one element.
  case notScalar(shape: [Int])
  /// The loss is NaN or infinite; `op` names the op that produced it.
  case nonFiniteLoss(value: Float, op: String)
  /// The tensor does not depend on anything that requires a gradient.
  case noGradient
  /// The cotangent's shape differs from the tensor's.
  case cotangentShape(expected: [Int], got: [Int])

  /// A message that names the problem and what was expected.
  public var description: String {
    switch self {
    case .notScalar(let s):
      return "[backward] needs a scalar (one element) or an explicit cotangent, got shape \(shapeString(s))"
    case .nonFiniteLoss(let v, let op):
      return "[backward] the loss is \(v) (produced by op '\(op)'); check the learning rate and inputs"
    case .noGradient:
      return "[backward] the tensor does not depend on any tensor that requires a gradient"
    case .cotangentShape(let e, let g):
      return "[backward] cotangent has shape \(shapeString(g)), expected \(shapeString(e))"
    }
  }
}

extension Tensor {
  /// Records an op's output: attaches a node when gradients are on and some input needs them.
  static func record(
    _ op: OpKind, shape: [Int], storage: Storage, inputs: [Tensor], pullback: @escaping Pullback,
    accumulate: ((_ grad: Tensor, _ accumulator: Tensor) -> Void)? = nil
  ) -> Tensor {
    let out = Tensor(shape: shape, storage: storage)
    if GradMode.enabled && inputs.contains(where: { $0.requiresGrad }) {
      out.requiresGrad = true
      out.node = Node(op: op, inputs: inputs, pullback: pullback, accumulate: accumulate)
    }
    return out
  }

  /// Sums a gradient over the axes along which `shape` was broadcast, giving a tensor of `shape`.
  func summed(toShape target: [Int]) -> Tensor {
    if shape == target { return self }
    let lead = rank - target.count
    var axes = Array(0..<lead)
    for i in 0..<target.count where target[i] == 1 && shape[i + lead] != 1 { axes.append(i + lead) }
    let s = axes.isEmpty ? self : sum(axes: axes, keepDims: true)
    return s.reshaped(target)
  }

  /// Accumulates gradients into `grad` of every leaf this scalar depends on.
  ///
  /// - Parameters:
  ///   - cotangent: the gradient of some scalar with respect to this tensor; defaults to 1 for a
  ///     one-element tensor.
  ///   - retainGraph: keep the graph so that `backward` can run through it again. Defaults to
  ///     `createGraph`; with `createGraph` the graph is always kept.
  ///   - createGraph: record the backward pass itself so the gradients can be differentiated.
  /// - Throws: `AutodiffError` when the tensor is not a scalar and has no cotangent, when the
  ///   loss is NaN or infinite, or when nothing requires a gradient.
  public func backward(cotangent: Tensor? = nil, retainGraph: Bool? = nil, createGraph: Bool = false) throws {
    let grads = try propagate(cotangent: cotangent, retainGraph: retainGraph ?? createGraph, createGraph: createGraph)
    // Each leaf gets a gradient buffer of its own: pullbacks may hand the same tensor to two
    // inputs (`a + b` gives both `g`), and code that edits gradients in place (clipping) must
    // not scale a shared buffer twice or write into the caller's cotangent.
    var owned = Set<ObjectIdentifier>()
    if let cotangent { owned.insert(ObjectIdentifier(cotangent.storage)) }
    for (leaf, g) in grads.leaves {
      let shared = !owned.insert(ObjectIdentifier(g.storage)).inserted
      let gg = createGraph ? (shared ? g * 1 : g) : (shared ? g.copy() : g.detached())
      if let old = leaf.grad {
        leaf.grad = createGraph ? old + gg : withNoGrad { old + gg }
      } else {
        leaf.grad = gg
      }
    }
    if !createGraph, let reduce = GradientReduction.current { reduce(grads.leaves.map(\.0)) }
  }

  /// Clears `grad`.
  public func zeroGrad() { grad = nil }

  /// Runs the backward pass and returns the gradient of every tensor it reached that requires one.
  func propagate(cotangent: Tensor?, retainGraph: Bool, createGraph: Bool) throws
    -> (all: [ObjectIdentifier: Tensor], leaves: [(Tensor, Tensor)])
  {
    let seed: Tensor
    if let cotangent {
      guard cotangent.shape == shape else { throw AutodiffError.cotangentShape(expected: shape, got: cotangent.shape) }
      seed = cotangent
    } else {
      guard count == 1 else { throw AutodiffError.notScalar(shape: shape) }
      guard item.isFinite else { throw AutodiffError.nonFiniteLoss(value: item, op: op?.rawValue ?? "leaf") }
      seed = Tensor.ones(shape)
    }
    guard requiresGrad else { throw AutodiffError.noGradient }

    let order = topologicalOrder()
    var grads: [ObjectIdentifier: Tensor] = [ObjectIdentifier(self): seed]
    var leaves: [(Tensor, Tensor)] = []
    let saved = GradMode.enabled
    GradMode.enabled = createGraph
    defer { GradMode.enabled = saved }

    // Without a recorded graph, a gradient that several ops add to is summed in place: the
    // first sum allocates a buffer only this loop holds (`owned`), later ones add into it. A
    // tensor's gradient is complete before its own pullback sees it (reverse topological
    // order), so an owned buffer is never written after a pullback may have shared it.
    var owned = Set<ObjectIdentifier>()
    /// The gradient buffer of `input`, owned by this loop (zeros when it had none yet).
    func accumulator(for input: Tensor) -> Tensor {
      let key = ObjectIdentifier(input)
      if let old = grads[key], owned.contains(key) { return old }
      let acc = grads[key]?.copy() ?? Tensor.zeros(input.shape)
      grads[key] = acc
      owned.insert(key)
      return acc
    }
    for t in order.reversed() {
      guard let g = grads[ObjectIdentifier(t)] else { continue }
      guard let node = t.node else {
        leaves.append((t, g))
        continue
      }
      if !createGraph, let accumulate = node.accumulate {
        let input = node.inputs[0]
        if input.requiresGrad { accumulate(g, accumulator(for: input)) }
        continue
      }
      let inputGrads = node.pullback(g, t, node.inputs)
      for (input, ig) in zip(node.inputs, inputGrads) {
        guard input.requiresGrad, let ig else { continue }
        let reduced = ig.summed(toShape: input.shape)
        let key = ObjectIdentifier(input)
        guard let old = grads[key] else {
          grads[key] = reduced
          continue
        }
        if createGraph {
          grads[key] = old + reduced
        } else if owned.contains(key) {
          Kernels.addInPlace(old.storage, reduced.storage)
        } else {
          grads[key] = old + reduced
          owned.insert(key)
        }
      }
    }
    // A recorded backward pass reads the forward graph's tensors (e.g. tanh's output): releasing
    // them would silently cut the second-order paths through them, so createGraph keeps it.
    if !retainGraph && !createGraph {
      for t in order where t.node != nil {
        t.node = nil
        t.requiresGrad = false
      }
    }
    return (grads, leaves)
  }

  /// Every tensor this one depends on through recorded ops (itself included), inputs before users.
  /// Iterative, so graphs thousands of ops deep do not overflow the stack.
  func topologicalOrder() -> [Tensor] {
    var order: [Tensor] = []
    var visited = Set<ObjectIdentifier>()
    var stack: [(Tensor, Bool)] = [(self, false)]
    while let (t, expanded) = stack.popLast() {
      if expanded {
        order.append(t)
        continue
      }
      guard visited.insert(ObjectIdentifier(t)).inserted else { continue }
      stack.append((t, true))
      for input in t.node?.inputs ?? [] where input.requiresGrad && !visited.contains(ObjectIdentifier(input)) {
        stack.append((input, false))
      }
    }
    return order
  }
}

/// The gradients of `output` with respect to each of `inputs`, returned rather than accumulated.
///
/// With `createGraph: true` the returned gradients are themselves differentiable: this is how a
/// gradient penalty such as WGAN-GP's `(‖∇ₓD(x)‖₂ − 1)²` is trained.
/// - Parameters:
///   - output: the tensor to differentiate (a scalar unless `cotangent` is given).
///   - inputs: tensors that `output` depends on; a tensor it does not depend on gets zeros.
///   - cotangent: the seed gradient, shape of `output`.
///   - retainGraph: keep the forward graph; defaults to `createGraph` (and is always kept with it).
///   - createGraph: record the backward pass for higher-order gradients.
/// - Throws: `AutodiffError` as `Tensor.backward` does.
public func gradients(
  of output: Tensor, withRespectTo inputs: [Tensor], cotangent: Tensor? = nil,
  retainGraph: Bool? = nil, createGraph: Bool = false
) throws -> [Tensor] {
  let grads = try output.propagate(
    cotangent: cotangent, retainGraph: retainGraph ?? createGraph, createGraph: createGraph)
  return inputs.map { grads.all[ObjectIdentifier($0)] ?? Tensor.zeros($0.shape) }
}
