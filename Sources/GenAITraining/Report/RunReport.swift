import Foundation
import GenAIModels

/// A single static HTML page about a run, `RUN/report.html`: its configuration, training curves,
/// evaluation metrics over time with their real-data ceilings, the latest evaluation report with
/// its protocol cards and warnings, the GAN monitor's actions, and samples (image grids over
/// time, audio players, text, and text generated at several temperatures from the newest
/// checkpoint).
///
/// The page has no scripts and no external references: plots are inline SVG and pictures and
/// sounds are `data:` URIs, so the one file opens anywhere. The same run gives the same page
/// (text generation is seeded, and no clock time is written).
public struct RunReport {
  /// What goes into the page and how much of it.
  public struct Options: Sendable, Equatable {
    /// Image grids over time: at most this many, evenly spread over the run, always the last.
    public var maxGrids = 12
    /// The embedded grids' total size budget in bytes; the oldest picked grids are dropped
    /// (never the last) until they fit.
    public var maxGridBytes = 24 << 20
    /// Training curves: at most about this many points a series (every k-th line is kept, and
    /// the last), so a long run's page stays small and quick to draw.
    public var maxPlotPoints = 1500
    /// Audio: at most this many clips of the last step.
    public var maxClips = 10
    /// Text: this many of the newest training samples.
    public var textSamples = 3
    /// Text: temperatures to generate at from the newest checkpoint (empty: none).
    public var temperatures: [Float] = [0.5, 0.8, 1.0]
    /// Text: characters to generate at each temperature.
    public var textLength = 300
    /// Text: the seed of the generation (the same seed gives the same page).
    public var seed: UInt64 = 0

    /// The defaults.
    public init() {}
  }

  /// The run.
  public let run: RunDirectory
  /// The options.
  public var options: Options

  /// A report of `run`.
  public init(run: RunDirectory, options: Options = Options()) {
    self.run = run
    self.options = options
  }

  /// `RUN/report.html`.
  public var defaultURL: URL { run.url.appending(path: "report.html") }

  /// `RUN/evals/`, where evaluations are saved as `step-N.json`.
  public var evaluationsURL: URL { run.evalsURL }

  /// Writes the page to `url` (default `RUN/report.html`) atomically and returns where.
  /// - Throws: `TrainingError` naming the folder when it is not a run, or the file when it
  ///   cannot be written.
  @discardableResult
  public func write(to url: URL? = nil) throws -> URL {
    let target = url ?? defaultURL
    let page = try html()
    do {
      try Data(page.utf8).write(to: target, options: .atomic)
    } catch {
      throw TrainingError("cannot write \(target.path): \(error.localizedDescription)")
    }
    return target
  }

  /// The page.
  /// - Throws: `TrainingError` when the folder is not a run (no or unreadable `config.json`).
  public func html() throws -> String {
    let config = try run.readConfig()
    let history = RunHistory(contentsOf: run.metricsURL)
    let samples = RunSamples(run: run)
    var page = HTMLPage(title: "genai run: \(run.url.lastPathComponent)")
    page.raw(
      "<p class=\"muted\">" + ["summary", "training", "evaluation", "monitor", "samples"]
        .map { "<a href=\"#\($0)\">\($0)</a>" }.joined(separator: " · ") + "</p>")
    summary(config, history: history, into: &page)
    trainingCurves(history, into: &page)
    evaluations(history, into: &page)
    monitor(history, into: &page)
    page.heading("Samples", id: "samples")
    switch config.recipe.dataKind {
    case .images: images(samples, into: &page)
    case .audio: audio(samples, into: &page)
    case .text: text(samples, into: &page)
    }
    return page.render()
  }

  // MARK: - Sections

  private func summary(_ config: RunConfig, history: RunHistory, into page: inout HTMLPage) {
    page.heading("Summary", id: "summary")
    let lastStep = history.training.compactMap { $0["step"] }.max().map { Int($0) }
    var rows: [(String, String)] = [
      ("run folder", run.url.path),
      ("recipe", config.recipe.name),
      ("data", config.data.description),
      ("steps", lastStep.map { "\($0) logged of \(config.steps)" } ?? "\(config.steps) planned, none logged yet"),
      ("batch size", String(config.batchSize)),
      ("learning rate", config.learningRate.map { String($0) } ?? "recipe default"),
      ("seed", String(config.seed)),
    ]
    if config.recipe.dataKind == .images { rows.append(("conditional", config.conditional ? "yes" : "no")) }
    if let classes = config.classNames, !classes.isEmpty { rows.append(("classes", classes.joined(separator: ", "))) }
    if let newest = run.checkpoints().last { rows.append(("newest checkpoint", newest.url.lastPathComponent)) }
    if let time = history.training.compactMap({ $0["time"] }).filter(\.isFinite).max() {
      rows.append(("last logged", ISO8601DateFormatter().string(from: Date(timeIntervalSince1970: time))))
    }
    page.keyValueTable(rows)
    if history.skippedLines > 0 {
      page.paragraph("\(history.skippedLines) line(s) of metrics.jsonl were not JSON and were left out.", className: "warning")
    }
    if let json = try? config.encoded() {
      page.raw("<details><summary>config.json</summary><pre>\(HTML.escape(String(decoding: json, as: UTF8.self)))</pre></details>")
    }
  }

