import Foundation
import GenAI
import GenAITestSupport
import Hummingbird
import Testing

@testable import GenAIServer

/// Two tiny runs (a class-conditional DCGAN on shapes, a char-gpt on a short text) in a temporary runs folder,
/// made once for the suite.
enum StudioFixture {
  static let token = "test-token-1234"
  static let runs: URL = {
    let root = try! TemporaryFolder.make("studio-routes")  // a test machine can make a temporary folder
    try! train(DCGAN.kind, data: .shapes, in: root.appending(path: "dcgan"))
    let text = root.appending(path: "play.txt")
    try! Data(String(repeating: "ROMEO:\nBut soft, what light through yonder window breaks?\n", count: 30).utf8).write(to: text)
    try! train(CharGPT.kind, data: .files(.text, path: text.path), in: root.appending(path: "gpt"))
    try! train(VAEGAN.kind, data: .shapes, in: root.appending(path: "vaegan"))
    return root
  }()

  static func train(_ kind: RecipeKind, data: DataSpec, in folder: URL) throws {
    var config = RunConfig(recipe: kind, data: data)
    config.steps = 2
    config.batchSize = 4
    config.sampleEvery = 0
    config.checkpointEvery = 0
    config.sampleCount = 4
    config.evalEvery = 0
    config.conditional = kind.conditionable  // so a class can be asked for
    config.charGPT.width = 16
    config.charGPT.layers = 1
    config.charGPT.heads = 2
    config.charGPT.blockSize = 16
    let trainer = try Trainer.start(config: config, in: RunDirectory(url: folder), dataDirectory: DataDirectory(url: folder))
    trainer.interactive = false
    trainer.write = { _ in }
    _ = try trainer.train()
  }

  static func app(host: String = "127.0.0.1") -> StudioApp {
    Application(router: Studio.router(StudioOptions(runs: runs, host: host, token: token), jobs: jobs))
  }

  static let jobs = TrainingJobs(root: runs, dataDirectory: DataDirectory(url: runs))

  static var authorised: HTTPFields { [.authorization: "Bearer \(token)", .contentType: "application/json"] }
}

@Suite("Studio routes", .serialized)
struct StudioRouteTests {
  @Test func listsRunsAndShowsOne() async throws {
    try await StudioFixture.app().withRouterClient { client in
      try await client.execute(uri: "/api/runs", method: .get) { response in
        #expect(response.status == .ok)
        let list = try JSONDecoder().decode(RunListBody.self, from: Data(response.body.readableBytesView))
        let fixture = list.runs.filter { ["dcgan", "gpt", "vaegan"].contains($0.id) }  // other tests add runs
        #expect(fixture.map(\.id) == ["dcgan", "gpt", "vaegan"])
        #expect(fixture.map(\.recipe) == ["dcgan", "char-gpt", "vaegan"])
        #expect(fixture.allSatisfy { $0.status == "finished" && $0.step == 2 })
      }
      try await client.execute(uri: "/api/runs/gpt", method: .get) { response in
        #expect(response.status == .ok)
        let body = String(buffer: response.body)
        #expect(body.contains(#""generates":"text""#) && body.contains(#""history":["#))
        #expect(body.contains(#""abilities":["text","tune"]"#), "\(body)")
      }
      try await client.execute(uri: "/api/runs/dcgan/report", method: .get) { response in
        #expect(response.status == .ok && response.headers[.contentType] == "text/html; charset=utf-8")
        #expect(String(buffer: response.body).contains("<svg"))  // genai report's curves
      }
      try await client.execute(uri: "/api/recipes", method: .get) { response in
        #expect(String(buffer: response.body).contains(#""name":"vaegan""#))
      }
      try await client.execute(uri: "/", method: .get) { response in
        #expect(response.status == .ok && String(buffer: response.body).contains(StudioFixture.token))
      }
    }
  }

