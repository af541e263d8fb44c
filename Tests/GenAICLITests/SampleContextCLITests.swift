import ArgumentParser
import Foundation
import GenAI
@testable import GenAITraining
import GenAITestSupport
import Testing
@testable import GenAICLI

/// `genai sample --exact-context` for char-gpt past its block size: documented in `--help`,
/// recorded in the provenance, and reproducible either way.
@Suite("char-gpt's context past the block size, from the command line", .serialized)
struct SampleContextCLITests {
  private func genai(_ arguments: [String]) throws {
    var command = try GenAICommand.parseAsRoot(arguments)
    try command.run()
  }

  @Test func helpExplainsTheRestartAndTheExactWindow() {
    let help = GenAICommand.helpMessage(for: SampleCommand.self)
    for phrase in ["--exact-context", "3/4 block", "48 to 64", "sliding window"] {
      #expect(help.contains(phrase), "\(phrase)")
    }
  }

  /// Only a set flag is written into the settings (so other files' settings read as before), and
  /// char-gpt text without a recorded context is read as the sliding window it was made with.
  @Test func settingsRecordTheContextRule() throws {
    var request = SampleRequest()
    #expect(!request.settingsJSON.contains("exact_context"))
    request.sampling.exactContext = true
    #expect(request.settingsJSON.contains("\"exact_context\":true"))
    let decoded = try JSONDecoder().decode(SampleRequest.self, from: Data(request.settingsJSON.utf8))
    #expect(decoded.sampling.exactContext)
    let plain = SampleRequest().settingsJSON
    #expect(try !Provenance.request(from: ["settings": plain, "recipe": "char-gpt", "context": "restart"], source: "t").sampling.exactContext)
    #expect(try Provenance.request(from: ["settings": plain, "recipe": "char-gpt"], source: "t").sampling.exactContext)
    #expect(try !Provenance.request(from: ["settings": plain, "recipe": "char-rnn"], source: "t").sampling.exactContext)
  }

  /// 60 characters after a 16-character context: both rules reproduce byte for byte, and they
  /// part once the text is longer than the block.
  @Test func bothRulesReproduce() throws {
    let root = try TemporaryFolder.make("context")
    defer { try? FileManager.default.removeItem(at: root) }
    let train = root.appending(path: "train.txt")
    try Data(String(repeating: "Now is the winter of our discontent\nMade glorious summer by this sun of York;\n", count: 30).utf8)
      .write(to: train)
    let run = root.appending(path: "run").path
    try genai([
      "train", "char-gpt", "--data", "text:\(train.path)", "--steps", "3", "--batch-size", "4", "--context", "16", "--layers", "1",
      "--out", run, "--plain", "--eval-every", "0",
    ])
    var texts: [String] = []
    for (name, flags) in [("restart.txt", []), ("exact.txt", ["--exact-context"])] {
      let file = root.appending(path: name)
      try genai(["sample", run, "--length", "60", "--seed", "4", "--temperature", "1", "--out", file.path, "--quiet"] + flags)
      let fields = try Provenance.read(file)
      #expect(fields["context"] == (flags.isEmpty ? "restart" : "exact"))
      #expect(try Provenance.reproduce(file, into: root.appending(path: "again-\(name)")).identical)
      texts.append(try String(contentsOf: file, encoding: .utf8))
    }
    #expect(texts[0] != texts[1])
    #expect(texts[0].prefix(10) == texts[1].prefix(10))
  }
}
