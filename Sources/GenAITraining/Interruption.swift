import Foundation
import Synchronization

/// Ctrl-C handling for training: the first SIGINT (or SIGTERM) only sets a flag, which the
/// training loop checks between steps to save a checkpoint and exit cleanly; a second one
/// terminates at once (the handler is reset to the default after the first).
public enum Interruption {
  private static let flag = Atomic<Bool>(false)

  /// Installs the handlers and clears the flag.
  public static func install() {
    flag.store(false, ordering: .sequentiallyConsistent)
    signal(SIGINT) { _ in
      Interruption.flag.store(true, ordering: .sequentiallyConsistent)
      signal(SIGINT, SIG_DFL)
    }
    signal(SIGTERM) { _ in
      Interruption.flag.store(true, ordering: .sequentiallyConsistent)
      signal(SIGTERM, SIG_DFL)
    }
  }

  /// Restores the default handlers.
  public static func uninstall() {
    signal(SIGINT, SIG_DFL)
    signal(SIGTERM, SIG_DFL)
  }

  /// Whether a stop was requested since `install()`.
  public static var isRequested: Bool { flag.load(ordering: .sequentiallyConsistent) }

  /// Requests a stop as Ctrl-C would (for tests and embedding programs).
  public static func request() { flag.store(true, ordering: .sequentiallyConsistent) }

  /// Clears a request.
  public static func reset() { flag.store(false, ordering: .sequentiallyConsistent) }
}
