import GenAIData
import GenAINN
import GenAITensor

/// Checks shared by the GAN recipes: batch shapes, labels and sampling requests.
enum GANInputs {
  /// The real images of `batch`, `[B, 1, 28, 28]`, and its labels when `classCount` is set.
  /// - Throws: `RecipeError` for another shape, missing labels, or a label out of range.
  static func realBatch(_ batch: Batch, classCount: Int?, recipe: String) throws -> (Tensor, IndexTensor?) {
    let x = batch.inputs
    guard x.rank == 4, x.shape[0] > 0, Array(x.shape.dropFirst()) == [1, 28, 28] else {
      throw RecipeError(recipe: recipe, "expects images [B, 1, 28, 28] with B > 0, got \(x.shape)")
    }
    guard let classCount else { return (x, nil) }
    guard let labels = batch.labels else {
      throw RecipeError(recipe: recipe, "is class-conditional (\(classCount) classes) but the batch has no labels")
    }
    guard labels.count == x.shape[0] else {
      throw RecipeError(recipe: recipe, "has \(labels.count) labels for \(x.shape[0]) images")
    }
    if let bad = labels.values.first(where: { $0 < 0 || $0 >= classCount }) {
      throw RecipeError(recipe: recipe, "label \(bad) is out of range 0..<\(classCount)")
    }
    return (x, labels.reshaped([labels.count]))
  }

  /// The labels to sample `count` images with: `label` repeated, or for a conditional model
  /// without a label the classes in turn (0, 1, ..., 0, 1, ...); `nil` for an unconditional one.
  /// - Throws: `RecipeError` for `count < 1`, a label out of range, or a label given to an
  ///   unconditional model.
  static func sampleLabels(count: Int, label: Int?, classCount: Int?, recipe: String) throws -> IndexTensor? {
    guard count > 0 else { throw RecipeError(recipe: recipe, "sample count must be positive, got \(count)") }
    guard let classCount else {
      if let label { throw RecipeError(recipe: recipe, "is not class-conditional; cannot sample label \(label)") }
      return nil
    }
    if let label {
      guard label >= 0 && label < classCount else {
        throw RecipeError(recipe: recipe, "label \(label) is out of range 0..<\(classCount)")
      }
      return IndexTensor(Array(repeating: label, count: count))
    }
    return IndexTensor((0..<count).map { $0 % classCount })
  }

  /// Samples from `generator` (in evaluation mode, running batch-norm statistics, nothing
  /// recorded), restoring its mode afterwards.
  static func sample(
    _ generator: DCGANGenerator, count: Int, labels: IndexTensor?, using rng: inout SeededGenerator
  ) -> Tensor {
    let wasTraining = generator.isTraining
    generator.eval()
    defer { generator.train(wasTraining) }
    return withNoGrad {
      let z = Tensor.randn([count, DCGANGenerator.latentSize], using: &rng)
      return generator(z, labels: labels)
    }
  }

  /// `generator(latents)` `[N, 100]` for `label` (or the classes in turn), in evaluation mode,
  /// nothing recorded, restoring its mode afterwards.
  /// - Throws: `RecipeError` for a label out of range or given to an unconditional model.
  static func generate(_ generator: DCGANGenerator, latents: Tensor, label: Int?, recipe: String) throws -> Tensor {
    let labels = try sampleLabels(count: latents.shape[0], label: label, classCount: generator.classCount, recipe: recipe)
    let wasTraining = generator.isTraining
    generator.eval()
    defer { generator.train(wasTraining) }
    return withNoGrad { generator(latents, labels: labels) }
  }
}
