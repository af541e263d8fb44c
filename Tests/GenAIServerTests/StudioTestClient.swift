import HTTPTypes
import Hummingbird
import Logging
import NIOCore
import NIOEmbedded
import ServiceLifecycle

// The studio's tests reach it two ways, both without an HTTP client package: requests handed
// straight to the router (no socket), and a server on a free local port for the browser test.
// HummingbirdTesting did both, but it brings AsyncHTTPClient and SwiftNIO SSL (BoringSSL's ~400
// C files) into every test build: over 2 minutes of a fresh clone's test command on two cores
// (10 min 12 s with it, 7 min 58 s without).

/// One response as the tests read it: status, headers and the whole body.
struct StudioTestResponse: Sendable {
  let status: HTTPResponse.Status
  let headers: HTTPFields
  let body: ByteBuffer
}

/// The studio as `Studio.router` builds it, in an application.
typealias StudioApp = Application<RouterResponder<BasicRequestContext>>

/// Sends requests to the studio's router in this process, each with a fresh
/// `BasicRequestContext` on a testing channel, and collects the response body.
struct StudioTestClient: Sendable {
  let responder: RouterResponder<BasicRequestContext>
  let logger = Logger(label: "studio-test")

  /// Sends one request and hands its response to `check`. A thrown error becomes a 500, as a
  /// server would answer it.
  @discardableResult
  func execute<Value>(
    uri: String, method: HTTPRequest.Method, headers: HTTPFields = [:], body: ByteBuffer? = nil,
    _ check: (StudioTestResponse) async throws -> Value
  ) async throws -> Value {
    var headers = headers
    if let body { headers[.contentLength] = String(body.readableBytes) }
    let request = Request(
      head: HTTPRequest(method: method, scheme: "http", authority: "localhost", path: uri, headerFields: headers),
      body: RequestBody(buffer: body ?? ByteBuffer()))
    let context = BasicRequestContext(source: .init(channel: NIOAsyncTestingChannel(), logger: logger))
    let response: Response
    do {
      response = try await responder.respond(to: request, context: context)
    } catch {
      response = Response(status: .internalServerError)
    }
    let collected = CollectedBody()
    try await response.body.write(BodyCollector(into: collected))
    return try await check(StudioTestResponse(status: response.status, headers: response.headers, body: collected.buffer))
  }
}

/// A response body's bytes, gathered by `BodyCollector` (the body consumes its writer).
private final class CollectedBody {
  var buffer = ByteBuffer()
}

/// Appends each chunk a response body writes to a `CollectedBody`.
private struct BodyCollector: ResponseBodyWriter {
  let into: CollectedBody

  mutating func write(_ chunk: ByteBuffer) async throws {
    var chunk = chunk
    into.buffer.writeBuffer(&chunk)
  }

  consuming func finish(_ trailingHeaders: HTTPFields?) async throws {}
}

extension StudioApp {
  /// Runs `body` with a client that hands requests straight to this application's router (the
  /// browser test serves over a socket instead, with `serving(_:_:)`).
  func withRouterClient<Value>(_ body: (StudioTestClient) async throws -> Value) async throws -> Value {
    try await body(StudioTestClient(responder: try await responder))
  }
}

/// Serves `router` over HTTP on a free port of 127.0.0.1 while `body` runs with that port, then
/// shuts the server down gracefully. A server that cannot start is an error, not a hang.
func serving<Value: Sendable>(
  _ router: Router<BasicRequestContext>, _ body: (Int) async throws -> Value
) async throws -> Value {
  let (ports, portFound) = AsyncStream.makeStream(of: Int.self)
  let app = Application(
    router: router, configuration: .init(address: .hostname("127.0.0.1", port: 0)),
    onServerRunning: { channel in
      if let port = channel.localAddress?.port { portFound.yield(port) }
      portFound.finish()
    },
    logger: Logger(label: "studio-test"))
  let services = ServiceGroup(configuration: .init(services: [app], logger: app.logger))
  return try await withThrowingTaskGroup(of: Void.self) { group in
    group.addTask {
      defer { portFound.finish() }  // the server stopped, or never started: no port will come
      try await services.run()
    }
    let value: Value
    do {
      guard let port = await ports.first(where: { _ in true }) else {
        throw StudioTestServerError.didNotStart
      }
      value = try await body(port)
    } catch {
      await services.triggerGracefulShutdown()
      try await group.waitForAll()  // the server's own error, where it has one, comes first
      throw error
    }
    await services.triggerGracefulShutdown()
    try await group.waitForAll()
    return value
  }
}

/// `serving` found no port: the server stopped before it listened.
enum StudioTestServerError: Error { case didNotStart }
