import Foundation
import GenAI
import Hummingbird

/// `genai serve`: a local web studio over the runs in a folder. The page (`GET /`) uses only the
/// JSON API below, so scripts can do everything it does:
///
/// | route | what |
/// |---|---|
/// | `GET /api/recipes` | the recipes `genai train` knows |
/// | `GET /api/runs` | every run: recipe, data, step, status, main metric's best, newest sample |
/// | `GET /api/runs/{id}` | one run: samples, rated batches, training curve, evaluations |
/// | `GET /api/runs/{id}/report` | the run's `genai report` page (curves as SVG) |
/// | `GET /api/runs/{id}/events` | server-sent events while it trains: new metrics lines, job progress |
/// | `GET /api/runs/{id}/files/{name}` | a sample file (PNG, text, WAV), one folder deep at most |
/// | `POST /api/runs/{id}/images` | a grid of new images, recorded as a batch to rate |
/// | `POST /api/runs/{id}/text` | new text, streamed as JSON lines as it is generated |
/// | `POST /api/runs/{id}/walk` | a strip of images along the line between two seeds' codes |
/// | `POST /api/runs/{id}/audio` | clips and their spectrograms, recorded as a batch to rate |
/// | `POST /api/runs/{id}/restore?box=x,y,w,h` | an uploaded PNG repaired (box filled, else denoised) |
/// | `POST /api/runs/{id}/tune` | `genai tune` on the likes, with its before/after measurement |
/// | `POST /api/runs/{id}/ratings` | likes and dislikes of a batch's samples |
/// | `GET /api/jobs` | training jobs: queued, running (step, rate, time left), done |
/// | `POST /api/jobs` | queue a training run |
/// | `POST /api/jobs/{id}/stop`, `/resume` | stop a job (saving a checkpoint), continue a run |
public enum Studio {
  /// The studio's router for `options`, training through `jobs`.
  static func router(_ options: StudioOptions, jobs: TrainingJobs) -> Router<BasicRequestContext> {
    let catalog = RunCatalog(root: options.runs)
    let router = Router()
    router.add(middleware: AccessGuard(token: options.token, loopbackOnly: options.isLoopback))

    router.get("/") { _, _ in
      // On loopback the page carries the token, so its own requests pass; beyond this machine
      // the visitor already had to bring it (`?token=`).
      Response(
        status: .ok, headers: [.contentType: "text/html; charset=utf-8"],
        body: .init(byteBuffer: ByteBuffer(string: StudioPage.html(token: options.isLoopback ? options.token : nil))))
    }
    router.get("/api/recipes") { _, _ in
      RecipeList(recipes: RecipeKind.all.map {
        .init(name: $0.name, summary: $0.summary, data: $0.data.map(\.kind.rawValue), mainMetric: $0.mainMetric.name)
      })
    }
    router.get("/api/runs") { _, _ in
      let active = activeJobs(jobs)
      return RunList(runs: catalog.ids().compactMap { id in
        (try? catalog.summary(id)).map { summary in
          var summary = summary
          if let state = active[id] { summary.status = state }
          return summary
        }
      })
    }
    router.get("/api/runs/:id") { _, context in
      let run = try catalog.run(try context.parameters.require("id"))
      let abilities = (try? await StudioWork.run { try StudioWork.abilities(of: run) }) ?? []
      return try answering {
        var detail = try detail(catalog, run.url.lastPathComponent, abilities: abilities)
        if let state = activeJobs(jobs)[detail.summary.id] { detail.summary.status = state }
        return detail
      }
    }
    router.get("/api/runs/:id/events") { _, context in
      let run = try catalog.run(try context.parameters.require("id"))
      return StudioEvents.stream(run, id: run.url.lastPathComponent, jobs: jobs)
    }
    router.get("/api/jobs") { _, _ in JobList(jobs: jobs.list()) }
    router.post("/api/jobs") { request, _ in
      let asked = try await decodeBody(JobRequest.self, from: request)
      return try answering {
        let (config, id) = try asked.configuration(existing: catalog.ids() + jobs.list().map(\.id))
        return try jobs.start(config, id: id)
      }
    }
    router.post("/api/jobs/:id/stop") { _, context in
      let id = try context.parameters.require("id")
      guard let job = jobs.stop(id) else { throw StudioError.notFound("no queued or running job \(id)") }
      return job
    }
    router.post("/api/jobs/:id/resume") { request, context in
      let run = try catalog.run(try context.parameters.require("id"))
      let asked = try await decodeBody(ResumeRequest.self, from: request)
      return try answering {
        if let steps = asked.steps, !(1...1_000_000).contains(steps) {
          throw StudioError.badRequest("steps must be in 1...1000000, got \(steps)")
        }
        return try jobs.resume(run.url.lastPathComponent, steps: asked.steps)
      }
    }
    router.get("/api/runs/:id/report") { _, context in
      let run = try catalog.run(try context.parameters.require("id"))
      let html = try await answering { try await StudioWork.run { try RunReport(run: run).html() } }
      return Response(status: .ok, headers: [.contentType: "text/html; charset=utf-8"], body: .init(byteBuffer: ByteBuffer(string: html)))
    }
    router.get("/api/runs/:id/files/**") { _, context in
      // One or two names (`grid.png`, `step-000500/sample-001.wav`), each checked against the listing.
      let names = context.parameters.getCatchAll().map(String.init)
      guard (1...2).contains(names.count) else { throw StudioError.notFound("no sample \(names.joined(separator: "/"))") }
      return try file(catalog, context, names)
    }
    router.post("/api/runs/:id/images") { request, context in
      let id = try context.parameters.require("id")
      let run = try catalog.run(id)
      let asked = try await decodeBody(ImageRequest.self, from: request).validated()
      return try await answering { try await StudioWork.run { try StudioGeneration.images(asked, run: run, id: id) } }
    }
    router.post("/api/runs/:id/text") { request, context in
      let id = try context.parameters.require("id")
      let run = try catalog.run(id)
      let asked = try await decodeBody(TextRequest.self, from: request).validated()
      return try await answering { try await StudioGeneration.text(asked, run: run, id: id) }
    }
    router.post("/api/runs/:id/walk") { request, context in
      let id = try context.parameters.require("id")
      let run = try catalog.run(id)
      let asked = try await decodeBody(WalkRequest.self, from: request).validated()
      return try await answering { try await StudioWork.run { try StudioGeneration.walk(asked, run: run, id: id) } }
    }
    router.post("/api/runs/:id/audio") { request, context in
      let id = try context.parameters.require("id")
      let run = try catalog.run(id)
      let asked = try await decodeBody(AudioRequest.self, from: request).validated()
      return try await answering { try await StudioWork.run { try StudioGeneration.audio(asked, run: run, id: id) } }
    }
    router.post("/api/runs/:id/restore") { request, context in
      // The body is the PNG itself (at most 4 MB); `?box=x,y,w,h` marks the damaged region.
      let id = try context.parameters.require("id")
      let run = try catalog.run(id)
      let box = try request.uri.queryParameters["box"].map { text -> [Int] in
        let parts = text.split(separator: ",").map { Int($0.trimmingCharacters(in: .whitespaces)) }
        guard parts.count == 4, parts.allSatisfy({ $0 != nil }) else { throw StudioError.badRequest("box must be x,y,width,height, got \(text)") }
        return parts.map { $0! }
      }
      let body: ByteBuffer
      do {
        body = try await request.body.collect(upTo: 4 << 20)
      } catch {
        throw HTTPError(.contentTooLarge, message: "uploads are at most 4 MB")
      }
      let png = Data(body.readableBytesView)
      return try await answering { try await StudioWork.run { try StudioGeneration.restore(png: png, box: box, run: run, id: id) } }
    }
    router.post("/api/runs/:id/tune") { request, context in
      let run = try catalog.run(try context.parameters.require("id"))
      let asked = try await decodeBody(TuneRequest.self, from: request)
      let samples = asked.samples ?? 500
      guard (0...2000).contains(samples) else { throw StudioError.badRequest("samples must be in 0...2000, got \(samples)") }
      return try await answering { try await StudioWork.run { try StudioGeneration.tune(run, samples: samples) } }
    }
    router.post("/api/runs/:id/ratings") { request, context in
      let run = try catalog.run(try context.parameters.require("id"))
      let rating = try await decodeBody(RatingRequest.self, from: request)
      return try answering {
        guard let batch = SampleIndex(run: run).batches().first(where: { $0.batch == rating.batch }) else {
          throw StudioError.notFound("no batch \(rating.batch) in this run")
        }
        try Ratings(run: run).record(batch: batch, like: rating.like ?? [], dislike: rating.dislike ?? [])
        return RatingResult(ratings: Ratings(run: run).entries().count)
      }
    }
    return router
  }

