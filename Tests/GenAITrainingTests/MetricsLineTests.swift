import Foundation
import GenAITestSupport
import Testing

@testable import GenAITraining

/// `metrics.jsonl` lines as typed values: each kind round-trips with its keys at the top level,
/// non-finite numbers are `null`, lines written by older versions still read, and a bad line is
/// reported by file and line.
@Suite("Metrics lines")
struct MetricsLineTests {
  /// Encodes `line` and decodes the text back.
  private func roundTrip(_ line: MetricsLine) throws -> (text: String, back: MetricsLine) {
    let text = try JSONLines.line(line)
    return (text, try JSONDecoder().decode(MetricsLine.self, from: Data(text.utf8)))
  }

  @Test func trainingLineRoundTripsWithFlatKeys() throws {
    let line = MetricsLine.training(
      TrainingLine(step: 10, epoch: 1, losses: ["d_loss": 1.25, "g_loss": 0.5], stepsPerSecond: 3.5, time: 1_764_400_000.25, peakMemoryMB: 210))
    let (text, back) = try roundTrip(line)
    #expect(text == #"{"d_loss":1.25,"epoch":1,"g_loss":0.5,"peak_rss_mb":210,"step":10,"steps_per_s":3.5,"time":1764400000.25}"#)
    #expect(back == line)
  }

  @Test func evaluationLineRoundTrips() throws {
    let line = MetricsLine.evaluation(
      EvaluationLine(step: 500, metrics: ["fid": 41.5, "kid": 0.05, "real.fid": 3.25], source: "genai eval", checkpoint: "step-000500.safetensors"))
    let (text, back) = try roundTrip(line)
    #expect(
      text == #"{"checkpoint":"step-000500.safetensors","fid":41.5,"kid":0.05,"kind":"eval","real.fid":3.25,"source":"genai eval","step":500}"#)
    #expect(back == line)
    #expect(back.evaluation?.values == ["fid": 41.5, "kid": 0.05, "real.fid": 3.25, "step": 500])
  }

  /// Ceilings go under `real.<name>`, as the report plots them beside the metric.
  @Test func evaluationLineSummarisesAReport() {
    let report = EvaluationReport(
      run: "r", recipe: "dcgan", step: 30, checkpoint: "step-000030.safetensors",
      metrics: [MetricResult(name: "fid", value: 60.25, ceiling: 3.5, better: .lower), MetricResult(name: "precision", value: 0.5, better: .higher)])
    #expect(EvaluationLine(report) == EvaluationLine(step: 30, metrics: ["fid": 60.25, "precision": 0.5, "real.fid": 3.5]))
  }

  @Test func monitorEventRoundTripsWithItsActionName() throws {
    for action in [MonitorAction.policy(.rollback), .policy(.lowerDiscriminatorRate), .policy(.instanceNoise), .warn] {
      let line = MetricsLine.monitor(MonitorEvent(step: 600, action: action, detail: "d/e", reason: "r \"q\""))
      let (text, back) = try roundTrip(line)
      #expect(text == #"{"action":"\#(action.rawValue)","detail":"d/e","kind":"monitor","reason":"r \"q\"","step":600}"#)
      #expect(back == line)
    }
    #expect(MonitorAction.policy(.lowerDiscriminatorRate).rawValue == "lower-d-lr")
  }

  @Test func nonFiniteNumbersAreNullAndReadAsNaN() throws {
    let (text, back) = try roundTrip(.training(TrainingLine(step: 3, losses: ["d_loss": .nan, "g_loss": .infinity])))
    #expect(text == #"{"d_loss":null,"g_loss":null,"step":3}"#)
    #expect(back.training?.losses["d_loss"]?.isNaN == true && back.training?.losses["g_loss"]?.isNaN == true)
    let eval = try roundTrip(.evaluation(EvaluationLine(step: 1, metrics: ["fid": .nan])))
    #expect(eval.text == #"{"fid":null,"kind":"eval","step":1}"#)
    #expect(eval.back.evaluation?.metrics["fid"]?.isNaN == true)
  }

