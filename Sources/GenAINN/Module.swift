import GenAITensor

/// The base class of every network and layer: finds its parameters, buffers and children by
/// reflection, names them like PyTorch's `state_dict` keys, and switches train/eval mode.
///
/// Subclass it and store tensors and child modules in properties; nothing needs registering:
///
/// ```swift
/// final class MLP: Module, UnaryLayer {
///   let fc1 = Linear(inputSize: 784, outputSize: 400, using: &rng)
///   let fc2 = Linear(inputSize: 400, outputSize: 10, using: &rng)
///   func callAsFunction(_ x: Tensor) -> Tensor { fc2(fc1(x).relu()) }
/// }
/// ```
///
/// Discovery follows stored properties (superclasses included) of type `Tensor`, `Module`,
/// `Optional` of either, arrays of either, and `[String: Module]`; labels starting with `_` are
/// skipped. A tensor is a *parameter* when it requires a gradient or has been frozen, otherwise a
/// *buffer* (running statistics). Keys are property paths such as `gen.layers.3.weight`.
open class Module {
  /// Whether the module is in training mode (dropout active, batch statistics used).
  public private(set) var isTraining = true
  /// Parameters of this module (local property names) that `freeze` made untrainable.
  private var frozenNames: Set<String> = []

  /// Creates a module in training mode.
  public init() {}

  // MARK: - Discovery

  /// One reflected property: a tensor or a child module.
  enum Entry {
    case tensor(String, Tensor)
    case module(String, Module)
  }

  /// This module's direct tensors and children, in declaration order (superclass first).
  func entries() -> [Entry] {
    var mirrors: [Mirror] = []
    var m: Mirror? = Mirror(reflecting: self)
    while let current = m {
      mirrors.insert(current, at: 0)
      m = current.superclassMirror
    }
    var out: [Entry] = []
    for mirror in mirrors {
      for child in mirror.children {
        guard let label = child.label, !label.hasPrefix("_") else { continue }
        Module.collect(child.value, name: label, into: &out)
      }
    }
    return out
  }

  static func collect(_ value: Any, name: String, into out: inout [Entry]) {
    switch value {
    case let t as Tensor: out.append(.tensor(name, t))
    case let m as Module: out.append(.module(name, m))
    case let ts as [Tensor]: for (i, t) in ts.enumerated() { out.append(.tensor("\(name).\(i)", t)) }
    case let ms as [Module]: for (i, m) in ms.enumerated() { out.append(.module("\(name).\(i)", m)) }
    case let d as [String: Module]: for k in d.keys.sorted() { if let m = d[k] { out.append(.module("\(name).\(k)", m)) } }
    default:
      // Optionals and arrays of protocol existentials (`[any UnaryLayer]`).
      let mirror = Mirror(reflecting: value)
      if mirror.displayStyle == .optional {
        if let some = mirror.children.first { collect(some.value, name: name, into: &out) }
      } else if mirror.displayStyle == .collection {
        for (i, element) in mirror.children.enumerated() {
          if let m = element.value as? Module { out.append(.module("\(name).\(i)", m)) }
          if let t = element.value as? Tensor { out.append(.tensor("\(name).\(i)", t)) }
        }
      }
    }
  }

  /// Every child module with its dotted path, depth first, parents before children.
  public func namedModules(prefix: String = "") -> [(String, Module)] {
    var out: [(String, Module)] = [(prefix, self)]
    for case .module(let name, let m) in entries() {
      out += m.namedModules(prefix: prefix.isEmpty ? name : prefix + "." + name)
    }
    return out
  }

  /// Every tensor (parameters and buffers) with its dotted path, each tensor once (a tied
  /// weight keeps its first name).
  public func namedTensors() -> [(String, Tensor)] {
    var seen = Set<ObjectIdentifier>()
    var out: [(String, Tensor)] = []
    for (path, module) in namedModules() {
      for case .tensor(let name, let t) in module.entries() where seen.insert(ObjectIdentifier(t)).inserted {
        out.append((path.isEmpty ? name : path + "." + name, t))
      }
    }
    return out
  }

  /// Whether the tensor stored under local property `name` is a parameter (trainable or frozen).
  func isParameter(_ name: String, _ t: Tensor) -> Bool { t.requiresGrad || frozenNames.contains(name) }

  /// Parameters (trainable or frozen) with their dotted paths.
  public func namedParameters() -> [(String, Tensor)] {
    filteredTensors { module, name, t in module.isParameter(name, t) }
  }

  /// Buffers (tensors that are not parameters, e.g. running statistics) with their dotted paths.
  public func namedBuffers() -> [(String, Tensor)] {
    filteredTensors { module, name, t in !module.isParameter(name, t) }
  }

  private func filteredTensors(_ keep: (Module, String, Tensor) -> Bool) -> [(String, Tensor)] {
    var seen = Set<ObjectIdentifier>()
    var out: [(String, Tensor)] = []
    for (path, module) in namedModules() {
      for case .tensor(let name, let t) in module.entries() where keep(module, name, t) {
        if seen.insert(ObjectIdentifier(t)).inserted { out.append((path.isEmpty ? name : path + "." + name, t)) }
      }
    }
    return out
  }

  /// The trainable parameters (those that require a gradient), for an optimiser.
  public func parameters() -> [Tensor] { namedParameters().map(\.1).filter(\.requiresGrad) }

  /// Number of parameter elements; trainable ones only when `trainableOnly`.
  public func parameterCount(trainableOnly: Bool = false) -> Int {
    namedParameters().filter { !trainableOnly || $0.1.requiresGrad }.reduce(0) { $0 + $1.1.count }
  }

  // MARK: - Modes

  /// Sets training mode (`true`) or evaluation mode (`false`) on this module and every child.
  public func train(_ on: Bool = true) {
    for (_, m) in namedModules() { m.isTraining = on }
  }

  /// Sets evaluation mode on this module and every child.
  public func eval() { train(false) }

  /// Stops gradients to every parameter of this module and its children (they stay parameters).
  public func freeze() { setFrozen(true) }

  /// Lets gradients flow to every parameter again.
  public func unfreeze() { setFrozen(false) }

  private func setFrozen(_ frozen: Bool) {
    for (_, module) in namedModules() {
      for case .tensor(let name, let t) in module.entries() where module.isParameter(name, t) {
        t.requiresGrad = !frozen
        if frozen { module.frozenNames.insert(name) } else { module.frozenNames.remove(name) }
      }
    }
  }

  /// Clears the gradient of every parameter.
  public func zeroGrad() { for (_, p) in namedParameters() { p.zeroGrad() } }
}

/// A module that maps one tensor to one tensor; what `Sequential` chains.
public protocol UnaryLayer: Module {
  /// Applies the layer.
  func callAsFunction(_ x: Tensor) -> Tensor
}

/// Layers applied in order; children are named `0`, `1`, ... as in PyTorch's `nn.Sequential`.
public final class Sequential: Module, UnaryLayer {
  /// The layers, in order.
  public let layers: [any UnaryLayer]

  /// Chains `layers`.
  public init(_ layers: [any UnaryLayer]) {
    self.layers = layers
    super.init()
  }

  /// Applies every layer in turn.
  public func callAsFunction(_ x: Tensor) -> Tensor { layers.reduce(x) { $1($0) } }

  override func entries() -> [Entry] { layers.enumerated().map { .module(String($0.offset), $0.element) } }
}