  /// Serves `options` until the process is asked to stop (SIGINT, SIGTERM), then stops the
  /// training job, if any, which saves a checkpoint first.
  public static func serve(_ options: StudioOptions, dataDirectory: DataDirectory = .resolve()) async throws {
    let jobs = TrainingJobs(root: options.runs, dataDirectory: dataDirectory)
    for problem in jobs.restoreQueue() { print("queue: \(problem)") }
    let app = Application(
      router: router(options, jobs: jobs),
      configuration: .init(address: .hostname(options.host, port: options.port), serverName: "genai studio"))
    try await app.runService()
    jobs.shutdown()
  }

  /// The state of the runs that have a job queued or training (`queued`, `training`).
  static func activeJobs(_ jobs: TrainingJobs) -> [String: String] {
    var states: [String: String] = [:]
    for job in jobs.list() {
      switch job.state {
      case .queued: states[job.id] = "queued"
      case .running, .stopping: states[job.id] = "training"
      default: break
      }
    }
    return states
  }

  /// `body`'s value, its errors turned into the answer a client should get.
  static func answering<T>(_ body: () throws -> T) throws -> T {
    do { return try body() } catch { throw StudioError.answer(error) }
  }

  /// `body`'s value, its errors turned into the answer a client should get.
  static func answering<T>(_ body: () async throws -> T) async throws -> T {
    do { return try await body() } catch { throw StudioError.answer(error) }
  }

