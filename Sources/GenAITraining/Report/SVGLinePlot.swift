import Foundation

/// A line plot written as a self-contained SVG element (no scripts, no external references):
/// axes with tick labels, one polyline per series, a legend.
///
/// Missing values (`nil`, NaN, infinities) break a line into pieces; a point with no finite
/// neighbour is drawn as a dot, so a series of one point is still visible. A constant series
/// gets a y range around its value.
public struct SVGLinePlot: Sendable {
  /// One line of the plot.
  public struct Series: Sendable, Equatable {
    /// The legend's label.
    public var name: String
    /// `(x, y)` points in x order; `y` is `nil` or non-finite where the value is missing.
    public var points: [(x: Double, y: Double?)]
    /// Drawn dashed (used for reference values such as a metric's real-data ceiling).
    public var dashed: Bool

    /// A series.
    public init(name: String, points: [(x: Double, y: Double?)], dashed: Bool = false) {
      self.name = name
      self.points = points
      self.dashed = dashed
    }

    /// Series are equal when names, dash style and points (NaN equal to NaN) are.
    public static func == (a: Series, b: Series) -> Bool {
      a.name == b.name && a.dashed == b.dashed && a.points.count == b.points.count
        && zip(a.points, b.points).allSatisfy { p, q in
          p.x == q.x && (p.y == q.y || (p.y?.isNaN ?? false) && (q.y?.isNaN ?? false))
        }
    }
  }

  /// The title above the plot.
  public var title: String
  /// The x axis' label.
  public var xLabel: String
  /// The series, drawn in order (the legend lists them in this order).
  public var series: [Series]
  /// Size in CSS pixels.
  public var width: Int
  /// Size in CSS pixels.
  public var height: Int

  /// Line colours, in series order (repeated when there are more series).
  public static let palette = ["#1f77b4", "#d62728", "#2ca02c", "#ff7f0e", "#9467bd", "#8c564b", "#e377c2", "#17becf"]

  /// A plot.
  public init(title: String, xLabel: String = "step", series: [Series], width: Int = 520, height: Int = 300) {
    self.title = title
    self.xLabel = xLabel
    self.series = series
    self.width = width
    self.height = height
  }

  /// "Nice" tick values (1, 2 or 5 times a power of ten apart) covering `low...high`, about
  /// `count` of them.
  public static func ticks(low: Double, high: Double, count: Int = 5) -> [Double] {
    guard low.isFinite, high.isFinite, high > low, count > 0 else { return low.isFinite ? [low] : [] }
    let raw = (high - low) / Double(count)
    let magnitude = pow(10, floor(log10(raw)))
    let step = [1.0, 2, 5, 10].map { $0 * magnitude }.first { $0 >= raw } ?? 10 * magnitude
    let first = Int(ceil(low / step - 1e-9))
    let last = Int(floor(high / step + 1e-9))
    guard first <= last else { return [low] }
    return (first...last).map { Double($0) * step }
  }

  /// A short label for a tick value: plain for moderate numbers, exponent form otherwise.
  public static func label(_ value: Double) -> String {
    if value == 0 { return "0" }
    let a = abs(value)
    if a >= 1e5 || a < 1e-3 { return String(format: "%.1e", value) }
    if value == value.rounded() { return String(Int64(value)) }
    var text = String(format: "%.4f", value)
    while text.hasSuffix("0") { text.removeLast() }
    return text
  }

