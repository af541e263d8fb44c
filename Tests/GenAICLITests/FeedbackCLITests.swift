import ArgumentParser
import Foundation
import GenAI
@testable import GenAITraining
import GenAITestSupport
import Testing
@testable import GenAICLI

/// `genai eval`, `genai sample --reproduce/--best`, `genai rate` and `genai tune`, end to end.
@Suite("Evaluation and feedback from the command line", .serialized)
struct FeedbackCLITests {
  private func genai(_ arguments: [String]) throws {
    var command = try GenAICommand.parseAsRoot(arguments)
    try command.run()
  }

  /// Sample numbering, ratings and tuning on a DCGAN: the tuned prior is fitted to the liked
  /// samples' codes, new samples come from it, and both kinds of file reproduce bit for bit.
  @Test func rateTuneAndReproduce() throws {
    let root = try TemporaryFolder.make("feedback-tune")
    defer { try? FileManager.default.removeItem(at: root) }
    let run = root.appending(path: "run").path
    try genai(["train", "dcgan", "--data", "shapes", "--steps", "2", "--batch-size", "4", "--out", run, "--plain", "--eval-every", "0"])
    let first = root.appending(path: "first.png")
    try genai(["sample", run, "--count", "8", "--seed", "5", "--out", first.path])
    let directory = RunDirectory(url: URL(fileURLWithPath: run))
    let batches = SampleIndex(run: directory).batches()
    #expect(batches.map(\.batch) == [1])
    #expect(batches.first?.count == 8)
    try genai(["rate", run, "--like", "2,4", "--dislike", "7"])
    #expect(Ratings(run: directory).entries().map(\.sample) == [2, 4, 7])
    #expect(throws: (any Error).self) { try genai(["rate", run, "--like", "9"]) }
    try genai(["tune", run, "--samples", "0"])
    let tuned = try #require(try TunedPrior.load(directory))
    // The centre is the mean of the liked codes: rows 2 and 4 of batch 1's draws (seed 5).
    var g = SeededGenerator(seed: 5)
    let z = Tensor.randn([8, 100], using: &g).scalars
    let expected: [Float] = (0..<100).map { j in
      let a: Float = z[100 + j]
      let b: Float = z[300 + j]
      return (a + b) / 2
    }
    #expect(zip(tuned.prior.mean, expected).allSatisfy { abs($0 - $1) < 1e-5 })
    #expect(tuned.liked == 2 && tuned.disliked == 1)
    // New samples come from the tuned prior and say so; --prior standard gives the original.
    let second = root.appending(path: "second.png")
    try genai(["sample", run, "--count", "8", "--seed", "5", "--out", second.path])
    #expect(try PNGDecoder.read(second).text.contains { $0.key == "genai.prior" && $0.value == "tuned" })
    let standard = root.appending(path: "standard.png")
    try genai(["sample", run, "--count", "8", "--seed", "5", "--out", standard.path, "--prior", "standard"])
    #expect(try PNGDecoder.read(standard).bitmap == PNGDecoder.read(first).bitmap)
    #expect(try PNGDecoder.read(second).bitmap != PNGDecoder.read(first).bitmap)
    // Both regenerate bit for bit from their own metadata.
    for file in [first, second] {
      let again = try Provenance.reproduce(file, into: root.appending(path: "again-\(file.lastPathComponent)"))
      #expect(again.identical, "\(file.lastPathComponent)")
    }
    try genai(["sample", "--reproduce", second.path, "--out", root.appending(path: "cli").path])
  }

  /// Liking the brightest samples of a briefly trained DCGAN makes new samples brighter: the
  /// tuned prior steers toward what was liked, judged by a measurement independent of the model.
  @Test func tuningMovesSamplesTowardTheLikedKind() throws {
    let root = try TemporaryFolder.make("feedback-bright")
    defer { try? FileManager.default.removeItem(at: root) }
    let run = root.appending(path: "run").path
    try genai(["train", "dcgan", "--data", "shapes", "--steps", "20", "--batch-size", "16", "--out", run, "--plain", "--eval-every", "0"])
    let trained = try TrainedRecipe(loading: run)
    let model = try #require(trained.recipe as? any LatentImageGenerating)
    func brightness(_ prior: LatentPrior, seed: UInt64, count: Int) throws -> [Float] {
      var g = SeededGenerator(seed: seed)
      let images = try model.sample(count: count, label: nil, prior: prior, using: &g).images
      let d = images.count / count
      return (0..<count).map { i in images.scalars[(i * d)..<((i + 1) * d)].reduce(0, +) / Float(d) }
    }
    try genai(["sample", run, "--count", "32", "--seed", "11", "--out", root.appending(path: "rate-me.png").path])
    let shown = try brightness(.standard(100), seed: 11, count: 32)
    let brightest = shown.indices.sorted { shown[$0] > shown[$1] }.prefix(8).map { $0 + 1 }
    try genai(["rate", run, "--like", brightest.map(String.init).joined(separator: ",")])
    try genai(["tune", run, "--samples", "0"])
    let prior = try #require(try TunedPrior.load(RunDirectory(url: URL(fileURLWithPath: run)))).prior
    let before = try brightness(.standard(100), seed: 99, count: 200)
    let after = try brightness(prior, seed: 99, count: 200)
    let mean = { (x: [Float]) in x.reduce(0, +) / Float(x.count) }
    #expect(mean(after) > mean(before), "before \(mean(before)), after \(mean(after))")
  }