  /// A grid is generated, recorded as a batch, served as a PNG with provenance, and rated.
  @Test func generatesServesAndRatesImages() async throws {
    try await StudioFixture.app().withRouterClient { client in
      let made = try await client.execute(
        uri: "/api/runs/dcgan/images", method: .post, headers: StudioFixture.authorised,
        body: ByteBuffer(string: #"{"count": 6, "seed": 2, "label": "circle"}"#)
      ) { response in
        #expect(response.status == .ok, "\(String(buffer: response.body))")
        return try JSONDecoder().decode(GeneratedBatch.self, from: Data(response.body.readableBytesView))
      }
      #expect(made.count == 6)
      try await client.execute(uri: made.url, method: .get) { response in
        #expect(response.status == .ok && response.headers[.contentType] == "image/png")
        let file = FileManager.default.temporaryDirectory.appending(path: "studio-\(UUID()).png")
        try Data(response.body.readableBytesView).write(to: file)
        defer { try? FileManager.default.removeItem(at: file) }
        #expect(try PNGDecoder.read(file).text.contains { $0.key == "genai.recipe" && $0.value == "dcgan" })
      }
      let rating = #"{"batch": \#(made.batch), "like": [1, 3], "dislike": [6]}"#
      try await client.execute(uri: "/api/runs/dcgan/ratings", method: .post, headers: StudioFixture.authorised, body: ByteBuffer(string: rating)) { response in
        #expect(response.status == .ok)
      }
      let run = RunDirectory(url: StudioFixture.runs.appending(path: "dcgan"))
      let entries = Ratings(run: run).entries().filter { $0.batch == made.batch }
      #expect(entries.map(\.sample) == [1, 3, 6] && entries.map(\.rating) == [.like, .like, .dislike])
    }
  }

  /// Text comes as JSON lines, one per character, then the batch.
  @Test func streamsText() async throws {
    try await StudioFixture.app().withRouterClient { client in
      try await client.execute(
        uri: "/api/runs/gpt/text", method: .post, headers: StudioFixture.authorised,
        body: ByteBuffer(string: #"{"prime": "ROMEO", "length": 40, "temperature": 1, "topK": 5}"#)
      ) { response in
        #expect(response.status == .ok && response.headers[.contentType] == "application/x-ndjson")
        let lines = String(buffer: response.body).split(separator: "\n")
        #expect(lines.count == 41, "\(lines)")
        let characters = try lines.dropLast().map { try JSONDecoder().decode([String: String].self, from: Data($0.utf8))["text"] ?? "" }
        #expect(characters.joined().count == 40)
        let last = try JSONDecoder().decode(GeneratedBatch.self, from: Data(lines.last!.utf8))
        #expect(last.count == 1 && last.url.hasSuffix(".txt"))
      }
    }
  }

  /// Changes need the token everywhere; beyond loopback every request does; on loopback the
  /// Host header must be this machine.
  @Test func tokenAndHostAreChecked() async throws {
    try await StudioFixture.app().withRouterClient { client in
      let body = ByteBuffer(string: #"{"count": 1}"#)
      try await client.execute(uri: "/api/runs/dcgan/images", method: .post, body: body) { #expect($0.status == .unauthorized) }
      try await client.execute(uri: "/api/runs/dcgan/images", method: .post, headers: [.authorization: "Bearer wrong"], body: body) {
        #expect($0.status == .unauthorized)
      }
    }
    try await StudioFixture.app(host: "0.0.0.0").withRouterClient { client in
      try await client.execute(uri: "/api/runs", method: .get) { #expect($0.status == .unauthorized) }
      try await client.execute(uri: "/api/runs?token=\(StudioFixture.token)", method: .get) { #expect($0.status == .ok) }
      try await client.execute(uri: "/", method: .get, headers: [.authorization: "Bearer \(StudioFixture.token)"]) { response in
        #expect(!String(buffer: response.body).contains(StudioFixture.token))  // not written into the page beyond loopback
      }
    }
  }

  /// On loopback a request must be addressed to this machine (no DNS rebinding).
  @Test func loopbackAnswersOnlyLocalNames() {
    let guarded = AccessGuard<BasicRequestContext>(token: "t0k3n-abcd", loopbackOnly: true)
    #expect(guarded.refusal(method: .get, authority: "evil.example:8080", token: nil)?.status == .forbidden)
    #expect(guarded.refusal(method: .get, authority: "evil.example", token: "t0k3n-abcd")?.status == .forbidden)
    #expect(guarded.refusal(method: .get, authority: "localhost:8080", token: nil) == nil)
    #expect(guarded.refusal(method: .get, authority: "127.0.0.1:8080", token: nil) == nil)
    #expect(guarded.refusal(method: .get, authority: "[::1]:8080", token: nil) == nil)
    #expect(guarded.refusal(method: .post, authority: "localhost", token: nil)?.status == .unauthorized)
    #expect(guarded.refusal(method: .post, authority: "localhost", token: "t0k3n-abcd") == nil)
    #expect(guarded.refusal(method: .post, authority: "localhost", token: "t0k3n-abc")?.status == .unauthorized)
    #expect(guarded.refusal(method: .post, authority: "localhost", token: "t0k3n-abcde")?.status == .unauthorized)
  }

  /// Hostile and malformed requests each get a 4xx with a message, and the server goes on.
  @Test(arguments: [
    ("/api/runs/dcgan/files/../config.json", HTTPRequest.Method.get, "", 404),
    ("/api/runs/dcgan/files/..%2Fconfig.json", .get, "", 404),
    ("/api/runs/dcgan/files/%2e%2e/%2e%2e/etc/passwd", .get, "", 404),
    ("/api/runs/dcgan/files//etc/passwd", .get, "", 404),
    ("/api/runs/dcgan/files/a/b/c", .get, "", 404),
    ("/api/runs/..%2Fdcgan", .get, "", 404),
    ("/api/runs/nope", .get, "", 404),
    ("/api/runs/nope/images", .post, #"{"count": 1}"#, 404),
    ("/api/runs/dcgan/images", .post, #"{"count": 0}"#, 400),
    ("/api/runs/dcgan/images", .post, #"{"count": 65}"#, 400),
    ("/api/runs/dcgan/images", .post, #"{"count": "many"}"#, 400),
    ("/api/runs/dcgan/images", .post, #"{"seed": -1}"#, 400),
    ("/api/runs/dcgan/images", .post, #"{"label": "dragon"}"#, 400),
    ("/api/runs/dcgan/images", .post, #"{"prior": "tuned"}"#, 400),
    ("/api/runs/dcgan/images", .post, #"{"prior": "weird"}"#, 400),
    ("/api/runs/dcgan/images", .post, "not json", 400),
    ("/api/runs/dcgan/text", .post, #"{"length": 5}"#, 400),
    ("/api/runs/gpt/images", .post, #"{"count": 1}"#, 400),
    ("/api/runs/gpt/text", .post, #"{"length": 0}"#, 400),
    ("/api/runs/gpt/text", .post, #"{"length": 100000}"#, 400),
    ("/api/runs/gpt/text", .post, #"{"temperature": 0}"#, 400),
    ("/api/runs/gpt/text", .post, #"{"topK": 0}"#, 400),
    ("/api/runs/gpt/text", .post, #"{"topP": 1.5}"#, 400),
    ("/api/runs/gpt/text", .post, #"{"prime": "Ω"}"#, 400),
    ("/api/runs/dcgan/ratings", .post, #"{"batch": 999, "like": [1]}"#, 404),
    ("/api/runs/dcgan/ratings", .post, #"{"like": [1]}"#, 400),
    ("/api/runs/dcgan/images", .post, String(repeating: " ", count: 70_000) + "{}", 413),
  ])
  func badRequestsGetClearErrors(_ uri: String, _ method: HTTPRequest.Method, _ body: String, _ status: Int) async throws {
    try await StudioFixture.app().withRouterClient { client in
      try await client.execute(uri: uri, method: method, headers: StudioFixture.authorised, body: ByteBuffer(string: body)) { response in
        #expect(response.status.code == status, "\(uri) \(body.prefix(40)): \(String(buffer: response.body))")
        #expect(String(buffer: response.body).contains("message"))
      }
      try await client.execute(uri: "/api/runs", method: .get) { #expect($0.status == .ok) }
    }
  }

  /// A job trains off the request path, shows its progress, stops with a checkpoint when asked,
  /// and resumes; bad job requests get 4xx.
  @Test func trainingJobsRunStopAndResume() async throws {
    try await StudioFixture.app().withRouterClient { client in
      let headers = StudioFixture.authorised
      try await client.execute(
        uri: "/api/jobs", method: .post, headers: headers,
        body: ByteBuffer(string: #"{"recipe": "dcgan", "data": "shapes", "steps": 3, "batchSize": 4, "name": "job-short"}"#)
      ) { response in
        #expect(response.status == .ok, "\(String(buffer: response.body))")
      }
      let short = try await Self.waitForJob(client, "job-short") { ["finished", "failed"].contains($0.state) }
      #expect(short.state == "finished" && short.step == 3, "\(short)")
      try await client.execute(uri: "/api/runs/job-short", method: .get) { response in
        #expect(String(buffer: response.body).contains(#""step":3"#))
      }

      try await client.execute(
        uri: "/api/jobs", method: .post, headers: headers,
        body: ByteBuffer(string: #"{"recipe": "dcgan", "data": "shapes", "steps": 100000, "batchSize": 2, "name": "job-long"}"#)
      ) { #expect($0.status == .ok) }
      _ = try await Self.waitForJob(client, "job-long") { $0.state == "running" && $0.step >= 1 }
      try await client.execute(uri: "/api/runs", method: .get) { response in
        #expect(String(buffer: response.body).contains(#""status":"training""#))
      }
      try await client.execute(uri: "/api/jobs/job-long/stop", method: .post, headers: headers) { #expect($0.status == .ok) }
      let stopped = try await Self.waitForJob(client, "job-long") { ["stopped", "failed"].contains($0.state) }
      #expect(stopped.state == "stopped", "\(stopped)")
      let run = RunDirectory(url: StudioFixture.runs.appending(path: "job-long"))
      #expect(run.checkpoints().last?.step == stopped.step)
      try await client.execute(
        uri: "/api/jobs/job-long/resume", method: .post, headers: headers, body: ByteBuffer(string: #"{"steps": \#(stopped.step + 2)}"#)
      ) { #expect($0.status == .ok, "\(String(buffer: $0.body))") }
      let resumed = try await Self.waitForJob(client, "job-long") { ["finished", "failed"].contains($0.state) }
      #expect(resumed.state == "finished" && resumed.step == stopped.step + 2, "\(resumed)")

      for (body, status) in [
        (#"{"recipe": "stylegan"}"#, 400), (#"{"recipe": "dcgan", "data": "text:/etc/passwd"}"#, 400),
        (#"{"recipe": "dcgan", "data": "shakespeare"}"#, 400), (#"{"recipe": "dcgan", "steps": 0}"#, 400),
        (#"{"recipe": "dcgan", "name": "../escape"}"#, 400), (#"{"recipe": "dcgan", "name": "dcgan"}"#, 400),
        (#"{"recipe": "dcgan", "learningRate": -1}"#, 400), (#"{"steps": 3}"#, 400),
      ] {
        try await client.execute(uri: "/api/jobs", method: .post, headers: headers, body: ByteBuffer(string: body)) { response in
          #expect(response.status.code == status, "\(body): \(String(buffer: response.body))")
        }
      }
      try await client.execute(uri: "/api/jobs/nope/stop", method: .post, headers: headers) { #expect($0.status == .notFound) }
      try await client.execute(uri: "/api/jobs/nope/resume", method: .post, headers: headers) { #expect($0.status == .notFound) }
    }
  }

  /// While a job trains, its run streams new metrics lines and job progress as server-sent
  /// events, then `done`; a run that is not training answers `done` at once.
  @Test func eventsFollowATrainingRun() async throws {
    try await StudioFixture.app().withRouterClient { client in
      try await client.execute(uri: "/api/runs/dcgan/events", method: .get) { response in
        #expect(response.headers[.contentType] == "text/event-stream")
        #expect(String(buffer: response.body) == "event: done\ndata: {}\n\n")
      }
      try await client.execute(
        uri: "/api/jobs", method: .post, headers: StudioFixture.authorised,
        body: ByteBuffer(string: #"{"recipe": "dcgan", "data": "shapes", "steps": 40, "batchSize": 2, "name": "job-events"}"#)
      ) { #expect($0.status == .ok) }
      _ = try await Self.waitForJob(client, "job-events") { $0.state == "running" && $0.step >= 1 }
      try await client.execute(uri: "/api/runs/job-events/events", method: .get) { response in
        let text = String(buffer: response.body)
        let metrics = text.components(separatedBy: "event: metrics\ndata: ").dropFirst()
        #expect(!metrics.isEmpty && text.contains("event: job") && text.hasSuffix("event: done\ndata: {}\n\n"), "\(text.prefix(400))")
        #expect(metrics.contains { $0.contains(#""step":40"#) }, "\(text.suffix(400))")
      }
    }
  }

  struct JobRow: Decodable {
    var id: String
    var state: String
    var step: Int
  }

  /// Polls `GET /api/jobs` until job `id` satisfies `done` (at most 300 s).
  static func waitForJob(_ client: StudioTestClient, _ id: String, until done: (JobRow) -> Bool) async throws -> JobRow {
    for _ in 0..<3000 {
      let rows = try await client.execute(uri: "/api/jobs", method: .get) { response in
        try JSONDecoder().decode([String: [JobRow]].self, from: Data(response.body.readableBytesView))["jobs"] ?? []
      }
      if let row = rows.last(where: { $0.id == id }), done(row) { return row }
      try await Task.sleep(for: .milliseconds(100))
    }
    throw StudioError.notFound("job \(id) did not get there in 300 s")
  }

  /// Latent walks, restoration of an upload, and tuning from likes.
  @Test func walksRestoresAndTunes() async throws {
    try await StudioFixture.app().withRouterClient { client in
      let headers = StudioFixture.authorised
      try await client.execute(uri: "/api/runs/dcgan/walk", method: .post, headers: headers, body: ByteBuffer(string: #"{"from": 1, "to": 2, "frames": 6}"#)) { response in
        #expect(response.status == .ok, "\(String(buffer: response.body))")
        let made = try JSONDecoder().decode(GeneratedBatch.self, from: Data(response.body.readableBytesView))
        #expect(made.count == 6)
      }
      // A 28x28 grey PNG with a bright square, then repaired where a box marks it.
      var pixels = [UInt8](repeating: 20, count: 28 * 28)
      for y in 8..<20 { for x in 8..<20 { pixels[y * 28 + x] = 230 } }
      let png = PNGEncoder.encode(Bitmap(width: 28, height: 28, channels: 1, pixels: pixels))
      try await client.execute(uri: "/api/runs/vaegan/restore?box=10,10,6,6", method: .post, headers: headers, body: ByteBuffer(bytes: png)) { response in
        #expect(response.status == .ok, "\(String(buffer: response.body))")
        #expect(String(buffer: response.body).contains("restored.png"))
      }
      try await client.execute(uri: "/api/runs/vaegan/restore", method: .post, headers: headers, body: ByteBuffer(bytes: png)) { #expect($0.status == .ok) }
      let wide = PNGEncoder.encode(Bitmap(width: 1500, height: 2, channels: 1, fill: [0]))
      for (uri, body, status) in [
        ("/api/runs/vaegan/restore", [UInt8]("not a png".utf8), 400), ("/api/runs/vaegan/restore", wide, 400),
        ("/api/runs/vaegan/restore?box=20,20,10,10", png, 400), ("/api/runs/vaegan/restore?box=1,2", png, 400),
        ("/api/runs/dcgan/restore", png, 400), ("/api/runs/vaegan/restore", [UInt8](repeating: 0, count: 5 << 20), 413),
        ("/api/runs/gpt/walk", [UInt8]("{}".utf8), 400), ("/api/runs/dcgan/walk", [UInt8](#"{"frames": 1}"#.utf8), 400),
        ("/api/runs/dcgan/audio", [UInt8]("{}".utf8), 400), ("/api/runs/dcgan/audio", [UInt8](#"{"count": 50}"#.utf8), 400),
        ("/api/runs/gpt/tune", [UInt8]("{}".utf8), 400), ("/api/runs/dcgan/tune", [UInt8](#"{"samples": -1}"#.utf8), 400),
      ] {
        try await client.execute(uri: uri, method: .post, headers: headers, body: ByteBuffer(bytes: body)) { response in
          #expect(response.status.code == status, "\(uri): \(String(buffer: response.body))")
        }
      }
      // Tuning from a like: the prior is fitted and saved.
      let made = try await client.execute(uri: "/api/runs/dcgan/images", method: .post, headers: headers, body: ByteBuffer(string: #"{"count": 4}"#)) {
        try JSONDecoder().decode(GeneratedBatch.self, from: Data($0.body.readableBytesView))
      }
      try await client.execute(uri: "/api/runs/dcgan/ratings", method: .post, headers: headers, body: ByteBuffer(string: #"{"batch": \#(made.batch), "like": [2]}"#)) {
        #expect($0.status == .ok)
      }
      try await client.execute(uri: "/api/runs/dcgan/tune", method: .post, headers: headers, body: ByteBuffer(string: #"{"samples": 0}"#)) { response in
        #expect(response.status == .ok, "\(String(buffer: response.body))")
        #expect(String(buffer: response.body).contains("fitted the latent prior"))
      }
      let run = RunDirectory(url: StudioFixture.runs.appending(path: "dcgan"))
      #expect(try TunedPrior.load(run) != nil)
      try FileManager.default.removeItem(at: TunedPrior.url(run))  // other tests expect the run untuned
    }
  }

  /// Audio clips from a spoken-digits run: WAV files and their spectrogram picture, as a batch.
  @Test(.requiresSharedData(.spokenDigits))
  func generatesAudio() async throws {
    let runs = try TemporaryFolder.make("studio-audio")
    defer { try? FileManager.default.removeItem(at: runs) }
    var config = RunConfig(recipe: AudioDigits.kind)
    config.steps = 1
    config.batchSize = 4
    config.sampleEvery = 0
    config.checkpointEvery = 0
    config.evalEvery = 0
    config.audio.width = 4
    config.audio.latentSize = 8
    config.audio.labelSize = 4
    config.audio.griffinLimIterations = 2
    let trainer = try Trainer.start(config: config, in: RunDirectory(url: runs.appending(path: "digits")), dataDirectory: DataDirectory(url: SharedData.root))
    trainer.interactive = false
    trainer.write = { _ in }
    _ = try trainer.train()
    let app = Application(router: Studio.router(StudioOptions(runs: runs, token: StudioFixture.token), jobs: TrainingJobs(root: runs, dataDirectory: DataDirectory(url: runs))))
    try await app.withRouterClient { client in
      try await client.execute(uri: "/api/runs/digits/audio", method: .post, headers: StudioFixture.authorised, body: ByteBuffer(string: #"{"count": 3, "label": "7"}"#)) { response in
        #expect(response.status == .ok, "\(String(buffer: response.body))")
        let made = try JSONDecoder().decode(GeneratedAudio.self, from: Data(response.body.readableBytesView))
        #expect(made.clips.count == 3 && made.clips.allSatisfy { $0.hasSuffix("-label7.wav") } && made.spectrograms != nil)
        try await client.execute(uri: made.clips[0], method: .get) { clip in
          #expect(clip.status == .ok && clip.headers[.contentType] == "audio/wav")
          #expect(String(decoding: Data(clip.body.readableBytesView).prefix(4), as: UTF8.self) == "RIFF")
        }
      }
    }
  }

  /// A link in the samples folder that points out of the run is not followed.
  @Test func linksOutOfTheRunAreNotServed() async throws {
    let samples = StudioFixture.runs.appending(path: "dcgan/samples")
    try FileManager.default.createDirectory(at: samples, withIntermediateDirectories: true)
    let link = samples.appending(path: "escape.png")
    try? FileManager.default.removeItem(at: link)
    try FileManager.default.createSymbolicLink(atPath: link.path, withDestinationPath: "/etc/hostname")
    defer { try? FileManager.default.removeItem(at: link) }
    try await StudioFixture.app().withRouterClient { client in
      try await client.execute(uri: "/api/runs/dcgan/files/escape.png", method: .get) { #expect($0.status == .notFound) }
    }
  }
}

/// `GET /api/runs` as the tests read it.
struct RunListBody: Decodable {
  struct Row: Decodable {
    var id: String
    var recipe: String
    var status: String
    var step: Int
  }
  var runs: [Row]
}
