import Foundation
import GenAI
import Hummingbird

/// What a studio request gets wrong, answered as a 4xx with the message as JSON
/// (`{"error": {"message": ...}}`).
enum StudioError {
  /// 404: no such run or file.
  static func notFound(_ message: String) -> HTTPError { HTTPError(.notFound, message: message) }
  /// 400: a value out of range or of the wrong form.
  static func badRequest(_ message: String) -> HTTPError { HTTPError(.badRequest, message: message) }

  /// `error` as the HTTP error to answer with: the library's errors about what a user asked
  /// for (settings, recipes, data) are 400s with their own message; anything else is a 500.
  static func answer(_ error: any Error) -> any Error {
    switch error {
    case is HTTPError: return error
    case let e as SettingError: return badRequest("\(e.field): \(e.problem)")
    case is TrainingError, is RecipeError, is DataError: return badRequest(String(describing: error))
    default: return HTTPError(.internalServerError, message: String(describing: error))
    }
  }
}
