import Foundation
import GenAITensor

/// Where a data loader stands in its stream: enough to continue with the same batch order.
///
/// A typical loader draws `shuffleSeed` from its generator at the start of each epoch, shuffles
/// with `SeededGenerator(seed: shuffleSeed)`, and counts batches in `index`. Any other `Codable`
/// type can be saved in a checkpoint instead.
public struct DataPosition: Codable, Equatable, Sendable {
  /// The epoch in progress, from 0.
  public var epoch: Int
  /// The next batch (or sample) within the epoch.
  public var index: Int
  /// The seed of this epoch's shuffle.
  public var shuffleSeed: UInt64

  /// A position; the defaults are the start of training.
  public init(epoch: Int = 0, index: Int = 0, shuffleSeed: UInt64 = 0) {
    self.epoch = epoch
    self.index = index
    self.shuffleSeed = shuffleSeed
  }
}

/// What `TrainingCheckpoint.load` gives back besides the state it restored in place.
public struct ResumedTraining<Position> {
  /// The checkpoint's file path, for error messages.
  public let file: String
  /// The step saved (global step; drive a learning-rate schedule from it).
  public let step: Int
  /// The extra generators passed to `save`, by name, in the exact state they had.
  public let generators: [String: SeededGenerator]
  /// The data position saved, or `nil` when `save` was given none.
  public let dataPosition: Position?
  /// The caller's metadata strings passed to `save`.
  public let userMetadata: [String: String]

  /// The generator saved under `name`.
  /// - Throws: `CheckpointError` naming the generator and those the checkpoint has.
  public func generator(_ name: String) throws -> SeededGenerator {
    guard let g = generators[name] else {
      throw CheckpointError(file: file, .missingGenerator(name, available: generators.keys.sorted()))
    }
    return g
  }
}

/// A training checkpoint: everything needed to resume training bit for bit, in one safetensors
/// file.
///
/// It holds every named model's state dict (tensor keys `model.<name>.<key>`), every named
/// optimiser's state (`optim.<name>.<key>`) and learning rate, the global step, the state of
/// every `RandomSource` inside the models (dropout) and of any extra generators, the data
/// position, and optional caller metadata. Tensors are stored as `F32` (exact); the rest lives in
/// the file's `__metadata__` as JSON strings, with a format marker and version, so the file is
/// still an ordinary safetensors file (PyTorch can read the weights).
///
/// ```swift
/// try TrainingCheckpoint.save(
///   to: url, models: ["gen": gen, "disc": disc], optimizers: ["gen": optG, "disc": optD],
///   generators: ["data": dataRNG], step: step, dataPosition: position)
///
/// // Later, into freshly built objects:
/// let resumed = try TrainingCheckpoint.load(
///   from: url, into: ["gen": gen, "disc": disc], optimizers: ["gen": optG, "disc": optD])
/// var dataRNG = try resumed.generator("data")
/// var position = resumed.dataPosition ?? DataPosition()
/// ```
///
/// Loading is strict: every missing, unexpected or mis-shaped key is named in one error, and
/// nothing is changed unless the whole checkpoint matches. Saving is atomic (see `SafeTensors`).
public enum TrainingCheckpoint {
  /// The value of the `format` metadata entry that marks a genai training checkpoint.
  public static let formatName = "genai.training-checkpoint"
  /// The format version written; loading accepts this version and older.
  public static let formatVersion = 1

  /// Metadata keys.
  enum Key {
    static let format = "format"
    static let version = "format_version"
    static let step = "step"
    static let models = "models"
    static let optimizers = "optimizers"
    static let generators = "generators"
    static let randomSources = "random_sources"
    static let dataPosition = "data_position"
    static let userPrefix = "user."
  }

  /// What is saved per optimiser besides its tensors.
  struct OptimizerInfo: Codable {
    /// The learning rate as Swift prints a `Float` (which parses back exactly).
    var learningRate: String
  }

  // MARK: - Saving