  static func detail(_ catalog: RunCatalog, _ id: String, abilities: [String]) throws -> RunDetail {
    let run = try catalog.run(id)
    let config = try run.readConfig()
    let lines = (try? MetricsLog.read(run.metricsURL)) ?? []
    let training = lines.compactMap(\.training)
    // Every k-th point, so the curve stays small for long runs.
    let stride = max(1, training.count / 500)
    let history = training.enumerated().filter { $0.offset % stride == 0 }.map { HistoryPoint(step: $0.element.step, losses: $0.element.losses) }
    let samplesPrefix = run.samplesURL.standardizedFileURL.path + "/"
    let batches = SampleIndex(run: run).batches().map { batch in
      BatchInfo(batch: batch.batch, count: batch.count, files: batch.files.compactMap { path in
        path.hasPrefix(samplesPrefix) ? "/api/runs/\(id)/files/" + path.dropFirst(samplesPrefix.count) : nil
      })
    }
    let kind = config.recipe
    return RunDetail(
      summary: try catalog.summary(id), generates: kind.isFeatureNetwork ? nil : kind.dataKind.rawValue,
      classNames: config.classNames ?? [], hasTunedPrior: (try? TunedPrior.load(run)) != nil, abilities: abilities,
      samples: catalog.sampleFiles(run).map { "/api/runs/\(id)/files/\($0)" }, batches: batches, history: history,
      evaluations: lines.compactMap(\.evaluation))
  }

  static func file(_ catalog: RunCatalog, _ context: BasicRequestContext, _ components: [String]) throws -> Response {
    let run = try catalog.run(try context.parameters.require("id"))
    let url = try catalog.sampleFile(run, components)
    guard let data = FileManager.default.contents(atPath: url.path) else { throw StudioError.notFound("cannot read \(url.lastPathComponent)") }
    let types = ["png": "image/png", "txt": "text/plain; charset=utf-8", "wav": "audio/wav", "json": "application/json"]
    return Response(
      status: .ok, headers: [.contentType: types[url.pathExtension] ?? "application/octet-stream"],
      body: .init(byteBuffer: ByteBuffer(bytes: data)))
  }
}
