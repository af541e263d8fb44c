import Foundation
import GenAIData
import GenAIModels

/// Reads back what produced a generated file and regenerates it: the PNG `tEXt` chunks
/// (`genai.*`), the WAV `INFO/ICMT` comment (a JSON object after `machine-generated audio; `), or
/// the JSON sidecar of a text file (`FILE.txt.json`).
public enum Provenance {
  /// The provenance fields of `file` (`recipe`, `seed`, `checkpoint_path`, `model_sha256`,
  /// `settings`, ...).
  /// - Throws: `TrainingError` naming the file when it has no genai provenance.
  public static func read(_ file: URL) throws -> [String: String] {
    let path = file.path
    guard FileManager.default.fileExists(atPath: path) else { throw TrainingError("\(path): no such file") }
    var fields: [String: String] = [:]
    switch file.pathExtension.lowercased() {
    case "png":
      for entry in try PNGDecoder.read(file).text where entry.key.hasPrefix("genai.") {
        fields[String(entry.key.dropFirst(6))] = entry.value
      }
    case "wav":
      let comment = try WAV.read(file).info["ICMT"] ?? ""
      if let brace = comment.firstIndex(of: "{") { fields = jsonFields(String(comment[brace...])) }
    case "json":
      fields = jsonFields(String(decoding: FileManager.default.contents(atPath: path) ?? Data(), as: UTF8.self))
    default:
      let sidecar = file.appendingPathExtension("json")
      fields = jsonFields(String(decoding: FileManager.default.contents(atPath: sidecar.path) ?? Data(), as: UTF8.self))
    }
    guard fields["settings"] != nil, fields["checkpoint_path"] != nil else {
      throw TrainingError("\(path) carries no genai provenance (settings and checkpoint): it was not written by `genai sample`, or by a version before provenance was complete")
    }
    return fields
  }

  /// The settings a file was made with.
  /// - Throws: `TrainingError` naming `source` when the `settings` field is not valid or a
  ///   setting in it is out of range.
  public static func request(from fields: [String: String], source: String) throws -> SampleRequest {
    guard let text = fields["settings"], var request = try? JSONDecoder().decode(SampleRequest.self, from: Data(text.utf8)) else {
      throw TrainingError("\(source): its provenance has no readable settings")
    }
    do {
      try request.validate()
    } catch let error as SettingError {
      throw TrainingError("\(source): provenance settings \(error)")
    }
    // char-gpt text from before the context rule was recorded slid its context exactly.
    if fields["recipe"] == CharGPT.name && fields["context"] == nil { request.sampling.exactContext = true }
    return request
  }

  /// Regenerates `file` from its provenance into `folder` and compares the bytes.
  /// - Returns: the regenerated file and whether it is identical to `file`.
  /// - Throws: `TrainingError` when the checkpoint is gone or has changed (hash mismatch), or
  ///   the file has no provenance; what loading and sampling throw.
  public static func reproduce(_ file: URL, into folder: URL) throws -> (file: URL, identical: Bool) {
    let fields = try read(file)
    let checkpointPath = fields["checkpoint_path"]!
    guard FileManager.default.fileExists(atPath: checkpointPath) else {
      throw TrainingError("\(file.path) was made from \(checkpointPath), which no longer exists (pruned? keep it with --keep-checkpoints or use the best checkpoints)")
    }
    if let expected = fields["model_sha256"], expected != "unknown" {
      let actual = try SHA256.hex(file: URL(fileURLWithPath: checkpointPath))
      guard actual == expected else {
        throw TrainingError("\(checkpointPath) has changed since \(file.lastPathComponent) was made (sha256 \(actual.prefix(12))…, expected \(expected.prefix(12))…)")
      }
    }
    var request = try request(from: fields, source: file.path)
    let trained = try TrainedRecipe(loading: checkpointPath)
    if fields["novelty_8gram"] != nil { request.trainingText = trained.trainingText() }
    try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
    // Separate files (images with --separate, audio clips) come from one call into a folder.
    let isFolderOutput = request.separateFiles || file.pathExtension.lowercased() == "wav"
    let target = isFolderOutput ? folder : folder.appending(path: file.lastPathComponent)
    let written = try SampleWriter.write(trained.recipe, request: request, to: target, provenance: trained.provenance)
    guard let twin = written.first(where: { $0.lastPathComponent == file.lastPathComponent }) else {
      throw TrainingError("regenerating \(file.lastPathComponent) wrote \(written.map(\.lastPathComponent)) but no file of that name")
    }
    let identical = FileManager.default.contentsEqual(atPath: twin.path, andPath: file.path)
    return (twin, identical)
  }

  /// The text fields of a JSON object written by `JSONLines.line`, or none when it is not one.
  private static func jsonFields(_ text: String) -> [String: String] {
    (try? JSONDecoder().decode([String: String].self, from: Data(text.utf8))) ?? [:]
  }
}