  private func trainingCurves(_ history: RunHistory, into page: inout HTMLPage) {
    page.heading("Training curves", id: "training")
    let groups = history.trainingGroups
    guard !groups.isEmpty else {
      page.paragraph("No training lines in metrics.jsonl yet.", className: "muted")
      return
    }
    page.raw("<div class=\"plots\">")
    for group in groups {
      let series = group.keys.map { key in
        SVGLinePlot.Series(name: key, points: Self.thinned(RunHistory.points(key, in: history.training), to: options.maxPlotPoints))
      }
      page.raw(SVGLinePlot(title: group.title, series: series).render())
    }
    page.raw("</div>")
  }

  private func evaluations(_ history: RunHistory, into page: inout HTMLPage) {
    page.heading("Evaluation", id: "evaluation")
    let names = history.evaluationMetrics
    if names.isEmpty {
      page.paragraph("No evaluations logged in metrics.jsonl.", className: "muted")
    } else {
      page.paragraph("Each metric over training; the dashed line is the same metric on real held-out data (the ceiling).", className: "muted")
      page.raw("<div class=\"plots\">")
      for name in names {
        var series = [SVGLinePlot.Series(name: name, points: RunHistory.points(name, in: history.evaluations))]
        let real = RunHistory.points("real." + name, in: history.evaluations)
        if real.contains(where: { $0.y != nil }) { series.append(.init(name: "real data", points: real, dashed: true)) }
        page.raw(SVGLinePlot(title: name, series: series, width: 360, height: 250).render())
      }
      page.raw("</div>")
    }
    latestEvaluation(into: &page)
  }

  /// The newest `evals/step-N.json` as a table with its protocol cards and warnings.
  private func latestEvaluation(into page: inout HTMLPage) {
    let names = (try? FileManager.default.contentsOfDirectory(atPath: evaluationsURL.path)) ?? []
    let newest = names.compactMap { name -> (Int, URL)? in
      guard let (step, rest) = RunSamples.parse(name), rest == ".json" else { return nil }
      return (step, evaluationsURL.appending(path: name))
    }.max { $0.0 < $1.0 }
    guard let (_, url) = newest else { return }
    let report: EvaluationReport
    do {
      report = try JSONDecoder().decode(EvaluationReport.self, from: Data(contentsOf: url))
    } catch {
      page.paragraph("\(url.path) is not an evaluation report: \(error)", className: "warning")
      return
    }
    page.heading("Latest evaluation: step \(report.step) (\(report.checkpoint), \(report.date))", level: 3)
    page.table(
      headers: ["metric", "value", "real data (ceiling)", "unit", "better", "detail"],
      rows: report.metrics.map { m in
        [m.name, Self.number(m.value), m.ceiling.map(Self.number) ?? "–", m.unit, m.better.rawValue, m.detail ?? ""]
      })
    for card in report.protocols {
      page.raw("<div class=\"card\"><strong>Protocol for \(HTML.escape(card.metrics))</strong>")
      page.keyValueTable(card.fields.map { ($0.name, $0.value) })
      page.raw("</div>")
    }
    for warning in report.warnings { page.paragraph("Warning: " + warning, className: "warning") }
  }

  private func monitor(_ history: RunHistory, into page: inout HTMLPage) {
    page.heading("GAN monitor", id: "monitor")
    guard !history.monitor.isEmpty else {
      page.paragraph("No monitor actions logged.", className: "muted")
      return
    }
    page.table(headers: ["step", "action", "reason"], rows: history.monitor.map { [String($0.step), $0.action.rawValue, $0.reason] })
  }