  /// Text: liking a sample and tuning fine-tunes the model on it (a new checkpoint a few steps
  /// later), and the model's loss on the liked text falls.
  @Test func tuningATextModelFineTunesOnTheLikedText() throws {
    let root = try TemporaryFolder.make("feedback-text-tune")
    defer { try? FileManager.default.removeItem(at: root) }
    let train = root.appending(path: "train.txt")
    try Data(String(repeating: "Now is the winter of our discontent\nMade glorious summer by this sun of York;\n", count: 30).utf8).write(to: train)
    let run = root.appending(path: "run").path
    try genai([
      "train", "char-gpt", "--data", "text:\(train.path)", "--steps", "3", "--batch-size", "4", "--context", "16", "--layers", "1",
      "--out", run, "--plain", "--eval-every", "0",
    ])
    let sample = root.appending(path: "liked.txt")
    try genai(["sample", run, "--length", "120", "--seed", "2", "--out", sample.path, "--quiet"])
    try genai(["rate", run, "--like", "1"])
    let before = try TrainedRecipe(loading: run)
    let liked = try String(contentsOf: sample, encoding: .utf8)
    func loss(_ trained: TrainedRecipe) throws -> Double {
      let model = try #require(trained.recipe as? any CharacterModel)
      return try model.characterLoss(ids: Evaluator.encodeKnown(liked, vocabulary: model.vocabulary).ids).nats
    }
    let lossBefore = try loss(before)
    try genai(["tune", run, "--steps", "20", "--lr", "3e-3"])
    let after = try TrainedRecipe(loading: run)
    #expect(after.step == 23)
    #expect(try loss(after) < lossBefore)
  }

  /// `genai eval` on a small text run scored on another text: the table's metrics are logged as
  /// an eval line and saved as evals/step-N.json.
  @Test func evalOnAGivenText() throws {
    let root = try TemporaryFolder.make("feedback-eval")
    defer { try? FileManager.default.removeItem(at: root) }
    let text = String(repeating: "To be, or not to be, that is the question:\nWhether 'tis nobler in the mind to suffer\n", count: 30)
    let train = root.appending(path: "train.txt")
    try Data(text.utf8).write(to: train)
    let other = root.appending(path: "other.txt")
    try Data(String(repeating: "The slings and arrows of outrageous fortune,\nOr to take arms against a sea of troubles\n", count: 10).utf8).write(to: other)
    let run = root.appending(path: "run").path
    try genai([
      "train", "char-gpt", "--data", "text:\(train.path)", "--steps", "3", "--batch-size", "4", "--context", "16", "--layers", "1",
      "--out", run, "--plain", "--eval-every", "0",
    ])
    try genai(["eval", run, "--data", "text:\(other.path)", "--samples", "200", "--json"])
    let directory = RunDirectory(url: URL(fileURLWithPath: run))
    let report = try #require(directory.evaluations().last)
    #expect(report.step == 3)
    let loss = try #require(report.metric("val_loss"))
    // An untrained-ish model is near log(vocabulary size) nats per character.
    #expect(loss.value > 1 && loss.value < 5)
    #expect(report.metric("bits_per_char")?.value == loss.value / log(2))
    #expect(report.metric("novelty") != nil && report.metric("repetition") != nil)
    let lines = try MetricsLog.read(directory.metricsURL).compactMap(\.evaluation)
    #expect(lines.count == 1)
    #expect(abs((lines.first?.metrics["val_loss"] ?? 0) - loss.value) < 1e-9, "\(lines)")
    #expect(throws: (any Error).self) { try genai(["eval", run, "--data", "fashion-mnist"]) }
    // Bad input to the feedback commands: errors, not crashes.
    #expect(throws: (any Error).self) { try genai(["tune", run]) }  // nothing liked yet
    #expect(throws: (any Error).self) { try genai(["rate", run, "--like", "1"]) }  // no numbered samples yet
    let foreign = root.appending(path: "foreign.png")
    try PNGEncoder.write(Bitmap(width: 2, height: 2, channels: 1, pixels: [0, 255, 255, 0]), to: foreign)
    #expect(throws: (any Error).self) { try genai(["sample", "--reproduce", foreign.path]) }  // no provenance
  }
}
