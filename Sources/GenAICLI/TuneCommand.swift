import ArgumentParser
import Foundation
import GenAI

/// `genai tune RUN`: steers a model toward the samples rated as liked.
struct TuneCommand: ParsableCommand {
  static let configuration = CommandConfiguration(
    commandName: "tune",
    abstract: "Steer a run toward the samples you liked (after `genai rate`).",
    discussion: """
      GANs and VAEs: fits a Gaussian prior to the latent codes of the liked samples and saves \
      it as RUN/tuned-prior.json; `genai sample` then draws from it (the weights do not change; \
      --prior standard gives the original). Text models: fine-tunes on the liked texts for \
      --steps steps at --lr and saves a new checkpoint of the run.

      When the run has a feature network (a classifier of its data), tune measures the effect \
      on --samples new samples from the standard and the tuned prior: the share of the classes \
      the liked samples belong to, and FID and IS against the real data, so you can see that \
      the liked kind became more common and quality did not fall.

      Example:
        genai sample runs/dcgan --count 64
        genai rate runs/dcgan --like 3,7,12,20 --dislike 5
        genai tune runs/dcgan
        genai sample runs/dcgan --count 64
      """)

  @Argument(help: ArgumentHelp("The run folder.", valueName: "run"))
  var runPath: String

  @Option(help: "Text models: fine-tuning steps.")
  var steps: Int = 50

  @Option(help: "Text models: learning rate.")
  var lr: Float = 1e-4

  @Option(help: "Samples per prior for the before/after measurement (0: skip it).")
  var samples: Int = 1000

  @Option(help: "The feature network for the measurement (default: classifier-DATA beside the run or in runs/).")
  var classifier: String?

  func validate() throws {
    guard steps >= 1 else { throw ValidationError("--steps must be at least 1, got \(steps)") }
    guard lr > 0 && lr.isFinite else { throw ValidationError("--lr must be a positive number, got \(lr)") }
    guard samples == 0 || (20...RunConfig.countLimit).contains(samples) else {
      throw ValidationError("--samples must be 0 or in 20...\(RunConfig.countLimit), got \(samples)")
    }
  }

  func run() throws {
    let run = RunDirectory(url: URL(fileURLWithPath: runPath))
    guard run.exists else { throw ValidationError("\(runPath) is not a genai run: it has no config.json") }
    let outcome = try Tuner.tune(run, steps: steps, learningRate: lr)
    print(outcome.summary)
    guard samples > 0, let tuned = outcome.prior else { return }
    let check = try TuningCheck.measure(run, prior: tuned.prior, samples: samples, classifier: classifier)
    print(check.table)
  }
}
