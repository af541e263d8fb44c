import ArgumentParser
import GenAI

// The library's options with a fixed set of values, parsed from their names on the command line.
// ArgumentParser lists `allValueStrings` in `--help` and in the error for a value that is none of
// them, so the names are written once, in the library.

extension VAEArchitecture: ExpressibleByArgument {}

extension CharRNNNetwork.Cell: ExpressibleByArgument {}

extension MonitorPolicy: ExpressibleByArgument {
  /// The policy `spec` describes (see `init(_:)`), or `nil` for an unknown action.
  public init?(argument spec: String) {
    guard let policy = try? MonitorPolicy(spec) else { return nil }
    self = policy
  }

  /// `off`, `warn` and the actions (which combine, separated by commas).
  public static var allValueStrings: [String] { words }
}

/// A set of `GANImprovement`s typed as `ema,ttur` (any order, spaces allowed) or `none`.
struct GANImprovementList: ExpressibleByArgument {
  let improvements: Set<GANImprovement>

  init?(argument: String) {
    let words = argument.split(separator: ",").map { $0.trimmingCharacters(in: .whitespaces).lowercased() }
    if words == ["none"] {
      improvements = []
      return
    }
    var set = Set<GANImprovement>()
    for word in words {
      guard let improvement = GANImprovement(rawValue: word) else { return nil }
      set.insert(improvement)
    }
    guard !set.isEmpty else { return nil }
    improvements = set
  }

  /// `none` and each improvement (which combine, separated by commas).
  static var allValueStrings: [String] { ["none"] + GANImprovement.allCases.map(\.rawValue) }
}

extension NamedDataset: ExpressibleByArgument {
  /// The dataset of the catalogue called `name` (as `DatasetCatalog.dataset(named:)`), or `nil`.
  public init?(argument name: String) {
    guard let dataset = DatasetCatalog.dataset(named: name) else { return nil }
    self = dataset
  }

  /// The datasets `genai datasets` lists.
  public static var allValueStrings: [String] { DatasetCatalog.names }

  /// The dataset's name.
  public var defaultValueDescription: String { name }
}
