import Foundation
import GenAIData
import GenAIMetrics
import GenAIModels
import GenAITensor

/// What `genai sample` (and sampling during training) produces. Encoded (without the training
/// text) into every file's provenance as `settings`, so `genai sample --reproduce` can redo it.
public struct SampleRequest: Sendable, Equatable, Codable {
  /// Images or audio clips to generate.
  public var count: Int = 64
  /// The seed of every random draw of the samples.
  public var seed: UInt64 = 0
  /// A class for a conditional model, or `nil` (conditional models then cycle through classes).
  public var label: Int?
  /// Images: one PNG per image instead of one grid.
  public var separateFiles = false
  /// Images: the grid's upscaling factor.
  public var scale = 2
  /// Text: the priming text.
  public var prime = ""
  /// Text: characters to generate.
  public var length = 500
  /// Text: temperature, top-k, top-p, and (char-gpt) whether the context slides exactly.
  public var sampling = SamplingOptions(temperature: 0.8)
  /// Text: the training text; when given, the sidecar also records the generated text's 8-gram
  /// novelty against it and its 8-gram repetition rate (see `TextMetrics`).
  public var trainingText: String?
  /// Latent models: the prior codes are drawn from (`nil`: the standard `N(0, I)`).
  public var prior: LatentPrior?

  /// The defaults.
  public init() {}

  enum CodingKeys: String, CodingKey {
    case count, seed, label, separateFiles = "separate", scale, prime, length, temperature, topK = "top_k", topP = "top_p", prior
    case exactContext = "exact_context"
  }

  /// Decodes the settings `encode(to:)` wrote.
  public init(from decoder: any Decoder) throws {
    let c = try decoder.container(keyedBy: CodingKeys.self)
    count = try c.decode(Int.self, forKey: .count)
    seed = try c.decode(UInt64.self, forKey: .seed)
    label = try c.decodeIfPresent(Int.self, forKey: .label)
    separateFiles = try c.decode(Bool.self, forKey: .separateFiles)
    scale = try c.decode(Int.self, forKey: .scale)
    prime = try c.decode(String.self, forKey: .prime)
    length = try c.decode(Int.self, forKey: .length)
    sampling = SamplingOptions(
      temperature: try c.decode(Float.self, forKey: .temperature), topK: try c.decodeIfPresent(Int.self, forKey: .topK),
      topP: try c.decodeIfPresent(Float.self, forKey: .topP),
      exactContext: try c.decodeIfPresent(Bool.self, forKey: .exactContext) ?? false)
    prior = try c.decodeIfPresent(LatentPrior.self, forKey: .prior)
  }

  /// Every setting but the training text.
  public func encode(to encoder: any Encoder) throws {
    var c = encoder.container(keyedBy: CodingKeys.self)
    try c.encode(count, forKey: .count)
    try c.encode(seed, forKey: .seed)
    try c.encodeIfPresent(label, forKey: .label)
    try c.encode(separateFiles, forKey: .separateFiles)
    try c.encode(scale, forKey: .scale)
    try c.encode(prime, forKey: .prime)
    try c.encode(length, forKey: .length)
    try c.encode(sampling.temperature, forKey: .temperature)
    try c.encodeIfPresent(sampling.topK, forKey: .topK)
    try c.encodeIfPresent(sampling.topP, forKey: .topP)
    // Only when set, so the settings of every other sample read as before the option existed.
    if sampling.exactContext { try c.encode(true, forKey: .exactContext) }
    try c.encodeIfPresent(prior, forKey: .prior)
  }

  /// The settings as one line of JSON with sorted keys.
  public var settingsJSON: String {
    (try? JSONLines.line(self)) ?? "{}"
  }

  /// The most images or clips one request draws: they are generated as one batch, so the limit
  /// keeps a typo from asking for more memory than the machine has.
  public static let countLimit = 10_000
  /// The most characters one request generates (about 20 minutes of char-gpt in a release build).
  public static let lengthLimit = 1_000_000

