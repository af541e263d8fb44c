import ArgumentParser
import Foundation
import GenAI

/// The `genai` command: a thin shell over the GenAI libraries.
@main
struct GenAICommand: ParsableCommand {
  static let configuration = CommandConfiguration(
    commandName: "genai",
    abstract: "Train, sample and evaluate generative models in native Swift.",
    discussion: """
      With no subcommand, runs `genai quickstart`: trains a DCGAN for a few minutes on \
      Fashion-MNIST (or, with no data on the machine, on built-in procedurally drawn shapes) and \
      writes a sample grid, so the whole pipeline can be tried on a fresh machine offline.

      Typical use:
        genai train dcgan --data fashion-mnist --out runs/dcgan
        genai sample runs/dcgan --count 64 --out grid.png
        genai eval runs/dcgan
        genai report runs/dcgan
        genai bench dcgan
      """,
    subcommands: [
      QuickstartCommand.self, TrainCommand.self, SampleCommand.self, EvalCommand.self, ReportCommand.self, RateCommand.self,
      TuneCommand.self, RestoreCommand.self, BenchCommand.self,
      DatasetsCommand.self, InfoCommand.self, DemoCommand.self,
    ],
    defaultSubcommand: QuickstartCommand.self)
}

/// `genai info`: what the engine runs on.
struct InfoCommand: ParsableCommand {
  static let configuration = CommandConfiguration(
    commandName: "info", abstract: "Show the engine's matrix-product backend and thread count.",
    discussion: "Threads: GENAI_THREADS sets how many; GENAI_BLAS=portable forces the pure-Swift matrix product.")

  func run() throws {
    print("BLAS backend: \(BLAS.backend)")
    print("threads:      \(ThreadPool.shared.threadCount) (set GENAI_THREADS to change)")
    print("portable path forced with GENAI_BLAS=portable; OpenBLAS core: \(ProcessInfo.processInfo.environment["OPENBLAS_CORETYPE"] ?? "auto")")
  }
}
