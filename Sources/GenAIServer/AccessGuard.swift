import Hummingbird

/// The studio's door: requests that change something (every method but GET and HEAD) always
/// carry the token, and when the server listens beyond this machine every request does. On
/// loopback the `Host` header must name this machine too, so a web page elsewhere cannot reach
/// the studio through a DNS name pointed at 127.0.0.1 (DNS rebinding).
struct AccessGuard<Context: RequestContext>: RouterMiddleware {
  let token: String
  let loopbackOnly: Bool

  func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws -> Response {
    if let refusal = refusal(method: request.method, authority: request.head.authority, token: presentedToken(request)) {
      throw refusal
    }
    return try await next(request, context)
  }

  /// Why a request with `method`, addressed to `authority` and carrying `token`, is refused,
  /// or `nil` when it may pass.
  func refusal(method: HTTPRequest.Method, authority: String?, token presented: String?) -> HTTPError? {
    if loopbackOnly, !["127.0.0.1", "localhost", "[::1]"].contains(authority.map(Self.hostName) ?? "localhost") {
      return HTTPError(.forbidden, message: "this studio only answers requests addressed to localhost")
    }
    let changes = method != .get && method != .head
    if (changes || !loopbackOnly) && !Self.same(presented, token) {
      return HTTPError(.unauthorized, message: "missing or wrong token: send Authorization: Bearer TOKEN (printed when genai serve started)")
    }
    return nil
  }

  /// The token from `Authorization: Bearer`, else from `?token=`.
  func presentedToken(_ request: Request) -> String? {
    if let header = request.headers[.authorization], header.hasPrefix("Bearer ") { return String(header.dropFirst(7)) }
    return request.uri.queryParameters["token"].map(String.init)
  }

  /// Whether `presented` is `token`, compared in time that does not depend on where they first
  /// differ, so a client cannot find the token a character at a time by timing answers.
  static func same(_ presented: String?, _ token: String) -> Bool {
    guard let presented else { return false }
    let a = Array(presented.utf8), b = Array(token.utf8)
    var difference = UInt8(a.count == b.count ? 0 : 1)
    for i in 0..<max(a.count, b.count) { difference |= (i < a.count ? a[i] : 0) ^ (i < b.count ? b[i] : 0) }
    return difference == 0
  }

  /// `localhost` from `localhost:8080`, `[::1]` from `[::1]:8080`.
  static func hostName(_ authority: String) -> String {
    if authority.hasPrefix("[") { return String(authority.prefix { $0 != "]" }) + "]" }
    return String(authority.prefix { $0 != ":" })
  }
}
