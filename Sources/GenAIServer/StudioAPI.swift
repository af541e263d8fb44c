import Foundation
import GenAI
import Hummingbird

// The JSON the studio's API speaks. Field names are the API's, documented in the README; every
// request value is range-checked by `validated()` before any work starts.

/// One row of the runs table (`GET /api/runs`).
struct RunSummary: ResponseEncodable, Codable, Sendable, Equatable {
  var id: String
  var recipe: String
  var data: String
  /// The newest checkpoint's step.
  var step: Int
  /// The configured total.
  var steps: Int
  /// `training`, `stopped` or `finished`.
  var status: String
  /// The main metric's name and which way is better (`lower`, `higher`).
  var mainMetric: String
  var better: String
  /// The best value so far and its step, once an evaluation ran.
  var best: Double?
  var bestStep: Int?
  /// The newest sample file's URL.
  var newestSample: String?
}

/// `GET /api/runs`.
struct RunList: ResponseEncodable, Sendable {
  var runs: [RunSummary]
}

/// `GET /api/runs/{id}`: the summary, what the run can generate, its classes, samples and
/// rated batches, and its training curve (at most 500 points).
struct RunDetail: ResponseEncodable, Sendable {
  var summary: RunSummary
  /// `images`, `text`, `audio`, or `null` for a feature network.
  var generates: String?
  var classNames: [String]
  var hasTunedPrior: Bool
  /// What its newest checkpoint can do: `images`, `latent` (walks, tuned priors), `restore`,
  /// `text`, `audio`, `tune` (empty before its first checkpoint).
  var abilities: [String]
  var samples: [String]
  var batches: [BatchInfo]
  var history: [HistoryPoint]
  var evaluations: [EvaluationLine]
}

/// A batch of samples in the run's index, for rating.
struct BatchInfo: Codable, Sendable, Equatable {
  var batch: Int
  var count: Int
  var files: [String]
}

/// One point of the training curve.
struct HistoryPoint: Codable, Sendable {
  var step: Int
  var losses: [String: Float]
}

/// `GET /api/recipes`.
struct RecipeList: ResponseEncodable, Sendable {
  struct Recipe: Codable, Sendable {
    var name: String
    var summary: String
    var data: [String]
    var mainMetric: String
  }
  var recipes: [Recipe]
}

/// `POST /api/runs/{id}/images`: `count` (1-64, default 16), `seed`, `label` (a class name or
/// number, conditional models), `prior` (`tuned` or `standard`; default tuned when the run has one).
struct ImageRequest: Codable, Sendable {
  var count: Int?
  var seed: UInt64?
  var label: String?
  var prior: String?

  /// The largest grid one request may ask for.
  static let maxCount = 64

  func validated() throws -> ImageRequest {
    let count = self.count ?? 16
    guard (1...Self.maxCount).contains(count) else { throw StudioError.badRequest("count must be in 1...\(Self.maxCount), got \(count)") }
    if let prior, !["tuned", "standard"].contains(prior) { throw StudioError.badRequest("prior must be tuned or standard, got \(prior)") }
    return ImageRequest(count: count, seed: seed ?? 0, label: label, prior: prior)
  }
}

/// `POST /api/runs/{id}/text`: `prime`, `length` (1-2000, default 200), `temperature`
/// (0.05-5, default 0.8), `topK` (≥ 1), `topP` (0-1], `seed`.
struct TextRequest: Codable, Sendable {
  var prime: String?
  var length: Int?
  var temperature: Float?
  var topK: Int?
  var topP: Float?
  var seed: UInt64?

  /// The longest text one request may ask for.
  static let maxLength = 2000

  func validated() throws -> TextRequest {
    let length = self.length ?? 200
    guard (1...Self.maxLength).contains(length) else { throw StudioError.badRequest("length must be in 1...\(Self.maxLength), got \(length)") }
    let temperature = self.temperature ?? 0.8
    guard temperature.isFinite, (0.05...5).contains(temperature) else {
      throw StudioError.badRequest("temperature must be in 0.05...5, got \(temperature)")
    }
    if let topK, topK < 1 { throw StudioError.badRequest("topK must be at least 1, got \(topK)") }
    if let topP, !(topP > 0 && topP <= 1) { throw StudioError.badRequest("topP must be in (0, 1], got \(topP)") }
    let prime = self.prime ?? ""
    guard prime.count <= 1000 else { throw StudioError.badRequest("prime must be at most 1000 characters, got \(prime.count)") }
    return TextRequest(prime: prime, length: length, temperature: temperature, topK: topK, topP: topP, seed: seed ?? 0)
  }
}

/// `POST /api/runs/{id}/ratings`: sample numbers of `batch` liked and disliked.
struct RatingRequest: Codable, Sendable {
  var batch: Int
  var like: [Int]?
  var dislike: [Int]?
}

/// What an image or text request made: the batch number in the run's sample index (rate it by
/// this number), its sample count and the file's URL.
struct GeneratedBatch: ResponseEncodable, Codable, Sendable {
  var batch: Int
  var count: Int
  var url: String
}

