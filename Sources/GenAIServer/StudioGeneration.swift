import Foundation
import GenAI
import Hummingbird
import Synchronization

/// What the studio generates: image grids and streamed text, written and indexed as
/// `genai sample` does (same provenance, same batches to rate), as `samples/studio-NNNN.*`.
enum StudioGeneration {
  /// A grid for `asked` from the run's newest checkpoint (runs on `StudioWork.queue`).
  /// - Throws: a 400 when the run does not generate images or a value does not fit it.
  static func images(_ asked: ImageRequest, run: RunDirectory, id: String) throws -> GeneratedBatch {
    let model = try StudioWork.model(run)
    let trained = model.trained
    guard trained.recipe.imageGenerator != nil else {
      throw StudioError.badRequest("\(trained.config.recipe.name) runs do not generate images")
    }
    var request = SampleRequest()
    request.count = asked.count ?? 16
    request.seed = asked.seed ?? 0
    if let label = asked.label { request.label = try SampleWriter.label(label, classNames: trained.config.classNames ?? []) }
    if trained.recipe.latentImageGenerator != nil, asked.prior != "standard" {
      request.prior = try trained.tunedPrior()
      if asked.prior == "tuned" && request.prior == nil {
        throw StudioError.badRequest("this run has no tuned prior yet: rate samples, then run genai tune")
      }
    }
    let url = try nextFile(run, fileExtension: "png")
    let files = try SampleWriter.write(trained.recipe, request: request, to: url, provenance: model.provenance)
    let batch = try SampleIndex(run: run).append(
      files: files, count: request.count, checkpoint: trained.checkpoint, request: request, recipe: trained.config.recipe.name)
    return GeneratedBatch(batch: batch, count: request.count, url: "/api/runs/\(id)/files/\(url.lastPathComponent)")
  }

  /// A response that streams text for `asked` as JSON lines, `{"text": "..."}` per character
  /// and a last `{"batch": N, "count": 1, "url": ...}` (or `{"error": ...}`). The run is loaded
  /// and the request checked before the response starts, so those failures are plain 4xx.
  static func text(_ asked: TextRequest, run: RunDirectory, id: String) async throws -> Response {
    let (stream, output) = AsyncStream<ByteBuffer>.makeStream()
    // A client that goes away stops the generation at the next character.
    let gone = StopFlag()
    output.onTermination = { _ in gone.raise() }
    try await withCheckedThrowingContinuation { (ready: CheckedContinuation<Void, any Error>) in
      StudioWork.queue.async {
        let model: StudioWork.LoadedModel
        let trained: TrainedRecipe
        var request = SampleRequest()
        do {
          model = try StudioWork.model(run)
          trained = model.trained
          guard let text = trained.recipe.textGenerator else {
            throw StudioError.badRequest("\(trained.config.recipe.name) runs do not generate text")
          }
          do {
            _ = try text.vocabulary.encode(asked.prime ?? "", source: "prime")
          } catch {
            throw StudioError.badRequest("\(error)")
          }
          request.prime = asked.prime ?? ""
          request.length = asked.length ?? 200
          request.seed = asked.seed ?? 0
          request.sampling = SamplingOptions(temperature: asked.temperature ?? 0.8, topK: asked.topK, topP: asked.topP)
          request.trainingText = trained.trainingText()
        } catch {
          ready.resume(throwing: error)
          return
        }
        ready.resume()
        do {
          let url = try nextFile(run, fileExtension: "txt")
          let files = try SampleWriter.write(trained.recipe, request: request, to: url, provenance: model.provenance) { character in
            if gone.isRaised { throw CancellationError() }
            output.yield(line(["text": character]))
          }
          let batch = try SampleIndex(run: run).append(
            files: files, count: 1, checkpoint: trained.checkpoint, request: request, recipe: trained.config.recipe.name)
          output.yield(line(GeneratedBatch(batch: batch, count: 1, url: "/api/runs/\(id)/files/\(url.lastPathComponent)")))
        } catch {
          output.yield(line(["error": String(describing: error)]))
        }
        output.finish()
      }
    }
    return Response(status: .ok, headers: [.contentType: "application/x-ndjson"], body: ResponseBody(asyncSequence: stream))
  }

  /// `samples/studio-NNNN.EXT` for the next batch number.
  static func nextFile(_ run: RunDirectory, fileExtension: String) throws -> URL {
    let number = (SampleIndex(run: run).batches().last?.batch ?? 0) + 1
    try FileManager.default.createDirectory(at: run.samplesURL, withIntermediateDirectories: true)
    return run.samplesURL.appending(path: String(format: "studio-%04d.", number) + fileExtension)
  }

  /// One JSON line with sorted keys.
  static func line(_ value: some Encodable) -> ByteBuffer {
    ByteBuffer(string: ((try? JSONLines.line(value)) ?? "{}") + "\n")
  }
}

/// A flag one thread raises and another reads.
final class StopFlag: Sendable {
  private let raised = Atomic<Bool>(false)
  func raise() { raised.store(true, ordering: .relaxed) }
  var isRaised: Bool { raised.load(ordering: .relaxed) }
}
