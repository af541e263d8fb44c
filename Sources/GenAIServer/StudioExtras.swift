import Foundation
import GenAI
import Hummingbird

// The studio's other generators and the tuning button: latent walks, audio clips, restoration
// of an uploaded image, and `genai tune` with its before/after measurement.

/// `POST /api/runs/{id}/walk`: `frames` (2-32, default 10) images decoded along the straight line
/// between the codes drawn with seeds `from` and `to` (the same codes a 1-image grid with that
/// seed starts from), optionally of one class.
struct WalkRequest: Codable, Sendable {
  var from: UInt64?
  var to: UInt64?
  var frames: Int?
  var label: String?

  func validated() throws -> WalkRequest {
    let frames = self.frames ?? 10
    guard (2...32).contains(frames) else { throw StudioError.badRequest("frames must be in 2...32, got \(frames)") }
    return WalkRequest(from: from ?? 0, to: to ?? 1, frames: frames, label: label)
  }
}

/// `POST /api/runs/{id}/audio`: `count` clips (1-20, default 10; the classes in turn), `seed`,
/// `label` for one class.
struct AudioRequest: Codable, Sendable {
  var count: Int?
  var seed: UInt64?
  var label: String?

  func validated() throws -> AudioRequest {
    let count = self.count ?? 10
    guard (1...20).contains(count) else { throw StudioError.badRequest("count must be in 1...20, got \(count)") }
    return AudioRequest(count: count, seed: seed ?? 0, label: label)
  }
}

/// What the audio generator made: the clips and their spectrogram picture.
struct GeneratedAudio: ResponseEncodable, Codable, Sendable {
  var batch: Int
  var clips: [String]
  var spectrograms: String?
}

/// `POST /api/runs/{id}/tune`: what tuning did, and the before/after measurement when the run
/// has a feature network (`samples` per prior, 0-2000, default 500).
struct TuneResult: ResponseEncodable, Codable, Sendable {
  var summary: String
  var measurement: String?
}

/// `POST /api/runs/{id}/tune`'s body.
struct TuneRequest: Codable, Sendable {
  var samples: Int?
}

/// What the restorer made from an upload.
struct Restored: ResponseEncodable, Codable, Sendable {
  var input: String
  var output: String
}

extension StudioGeneration {
  /// A strip of `asked.frames` images between two seeds' codes (runs on `StudioWork.queue`).
  static func walk(_ asked: WalkRequest, run: RunDirectory, id: String) throws -> GeneratedBatch {
    let model = try StudioWork.model(run)
    let trained = model.trained
    guard let latent = trained.recipe.latentImageGenerator else {
      throw StudioError.badRequest("\(trained.config.recipe.name) runs have no latent code to walk through")
    }
    let label = try asked.label.map { try SampleWriter.label($0, classNames: trained.config.classNames ?? []) }
    let prior = try trained.tunedPrior()
    var first = SeededGenerator(seed: asked.from ?? 0)
    var last = SeededGenerator(seed: asked.to ?? 1)
    let a = try latent.latents(count: 1, prior: prior, using: &first)
    let b = try latent.latents(count: 1, prior: prior, using: &last)
    let frames = asked.frames ?? 10
    let codes = Tensor.concatenate((0..<frames).map { i in
      let t = Float(i) / Float(frames - 1)
      return a * (1 - t) + b * t
    }, axis: 0)
    let images = try latent.generate(latents: codes, label: label)
    let url = try nextFile(run, fileExtension: "png")
    var info = model.provenance
    info["generator"] = "genai (machine-generated)"
    info["recipe"] = trained.config.recipe.name
    info["walk"] = "seed \(asked.from ?? 0) to seed \(asked.to ?? 1), \(frames) frames"
    let text = info.sorted { $0.key < $1.key }.map { PNGText(key: "genai.\($0.key)", value: $0.value) }
      + [PNGText(key: "Comment", value: "machine-generated latent walk")]
    try ImageGrid.write(images, to: url, range: latent.pixelRange, columns: frames, scale: 2, text: text)
    return GeneratedBatch(batch: 0, count: frames, url: "/api/runs/\(id)/files/\(url.lastPathComponent)")
  }

