import Foundation

/// What the GAN health monitor did and why; logged in `metrics.jsonl` as
/// `{"action": "rollback", "detail": "rollback to best/step-500.safetensors", "kind": "monitor", "reason": "...", "step": 600}`.
public struct MonitorEvent: Codable, Equatable, Sendable {
  /// The step it happened at.
  public var step: Int
  /// What was done.
  public var action: MonitorAction
  /// How it was done or why it could not be (`lower-d-lr to 0.0001`, `rollback skipped: no
  /// checkpoint saved yet`); absent from the oldest logs.
  public var detail: String?
  /// Which signal fired and its value, e.g. `near-duplicates 0.92 of fixed-noise pairs (limit 0.5)`.
  public var reason: String

  /// An event.
  public init(step: Int, action: MonitorAction, detail: String? = nil, reason: String) {
    self.step = step
    self.action = action
    self.detail = detail
    self.reason = reason
  }
}

/// What the monitor did about a problem it found: one of its policy's actions, or only a warning
/// when the policy has none. Written as the action's name (`rollback`, `lower-d-lr`,
/// `instance-noise`, `warn`).
public enum MonitorAction: RawRepresentable, Codable, Hashable, Sendable {
  /// One of the policy's actions (tried: `MonitorEvent.detail` says when it was skipped).
  case policy(MonitorPolicy.Action)
  /// Detected, with no action configured.
  case warn

  /// The action named `rawValue`, or `nil` for an unknown name.
  public init?(rawValue: String) {
    guard rawValue != "warn" else { self = .warn; return }
    guard let action = MonitorPolicy.Action(rawValue: rawValue) else { return nil }
    self = .policy(action)
  }

  /// The name.
  public var rawValue: String { if case .policy(let action) = self { action.rawValue } else { "warn" } }
}
