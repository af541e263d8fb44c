import ArgumentParser
import Foundation
import GenAI

/// `genai report RUN`: one static HTML page about a run.
struct ReportCommand: ParsableCommand {
  static let configuration = CommandConfiguration(
    commandName: "report",
    abstract: "Write a run's report: one HTML page with its curves, evaluations and samples.",
    discussion: """
      Reads RUN (a folder made by `genai train`) and writes RUN/report.html, or --out: the \
      configuration; loss, accuracy and speed curves from metrics.jsonl; evaluation metrics over \
      time with their real-data ceilings dashed, and the newest evals/step-N.json as a table with \
      its protocol cards and warnings; the GAN monitor's actions; sample grids over time (at most \
      12, always the last), the last step's audio clips and spectrograms, or the newest text \
      samples plus text generated now from the newest checkpoint at temperatures 0.5, 0.8 and 1.0 \
      (seeded, so the same run gives the same page).

      The page is a single file with no scripts and no external references (plots are inline \
      SVG, pictures and sounds are embedded), so it opens in any browser, offline, or as an \
      e-mail attachment. It can be made while training is still running.

      Examples:
        genai report runs/dcgan
        genai report runs/gpt --out gpt.html --open-hint
      """)

  @Argument(help: ArgumentHelp("A run folder.", valueName: "run"))
  var runPath: String

  @Option(help: "Where to write the page (default RUN/report.html).")
  var out: String?

  @Flag(help: "Also print a file:// URL and a command that opens the page in a browser.")
  var openHint = false

  func run() throws {
    let url = URL(fileURLWithPath: runPath)
    var isFolder: ObjCBool = false
    guard FileManager.default.fileExists(atPath: url.path, isDirectory: &isFolder) else {
      throw TrainingError("\(runPath): no such run folder")
    }
    guard isFolder.boolValue else {
      throw TrainingError("\(runPath) is a file; give the run folder (the one holding config.json)")
    }
    let run = RunDirectory(url: url)
    guard run.exists else { throw TrainingError("\(runPath) is not a genai run: it has no config.json") }
    let written = try RunReport(run: run).write(to: out.map { URL(fileURLWithPath: $0) })
    print("wrote \(written.path)")
    if openHint {
      let fileURL = written.standardizedFileURL.absoluteString
      print("open it: \(fileURL)")
      #if os(macOS)
        print("  open \(written.path)")
      #else
        print("  xdg-open \(written.path)")
      #endif
    }
  }
}
