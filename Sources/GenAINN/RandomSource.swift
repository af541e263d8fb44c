import GenAITensor

/// A seeded generator held by reference, so that a module (dropout) can draw from it in its
/// forward pass and a training checkpoint can find, save and restore its state.
///
/// Modules store it in a property; `Module.namedRandomSources()` finds it by reflection like a
/// tensor.
public final class RandomSource: RandomNumberGenerator {
  /// The generator's current state.
  public var generator: SeededGenerator

  /// A source seeded with `seed`.
  public init(seed: UInt64) { generator = SeededGenerator(seed: seed) }

  /// The next 64 random bits.
  public func next() -> UInt64 { generator.next() }
}

extension Module {
  /// Every `RandomSource` stored in this module and its children, with dotted paths.
  public func namedRandomSources() -> [(String, RandomSource)] {
    var out: [(String, RandomSource)] = []
    for (path, module) in namedModules() {
      var mirror: Mirror? = Mirror(reflecting: module)
      var found: [(String, RandomSource)] = []
      while let m = mirror {
        for child in m.children {
          if let label = child.label, !label.hasPrefix("_"), let r = child.value as? RandomSource {
            found.append((path.isEmpty ? label : path + "." + label, r))
          }
        }
        mirror = m.superclassMirror
      }
      out += found.reversed()
    }
    return out
  }
}
