import Foundation
import GenAIData
import GenAIModels
import GenAITestSupport
import Testing
@testable import GenAITraining

#if canImport(FoundationXML)
  import FoundationXML
#endif

/// Counts elements by name while parsing XML; `error` is set when the text is not well formed.
private final class ElementCounter: NSObject, XMLParserDelegate {
  var counts: [String: Int] = [:]
  var classes: [String: Int] = [:]
  /// Coordinates (`x`, `cy`, path data, ...) that are not finite numbers.
  var badCoordinates: [String] = []
  func parser(_ parser: XMLParser, didStartElement name: String, namespaceURI: String?, qualifiedName: String?, attributes: [String: String] = [:]) {
    counts[name, default: 0] += 1
    if let c = attributes["class"] { classes[c, default: 0] += 1 }
    for key in ["x", "y", "x1", "y1", "x2", "y2", "cx", "cy", "width", "height"] {
      if let v = attributes[key], !(Double(v)?.isFinite ?? false) { badCoordinates.append("\(name).\(key)=\(v)") }
    }
    for token in (attributes["d"] ?? "").split(separator: " ") {
      let number = token.drop { $0 == "M" || $0 == "L" }
      if !(Double(number)?.isFinite ?? false) { badCoordinates.append("\(name).d: \(token)") }
    }
  }

  static func parse(_ xml: String) -> ElementCounter? {
    let counter = ElementCounter()
    let parser = XMLParser(data: Data(xml.utf8))
    parser.delegate = counter
    return parser.parse() ? counter : nil
  }
}

/// Hand-written pieces of a run folder.
private enum Fixture {
  /// A tiny RGB gradient PNG, different for each `seed`.
  static func png(seed: Int) -> Data {
    var pixels: [UInt8] = []
    for y in 0..<8 { for x in 0..<8 { pixels += [UInt8(x * 30), UInt8(y * 30), UInt8((seed * 40) % 256)] } }
    return Data(PNGEncoder.encode(Bitmap(width: 8, height: 8, channels: 3, pixels: pixels)))
  }

  /// A run folder of `recipe` with `lines` as metrics.jsonl.
  static func run(_ recipe: RecipeKind, in folder: URL, lines: [String]) throws -> RunDirectory {
    let run = RunDirectory(url: folder.appending(path: "run"))
    var config = RunConfig(recipe: recipe)
    config.data = .shapes
    config.steps = 30
    try run.create(config: config)
    try Data(lines.joined(separator: "\n").utf8).write(to: run.metricsURL)
    return run
  }

