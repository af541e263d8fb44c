import ArgumentParser
import Foundation
import GenAI

/// `genai demo`: trains a small classifier on two interleaved half-moons and shows it learn.
struct DemoCommand: ParsableCommand {
  static let configuration = CommandConfiguration(
    commandName: "demo",
    abstract: "Train a small network on built-in 2-D data and watch its loss fall.",
    discussion: """
      Generates two interleaved half-moons (a classic non-linear task), trains a 2-32-32-2 tanh
      network with Adam on the full batch, prints the loss and accuracy as it goes, and draws the
      learned decision regions. Runs in about a second; same seed, same numbers.
      """)

  @Option(help: "Training steps (full-batch Adam updates).")
  var steps: Int = 300

  @Option(help: "Number of data points.")
  var points: Int = 400

  @Option(help: "Hidden units per layer.")
  var hidden: Int = 32

  @Option(help: "Adam learning rate.")
  var lr: Float = 0.01

  @Option(help: "Random seed for the data and the initial weights.")
  var seed: UInt64 = 0

  @Flag(help: "Do not draw the decision regions at the end.")
  var noPlot = false

  func validate() throws {
    guard steps > 0 else { throw ValidationError("--steps must be positive, got \(steps)") }
    guard (2...1_000_000).contains(points) else { throw ValidationError("--points must be in 2...1000000, got \(points)") }
    guard (1...4096).contains(hidden) else { throw ValidationError("--hidden must be in 1...4096, got \(hidden)") }
    guard lr > 0 && lr.isFinite else { throw ValidationError("--lr must be a positive number, got \(lr)") }
  }

  func run() throws {
    let data = TwoMoons(count: points, noise: 0.1, seed: seed)
    let model = TwoMoonsClassifier(hidden: hidden, seed: seed &+ 1)
    print("genai demo: two-moons classification, \(points) points, 2-\(hidden)-\(hidden)-2 tanh MLP, Adam(\(lr))")
    print("engine: BLAS \(BLAS.backend), \(ThreadPool.shared.threadCount) threads\n")
    let start = Date()
    let every = max(1, steps / 12)
    for step in 1...steps {
      let loss = try model.trainStep(data, learningRate: lr)
      if step == 1 || step % every == 0 || step == steps {
        let bar = ProgressBar.render(done: step, total: steps, width: 24)
        print(String(format: "%@ step %4d/%d  loss %.4f  accuracy %5.1f%%", bar, step, steps, loss,
                     model.accuracy(data) * 100))
      }
    }
    let seconds = Date().timeIntervalSince(start)
    print(String(format: "\ntrained %d steps in %.2f s (%.0f steps/s); final accuracy %.1f%%", steps, seconds,
                 Double(steps) / seconds, model.accuracy(data) * 100))
    if !noPlot {
      print("\ndecision regions (· class 0, : class 1) with the data (o class 0, x class 1):\n")
      print(model.asciiMap(data))
    }
  }
}

/// A text progress bar: `[#########.........]`.
enum ProgressBar {
  static func render(done: Int, total: Int, width: Int) -> String {
    let filled = total > 0 ? min(width, done * width / total) : width
    return "[" + String(repeating: "#", count: filled) + String(repeating: ".", count: width - filled) + "]"
  }
}
