import ArgumentParser
import Foundation
import GenAI
import GenAITestSupport
import Testing
@testable import GenAICLI

/// Options with a fixed set of values parse into the library's types and list their values in
/// `--help` and in errors; a setting out of range is named as its flag on the command line and as
/// its field in a run's `config.json`.
@Suite("Typed command-line options")
struct TypedOptionsCLITests {
  /// The message `genai ARGS` fails with, or `nil` when it succeeds.
  private func failure(_ arguments: [String]) -> String? { genaiFailure(arguments) }

  @Test func typedOptionsParseIntoTheLibrarysValues() throws {
    let train = try #require(try GenAICommand.parseAsRoot(["train", "char-rnn", "--vae", "mlp", "--cell", "gru", "--monitor", "rollback,instance-noise"]) as? TrainCommand)
    let config = try train.makeConfig(CharRNN.kind)
    #expect(config.vaeArchitecture == .mlp && config.charRNN.cell == .gru)
    #expect(config.monitor == MonitorPolicy(actions: [.rollback, .instanceNoise]))
    let defaults = try #require(try GenAICommand.parseAsRoot(["train", "dcgan"]) as? TrainCommand)
    #expect(try defaults.makeConfig(DCGAN.kind).monitor == .default)
    let sample = try #require(try GenAICommand.parseAsRoot(["sample", "runs/x", "--prior", "standard"]) as? SampleCommand)
    #expect(sample.prior == .standard)
  }

  /// An unknown value is refused while parsing, with the values that are allowed.
  @Test(arguments: [
    (["train", "vae", "--vae", "bogus"], ["'conv'", "'mlp'"]),
    (["train", "char-rnn", "--cell", "rnn"], ["'lstm'", "'gru'"]),
    (["train", "dcgan", "--monitor", "reboot"], ["'off'", "'warn'", "'rollback'", "'lower-d-lr'", "'instance-noise'"]),
    (["sample", "runs/x", "--prior", "maybe"], ["'tuned'", "'standard'"]),
    (["bench", "stylegan"], ["- dcgan", "- char-gpt"]),  // a longer list comes as bullets
    (["datasets", "--download", "cifar"], ["'fashion-mnist'", "'mnist'"]),
    (["train", "dcgan", "--improvements", "ema,bogus"], ["- none", "- ema", "- spectral-norm", "- diffaugment"]),
  ])
  func unknownValuesAreRefusedListingTheAllowedOnes(_ arguments: [String], _ allowed: [String]) throws {
    let bad = arguments[arguments.count - 1]
    let message = try #require(failure(arguments), "\(arguments) should fail")
    #expect(message.contains("'\(bad)' is invalid"), "\(message)")
    for value in allowed { #expect(message.contains(value), "\(value) in \(message)") }
  }

  /// `--improvements` is a set saved in the run's configuration, for the two DCGAN recipes and
  /// (`ema` only) the VAE-GAN; `--minutes` must be positive.
  @Test func ganImprovementsAndTimeLimit() throws {
    let train = try #require(try GenAICommand.parseAsRoot(["train", "dcgan", "--improvements", "ttur, ema"]) as? TrainCommand)
    let config = try train.makeConfig(DCGAN.kind)
    #expect(config.ganImprovements == [.ema, .ttur])
    let recipe = try #require(try config.makeRecipe() as? DCGAN)
    #expect(recipe.improvements == [.ema, .ttur])
    let none = try #require(try GenAICommand.parseAsRoot(["train", "dcgan-plus", "--improvements", "none"]) as? TrainCommand)
    #expect(try #require(try none.makeConfig(DCGAN.plusKind).makeRecipe() as? DCGAN).improvements.isEmpty)
    let plus = try #require(try RunConfig(recipe: DCGAN.plusKind).makeRecipe() as? DCGAN)
    #expect(plus.improvements == GANImprovement.recommended)
    #expect(plus.generatorOptimizer.learningRate == 4e-4 && plus.discriminatorOptimizer.learningRate == 4e-4)
    #expect(failure(["train", "vae", "--improvements", "ema"])?.contains("applies to dcgan, dcgan-plus and vaegan") == true)
    let vaegan = try #require(try GenAICommand.parseAsRoot(["train", "vaegan", "--improvements", "ema"]) as? TrainCommand)
    #expect(try #require(try vaegan.makeConfig(VAEGAN.kind).makeRecipe() as? VAEGAN).improvements == [.ema])
    #expect(try #require(try RunConfig(recipe: VAEGAN.kind).makeRecipe() as? VAEGAN).averagedVAE == nil)
    #expect(failure(["train", "vaegan", "--improvements", "ema,hinge"])?.contains("vaegan takes --improvements ema only, not hinge") == true)
    // A config.json edited by hand gets the same refusal from the recipe.
    var edited = RunConfig(recipe: VAEGAN.kind)
    edited.ganImprovements = [.ema, .ttur]
    #expect(throws: RecipeError.self) { try edited.makeRecipe() }
    #expect(failure(["train", "dcgan", "--minutes", "0"])?.contains("--minutes must be above 0") == true)
  }

  /// `--resume` keeps the run's own settings, so an option that would change them is refused by
  /// name instead of being ignored; the ones a resume does use still pass.
  @Test func resumeRefusesSettingsItWouldIgnore() throws {
    let refused = try #require(failure(["train", "--resume", "runs/x", "--improvements", "ema", "--lr", "1e-3", "--conditional"]))
    #expect(refused.contains("--lr, --conditional, --improvements cannot change them"), "\(refused)")
    let fine = try #require(
      try GenAICommand.parseAsRoot(["train", "--resume", "runs/x", "--steps", "9", "--minutes", "1", "--plain", "--data-dir", "d"]) as? TrainCommand)
    #expect(fine.settingsIgnoredByResume.isEmpty)
  }

