extension RunConfig {
  /// Fits the batch size to a new run's data, before anything is trained: data smaller than the
  /// recipe's smallest batch is refused, and a batch larger than the data is cut to the data's size
  /// (recorded in `config.json`) with a note saying so, so it is never cut silently.
  /// - Returns: the note to print when the batch was cut, else `nil`.
  /// - Throws: `TrainingError` naming the data, its size and the batch size when the data holds
  ///   fewer items than the recipe's smallest batch (0 items, or 1 for batch normalisation).
  mutating func fitBatch(to data: TrainingData) throws -> String? {
    let needed = max(1, recipe.minimumBatchSize)
    guard data.count >= needed else {
      let why = needed > 1 ? ": its batch normalisation needs at least \(needed) items per batch" : ""
      throw TrainingError(
        "\(data.origin) holds \(data.count) item(s) after cleaning (duplicates removed), too few to train \(recipe.name) "
          + "with batch size \(batchSize)\(why); add more distinct items")
    }
    guard batchSize > data.count else { return nil }
    let asked = batchSize
    batchSize = data.count
    return "note: batch size cut from \(asked) to \(data.count), the number of items in \(data.origin)"
  }
}
