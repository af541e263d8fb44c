import Testing

@testable import GenAICLI

/// The message `genai ARGS` (run in-process) fails with, as the executable prints it, or `nil`
/// when it succeeds.
func genaiFailure(_ arguments: [String]) -> String? {
  do {
    var command = try GenAICommand.parseAsRoot(arguments)
    try command.run()
    return nil
  } catch {
    return GenAICommand.message(for: error)
  }
}
