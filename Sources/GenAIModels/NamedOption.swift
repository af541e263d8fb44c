/// An option with a fixed set of values, each written as its name (the raw value): `conv` or
/// `mlp`, `lstm` or `gru`.
///
/// Files store the name, so a configuration reads as it was typed; a name that is not one of the
/// values fails to decode with a message that lists the values expected (the decoder's coding
/// path names the field). The command line parses the same names and lists them in `--help`.
public protocol NamedOption: RawRepresentable, CaseIterable, Codable, Sendable where RawValue == String {}

extension NamedOption {
  /// The names of every value, in declaration order.
  public static var names: [String] { allCases.map(\.rawValue) }

  /// The names as a phrase for messages: `conv or mlp`, `a, b or c`.
  public static var nameList: String {
    let all = names
    return all.count < 2 ? all.joined() : all.dropLast().joined(separator: ", ") + " or " + all[all.count - 1]
  }

  /// Decodes a value from its name.
  /// - Throws: `DecodingError.dataCorrupted` naming the values expected when the name is none of them.
  public init(from decoder: any Decoder) throws {
    let container = try decoder.singleValueContainer()
    let name = try container.decode(String.self)
    guard let value = Self(rawValue: name) else {
      throw DecodingError.dataCorruptedError(in: container, debugDescription: "expected \(Self.nameList), got \"\(name)\"")
    }
    self = value
  }
}
