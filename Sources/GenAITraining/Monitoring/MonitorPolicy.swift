import Foundation

/// What the GAN health monitor does when a signal fires: a comma-separated list of actions
/// applied in order, `warn` (log only) or `off`. Written in `config.json` as that spec.
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
  public static let `default` = MonitorPolicy(actions: [.rollback, .lowerDiscriminatorRate])

  /// The words a spec is made of: `off`, `warn`, then each action's name.
  public static var words: [String] { ["off", "warn"] + Action.allCases.map(\.rawValue) }

  /// A policy that runs `actions` in order (empty: log a warning only).
  public init(actions: [Action]) {
    self.actions = actions
    enabled = true
  }

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
          throw TrainingError(
            "unknown monitor action \"\(name)\"; use off, warn, or a comma-separated list of \(Action.allCases.map(\.rawValue).joined(separator: ", "))")
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

extension MonitorPolicy: Codable {
  /// Decodes a policy from its spec string.
  /// - Throws: `DecodingError.dataCorrupted` naming an unknown action and listing the valid ones.
  public init(from decoder: any Decoder) throws {
    let container = try decoder.singleValueContainer()
    do {
      try self.init(try container.decode(String.self))
    } catch let error as TrainingError {
      throw DecodingError.dataCorruptedError(in: container, debugDescription: error.message)
    }
  }

  /// Encodes the policy as its spec string (`description`).
  public func encode(to encoder: any Encoder) throws {
    var container = encoder.singleValueContainer()
    try container.encode(description)
  }
}
