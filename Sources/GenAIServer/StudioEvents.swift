import Foundation
import GenAI
import Hummingbird

/// `GET /api/runs/{id}/events`: server-sent events while the run trains in the studio. Each line
/// `metrics.jsonl` gains is sent as an `event: metrics` (its JSON as the data), and the job's
/// progress as `event: job` every half second; `event: done` ends the stream when the run is
/// no longer training (at once for a run that is not).
enum StudioEvents {
  static func stream(_ run: RunDirectory, id: String, jobs: TrainingJobs) -> Response {
    let body = ResponseBody { writer in
      // Only what is written from now on: the page has the curve so far from GET /api/runs/{id}.
      var offset = (try? FileManager.default.attributesOfItem(atPath: run.metricsURL.path)[.size] as? Int) ?? 0
      var pending = Data()
      while true {
        let job = jobs.list().last { $0.id == id }
        // A resumed run cuts a torn last line off the file (see `JSONLines.append`): go on from
        // the new end, without the torn bytes already read.
        if let size = (try? FileManager.default.attributesOfItem(atPath: run.metricsURL.path)[.size] as? Int), size < offset {
          offset = size
          pending.removeAll()
        }
        if let data = newBytes(run.metricsURL, from: &offset) {
          pending.append(data)
          while let end = pending.firstIndex(of: UInt8(ascii: "\n")) {
            let line = String(decoding: pending[pending.startIndex..<end], as: UTF8.self)
            pending.removeSubrange(pending.startIndex...end)
            if !line.isEmpty { try await writer.write(ByteBuffer(string: "event: metrics\ndata: \(line)\n\n")) }
          }
        }
        guard let job, [.queued, .running, .stopping].contains(job.state) else { break }
        if let json = try? JSONLines.line(job) { try await writer.write(ByteBuffer(string: "event: job\ndata: \(json)\n\n")) }
        try await Task.sleep(for: .milliseconds(500))
      }
      try await writer.write(ByteBuffer(string: "event: done\ndata: {}\n\n"))
      try await writer.finish(nil)
    }
    return Response(status: .ok, headers: [.contentType: "text/event-stream", .cacheControl: "no-cache"], body: body)
  }

  /// The bytes of `url` past `offset` (which moves past them), or `nil` when there are none.
  static func newBytes(_ url: URL, from offset: inout Int) -> Data? {
    guard let handle = try? FileHandle(forReadingFrom: url) else { return nil }
    defer { try? handle.close() }
    guard (try? handle.seek(toOffset: UInt64(offset))) != nil, let data = try? handle.readToEnd(), !data.isEmpty else { return nil }
    offset += data.count
    return data
  }
}