  /// Checks ranges.
  /// - Throws: `SettingError` naming the first field out of range.
  public func validate() throws {
    try SettingError.check(count, in: 1...Self.countLimit, "count")
    try SettingError.check(length, in: 0...Self.lengthLimit, "length")
    try SettingError.check(scale >= 1 && scale <= 16, "scale", "must be in 1...16, got \(scale)")
  }
}

/// Writes a recipe's samples as files people can open: PNG grids or files, text with a JSON
/// sidecar, WAV clips. Every file records what made it (recipe, step, seed, settings) and that
/// it is machine-generated: PNG `tEXt` chunks, WAV `INFO` chunk, the text's sidecar.
public enum SampleWriter {
  /// Writes samples of `recipe` to `url` and returns the files written.
  ///
  /// `url` is a file for an image grid (`.png`) or text (`.txt`), and a folder for separate
  /// images or audio clips.
  /// - Parameters:
  ///   - provenance: extra entries to record (e.g. the checkpoint's path and step).
  ///   - onCharacter: text recipes call it with each character as it is generated.
  /// - Throws: `SettingError` for a setting out of range, `RecipeError` for a bad label,
  ///   `DataError` when a file cannot be written.
  @discardableResult
  public static func write(
    _ recipe: any Recipe, request: SampleRequest, to url: URL, provenance: [String: String] = [:],
    onCharacter: (String) throws -> Void = { _ in }
  ) throws -> [URL] {
    try request.validate()
    var info = provenance
    info["generator"] = "genai (machine-generated)"
    info["recipe"] = recipe.recipeKind.name
    info["seed"] = String(request.seed)
    if let label = request.label { info["label"] = String(label) }
    info["settings"] = request.settingsJSON
    var rng = SeededGenerator(seed: request.seed)

    if let images = recipe.imageGenerator {
      let x = try images.sampleImages(count: request.count, label: request.label, prior: request.prior, using: &rng)
      if request.prior != nil { info["prior"] = "tuned" }
      let text = info.sorted { $0.key < $1.key }.map { PNGText(key: "genai.\($0.key)", value: $0.value) }
        + [PNGText(key: "Software", value: "genai"), PNGText(key: "Comment", value: "machine-generated image")]
      if !request.separateFiles {
        try ImageGrid.write(x, to: url, range: images.pixelRange, scale: request.scale, text: text)
        return [url]
      }
      try createFolder(url)
      var files: [URL] = []
      for i in 0..<x.shape[0] {
        let file = url.appending(path: String(format: "sample-%03d.png", i + 1))
        try ImageGrid.write(x.slice(axis: 0, i..<(i + 1)), to: file, range: images.pixelRange, margin: 0, text: text)
        files.append(file)
      }
      return files
    }

    if let audio = recipe.audioGenerator {
      let clips = try audio.sample(count: request.count, label: request.label, using: &rng)
      try createFolder(url)
      let length = clips.shape[1]
      let scalars = clips.scalars
      var files: [URL] = []
      for i in 0..<clips.shape[0] {
        // Unlabelled requests cycle through the classes, so clip i is class i % classCount.
        let label = request.label ?? i % max(audio.classCount, 1)
        let file = url.appending(path: String(format: "sample-%03d-label%d.wav", i + 1, label))
        let wavInfo = [
          "ISFT": "genai", "ICMT": "machine-generated audio; " + (try JSONLines.line(info)),
          "INAM": "\(recipe.recipeKind.name) label \(label)",
        ]
        // Generated clips come out about half as loud as the recordings; peak normalisation
        // brings them to a normal listening level without clipping.
        let clip = AudioCleaning.normalised(Array(scalars[(i * length)..<((i + 1) * length)]), to: .peak(0.9))
        try WAV.write(clip, sampleRate: audio.sampleRate, to: file, info: wavInfo)
        files.append(file)
      }
      if let spectrograms = audio.spectrograms(of: clips) {
        files.append(try writeSpectrograms(spectrograms, to: url.appending(path: "spectrograms.png"), info: info))
      }
      return files
    }

    guard let text = recipe.textGenerator else {
      throw TrainingError("recipe \(recipe.recipeKind.name) generates no images, audio or text to sample")
    }
    let settings = request.sampling
    let generated = try text.sample(
      prime: request.prime, length: request.length, options: settings, using: &rng, onCharacter: onCharacter)
    info.merge(text.samplingProvenance(settings)) { _, new in new }
    info["temperature"] = String(settings.temperature)
    if let k = settings.topK { info["top_k"] = String(k) }
    if let p = settings.topP { info["top_p"] = String(p) }
    info["prime"] = request.prime
    info["length"] = String(request.length)
    if let training = request.trainingText, generated.unicodeScalars.count >= 8 {
      info["novelty_8gram"] = String(format: "%.4f", try TextMetrics.novelty(generated: generated, training: training))
      info["repetition_8gram"] = String(format: "%.4f", try TextMetrics.repetitionRate(generated))
    }
    try writeAtomically(Data((request.prime + generated).utf8), to: url)
    let sidecar = url.appendingPathExtension("json")
    try writeAtomically(Data((try JSONLines.line(info) + "\n").utf8), to: sidecar)
    return [url, sidecar]
  }