  /// Lines as the hand-built writer of earlier versions wrote them (spaces after `:` and `,`).
  @Test func linesOfOlderVersionsRead() throws {
    let folder = try TemporaryFolder.make("old-metrics")
    defer { try? FileManager.default.removeItem(at: folder) }
    let url = folder.appending(path: "metrics.jsonl")
    try Data(
      """
      {"d_loss": 1.2, "g_loss": 0.7, "step": 10, "steps_per_s": 3.1}
      {"d_loss": null, "epoch": 0, "g_loss": 0.699999988079071, "peak_rss_mb": 212.5, "step": 20, "steps_per_s": 3, "time": 1764400000.5}
      {"checkpoint": "step-000020.safetensors", "fid": 41.5, "kind": "eval", "real.fid": 3.2, "source": "genai eval", "step": 20}
      {"action": "rollback", "detail": "rollback to best/step-500.safetensors", "kind": "monitor", "reason": "near-duplicates 0.92 of fixed-noise pairs (limit 0.5)", "step": 600}
      {"action": "warn", "kind": "monitor", "reason": "r", "step": 601}

      """.utf8
    ).write(to: url)
    let lines = try MetricsLog.read(url)
    #expect(lines.count == 5)
    #expect(lines[0] == .training(TrainingLine(step: 10, losses: ["d_loss": 1.2, "g_loss": 0.7], stepsPerSecond: 3.1)))
    let second = try #require(lines[1].training)
    #expect(second.epoch == 0 && second.time == 1_764_400_000.5 && second.peakMemoryMB == 212.5 && second.stepsPerSecond == 3)
    #expect(second.losses["d_loss"]?.isNaN == true && second.losses["g_loss"] == 0.7)
    #expect(
      lines[2] == .evaluation(EvaluationLine(step: 20, metrics: ["fid": 41.5, "real.fid": 3.2], source: "genai eval", checkpoint: "step-000020.safetensors")))
    #expect(
      lines[3] == .monitor(
        MonitorEvent(
          step: 600, action: .policy(.rollback), detail: "rollback to best/step-500.safetensors", reason: "near-duplicates 0.92 of fixed-noise pairs (limit 0.5)")))
    #expect(lines[4].monitor == MonitorEvent(step: 601, action: .warn, reason: "r"))
  }

  @Test func appendedLinesReadBackInOrder() throws {
    let folder = try TemporaryFolder.make("append-metrics")
    defer { try? FileManager.default.removeItem(at: folder) }
    let log = try MetricsLog(url: folder.appending(path: "metrics.jsonl"))
    let lines: [MetricsLine] = [
      .training(TrainingLine(step: 1, losses: ["loss": 2.5])), .evaluation(EvaluationLine(step: 1, metrics: ["val_loss": 2])),
      .monitor(MonitorEvent(step: 1, action: .warn, detail: "warn", reason: "r")),
    ]
    for line in lines { try log.append(line) }
    #expect(try MetricsLog.read(log.url) == lines)
  }

  @Test func badLinesAreNamedByFileAndLine() throws {
    let folder = try TemporaryFolder.make("bad-metrics")
    defer { try? FileManager.default.removeItem(at: folder) }
    let url = folder.appending(path: "metrics.jsonl")
    func error(reading text: String) throws -> String {
      try Data(text.utf8).write(to: url)
      do {
        _ = try MetricsLog.read(url)
      } catch let error as TrainingError {
        return error.message
      }
      Issue.record("\(text) read without an error")
      return ""
    }
    let garbage = try error(reading: "{\"loss\": 1, \"step\": 1}\n\nnot json\n")
    #expect(garbage.hasPrefix("\(url.path):3: "), "\(garbage)")
    let kind = try error(reading: #"{"kind": "party", "step": 1}"#)
    #expect(kind.hasPrefix("\(url.path):1: \"kind\": ") && kind.contains("party"), "\(kind)")
    let step = try error(reading: "{\"loss\": 1, \"step\": 1}\n{\"loss\": 1}\n")
    #expect(step == "\(url.path):2: missing \"step\"")
    let action = try error(reading: #"{"action": "panic", "kind": "monitor", "reason": "r", "step": 1}"#)
    #expect(action.hasPrefix("\(url.path):1: \"action\": "), "\(action)")
    // The report's reader carries on past them.
    let history = RunHistory(jsonLines: "{\"loss\": 1, \"step\": 1}\nnot json\n{\"kind\": \"party\", \"step\": 2}\n")
    #expect(history.training.count == 1 && history.skippedLines == 2)
  }
}
