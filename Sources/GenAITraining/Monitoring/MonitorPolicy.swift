import Foundation

/// What the GAN health monitor does when a signal fires (`--monitor`): a comma-separated list of
/// actions applied in order, `warn` (log only) or `off`.
///
/// - `rollback`: reload the best checkpoint (or, before the first evaluation, the newest saved
///   one) into every network and optimiser; training goes on from the current step.
/// - `lower-d-lr`: halve the discriminator's (critic's) learning rate.
/// - `instance-noise`: add Gaussian noise (σ 0.1, doubling on repeats up to 0.4) to every image
///   D sees, decaying linearly to 0 over the next 1,000 steps (DCGAN only).
public struct MonitorPolicy: Equatable, Sendable, CustomStringConvertible {
  /// One reaction.
  public enum Action: String, CaseIterable, Sendable {
    /// Reload the best (or newest) checkpoint.
    case rollback
    /// Halve D's learning rate.
    case lowerDiscriminatorRate = "lower-d-lr"
    /// Add decaying instance noise.
    case instanceNoise = "instance-noise"
  }

  /// The actions, in order (empty: log a warning only).
  public var actions: [Action]
  /// Whether the monitor runs at all.
  public var enabled: Bool

  /// The default: roll back, then halve D's learning rate.
  public static let defaultSpec = "rollback,lower-d-lr"

  /// Parses `spec`: `off`, `warn`, or actions separated by commas.
  /// - Throws: `TrainingError` naming an unknown action and listing the valid ones.
  public init(_ spec: String) throws {
    let trimmed = spec.lowercased().trimmingCharacters(in: .whitespaces)
    switch trimmed {
    case "off", "none":
      actions = []
      enabled = false
    case "warn":
      actions = []
      enabled = true
    default:
      actions = try trimmed.split(separator: ",").map { part in
        let name = part.trimmingCharacters(in: .whitespaces)
        guard let action = Action(rawValue: name) else {
          throw TrainingError("--monitor: unknown action \"\(name)\"; use off, warn, or a list of \(Action.allCases.map(\.rawValue).joined(separator: ", "))")
        }
        return action
      }
      enabled = true
    }
  }

  /// The spec string (`off`, `warn`, or the action list).
  public var description: String {
    enabled ? (actions.isEmpty ? "warn" : actions.map(\.rawValue).joined(separator: ",")) : "off"
  }
}