  /// Saves a checkpoint with a data position of any `Encodable` type.
  ///
  /// - Parameters:
  ///   - url: the file to write (replaced atomically).
  ///   - models: the models by name; a name must be non-empty and contain no `.`.
  ///   - optimizers: the optimisers by name (same rule).
  ///   - generators: extra generators by name (data shuffling, noise sampling).
  ///   - step: the global step (number of updates done).
  ///   - dataPosition: where the data stream stands.
  ///   - userMetadata: any other strings to keep (configuration, notes).
  /// - Throws: `CheckpointError` for an invalid name or an unencodable position,
  ///   `SafeTensorsError` when the file cannot be written.
  public static func save<Position: Encodable>(
    to url: URL, models: [String: Module], optimizers: [String: any Optimizer] = [:],
    generators: [String: SeededGenerator] = [:], step: Int, dataPosition: Position,
    userMetadata: [String: String] = [:]
  ) throws {
    try save(
      to: url, models: models, optimizers: optimizers, generators: generators, step: step,
      encodedPosition: try encodePosition(dataPosition, file: url.path), userMetadata: userMetadata,
      failureHook: nil)
  }

  /// Saves a checkpoint without a data position.
  /// - Throws: as `save(to:models:optimizers:generators:step:dataPosition:userMetadata:)`.
  public static func save(
    to url: URL, models: [String: Module], optimizers: [String: any Optimizer] = [:],
    generators: [String: SeededGenerator] = [:], step: Int, userMetadata: [String: String] = [:]
  ) throws {
    try save(
      to: url, models: models, optimizers: optimizers, generators: generators, step: step,
      encodedPosition: nil, userMetadata: userMetadata, failureHook: nil)
  }

  static func encodePosition(_ position: some Encodable, file: String) throws -> String {
    do {
      return String(decoding: try jsonEncoder().encode(position), as: UTF8.self)
    } catch {
      throw CheckpointError(file: file, .corrupt("cannot encode the data position: \(error)"))
    }
  }

  /// The full save; `failureHook` is passed to `SafeTensors.write` to simulate a crash.
  static func save(
    to url: URL, models: [String: Module], optimizers: [String: any Optimizer],
    generators: [String: SeededGenerator], step: Int, encodedPosition: String?,
    userMetadata: [String: String], failureHook: ((SafeTensors.WriteStage, URL) throws -> Void)?
  ) throws {
    let file = url.path
    for name in models.keys.sorted() + optimizers.keys.sorted() where name.isEmpty || name.contains(".") {
      throw CheckpointError(
        file: file, .invalidName("\"\(name)\": model and optimiser names must be non-empty and contain no '.'"))
    }
    var tensors: [String: Tensor] = [:]
    var sources: [String: SeededGenerator] = [:]
    for (name, model) in models {
      for (key, t) in model.stateDict() { tensors["model.\(name).\(key)"] = t }
      for (path, source) in model.namedRandomSources() { sources["\(name).\(path)"] = source.generator }
    }
    var infos: [String: OptimizerInfo] = [:]
    for (name, optimizer) in optimizers {
      for (key, t) in optimizer.stateDict() { tensors["optim.\(name).\(key)"] = t }
      infos[name] = OptimizerInfo(learningRate: "\(optimizer.learningRate)")
    }
    var metadata: [String: String] = [:]
    for (k, v) in userMetadata { metadata[Key.userPrefix + k] = v }
    let encoder = jsonEncoder()
    func json(_ value: some Encodable) throws -> String {
      String(decoding: try encoder.encode(value), as: UTF8.self)
    }
    metadata[Key.format] = formatName
    metadata[Key.version] = String(formatVersion)
    metadata[Key.step] = String(step)
    metadata[Key.models] = try json(models.keys.sorted())
    metadata[Key.optimizers] = try json(infos)
    metadata[Key.generators] = try json(generators)
    metadata[Key.randomSources] = try json(sources)
    if let encodedPosition { metadata[Key.dataPosition] = encodedPosition }
    try SafeTensors.write(tensors, metadata: metadata, to: url, failureHook: failureHook)
  }

  static func jsonEncoder() -> JSONEncoder {
    let e = JSONEncoder()
    e.outputFormatting = [.sortedKeys]
    return e
  }

  // MARK: - Loading

