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
      With no subcommand, runs `genai demo`: a small network learns a real task on built-in data,
      so the toolkit can be tried on a fresh machine with nothing to download.
      """,
    subcommands: [DemoCommand.self, InfoCommand.self, DatasetsCommand.self],
    defaultSubcommand: DemoCommand.self)
}

/// `genai info`: what the engine runs on.
struct InfoCommand: ParsableCommand {
  static let configuration = CommandConfiguration(
    commandName: "info", abstract: "Show the engine's matrix-product backend and thread count.")

  func run() throws {
    print("BLAS backend: \(BLAS.backend)")
    print("threads:      \(ThreadPool.shared.threadCount) (set GENAI_THREADS to change)")
    print("portable path forced with GENAI_BLAS=portable; OpenBLAS core: \(ProcessInfo.processInfo.environment["OPENBLAS_CORETYPE"] ?? "auto")")
  }
}