  private func images(_ samples: RunSamples, into page: inout HTMLPage) {
    guard !samples.grids.isEmpty else {
      page.paragraph("No sample grids yet.", className: "muted")
      return
    }
    var picked = RunSamples.spread(count: samples.grids.count, limit: options.maxGrids).map { samples.grids[$0] }
    var images = picked.map { (try? Data(contentsOf: $0.url)) ?? Data() }
    while images.count > 1 && images.reduce(0, { $0 + $1.count }) > options.maxGridBytes {
      picked.removeFirst()
      images.removeFirst()
    }
    if picked.count < samples.grids.count {
      page.paragraph("\(picked.count) of \(samples.grids.count) sample grids, spread over the run.", className: "muted")
    }
    for (entry, bytes) in zip(picked, images) where !bytes.isEmpty {
      page.figure(imageSource: HTML.dataURI(bytes, type: "image/png"), caption: "step \(entry.step)", alt: "samples at step \(entry.step)")
    }
    for (title, entries) in [("Reconstructions (top: training images)", samples.reconstructions), ("Latent interpolation", samples.interpolations)] {
      guard let last = entries.last, let bytes = try? Data(contentsOf: last.url) else { continue }
      page.heading(title, level: 3)
      page.figure(imageSource: HTML.dataURI(bytes, type: "image/png"), caption: "step \(last.step)", alt: "\(title) at step \(last.step)")
    }
  }

  private func audio(_ samples: RunSamples, into page: inout HTMLPage) {
    guard let last = samples.audio.last else {
      page.paragraph("No audio samples yet.", className: "muted")
      return
    }
    let names = ((try? FileManager.default.contentsOfDirectory(atPath: last.url.path)) ?? []).sorted()
    let clips = names.filter { $0.lowercased().hasSuffix(".wav") }
    page.paragraph("Clips of step \(last.step)" + (clips.count > options.maxClips ? " (\(options.maxClips) of \(clips.count))" : "") + ".")
    for name in clips.prefix(options.maxClips) {
      guard let bytes = try? Data(contentsOf: last.url.appending(path: name)) else { continue }
      page.audio(source: HTML.dataURI(bytes, type: "audio/wav"), caption: name)
    }
    if let bytes = try? Data(contentsOf: last.url.appending(path: "spectrograms.png")) {
      page.heading("Spectrograms", level: 3)
      page.figure(imageSource: HTML.dataURI(bytes, type: "image/png"), caption: "step \(last.step): time across, frequency up", alt: "spectrograms at step \(last.step)")
    }
  }

  private func text(_ samples: RunSamples, into page: inout HTMLPage) {
    if samples.texts.isEmpty { page.paragraph("No text samples yet.", className: "muted") }
    for entry in samples.texts.suffix(options.textSamples).reversed() {
      guard let data = FileManager.default.contents(atPath: entry.url.path) else { continue }
      page.heading("Step \(entry.step)", level: 3)
      page.preformatted(String(String(decoding: data, as: UTF8.self).prefix(4000)))
    }
    guard !options.temperatures.isEmpty, run.latestCheckpoint != nil else { return }
    page.heading("Generated now at several temperatures", level: 3)
    do {
      let generated = try Self.generateText(run: run, options: options)
      page.paragraph("\(options.textLength) characters from \(generated.checkpoint), seed \(options.seed).", className: "muted")
      for (temperature, text) in generated.texts {
        page.heading("temperature \(temperature)", level: 3)
        page.preformatted(text)
      }
    } catch {
      page.paragraph("could not sample the newest checkpoint: \(error)", className: "warning")
    }
  }

  /// Text generated from `run`'s newest checkpoint at each of `options.temperatures`, exactly as
  /// `genai sample RUN --seed S --length L --temperature T` would (same `SampleWriter` path).
  static func generateText(run: RunDirectory, options: Options) throws -> (checkpoint: String, texts: [(Float, String)]) {
    let trained = try TrainedRecipe(loading: run.url.path)
    let scratch = FileManager.default.temporaryDirectory.appending(path: "genai-report-\(UUID().uuidString)")
    try SampleWriter.createFolder(scratch)
    defer { try? FileManager.default.removeItem(at: scratch) }
    var texts: [(Float, String)] = []
    for (i, temperature) in options.temperatures.enumerated() {
      var request = SampleRequest()
      request.seed = options.seed
      request.length = options.textLength
      request.sampling = SamplingOptions(temperature: temperature)
      let url = scratch.appending(path: "t\(i).txt")
      try SampleWriter.write(trained.recipe, request: request, to: url, provenance: trained.provenance)
      texts.append((temperature, String(decoding: try Data(contentsOf: url), as: UTF8.self)))
    }
    return (trained.checkpoint.lastPathComponent, texts)
  }

  /// Every k-th of `points` (and the last) so that at most about `limit` remain.
  static func thinned<T>(_ points: [T], to limit: Int) -> [T] {
    guard limit > 0, points.count > limit else { return points }
    let stride = (points.count + limit - 1) / limit
    var kept = Swift.stride(from: 0, to: points.count, by: stride).map { points[$0] }
    if (points.count - 1) % stride != 0 { kept.append(points[points.count - 1]) }
    return kept
  }

  /// A number for a table: four significant digits.
  static func number(_ value: Double) -> String {
    value.isFinite ? String(format: "%.4g", value) : "–"
  }
}