  /// Restores `models` and `optimizers` in place from the checkpoint at `url` and returns the
  /// step, the extra generators and the data position.
  ///
  /// The models' `RandomSource`s are restored too. Optimisers get their state and learning
  /// rate back. Pass the same names as to `save`.
  ///
  /// - Parameter dataPosition: the type the data position was saved as (`DataPosition` by
  ///   default).
  /// - Throws: `SafeTensorsError` when the file is unreadable, truncated or corrupt;
  ///   `CheckpointError` when it is not a genai training checkpoint, is of a newer version, or
  ///   does not match the models and optimisers: `.mismatch` names every missing, unexpected or
  ///   mis-shaped key (optimiser keys as `optim.<name>.<key>`), and nothing is changed; `.corrupt`
  ///   when its metadata is malformed or an optimiser rejects a saved value (also without changes,
  ///   optimisers already loaded being restored to their previous state).
  public static func load<Position: Decodable>(
    from url: URL, into models: [String: Module], optimizers: [String: any Optimizer] = [:],
    dataPosition: Position.Type = DataPosition.self
  ) throws -> ResumedTraining<Position> {
    let file = url.path
    let contents = try SafeTensors.read(from: url)
    let meta = contents.metadata
    func corrupt(_ s: String) -> CheckpointError { CheckpointError(file: file, .corrupt(s)) }

    // 1. The format marker, then every metadata entry, before anything is changed.
    guard meta[Key.format] == formatName else {
      let names = contents.tensors.keys.sorted()
      let sample = names.prefix(3).joined(separator: ", ") + (names.count > 3 ? ", ..." : "")
      throw CheckpointError(file: file, .notATrainingCheckpoint(
        "its __metadata__ has no \"format\": \"\(formatName)\" entry (it is a plain safetensors file with "
          + "\(names.count) tensors\(names.isEmpty ? "" : ": " + sample); read it with SafeTensors.read)"))
    }
    guard let version = meta[Key.version].flatMap({ Int($0) }) else {
      throw corrupt("missing or invalid format_version")
    }
    guard version <= formatVersion else {
      throw CheckpointError(file: file, .unsupportedVersion(found: version, supported: formatVersion))
    }
    guard let step = meta[Key.step].flatMap({ Int($0) }) else { throw corrupt("missing or invalid step") }
    let decoder = JSONDecoder()
    func decode<T: Decodable>(_ type: T.Type, _ key: String) throws -> T {
      guard let text = meta[key] else { throw corrupt("missing metadata entry \"\(key)\"") }
      do {
        return try decoder.decode(T.self, from: Data(text.utf8))
      } catch {
        throw corrupt("metadata entry \"\(key)\" is not valid: \(error)")
      }
    }
    let storedModels = try decode([String].self, Key.models)
    let storedOptimizers = try decode([String: OptimizerInfo].self, Key.optimizers)
    let generators = try decode([String: SeededGenerator].self, Key.generators)
    let sources = try decode([String: SeededGenerator].self, Key.randomSources)
    for (name, g) in generators.merging(sources, uniquingKeysWith: { a, _ in a }) where g.state.count != 4 {
      throw corrupt("generator \"\(name)\" has \(g.state.count) state words, expected 4")
    }
    var learningRates: [String: Float] = [:]
    for (name, info) in storedOptimizers {
      guard let lr = Float(info.learningRate) else {
        throw corrupt("optimizer \"\(name)\" has an invalid learning rate")
      }
      learningRates[name] = lr
    }
    let position: Position? = meta[Key.dataPosition] == nil ? nil : try decode(Position.self, Key.dataPosition)
    var userMetadata: [String: String] = [:]
    for (k, v) in meta where k.hasPrefix(Key.userPrefix) { userMetadata[String(k.dropFirst(Key.userPrefix.count))] = v }

    // 2. Every key: models' tensors and random sources, optimisers' presence.
    var error = StateDictError()
    var expectedTensors: Set<String> = []
    var modelStates: [String: [String: Tensor]] = [:]
    for name in models.keys.sorted() {
      let model = models[name]!
      if !storedModels.contains(name) { error.missing.append("model.\(name)") }
      var state: [String: Tensor] = [:]
      for (key, t) in model.namedTensors() {
        let full = "model.\(name).\(key)"
        expectedTensors.insert(full)
        guard let stored = contents.tensors[full] else {
          error.missing.append(full)
          continue
        }
        if stored.shape != t.shape { error.mismatched.append((full, t.shape, stored.shape)) }
        state[key] = stored
      }
      modelStates[name] = state
      for (path, _) in model.namedRandomSources() where sources["\(name).\(path)"] == nil {
        error.missing.append("model.\(name).\(path) (random source)")
      }
    }
    for name in storedModels where models[name] == nil { error.unexpected.append("model.\(name)") }
    var expectedSources: Set<String> = []
    for (name, model) in models {
      for (path, _) in model.namedRandomSources() { expectedSources.insert("\(name).\(path)") }
    }
    for key in sources.keys.sorted() where !expectedSources.contains(key) {
      error.unexpected.append("model.\(key) (random source)")
    }
    for name in optimizers.keys.sorted() where storedOptimizers[name] == nil { error.missing.append("optim.\(name)") }
    for name in storedOptimizers.keys.sorted() where optimizers[name] == nil {
      error.unexpected.append("optim.\(name)")
    }
    for key in contents.tensors.keys.sorted() where !expectedTensors.contains(key) {
      let isOptimizerKey = optimizers.keys.contains { key.hasPrefix("optim.\($0).") }
      if !isOptimizerKey { error.unexpected.append(key) }
    }
    guard error.isEmpty else { throw CheckpointError(file: file, .mismatch(error)) }

    // 3. Optimisers (which validate their own keys), rolled back together if one refuses.
    var loaded: [(any Optimizer, [String: Tensor], Float)] = []
    for name in optimizers.keys.sorted() {
      let optimizer = optimizers[name]!
      let prefix = "optim.\(name)."
      var state: [String: Tensor] = [:]
      for (key, t) in contents.tensors where key.hasPrefix(prefix) { state[String(key.dropFirst(prefix.count))] = t }
      let backup = optimizer.stateDict().mapValues { $0.copy() }
      do {
        try optimizer.load(stateDict: state)
        loaded.append((optimizer, backup, optimizer.learningRate))
        optimizer.learningRate = learningRates[name]!
      } catch {
        for (o, b, lr) in loaded.reversed() {
          try? o.load(stateDict: b)
          o.learningRate = lr
        }
        guard let e = error as? StateDictError else {
          throw CheckpointError(file: file, .corrupt("optimizer \"\(name)\" rejected its state: \(error)"))
        }
        var named = StateDictError()
        named.missing = e.missing.map { prefix + $0 }
        named.unexpected = e.unexpected.map { prefix + $0 }
        named.mismatched = e.mismatched.map { (prefix + $0.key, $0.expected, $0.found) }
        throw CheckpointError(file: file, .mismatch(named))
      }
    }

    // 4. Models and their random sources: already validated, so these cannot fail.
    for (name, model) in models {
      try model.load(stateDict: modelStates[name]!)
      for (path, source) in model.namedRandomSources() { source.generator = sources["\(name).\(path)"]! }
    }
    return ResumedTraining(
      file: file, step: step, generators: generators, dataPosition: position, userMetadata: userMetadata)
  }