  /// The `<svg>` element.
  public func render() -> String {
    let finite = series.flatMap { $0.points }.compactMap { p -> (Double, Double)? in
      guard p.x.isFinite, let y = p.y, y.isFinite else { return nil }
      return (p.x, y)
    }
    let (left, right, top) = (64.0, 16.0, 30.0)
    let legendRows = series.isEmpty ? 0 : (series.count + 2) / 3
    let bottom = 40.0 + 16.0 * Double(legendRows)
    let (w, h) = (Double(width), Double(height))
    let plotW = max(w - left - right, 10)
    let plotH = max(h - top - bottom, 10)
    var out = "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"\(width)\" height=\"\(height)\" "
    out += "viewBox=\"0 0 \(width) \(height)\" role=\"img\" aria-label=\"\(HTML.escape(title))\" class=\"plot\">\n"
    out += "<rect x=\"0\" y=\"0\" width=\"\(width)\" height=\"\(height)\" fill=\"#ffffff\"/>\n"
    out += "<text x=\"\(fmt(w / 2))\" y=\"18\" text-anchor=\"middle\" font-size=\"14\" font-weight=\"bold\">\(HTML.escape(title))</text>\n"
    guard !finite.isEmpty else {
      out += "<text x=\"\(fmt(w / 2))\" y=\"\(fmt(h / 2))\" text-anchor=\"middle\" font-size=\"12\" fill=\"#888888\">no finite values</text>\n"
      return out + "</svg>"
    }
    var (x0, x1) = (finite.map(\.0).min()!, finite.map(\.0).max()!)
    var (y0, y1) = (finite.map(\.1).min()!, finite.map(\.1).max()!)
    if x1 == x0 { (x0, x1) = (x0 - 1, x1 + 1) }
    if y1 == y0 {
      let pad = y0 == 0 ? 1 : abs(y0) * 0.1
      (y0, y1) = (y0 - pad, y1 + pad)
    } else {
      let pad = (y1 - y0) * 0.05
      (y0, y1) = (y0 - pad, y1 + pad)
    }
    func px(_ x: Double) -> Double { left + (x - x0) / (x1 - x0) * plotW }
    func py(_ y: Double) -> Double { top + (1 - (y - y0) / (y1 - y0)) * plotH }

    // Axes and grid.
    out += "<g font-size=\"11\" fill=\"#333333\">\n"
    for t in Self.ticks(low: y0, high: y1) {
      let y = fmt(py(t))
      out += "<line x1=\"\(fmt(left))\" y1=\"\(y)\" x2=\"\(fmt(left + plotW))\" y2=\"\(y)\" stroke=\"#e5e5e5\"/>"
      out += "<text x=\"\(fmt(left - 6))\" y=\"\(y)\" text-anchor=\"end\" dominant-baseline=\"middle\">\(HTML.escape(Self.label(t)))</text>\n"
    }
    for t in Self.ticks(low: x0, high: x1, count: 6) {
      let x = fmt(px(t))
      out += "<line x1=\"\(x)\" y1=\"\(fmt(top + plotH))\" x2=\"\(x)\" y2=\"\(fmt(top + plotH + 4))\" stroke=\"#333333\"/>"
      out += "<text x=\"\(x)\" y=\"\(fmt(top + plotH + 16))\" text-anchor=\"middle\">\(HTML.escape(Self.label(t)))</text>\n"
    }
    out += "<rect x=\"\(fmt(left))\" y=\"\(fmt(top))\" width=\"\(fmt(plotW))\" height=\"\(fmt(plotH))\" fill=\"none\" stroke=\"#333333\"/>\n"
    out += "<text x=\"\(fmt(left + plotW / 2))\" y=\"\(fmt(top + plotH + 30))\" text-anchor=\"middle\">\(HTML.escape(xLabel))</text>\n"
    out += "</g>\n"

    // Lines: one path per run of finite points, a dot for an isolated point.
    for (index, s) in series.enumerated() {
      let colour = Self.palette[index % Self.palette.count]
      let dash = s.dashed ? " stroke-dasharray=\"6 4\"" : ""
      out += "<g class=\"series\" data-name=\"\(HTML.escape(s.name))\">"
      for piece in Self.pieces(s.points) {
        if piece.count == 1 {
          out += "<circle cx=\"\(fmt(px(piece[0].0)))\" cy=\"\(fmt(py(piece[0].1)))\" r=\"2.5\" fill=\"\(colour)\"/>"
        } else {
          let d = piece.enumerated().map { i, p in (i == 0 ? "M" : "L") + fmt(px(p.0)) + " " + fmt(py(p.1)) }.joined(separator: " ")
          out += "<path d=\"\(d)\" fill=\"none\" stroke=\"\(colour)\" stroke-width=\"1.5\"\(dash)/>"
        }
      }
      out += "</g>\n"
    }

    // Legend: three entries a row under the x label.
    out += "<g font-size=\"11\" fill=\"#333333\">\n"
    let columnWidth = plotW / 3
    for (index, s) in series.enumerated() {
      let colour = Self.palette[index % Self.palette.count]
      let x = left + Double(index % 3) * columnWidth
      let y = top + plotH + 46 + Double(index / 3) * 16
      let dash = s.dashed ? " stroke-dasharray=\"6 4\"" : ""
      out += "<line x1=\"\(fmt(x))\" y1=\"\(fmt(y))\" x2=\"\(fmt(x + 18))\" y2=\"\(fmt(y))\" stroke=\"\(colour)\" stroke-width=\"2\"\(dash)/>"
      out += "<text x=\"\(fmt(x + 22))\" y=\"\(fmt(y))\" dominant-baseline=\"middle\">\(HTML.escape(s.name))</text>\n"
    }
    out += "</g>\n"
    return out + "</svg>"
  }

  /// The runs of consecutive finite points of `points`.
  static func pieces(_ points: [(x: Double, y: Double?)]) -> [[(Double, Double)]] {
    var pieces: [[(Double, Double)]] = []
    var current: [(Double, Double)] = []
    for p in points {
      if p.x.isFinite, let y = p.y, y.isFinite {
        current.append((p.x, y))
      } else if !current.isEmpty {
        pieces.append(current)
        current = []
      }
    }
    if !current.isEmpty { pieces.append(current) }
    return pieces
  }

  private func fmt(_ v: Double) -> String { String(format: "%.1f", v) }
}