  /// A grid of log-magnitude spectrograms `[N, 1, F, T]` in [-1, 1], low frequencies at the
  /// bottom (as people draw them), one column per clip.
  static func writeSpectrograms(_ features: Tensor, to url: URL, info: [String: String]) throws -> URL {
    let (n, f, t) = (features.shape[0], features.shape[2], features.shape[3])
    let values = features.scalars
    var flipped = [Float](repeating: 0, count: values.count)
    for i in 0..<n {
      for row in 0..<f {
        let from = (i * f + row) * t
        let to = (i * f + (f - 1 - row)) * t
        flipped.replaceSubrange(to..<(to + t), with: values[from..<(from + t)])
      }
    }
    let text = info.sorted { $0.key < $1.key }.map { PNGText(key: "genai.\($0.key)", value: $0.value) }
      + [PNGText(key: "Comment", value: "log-magnitude spectrograms of machine-generated audio (time across, frequency up)")]
    try ImageGrid.write(
      try Tensor(shape: features.shape, flipped), to: url, range: .minusOneToOne, columns: min(n, 10), text: text)
    return url
  }

  static func createFolder(_ url: URL) throws {
    do {
      try FileManager.default.createDirectory(at: url, withIntermediateDirectories: true)
    } catch {
      throw TrainingError("cannot create \(url.path): \(error.localizedDescription)")
    }
  }

  static func writeAtomically(_ data: Data, to url: URL) throws {
    do {
      try data.write(to: url, options: .atomic)
    } catch {
      throw TrainingError("cannot write \(url.path): \(error.localizedDescription)")
    }
  }

  /// The class `text` names among `classNames`: a number, or a name (case-insensitive; a unique
  /// prefix or a name with a trailing `s` also matches, so `sneakers` finds `Sneaker`).
  /// - Throws: `SettingError` for the field `label`, listing the classes, when nothing or
  ///   several match, or a number is out of range.
  public static func label(_ text: String, classNames: [String]) throws -> Int {
    let listing = classNames.enumerated().map { "\($0.offset)=\($0.element)" }.joined(separator: ", ")
    if let n = Int(text) {
      guard n >= 0 && n < max(classNames.count, 1) else {
        throw SettingError("label", "\(n) is out of range 0..<\(classNames.count) (\(listing))")
      }
      return n
    }
    let key = text.lowercased()
    let names = classNames.map { $0.lowercased() }
    if let exact = names.firstIndex(where: { $0 == key || $0 + "s" == key }) { return exact }
    let prefixed = names.indices.filter { names[$0].hasPrefix(key) }
    if prefixed.count == 1 { return prefixed[0] }
    throw SettingError(
      "label", prefixed.isEmpty ? "\(text) names no class; classes: \(listing)" : "\(text) is ambiguous; classes: \(listing)")
  }
}
