import ArgumentParser
import Foundation
import GenAI

/// `genai rate RUN --like 3,7 --dislike 5`: records people's ratings of numbered samples.
struct RateCommand: ParsableCommand {
  static let configuration = CommandConfiguration(
    commandName: "rate",
    abstract: "Record which numbered samples you liked or disliked.",
    discussion: """
      `genai sample` numbers what it writes (grid cells left to right, top to bottom; files and \
      clips in order) and records each call as a batch in RUN/samples/index.jsonl. This command \
      stores ratings of a batch (the newest unless --batch) in RUN/ratings.jsonl; rating a \
      sample again replaces its rating. `genai tune RUN` then steers the model toward the liked \
      samples.

      Examples:
        genai sample runs/dcgan --count 16
        genai rate runs/dcgan --like 3,7,12 --dislike 5
        genai tune runs/dcgan
      """)

  @Argument(help: ArgumentHelp("The run folder.", valueName: "run"))
  var runPath: String

  @Option(help: "Numbers of liked samples, comma-separated.")
  var like: String = ""

  @Option(help: "Numbers of disliked samples, comma-separated.")
  var dislike: String = ""

  @Option(help: "The sample batch (default: the newest).")
  var batch: Int?

  func run() throws {
    let run = RunDirectory(url: URL(fileURLWithPath: runPath))
    guard run.exists else { throw ValidationError("\(runPath) is not a genai run: it has no config.json") }
    let liked = try Self.numbers(like, option: "--like")
    let disliked = try Self.numbers(dislike, option: "--dislike")
    guard !(liked.isEmpty && disliked.isEmpty) else { throw ValidationError("give --like and/or --dislike sample numbers") }
    let batches = SampleIndex(run: run).batches()
    guard let chosen = batch.map({ b in batches.first { $0.batch == b } }) ?? batches.last else {
      throw ValidationError(
        batches.isEmpty
          ? "\(runPath) has no numbered samples yet: run `genai sample \(runPath)` first"
          : "batch \(batch!) not found; batches 1-\(batches.count) are recorded in \(SampleIndex(run: run).url.path)")
    }
    let ratings = Ratings(run: run)
    try ratings.record(batch: chosen, like: liked, dislike: disliked)
    let all = ratings.entries()
    print("batch \(chosen.batch): liked \(liked.map(String.init).joined(separator: ",")), disliked \(disliked.map(String.init).joined(separator: ",")); the run now has \(all.filter { $0.rating == .like }.count) liked and \(all.filter { $0.rating == .dislike }.count) disliked samples (\(ratings.url.path))")
  }

  static func numbers(_ text: String, option: String) throws -> [Int] {
    try text.split(separator: ",").map { part in
      guard let n = Int(part.trimmingCharacters(in: .whitespaces)) else {
        throw ValidationError("\(option): \"\(part)\" is not a sample number (use e.g. 3,7,12)")
      }
      return n
    }
  }
}