  /// Whether the file at `url` is a genai training checkpoint (reads only its header).
  public static func isTrainingCheckpoint(_ url: URL) -> Bool {
    (try? SafeTensors.readMetadata(from: url)[Key.format]) == formatName
  }
}

/// A training checkpoint that cannot be saved or loaded: names the file and the problem.
public struct CheckpointError: Error, CustomStringConvertible, Equatable {
  /// What is wrong.
  public enum Problem: Equatable, Sendable {
    /// The file is a valid safetensors file but not a genai training checkpoint.
    case notATrainingCheckpoint(String)
    /// The checkpoint was written by a newer format version.
    case unsupportedVersion(found: Int, supported: Int)
    /// The checkpoint's metadata is missing or malformed.
    case corrupt(String)
    /// The checkpoint does not match the models and optimisers: every offending key is named.
    case mismatch(StateDictError)
    /// A model or optimiser name cannot be saved.
    case invalidName(String)
    /// A generator asked for is not in the checkpoint.
    case missingGenerator(String, available: [String])
  }

  /// The checkpoint's path.
  public let file: String
  /// What is wrong.
  public let problem: Problem

  /// An error about `file`.
  public init(file: String, _ problem: Problem) {
    self.file = file
    self.problem = problem
  }

  /// `"[checkpoint] <file>: <problem>"`.
  public var description: String {
    let text: String
    switch problem {
    case .notATrainingCheckpoint(let s): text = "not a genai training checkpoint: \(s)"
    case .unsupportedVersion(let found, let supported):
      text = "format version \(found) is newer than the supported version \(supported); update genai"
    case .corrupt(let s): text = "corrupt checkpoint: \(s)"
    case .mismatch(let e):
      text = "does not match the models and optimizers: " + e.description.replacingOccurrences(of: "[load] ", with: "")
    case .invalidName(let s): text = "invalid name \(s)"
    case .missingGenerator(let name, let available):
      let list = available.isEmpty ? "none" : available.joined(separator: ", ")
      text = "no generator named \"\(name)\" (the checkpoint has: \(list))"
    }
    return "[checkpoint] \(file): \(text)"
  }
}
