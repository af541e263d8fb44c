import ArgumentParser
import Foundation
import GenAI
import GenAIServer
import Hummingbird

/// `genai serve`: the local web studio over a folder of runs.
struct ServeCommand: AsyncParsableCommand {
  static let configuration = CommandConfiguration(
    commandName: "serve",
    abstract: "Open a local web studio: browse runs, generate images and text, rate samples.",
    discussion: """
      Serves a page and a JSON API over the run folders in --runs: the runs with their recipe, \
      data, step, status and best main metric; a run's report (curves, evaluations, samples); \
      image grids (count, seed, class, tuned or standard prior) and text streamed as it is \
      generated (prime, length, temperature, top-k, top-p); likes and dislikes written as \
      `genai rate` writes them; training jobs on named datasets or shapes (one at a time, the others \
      queued; stop saves a checkpoint, resume continues). Model work runs off the request path.

      Security: it listens on 127.0.0.1 unless --host says otherwise. Requests that change \
      something always need the token printed at start (Authorization: Bearer TOKEN, or \
      ?token=TOKEN); with any other --host every request needs it. Runs are addressed by their \
      folder's name, never by a path, and nothing outside --runs can be read.

      API: GET /api/recipes, GET /api/runs, GET /api/runs/ID, GET /api/runs/ID/report, \
      GET /api/runs/ID/files/NAME, POST /api/runs/ID/images {"count", "seed", "label", "prior"}, \
      POST /api/runs/ID/text {"prime", "length", "temperature", "topK", "topP", "seed"} (JSON \
      lines: {"text": ...} per character, then {"batch", "count", "url"}), \
      POST /api/runs/ID/ratings {"batch", "like": [..], "dislike": [..]}, GET /api/jobs, \
      POST /api/jobs {"recipe", "data", "name", "steps", "batchSize", "learningRate", "seed"}, \
      POST /api/jobs/ID/stop, POST /api/jobs/ID/resume {"steps"}.

      Example:
        genai serve --runs runs
      """)

  @Option(help: "The folder whose sub-folders are runs.")
  var runs: String = "runs"

  @Option(help: "The address to listen on (127.0.0.1: this machine only; 0.0.0.0: every interface, token required).")
  var host: String = "127.0.0.1"

  @Option(help: "The TCP port.")
  var port: Int = 8080

  @Option(help: "The access token (default: a random one, printed at start).")
  var token: String?

  func validate() throws {
    guard (1...65535).contains(port) else { throw ValidationError("--port must be in 1...65535, got \(port)") }
    guard !host.isEmpty else { throw ValidationError("--host must not be empty") }
    if let token, token.count < 8 || !token.allSatisfy({ $0.isLetter || $0.isNumber || $0 == "-" || $0 == "_" }) {
      throw ValidationError("--token must be at least 8 letters, digits, - or _")
    }
    var isFolder: ObjCBool = false
    guard FileManager.default.fileExists(atPath: runs, isDirectory: &isFolder), isFolder.boolValue else {
      throw ValidationError("--runs \(runs) is not a folder (train a run first: genai train dcgan --out \(runs)/dcgan)")
    }
  }

  func run() async throws {
    var options = StudioOptions(runs: URL(fileURLWithPath: runs), host: host, port: port)
    if let token { options.token = token }
    let shown = host.contains(":") ? "[\(host)]" : host
    // Written unbuffered, so a script reading the output sees the address at once.
    let banner = """
      genai studio on http://\(shown):\(port)/?token=\(options.token)
      token: \(options.token) (needed for every change\(options.isLoopback ? "" : " and every request")); Ctrl-C stops

      """
    FileHandle.standardOutput.write(Data(banner.utf8))
    try await Studio.serve(options)
  }
}
