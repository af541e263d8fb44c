import ArgumentParser
import Foundation
import GenAI
import GenAITestSupport
import Testing
@testable import GenAICLI

/// Options with a fixed set of values parse into the library's types and list their values in
/// `--help` and in errors.
@Suite("Typed command-line options")
struct TypedOptionsCLITests {
  /// The message `genai ARGS` fails with, as the executable prints it, or `nil` when it succeeds.
  private func failure(_ arguments: [String]) -> String? {
    do {
      var command = try GenAICommand.parseAsRoot(arguments)
      try command.run()
      return nil
    } catch {
      return GenAICommand.message(for: error)
    }
  }

  @Test func typedOptionsParseIntoTheLibrarysValues() throws {
    let train = try #require(try GenAICommand.parseAsRoot(["train", "char-rnn", "--vae", "mlp", "--cell", "gru", "--monitor", "rollback,instance-noise"]) as? TrainCommand)
    let config = try train.makeConfig(.charRNN)
    #expect(config.vaeArchitecture == .mlp && config.charRNN.cell == .gru)
    #expect(config.monitor == MonitorPolicy(actions: [.rollback, .instanceNoise]))
    let defaults = try #require(try GenAICommand.parseAsRoot(["train", "dcgan"]) as? TrainCommand)
    #expect(try defaults.makeConfig(.dcgan).monitor == .default)
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
  ])
  func unknownValuesAreRefusedListingTheAllowedOnes(_ arguments: [String], _ allowed: [String]) throws {
    let bad = arguments[arguments.count - 1]
    let message = try #require(failure(arguments), "\(arguments) should fail")
    #expect(message.contains("'\(bad)' is invalid"), "\(message)")
    for value in allowed { #expect(message.contains(value), "\(value) in \(message)") }
  }

  @Test func helpListsTheValues() {
    let train = GenAICommand.helpMessage(for: TrainCommand.self, columns: 1000)
    #expect(train.contains("values: conv, mlp"), "\(train)")
    #expect(train.contains("values: lstm, gru"), "\(train)")
    #expect(train.contains("values: off, warn, rollback, lower-d-lr, instance-noise"), "\(train)")
    #expect(GenAICommand.helpMessage(for: SampleCommand.self, columns: 1000).contains("values: tuned, standard"))
  }
}
