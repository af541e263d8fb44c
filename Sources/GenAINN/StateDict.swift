import GenAITensor

/// An error loading saved state into a module or optimiser: names every offending key.
public struct StateDictError: Error, CustomStringConvertible, Equatable {
  /// Keys the module has that the state lacks.
  public var missing: [String] = []
  /// Keys the state has that the module lacks.
  public var unexpected: [String] = []
  /// Keys present in both with different shapes: `(key, expected, found)`.
  public var mismatched: [(key: String, expected: [Int], found: [Int])] = []

  /// Whether nothing is wrong.
  public var isEmpty: Bool { missing.isEmpty && unexpected.isEmpty && mismatched.isEmpty }

  /// One line per problem, naming the key and what was expected.
  public var description: String {
    var lines: [String] = []
    if !missing.isEmpty { lines.append("missing keys: " + missing.joined(separator: ", ")) }
    if !unexpected.isEmpty { lines.append("unexpected keys: " + unexpected.joined(separator: ", ")) }
    for m in mismatched {
      lines.append("shape mismatch for \(m.key): expected \(shapeString(m.expected)), found \(shapeString(m.found))")
    }
    return "[load] " + lines.joined(separator: "; ")
  }

  /// Whether every field is equal (tuples are not `Equatable`, so this is written out).
  public static func == (a: StateDictError, b: StateDictError) -> Bool {
    a.missing == b.missing && a.unexpected == b.unexpected
      && a.mismatched.map { "\($0.key)\($0.expected)\($0.found)" } == b.mismatched.map { "\($0.key)\($0.expected)\($0.found)" }
  }
}

extension Module {
  /// Every parameter and buffer by dotted key, sharing storage with the module (PyTorch's
  /// `state_dict()`); copy the tensors to keep a snapshot.
  public func stateDict() -> [String: Tensor] { Dictionary(namedTensors(), uniquingKeysWith: { a, _ in a }) }

  /// Copies values from `state` into this module's tensors, in place.
  ///
  /// - Parameter strict: when `true` (the default) any missing or unexpected key is an error;
  ///   shape mismatches are always errors. Nothing is changed unless the whole load is valid.
  /// - Throws: `StateDictError` naming every missing, unexpected or mis-shaped key.
  public func load(stateDict state: [String: Tensor], strict: Bool = true) throws {
    let own = namedTensors()
    var error = StateDictError()
    let ownKeys = Set(own.map(\.0))
    for (key, t) in own {
      guard let src = state[key] else {
        error.missing.append(key)
        continue
      }
      if src.shape != t.shape { error.mismatched.append((key, t.shape, src.shape)) }
    }
    error.unexpected = state.keys.filter { !ownKeys.contains($0) }.sorted()
    if !error.mismatched.isEmpty || (strict && !error.isEmpty) {
      if !strict {
        error.missing = []
        error.unexpected = []
      }
      throw error
    }
    for (key, t) in own {
      guard let src = state[key] else { continue }
      src.withUnsafeBufferPointer { s in
        t.withUnsafeMutableBufferPointer { d in
          if let sb = s.baseAddress, let db = d.baseAddress { db.update(from: sb, count: d.count) }
        }
      }
    }
  }
}