/// `POST /api/runs/{id}/ratings`: how many ratings the run holds now.
struct RatingResult: ResponseEncodable, Sendable {
  var ratings: Int
}

/// `POST /api/jobs`: train `recipe` on `data` (a `--data` spec; default the recipe's dataset)
/// into the run folder `name` (default `RECIPE-DATE`), with optional `steps` (1-1,000,000),
/// `batchSize` (1-4096), `learningRate` and `seed`. Samples and checkpoints come every tenth of
/// the run (at most every 500 steps), so the page has something to show early.
struct JobRequest: Codable, Sendable {
  var recipe: String
  var data: String?
  var name: String?
  var steps: Int?
  var batchSize: Int?
  var learningRate: Float?
  var seed: UInt64?

  /// The run configuration and the run's id.
  /// - Throws: a 400 naming the value that does not fit.
  func configuration(existing: [String]) throws -> (config: RunConfig, id: String) {
    let kind = try RecipeKind.named(recipe)
    let spec = try data.map { try DataSpec(parsing: $0) }
    // A request may not make the server read files outside the runs folder: named datasets
    // (from the data folder) and the built-in shapes only.
    if case .files = spec {
      throw StudioError.badRequest("the studio trains on named datasets and shapes only (\(DataSpec.names.joined(separator: ", "))); train on your own files with genai train")
    }
    var config = RunConfig(recipe: kind, data: spec)
    guard kind.defaults(for: config.data.kind) != nil else {
      throw StudioError.badRequest("\(kind.name) does not train on \(config.data.kind.rawValue) (e.g. \(kind.defaultData))")
    }
    if let steps {
      guard (1...1_000_000).contains(steps) else { throw StudioError.badRequest("steps must be in 1...1000000, got \(steps)") }
      config.steps = steps
    }
    if let batchSize {
      guard (1...4096).contains(batchSize) else { throw StudioError.badRequest("batchSize must be in 1...4096, got \(batchSize)") }
      config.batchSize = batchSize
    }
    if let learningRate {
      guard learningRate.isFinite, learningRate > 0, learningRate <= 1 else {
        throw StudioError.badRequest("learningRate must be in (0, 1], got \(learningRate)")
      }
      config.learningRate = learningRate
    }
    config.seed = seed ?? 0
    config.sampleEvery = max(1, min(500, config.steps / 10))
    config.checkpointEvery = config.sampleEvery
    config.logEvery = max(1, min(10, config.steps / 20))
    config.evalEvery = 0
    let id: String
    if let name {
      guard Self.isRunName(name) else {
        throw StudioError.badRequest("name must be 1-64 letters, digits, '.', '_' or '-', not starting with '.', got \(name)")
      }
      guard !existing.contains(name) else { throw StudioError.badRequest("a run called \(name) exists") }
      id = name
    } else {
      let stamp = RunDirectory.defaultURL(name: kind.name).lastPathComponent
      id = ([stamp] + (2...).lazy.map { "\(stamp)-\($0)" }).first { !existing.contains($0) }!
    }
    return (config, id)
  }

  /// Whether `name` can name a run folder: no path, no hidden file.
  static func isRunName(_ name: String) -> Bool {
    (1...64).contains(name.count) && !name.hasPrefix(".")
      && name.unicodeScalars.allSatisfy { $0.isASCII && (CharacterSet.alphanumerics.contains($0) || "._-".unicodeScalars.contains($0)) }
  }
}

/// `POST /api/jobs/{id}/resume`: continue a stopped run, to `steps` in all (default its own).
struct ResumeRequest: Codable, Sendable {
  var steps: Int?
}

/// `GET /api/jobs`.
struct JobList: ResponseEncodable, Sendable {
  var jobs: [TrainingJobs.Job]
}

extension TrainingJobs.Job: ResponseEncodable {}

/// The JSON body of `request`, at most `limit` bytes.
/// - Throws: a 400 naming the field for malformed JSON or a wrong type, a 413 for a larger body.
func decodeBody<T: Decodable>(_ type: T.Type, from request: Request, limit: Int = 64 << 10) async throws -> T {
  let buffer: ByteBuffer
  do {
    buffer = try await request.body.collect(upTo: limit)
  } catch {
    throw HTTPError(.contentTooLarge, message: "the request body is larger than \(limit) bytes")
  }
  do {
    return try JSONDecoder().decode(T.self, from: Data(buffer.readableBytesView))
  } catch let error as DecodingError {
    switch error {
    case .keyNotFound(let key, _): throw StudioError.badRequest("missing field \"\(key.stringValue)\"")
    case .typeMismatch(_, let c), .valueNotFound(_, let c), .dataCorrupted(let c):
      let path = c.codingPath.map(\.stringValue).joined(separator: ".")
      throw StudioError.badRequest(path.isEmpty ? "the body is not the JSON expected" : "field \"\(path)\" has the wrong type or value")
    @unknown default: throw StudioError.badRequest("the body is not the JSON expected")
    }
  }
}
