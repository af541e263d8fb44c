import ArgumentParser
import GenAI

/// How the command line names the library's settings. The library reports a setting out of range
/// by its field name (`SettingError`, field `batchSize`); here it becomes the flag that sets it
/// (`--batch-size must be at least 1, got 0`). The one place that knows flags from fields.
enum SettingFlags {
  /// Fields whose flag is not the field's name in kebab case.
  static let renamed: [String: String] = [
    "learningRate": "lr", "klWarmupSteps": "kl-warmup", "separateFiles": "separate",
    "charRNN.hiddenSize": "hidden", "charRNN.layers": "layers", "charGPT.layers": "layers", "charRNN.dropout": "dropout",
    "charGPT.dropout": "dropout", "charRNN.sequenceLength": "context", "charGPT.blockSize": "context",
  ]

  /// The flag that sets `field`: `--batch-size` for `batchSize`, `--lr` for `learningRate`.
  static func flag(for field: String) -> String {
    if let name = renamed[field] { return "--" + name }
    var name = ""
    for character in field {
      if character.isUppercase { name += "-" }
      name += character.lowercased()
    }
    return "--" + name
  }

  /// The value of `body`; a `SettingError` it throws is rethrown as a `ValidationError` that names
  /// the flag instead of the field.
  static func presenting<T>(_ body: () throws -> T) throws -> T {
    do {
      return try body()
    } catch let error as SettingError {
      throw ValidationError("\(flag(for: error.field)) \(error.problem)")
    }
  }
}
