import GenAITensor

/// A recipe that generates audio clips: `[N, samples]` in [-1, 1] at `sampleRate` Hz.
public protocol AudioGenerating: Recipe {
  /// Frames per second of generated clips (and of the training data).
  var sampleRate: Int { get }
  /// Number of classes a label may ask for (`0..<classCount`).
  var classCount: Int { get }
  /// `count` new clips `[count, samples]` in [-1, 1], drawn with `generator`; `label` asks for one
  /// class, and without it the classes come in turn (0, 1, 2, ...).
  /// - Throws: `RecipeError` for `count < 1` or a label outside `0..<classCount`.
  func sample(count: Int, label: Int?, using generator: inout SeededGenerator) throws -> Tensor
  /// Log-magnitude spectrograms `[N, 1, F, T]` in [-1, 1] of `clips` `[N, samples]` for a
  /// picture beside the sound, or `nil` when the recipe has no spectrogram of its own.
  func spectrograms(of clips: Tensor) -> Tensor?
}

extension AudioGenerating {
  /// `nil`.
  public func spectrograms(of clips: Tensor) -> Tensor? { nil }
}
