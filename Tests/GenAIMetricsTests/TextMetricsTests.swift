import Foundation
import Testing
@testable import GenAIMetrics

@Suite("Text metrics: novelty, repetition, perplexity")
struct TextMetricsTests {
  let training = "To be, or not to be, that is the question: Whether 'tis nobler in the mind to suffer"

  @Test func copiedTextHasNoNoveltyAndNewTextIsNovel() throws {
    #expect(try TextMetrics.novelty(generated: "or not to be, that is", training: training) == 0)
    #expect(try TextMetrics.novelty(generated: "qwxzj vbnmk plgh", training: training) == 1)
    // Half copied, half new: the copied 8-grams (13 of them) are known, the rest are not.
    let mixed = "or not to be, that" + "QQQQQQQQQQQQQQQQQQ"
    let share = try TextMetrics.novelty(generated: mixed, training: training)
    let windows = Double(mixed.count - 7)
    #expect(abs(share - (windows - 11) / windows) < 1e-12)
  }

  @Test func repetitionCountsEarlierOccurrences() throws {
    #expect(try TextMetrics.repetitionRate("abcdefghijklmnop", n: 4) == 0)
    // "abcabcabc...": after the first 3 windows of length 3 every window repeats one seen before.
    let loop = String(repeating: "abc", count: 10)
    #expect(try TextMetrics.repetitionRate(loop, n: 3) == Double(28 - 3) / 28)
  }

  @Test func conversionsFromNats() {
    #expect(abs(TextMetrics.perplexity(nats: log(65)) - 65) < 1e-9)
    #expect(abs(TextMetrics.bitsPerCharacter(nats: log(2) * 1.5) - 1.5) < 1e-12)
  }

  @Test func badInputNamesTheMetric() {
    #expect(throws: MetricError.self) { try TextMetrics.novelty(generated: "abc", training: training) }
    #expect(throws: MetricError.self) { try TextMetrics.repetitionRate("abc", n: 0) }
    do {
      _ = try TextMetrics.novelty(generated: "abcdefghij", training: "short")
      Issue.record("expected an error")
    } catch let error as MetricError {
      #expect(error.description.contains("novelty") && error.description.contains("training text"))
    } catch {
      Issue.record("unexpected \(error)")
    }
  }
}