  @Test func helpListsTheValues() {
    let train = GenAICommand.helpMessage(for: TrainCommand.self, columns: 1000)
    #expect(train.contains("values: conv, mlp"), "\(train)")
    #expect(train.contains("values: lstm, gru"), "\(train)")
    #expect(train.contains("values: off, warn, rollback, lower-d-lr, instance-noise"), "\(train)")
    #expect(GenAICommand.helpMessage(for: SampleCommand.self, columns: 1000).contains("values: tuned, standard"))
  }

  @Test func settingFieldsMapToTheirFlags() {
    #expect(SettingFlags.flag(for: "steps") == "--steps")
    #expect(SettingFlags.flag(for: "batchSize") == "--batch-size")
    #expect(SettingFlags.flag(for: "keepCheckpoints") == "--keep-checkpoints")
    #expect(SettingFlags.flag(for: "learningRate") == "--lr")
    #expect(SettingFlags.flag(for: "klWarmupSteps") == "--kl-warmup")
  }

  /// The same check reads as a flag on the command line and as a field in `config.json`.
  @Test func validationNamesTheFlagOrTheFileField() throws {
    let folder = try TemporaryFolder.make("cli-settings")
    defer { try? FileManager.default.removeItem(at: folder) }
    let out = folder.appending(path: "new").path
    #expect(failure(["train", "dcgan", "--data", "shapes", "--batch-size", "0", "--out", out]) == "--batch-size must be at least 1, got 0")
    #expect(failure(["train", "vae", "--data", "shapes", "--lr=-1", "--out", out]) == "--lr must be a positive number, got -1.0")
    #expect(failure(["train", "vae", "--data", "shapes", "--kl-warmup=-5", "--out", out]) == "--kl-warmup must be >= 0, got -5")
    #expect(failure(["sample", "runs/x", "--scale", "40"]) == "--scale must be in 1...16, got 40")
    // A run whose config.json holds batchSize 0: resuming it names the file's field, not --batch-size.
    let run = folder.appending(path: "run")
    try FileManager.default.createDirectory(at: run, withIntermediateDirectories: true)
    var config = RunConfig(recipe: DCGAN.kind)
    config.batchSize = 0
    try config.encoded().write(to: run.appending(path: "config.json"))
    let resumed = try #require(failure(["train", "--resume", run.path]))
    #expect(resumed == "\(run.appending(path: "config.json").path): field \"batchSize\" must be at least 1, got 0", "\(resumed)")
  }
}
