import Foundation
import GenAI
import GenAITestSupport
import Hummingbird
import Testing

@testable import GenAIServer

/// A run whose training was killed in the middle of a metrics line: the studio still shows its
/// curve and report (the torn last line is left out).
@Suite("Studio and a torn metrics log", .serialized)
struct StudioTornLogTests {
  @Test func runWithATornLastLineShowsItsHistoryAndReport() async throws {
    let folder = StudioFixture.runs.appending(path: "torn")
    let text = StudioFixture.runs.appending(path: "torn-play.txt")
    try Data(String(repeating: "JULIET:\nO Romeo, Romeo! wherefore art thou Romeo?\n", count: 30).utf8).write(to: text)
    try StudioFixture.train(CharGPT.kind, data: .files(.text, path: text.path), in: folder)
    let metrics = RunDirectory(url: folder).metricsURL
    let handle = try FileHandle(forWritingTo: metrics)
    try handle.seekToEnd()
    try handle.write(contentsOf: Data(#"{"epoch": 0, "loss": 2.5, "st"#.utf8))
    try handle.close()

    try await StudioFixture.app().withRouterClient { client in
      try await client.execute(uri: "/api/runs/torn", method: .get) { response in
        #expect(response.status == .ok)
        let body = try JSONSerialization.jsonObject(with: Data(response.body.readableBytesView)) as? [String: Any]
        #expect((body?["history"] as? [Any])?.count == 1, "\(String(buffer: response.body))")
      }
      try await client.execute(uri: "/api/runs/torn/report", method: .get) { response in
        #expect(response.status == .ok && String(buffer: response.body).contains("<svg"))
      }
    }
  }
}
