import Foundation

/// People's ratings of numbered samples, one JSON line each in `RUN/ratings.jsonl`:
/// `{"batch": 3, "sample": 7, "rating": "like", "time": ...}`. A later rating of the same sample
/// replaces the earlier one.
public struct Ratings: Sendable {
  /// Like or dislike.
  public enum Rating: String, Codable, Sendable {
    /// Wanted more of.
    case like
    /// Wanted less of.
    case dislike
  }

  /// One rating.
  public struct Entry: Codable, Equatable, Sendable {
    /// The `genai sample` batch.
    public var batch: Int
    /// The sample's number in it (from 1).
    public var sample: Int
    /// The rating.
    public var rating: Rating
    /// When (seconds since 1970).
    public var time: Double
  }

  /// The run.
  public let run: RunDirectory
  /// The ratings of `run`.
  public init(run: RunDirectory) { self.run = run }

  /// `ratings.jsonl`.
  public var url: URL { run.url.appending(path: "ratings.jsonl") }

  /// The current rating of every rated sample (the newest wins), in the order first rated.
  public func entries() -> [Entry] {
    guard let data = FileManager.default.contents(atPath: url.path) else { return [] }
    var latest: [String: Entry] = [:]
    var order: [String] = []
    for e in JSONLines.decode(Entry.self, lines: data, source: url.path).values {
      let key = "\(e.batch)/\(e.sample)"
      if latest[key] == nil { order.append(key) }
      latest[key] = e
    }
    return order.compactMap { latest[$0] }
  }

  /// Records `like` and `dislike` sample numbers of `batch`.
  /// - Throws: `TrainingError` for a number outside `1...count`, a sample both liked and
  ///   disliked, or a file that cannot be written.
  public func record(batch: SampleIndex.Batch, like: [Int], dislike: [Int]) throws {
    for n in like + dislike where n < 1 || n > batch.count {
      throw TrainingError("sample \(n) is not in batch \(batch.batch), which has samples 1-\(batch.count)")
    }
    if let both = Set(like).intersection(dislike).first {
      throw TrainingError("sample \(both) is both liked and disliked")
    }
    let now = Date().timeIntervalSince1970
    let entries = like.map { (n: $0, rating: Rating.like) } + dislike.map { (n: $0, rating: .dislike) }
    try JSONLines.append(entries.map { Entry(batch: batch.batch, sample: $0.n, rating: $0.rating, time: now) }, to: url)
  }
}
