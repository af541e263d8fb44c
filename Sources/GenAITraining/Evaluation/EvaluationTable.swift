import Foundation

extension EvaluationReport {
  /// The report as a plain-text table with the real-data ceilings beside, then the protocol cards
  /// and warnings: what `genai eval` prints.
  public func table() -> String {
    func number(_ v: Double?) -> String {
      guard let v else { return "-" }
      if !v.isFinite { return String(v) }
      if v != 0 && (abs(v) >= 1e5 || abs(v) < 1e-3) { return String(format: "%.3e", v) }
      return String(format: "%.4f", v)
    }
    let header = ["metric", "model", "real data", "unit", "better", "detail"]
    let rows = metrics.map { m in [m.name, number(m.value), number(m.ceiling), m.unit, m.better.rawValue, m.detail ?? ""] }
    let widths = (0..<5).map { c in ([header] + rows).map { $0[c].count }.max() ?? 0 }
    func line(_ cells: [String]) -> String {
      (0..<5).map { cells[$0].padding(toLength: widths[$0], withPad: " ", startingAt: 0) }.joined(separator: "  ") + "  " + cells[5]
    }
    var out = "\(recipe) run \(run), step \(step) (\(checkpoint)), measured \(date)\n"
    out += line(header).trimmingCharacters(in: .whitespaces) + "\n"
    out += rows.map { line($0).trimmingCharacters(in: .whitespaces) }.joined(separator: "\n") + "\n"
    for card in protocols {
      out += "\nprotocol: \(card.metrics)\n"
      let width = card.fields.map(\.name.count).max() ?? 0
      for f in card.fields { out += "  \(f.name.padding(toLength: width, withPad: " ", startingAt: 0))  \(f.value)\n" }
    }
    if !warnings.isEmpty { out += "\n" + warnings.map { "warning: \($0)" }.joined(separator: "\n") + "\n" }
    return out
  }
}