  /// Audio clips with their spectrograms, indexed as a batch to rate.
  static func audio(_ asked: AudioRequest, run: RunDirectory, id: String) throws -> GeneratedAudio {
    let model = try StudioWork.model(run)
    let trained = model.trained
    guard trained.recipe.audioGenerator != nil else {
      throw StudioError.badRequest("\(trained.config.recipe.name) runs do not generate audio")
    }
    var request = SampleRequest()
    request.count = asked.count ?? 10
    request.seed = asked.seed ?? 0
    if let label = asked.label { request.label = try SampleWriter.label(label, classNames: trained.config.classNames ?? []) }
    let folder = try nextFile(run, fileExtension: "audio")
    let files = try SampleWriter.write(trained.recipe, request: request, to: folder, provenance: model.provenance)
    let batch = try SampleIndex(run: run).append(
      files: files, count: request.count, checkpoint: trained.checkpoint, request: request, recipe: trained.config.recipe.name)
    let url = { (file: URL) in "/api/runs/\(id)/files/\(folder.lastPathComponent)/\(file.lastPathComponent)" }
    return GeneratedAudio(
      batch: batch, clips: files.filter { $0.pathExtension == "wav" }.map(url),
      spectrograms: files.first { $0.pathExtension == "png" }.map(url))
  }

  /// Repairs `png` (a damaged image) with the run's restorer: the `box` `[x, y, w, h]` on the
  /// 28x28 grid is filled in, or without a box the image is denoised.
  static func restore(png: Data, box: [Int]?, run: RunDirectory, id: String) throws -> Restored {
    let model = try StudioWork.model(run)
    guard let restorer = model.trained.recipe.imageRestorer else {
      throw StudioError.badRequest("\(model.trained.config.recipe.name) runs cannot restore images (vaegan runs can)")
    }
    // Decoded from memory first: nothing that is not a PNG of a sane size reaches the disk.
    let decoded: PNGImage
    do {
      decoded = try PNGDecoder.decode([UInt8](png), file: "the upload")
    } catch {
      throw StudioError.badRequest("not a PNG image: \(error)")
    }
    guard decoded.bitmap.width <= 1024, decoded.bitmap.height <= 1024 else {
      throw StudioError.badRequest("the image is \(decoded.bitmap.width)x\(decoded.bitmap.height); at most 1024x1024")
    }
    let bitmap = decoded.bitmap.converted(toChannels: 1).resized(width: 28, height: 28)
    let input = try nextFile(run, fileExtension: "upload.png")
    try png.write(to: input, options: .atomic)
    let image = try Tensor(shape: [1, 1, 28, 28], bitmap.pixels.map { PixelRange.minusOneToOne.value(of: $0) })
    let result: Tensor
    if let box {
      guard box.count == 4, box[0] >= 0, box[1] >= 0, box[2] > 0, box[3] > 0, box[0] + box[2] <= 28, box[1] + box[3] <= 28 else {
        throw StudioError.badRequest("box must be [x, y, width, height] inside 28x28, got \(box)")
      }
      var known = [Float](repeating: 1, count: 28 * 28)
      for y in box[1]..<(box[1] + box[3]) { for x in box[0]..<(box[0] + box[2]) { known[y * 28 + x] = 0 } }
      result = try restorer.restore(damaged: image, mask: try Tensor(shape: [1, 1, 28, 28], known), steps: 10)
    } else {
      result = try restorer.reconstruct(image)
    }
    let output = try nextFile(run, fileExtension: "restored.png")
    let text = model.provenance.sorted { $0.key < $1.key }.map { PNGText(key: "genai.\($0.key)", value: $0.value) }
      + [PNGText(key: "Comment", value: "machine-restored image")]
    try ImageGrid.write(Tensor.concatenate([image, result], axis: 0), to: output, range: .minusOneToOne, scale: 4, text: text)
    return Restored(
      input: "/api/runs/\(id)/files/\(input.lastPathComponent)", output: "/api/runs/\(id)/files/\(output.lastPathComponent)")
  }

  /// Fits the tuned prior (or fine-tunes a text model) on the run's likes, then measures the
  /// standard and tuned priors side by side when a feature network is at hand.
  static func tune(_ run: RunDirectory, samples: Int) throws -> TuneResult {
    let outcome = try Tuner.tune(run)
    var measurement: String?
    if samples > 0, let tuned = outcome.prior {
      measurement = try TuningCheck.measure(run, prior: tuned.prior, samples: samples, classifier: nil).table
    }
    return TuneResult(summary: outcome.summary, measurement: measurement)
  }
}
