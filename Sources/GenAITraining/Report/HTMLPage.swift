import Foundation

/// HTML text helpers.
public enum HTML {
  /// `text` with `&`, `<`, `>`, `"` and `'` replaced by entities: safe in element content and
  /// in quoted attribute values.
  public static func escape(_ text: String) -> String {
    var out = ""
    out.reserveCapacity(text.utf8.count)
    for ch in text.unicodeScalars {
      switch ch {
      case "&": out += "&amp;"
      case "<": out += "&lt;"
      case ">": out += "&gt;"
      case "\"": out += "&quot;"
      case "'": out += "&#39;"
      default: out.unicodeScalars.append(ch)
      }
    }
    return out
  }

  /// A `data:` URI holding `bytes` in base64, e.g. `data:image/png;base64,iVBOR...`.
  public static func dataURI(_ bytes: Data, type: String) -> String {
    "data:\(type);base64," + bytes.base64EncodedString()
  }
}

/// A single static HTML page built piece by piece: every text argument is escaped, only
/// `raw(_:)` inserts markup as given. No scripts; styling is one inline style sheet.
public struct HTMLPage: Sendable {
  /// The page's `<title>` and first heading.
  public var title: String
  private var body = ""

  /// An empty page.
  public init(title: String) { self.title = title }

  /// The simple style sheet every page carries.
  public static let styleSheet = """
    body { font-family: -apple-system, "Segoe UI", Helvetica, Arial, sans-serif; margin: 24px auto; max-width: 1120px; \
    padding: 0 16px; color: #222; background: #fafafa; line-height: 1.45; }
    h1 { font-size: 26px; margin-bottom: 4px; } h2 { font-size: 20px; border-bottom: 1px solid #ddd; padding-bottom: 4px; margin-top: 32px; }
    h3 { font-size: 16px; margin-bottom: 6px; }
    table { border-collapse: collapse; margin: 8px 0 12px; background: #fff; }
    th, td { border: 1px solid #ddd; padding: 4px 10px; text-align: left; vertical-align: top; font-size: 14px; }
    th { background: #f0f0f0; } table.kv th { font-weight: normal; color: #444; } td.num { text-align: right; font-variant-numeric: tabular-nums; }
    .plots { display: flex; flex-wrap: wrap; gap: 12px; } svg.plot { border: 1px solid #ddd; background: #fff; }
    figure { margin: 8px 12px 16px 0; display: inline-block; vertical-align: top; } figcaption { font-size: 13px; color: #555; }
    img.grid { image-rendering: pixelated; max-width: 100%; border: 1px solid #ddd; background: #fff; }
    pre { background: #fff; border: 1px solid #ddd; padding: 8px 10px; white-space: pre-wrap; font-size: 13px; }
    .warning { background: #fff4e5; border-left: 4px solid #f0a020; padding: 6px 10px; margin: 4px 0; }
    .muted { color: #666; font-size: 13px; } .card { display: inline-block; background: #fff; border: 1px solid #ddd; padding: 6px 10px; margin: 6px 12px 6px 0; vertical-align: top; }
    """

  /// Appends markup as given (for output of trusted builders such as `SVGLinePlot`).
  public mutating func raw(_ markup: String) { body += markup + "\n" }

  /// Appends a section heading (`level` 2 or 3) with an optional `id` for links.
  public mutating func heading(_ text: String, level: Int = 2, id: String? = nil) {
    let tag = "h\(min(max(level, 1), 6))"
    let anchor = id.map { " id=\"\(HTML.escape($0))\"" } ?? ""
    body += "<\(tag)\(anchor)>\(HTML.escape(text))</\(tag)>\n"
  }

  /// Appends a paragraph of `text`, with a CSS `className` when given.
  public mutating func paragraph(_ text: String, className: String? = nil) {
    let cls = className.map { " class=\"\(HTML.escape($0))\"" } ?? ""
    body += "<p\(cls)>\(HTML.escape(text))</p>\n"
  }

  /// Appends preformatted text.
  public mutating func preformatted(_ text: String) { body += "<pre>\(HTML.escape(text))</pre>\n" }

  /// Appends a table; cells that parse as numbers are right-aligned.
  public mutating func table(headers: [String], rows: [[String]]) {
    body += "<table>\n<tr>" + headers.map { "<th>\(HTML.escape($0))</th>" }.joined() + "</tr>\n"
    for row in rows {
      body += "<tr>" + row.map { cell in
        Double(cell) != nil ? "<td class=\"num\">\(HTML.escape(cell))</td>" : "<td>\(HTML.escape(cell))</td>"
      }.joined() + "</tr>\n"
    }
    body += "</table>\n"
  }

  /// Appends a two-column table of names and values, without a header row.
  public mutating func keyValueTable(_ rows: [(String, String)]) {
    body += "<table class=\"kv\">\n"
    for (key, value) in rows { body += "<tr><th>\(HTML.escape(key))</th><td>\(HTML.escape(value))</td></tr>\n" }
    body += "</table>\n"
  }

  /// Appends an image from a `data:` URI (or any URL) in a figure with a caption.
  public mutating func figure(imageSource: String, caption: String, alt: String) {
    body += "<figure><img class=\"grid\" src=\"\(HTML.escape(imageSource))\" alt=\"\(HTML.escape(alt))\">"
    body += "<figcaption>\(HTML.escape(caption))</figcaption></figure>\n"
  }

  /// Appends an audio player for a `data:` URI (or any URL) with a caption.
  public mutating func audio(source: String, type: String = "audio/wav", caption: String) {
    body += "<figure><audio controls preload=\"none\"><source src=\"\(HTML.escape(source))\" type=\"\(HTML.escape(type))\"></audio>"
    body += "<figcaption>\(HTML.escape(caption))</figcaption></figure>\n"
  }

  /// The complete document.
  public func render() -> String {
    """
    <!DOCTYPE html>
    <html lang="en">
    <head>
    <meta charset="utf-8">
    <meta name="viewport" content="width=device-width, initial-scale=1">
    <meta name="generator" content="genai report">
    <title>\(HTML.escape(title))</title>
    <style>
    \(Self.styleSheet)
    </style>
    </head>
    <body>
    <h1>\(HTML.escape(title))</h1>
    \(body)</body>
    </html>

    """
  }
}
