import Foundation

/// How `genai serve` runs: where the runs are, where it listens, and the access token.
public struct StudioOptions: Sendable {
  /// The folder whose sub-folders are runs (each with a `config.json`).
  public var runs: URL
  /// The address to bind (`127.0.0.1` by default: only this machine can connect).
  public var host: String
  /// The TCP port.
  public var port: Int
  /// The token state-changing requests always carry, and every request carries when the
  /// server listens beyond this machine (`Authorization: Bearer TOKEN` or `?token=TOKEN`).
  public var token: String

  /// Options with a fresh random token.
  public init(runs: URL, host: String = "127.0.0.1", port: Int = 8080, token: String = StudioOptions.randomToken()) {
    self.runs = runs
    self.host = host
    self.port = port
    self.token = token
  }

  /// Whether the server only listens on this machine's loopback interface.
  public var isLoopback: Bool { ["127.0.0.1", "localhost", "::1"].contains(host) }

  /// 32 hex digits from the system's random source.
  public static func randomToken() -> String {
    var generator = SystemRandomNumberGenerator()
    return (0..<4).map { _ in String(format: "%08x", UInt32.random(in: .min ... .max, using: &generator)) }.joined()
  }
}