  /// An image run with training, eval and monitor lines, an evals/ report with a protocol card
  /// and a warning, and `grids` sample grids at steps 10, 20, ...
  static func imageRun(in folder: URL, grids: Int = 3) throws -> RunDirectory {
    var lines: [String] = []
    for step in stride(from: 5, through: 30, by: 5) {
      let d = step == 15 ? "null" : String(1.5 - Double(step) / 40)
      lines.append(#"{"d_acc_real": 0.6, "d_loss": \#(d), "epoch": 0, "g_loss": \#(0.7 + Double(step) / 50), "step": \#(step), "steps_per_s": 4.5, "time": 1764400000}"#)
      if step % 10 == 0 {
        lines.append(#"{"fid": \#(90 - Double(step)), "kid": 0.05, "kind": "eval", "real.fid": 3.5, "step": \#(step)}"#)
      }
    }
    lines.append(#"{"action": "lower-d-lr", "kind": "monitor", "reason": "d_acc 0.99 > 0.95 <for> 200 steps & \"more\"", "step": 25}"#)
    lines.append(#"{"d_loss": 0.3, "step": "#)  // half-written last line
    let run = try run(.dcgan, in: folder, lines: lines)
    let evals = run.url.appending(path: "evals")
    try FileManager.default.createDirectory(at: evals, withIntermediateDirectories: true)
    let report = EvaluationReport(
      run: "run", recipe: "dcgan", step: 30, checkpoint: "step-000030.safetensors", date: Date(timeIntervalSince1970: 0),
      metrics: [
        MetricResult(name: "fid", value: 60.25, ceiling: 3.5, better: .lower, detail: "2,000 samples"),
        MetricResult(name: "precision", value: 0.5, better: .higher),
      ],
      protocols: [ProtocolCard(metrics: "fid, precision", fields: [.init("feature network", "classifier-shapes, sha256 ab12")])],
      warnings: ["only 64 samples for 128 features <b>FID is biased</b>"])
    try report.encoded().write(to: evals.appending(path: "step-000030.json"))
    // An older report that must not be the one shown.
    var older = report
    older.step = 10
    older.metrics = [MetricResult(name: "fid", value: 999, better: .lower)]
    try older.encoded().write(to: evals.appending(path: "step-000010.json"))
    for i in 1...grids { try png(seed: i).write(to: run.sampleURL(step: i * 10, fileExtension: "png")) }
    return run
  }

  /// An HTML page's external references: any `src`/`href` that is neither a `data:` URI nor an
  /// in-page `#anchor`, and any `http(s)://` besides the SVG namespace.
  static func externalReferences(_ html: String) -> [String] {
    var found: [String] = []
    for attribute in ["src=\"", "href=\""] {
      var rest = Substring(html)
      while let range = rest.range(of: attribute) {
        rest = rest[range.upperBound...]
        let value = rest.prefix { $0 != "\"" }
        if !value.hasPrefix("data:") && !value.hasPrefix("#") { found.append(String(value)) }
      }
    }
    let links = html.replacingOccurrences(of: "http://www.w3.org/2000/svg", with: "")
    if links.contains("http://") || links.contains("https://") { found.append("http(s):// link") }
    return found
  }
}

@Suite("Run report: SVG plots, HTML page, the report of a run folder")
struct RunReportTests {
  @Test func svgPlotIsWellFormedWithASeriesGroupEachAndGapsInLines() throws {
    let plot = SVGLinePlot(
      title: "losses <d & g>",
      series: [
        .init(name: "gapped", points: [(0, 1), (1, 2), (2, .nan), (3, 2.5), (4, 3)]),
        .init(name: "single", points: [(2, 1.5)]),
        .init(name: "constant", points: [(0, 2), (4, 2)], dashed: true),
        .init(name: "null", points: [(1, nil), (2, 1), (3, nil)]),
      ])
    let svg = plot.render()
    let xml = try #require(ElementCounter.parse(svg), "not well-formed:\n\(svg)")
    #expect(xml.classes["series"] == 4)
    // gapped: two paths; constant: one path; single and the lone non-null point: dots.
    #expect(xml.counts["path"] == 3)
    #expect(xml.counts["circle"] == 2)
    #expect(svg.contains("losses &lt;d &amp; g&gt;"))
    #expect(svg.contains("stroke-dasharray"))
    for name in ["gapped", "single", "constant", "null"] { #expect(svg.contains(">\(name)</text>")) }
    #expect(xml.badCoordinates.isEmpty, "\(xml.badCoordinates)")
  }

  @Test func constantAndEmptyPlotsStillRender() throws {
    let constant = SVGLinePlot(title: "c", series: [.init(name: "zero", points: [(1, 0), (1, 0)])]).render()
    let xml = try #require(ElementCounter.parse(constant))
    #expect(xml.badCoordinates.isEmpty && xml.counts["path"] == 1, "\(xml.badCoordinates)")
    let empty = SVGLinePlot(title: "e", series: [.init(name: "none", points: [(1, nil), (2, .infinity)])]).render()
    #expect(ElementCounter.parse(empty) != nil)
    #expect(empty.contains("no finite values"))
  }

  @Test func ticksAreRoundAndCoverTheRange() {
    let unit = SVGLinePlot.ticks(low: 0, high: 1)
    #expect(unit.count == 6 && unit.first == 0 && unit.last == 1)
    let ticks = SVGLinePlot.ticks(low: 13, high: 987)
    #expect(ticks == [200, 400, 600, 800])
    #expect(SVGLinePlot.label(0.25) == "0.25" && SVGLinePlot.label(2_000_000) == "2.0e+06" && SVGLinePlot.label(300) == "300")
  }

  @Test func htmlEscapesTextAndAttributes() {
    #expect(HTML.escape(#"<a href="x">Tom & 'Jerry'</a>"#) == "&lt;a href=&quot;x&quot;&gt;Tom &amp; &#39;Jerry&#39;&lt;/a&gt;")
    var page = HTMLPage(title: "a<b")
    page.table(headers: ["k"], rows: [["<i>"], ["1.5"]])
    let html = page.render()
    #expect(html.contains("<title>a&lt;b</title>") && html.contains("<td>&lt;i&gt;</td>") && html.contains("<td class=\"num\">1.5</td>"))
  }

  @Test func spreadPicksEvenlyAndKeepsTheLast() {
    #expect(RunSamples.spread(count: 3, limit: 12) == [0, 1, 2])
    #expect(RunSamples.spread(count: 100, limit: 5) == [0, 25, 50, 74, 99])
    #expect(RunSamples.spread(count: 100, limit: 1) == [99])
    #expect(RunSamples.spread(count: 0, limit: 4).isEmpty)
  }

  @Test func longCurvesAreThinnedKeepingTheEnds() {
    let thinned = RunReport.thinned(Array(0..<10_001), to: 1000)
    #expect(thinned.count <= 1001 && thinned.first == 0 && thinned.last == 10_000)
    #expect(RunReport.thinned([1, 2, 3], to: 1000) == [1, 2, 3])
  }

  @Test func historySortsLinesByKind() {
    let history = RunHistory(jsonLines: """
      {"d_loss": 1, "g_loss": null, "step": 1, "steps_per_s": 2}
      {"fid": 10, "kind": "eval", "real.fid": 2, "step": 1}
      {"action": "warn", "kind": "monitor", "reason": "r", "step": 1}
      not json
      """)
    #expect(history.training.count == 1 && history.evaluations.count == 1 && history.monitor == [MonitorEvent(step: 1, action: .warn, reason: "r")])
    #expect(history.skippedLines == 1)
    #expect(history.training[0]["g_loss"]?.isNaN == true)
    #expect(history.evaluationMetrics == ["fid"])
    #expect(history.trainingGroups.map(\.title) == ["Losses", "Training speed (steps/s)"])
  }

  @Test func imageRunReportHasEverySectionEmbeddedAndEscaped() throws {
    let folder = try TemporaryFolder.make("report")
    defer { try? FileManager.default.removeItem(at: folder) }
    let run = try Fixture.imageRun(in: folder)
    let url = try RunReport(run: run).write()
    #expect(url == run.url.appending(path: "report.html"))
    let html = try String(contentsOf: url, encoding: .utf8)
    for section in ["id=\"summary\"", "id=\"training\"", "id=\"evaluation\"", "id=\"monitor\"", "id=\"samples\""] {
      #expect(html.contains(section), "\(section)")
    }
    // Training plots: losses, accuracies, speed; eval plots: fid (with its ceiling) and kid.
    #expect(html.components(separatedBy: "<svg").count - 1 == 5)
    for title in [">Losses<", ">Accuracies<", ">Training speed (steps/s)<", ">fid<", ">kid<", ">real data<"] {
      #expect(html.contains(title), "\(title)")
    }
    // The newest evaluation report, its card and (escaped) warning.
    #expect(html.contains("Latest evaluation: step 30"))
    #expect(html.contains("<td class=\"num\">60.25</td>") && html.contains("<td class=\"num\">3.5</td>") && !html.contains(">999<"))
    #expect(html.contains("classifier-shapes, sha256 ab12"))
    #expect(html.contains("&lt;b&gt;FID is biased&lt;/b&gt;"))
    // The monitor's action, escaped; the half-written line is reported.
    #expect(html.contains("lower-d-lr") && html.contains("&lt;for&gt; 200 steps &amp; &quot;more&quot;"))
    #expect(html.contains("1 line(s) of metrics.jsonl were not JSON"))
    // Grids as data URIs, no scripts, nothing external.
    #expect(html.components(separatedBy: "src=\"data:image/png;base64,").count - 1 == 3)
    #expect(html.contains(Fixture.png(seed: 3).base64EncodedString()))
    #expect(!html.lowercased().contains("<script"))
    #expect(Fixture.externalReferences(html).isEmpty, "\(Fixture.externalReferences(html))")
    // The same run gives the same page.
    #expect(try RunReport(run: run).html() == html)
  }

  @Test func gridsAreCappedAndTheLastIsAlwaysShown() throws {
    let folder = try TemporaryFolder.make("report-cap")
    defer { try? FileManager.default.removeItem(at: folder) }
    let run = try Fixture.imageRun(in: folder, grids: 15)
    var options = RunReport.Options()
    options.maxGrids = 4
    let html = try RunReport(run: run, options: options).html()
    #expect(html.components(separatedBy: "src=\"data:image/png;base64,").count - 1 == 4)
    #expect(html.contains("step 150</figcaption>") && html.contains("step 10</figcaption>"))
    #expect(html.contains("4 of 15 sample grids"))
    options.maxGridBytes = 1  // over budget: only the last survives
    let small = try RunReport(run: run, options: options).html()
    #expect(small.components(separatedBy: "src=\"data:image/png;base64,").count - 1 == 1)
    #expect(small.contains("step 150</figcaption>"))
  }

  @Test func runWithoutEvaluationsOrMonitorOrSamplesStillReports() throws {
    let folder = try TemporaryFolder.make("report-plain")
    defer { try? FileManager.default.removeItem(at: folder) }
    let run = try Fixture.run(.vae, in: folder, lines: [#"{"kl": 0.5, "loss": 2, "recon": 1.5, "step": 10}"#])
    let html = try RunReport(run: run).html()
    #expect(html.contains("No evaluations logged") && html.contains("No monitor actions") && html.contains("No sample grids yet"))
    #expect(html.contains(">Other training terms<"))
    // Not a run: the error names the folder.
    let empty = folder.appending(path: "empty")
    try FileManager.default.createDirectory(at: empty, withIntermediateDirectories: true)
    #expect(throws: TrainingError("\(empty.path) is not a genai run: it has no config.json")) {
      try RunReport(run: RunDirectory(url: empty)).write()
    }
  }

  @Test func audioRunEmbedsClipsAndSpectrograms() throws {
    let folder = try TemporaryFolder.make("report-audio")
    defer { try? FileManager.default.removeItem(at: folder) }
    let run = try Fixture.run(.audio, in: folder, lines: [#"{"loss": 2, "step": 10}"#])
    let clips = run.sampleURL(step: 10, fileExtension: "")
    try FileManager.default.createDirectory(at: clips, withIntermediateDirectories: true)
    let wave = (0..<800).map { Float(sin(Double($0) * 0.1)) * 0.5 }
    for i in 1...3 { try WAV.write(wave, sampleRate: 8000, to: clips.appending(path: "sample-00\(i)-label\(i).wav")) }
    try Fixture.png(seed: 1).write(to: clips.appending(path: "spectrograms.png"))
    let html = try RunReport(run: run).html()
    #expect(html.components(separatedBy: "<audio controls").count - 1 == 3)
    #expect(html.contains("src=\"data:audio/wav;base64,UklGR"))  // "RIFF"
    #expect(html.contains(">Spectrograms<") && html.contains("data:image/png;base64,"))
    #expect(Fixture.externalReferences(html).isEmpty)
  }

  @Test func textRunShowsSamplesAndReproducibleGenerationsAtSeveralTemperatures() throws {
    let folder = try TemporaryFolder.make("report-text")
    defer { try? FileManager.default.removeItem(at: folder) }
    let text = try TrainingTestSupport.textFile(in: folder)
    let config = TrainingTestSupport.config(.charRNN, data: "text:\(text.path)", steps: 2, batch: 4)
    let trainer = try TrainingTestSupport.train(config, in: folder.appending(path: "rnn"))
    _ = try trainer.train()
    try Data("<ROMEO> & JULIET".utf8).write(to: trainer.run.sampleURL(step: 1, fileExtension: "txt"))
    var options = RunReport.Options()
    options.textLength = 60
    let html = try RunReport(run: trainer.run, options: options).html()
    #expect(html.contains("&lt;ROMEO&gt; &amp; JULIET"))
    #expect(html.contains(">Step 2<"))  // the sample the trainer wrote at the end
    for t in ["0.5", "0.8", "1.0"] { #expect(html.contains(">temperature \(t)<"), "\(t)") }
    #expect(html.contains("60 characters from step-000002.safetensors, seed 0"))
    #expect(try RunReport(run: trainer.run, options: options).html() == html)
  }

  /// Renders a report in headless Chromium: the screenshot is not blank, the DOM holds the
  /// plots, and the browser logged no console message (a page with a deliberate error checks
  /// that such messages are caught). Skipped without Chromium, failed when CI is set.
  @Test(.enabled(if: HeadlessBrowser.find() != nil || TestEnvironment.isCI, "needs chromium or chromium-headless-shell on PATH"))
  func reportRendersInAHeadlessBrowserWithoutConsoleErrors() throws {
    let browser = try #require(HeadlessBrowser.find(), "chromium (or chromium-headless-shell) is required when CI is set: apt-get install chromium")
    let folder = try TemporaryFolder.make("report-browser")
    defer { try? FileManager.default.removeItem(at: folder) }

    // The check catches console output: a page with errors must be reported.
    let bad = folder.appending(path: "bad.html")
    try Data(#"<!DOCTYPE html><p>x</p><script>console.error("boom"); missingFunction();</script>"#.utf8).write(to: bad)
    let control = try browser.screenshot(bad, to: folder.appending(path: "bad.png"), size: (400, 300))
    #expect(control.consoleLines.contains { $0.contains("boom") }, "\(control.log)")
    #expect(control.consoleLines.contains { $0.contains("Uncaught ReferenceError") }, "\(control.log)")

    let run = try Fixture.imageRun(in: folder)
    let page = try RunReport(run: run).write()
    let shot = folder.appending(path: "report.png")
    let result = try browser.screenshot(page, to: shot, size: (1200, 2000))
    #expect(result.consoleLines.isEmpty, "console: \(result.consoleLines)")
    let bitmap = try PNGDecoder.read(shot).bitmap
    #expect(bitmap.width == 1200)
    // Not blank: the grey levels vary (text, plot lines, sample grids on a light background).
    let grey = stride(from: 0, to: bitmap.pixels.count, by: bitmap.channels).map { Double(bitmap.pixels[$0]) }
    let mean = grey.reduce(0, +) / Double(grey.count)
    let variance = grey.reduce(0) { $0 + ($1 - mean) * ($1 - mean) } / Double(grey.count)
    #expect(variance > 100, "variance \(variance)")
    #expect(Set(grey).count > 20)
    // The browser parsed the whole page: every plot and picture is in its DOM.
    let dom = try browser.dumpDOM(page)
    #expect(dom.components(separatedBy: "<svg").count - 1 == 5)
    #expect(dom.components(separatedBy: "<img").count - 1 == 3)
    #expect(dom.contains("id=\"samples\""))
  }
}

/// Headless Chromium run as a child process with a time limit.
struct HeadlessBrowser {
  /// The executable.
  let path: String

  /// What a render logged.
  struct Render {
    /// stderr with `--enable-logging=stderr`.
    var log: String
    /// The lines the page's console produced (`...:INFO:CONSOLE:...] "message", source: ...`).
    var consoleLines: [String] { log.split(separator: "\n").map(String.init).filter { $0.contains(":CONSOLE") || $0.contains("Uncaught") } }
  }

  /// `chromium` or `chromium-headless-shell` on PATH (or GENAI_CHROMIUM), else `nil`.
  static func find() -> HeadlessBrowser? {
    if let given = ProcessInfo.processInfo.environment["GENAI_CHROMIUM"], FileManager.default.isExecutableFile(atPath: given) {
      return HeadlessBrowser(path: given)
    }
    for name in ["chromium", "chromium-headless-shell", "chromium-browser"] {
      if let url = TestEnvironment.executable(named: name) { return HeadlessBrowser(path: url.path) }
    }
    return nil
  }

  func screenshot(_ page: URL, to png: URL, size: (Int, Int)) throws -> Render {
    let (_, err) = try run(["--screenshot=\(png.path)", "--window-size=\(size.0),\(size.1)", "--enable-logging=stderr", "--v=0", page.absoluteString])
    return Render(log: err)
  }

  func dumpDOM(_ page: URL) throws -> String {
    try run(["--dump-dom", page.absoluteString]).out
  }

  private func run(_ arguments: [String]) throws -> (out: String, err: String) {
    let profile = FileManager.default.temporaryDirectory.appending(path: "genai-chromium-\(UUID().uuidString)")
    defer { try? FileManager.default.removeItem(at: profile) }
    let process = Process()
    process.executableURL = URL(fileURLWithPath: path)
    process.arguments = [
      "--headless", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage", "--no-first-run", "--hide-scrollbars",
      "--user-data-dir=\(profile.path)",
    ] + arguments
    let files = (out: profile.path + ".out", err: profile.path + ".err")
    _ = FileManager.default.createFile(atPath: files.out, contents: nil)
    _ = FileManager.default.createFile(atPath: files.err, contents: nil)
    defer {
      try? FileManager.default.removeItem(atPath: files.out)
      try? FileManager.default.removeItem(atPath: files.err)
    }
    process.standardOutput = try FileHandle(forWritingTo: URL(fileURLWithPath: files.out))
    process.standardError = try FileHandle(forWritingTo: URL(fileURLWithPath: files.err))
    try process.run()
    let deadline = Date().addingTimeInterval(90)
    while process.isRunning && Date() < deadline { Thread.sleep(forTimeInterval: 0.05) }
    if process.isRunning {
      process.terminate()
      process.waitUntilExit()
      throw TrainingError("\(path) did not finish within 90 s")
    }
    let out = String(decoding: FileManager.default.contents(atPath: files.out) ?? Data(), as: UTF8.self)
    let err = String(decoding: FileManager.default.contents(atPath: files.err) ?? Data(), as: UTF8.self)
    return (out, err)
  }
}
