import GenAITensor

/// A labelled set of fixed-length mono clips at one sample rate, served as `[B, 1, T]` batches.
///
/// Load one with `AudioSet.spokenDigits(_:)` or `AudioSet.folder(_:)` (which clean the files and
/// report what they did in `report`), or build one from clips in memory.
///
/// ```swift
/// var digits = try AudioSet.spokenDigits(dataDir.appendingPathComponent("spoken-digits"))
/// print(digits.report)                               // kept: 1500
/// digits.augmentation = AudioAugmentation(gainDB: -6...6)
/// var rng = SeededGenerator(seed: 0)
/// let batch = digits.makeBatch(indices: [0, 1, 2], generator: &rng)
/// // batch.inputs: [3, 1, 8000] in [-1, 1]; batch.labels: [3]
/// ```
public struct AudioSet: BatchSource {
  /// Frames per second of every clip.
  public let sampleRate: Int
  /// Samples per clip, `T`.
  public let length: Int
  /// All clips, `[count, T]` row-major.
  public let samples: [Float]
  /// Class index of each clip, `[count]`, in `0..<classNames.count`.
  public let labels: [Int]
  /// Class names by index.
  public let classNames: [String]
  /// Where each clip came from (relative to the dataset root), `[count]`.
  public let files: [String]
  /// What loading and cleaning skipped or changed.
  public let report: CleaningReport
  /// Seeded augmentation applied by `makeBatch`; none by default.
  public var augmentation: AudioAugmentation

  /// A set from clips in memory, each padded with zeros or cropped from the end to `length`,
  /// with samples clipped to [-1, 1].
  /// - Parameters:
  ///   - clips: mono samples, one array per clip.
  ///   - labels: class index per clip, `[clips.count]`.
  ///   - length: samples per clip; defaults to the longest clip.
  ///   - files: names per clip; defaults to `"clip <i>"`.
  /// - Precondition: `labels.count == clips.count`, every label in `0..<classNames.count`, and
  ///   `files` (when given) has one name per clip.
  public init(
    clips: [[Float]], labels: [Int], classNames: [String], sampleRate: Int, length: Int? = nil,
    files: [String]? = nil, report: CleaningReport? = nil, augmentation: AudioAugmentation = .none
  ) {
    precondition(labels.count == clips.count, "[AudioSet] \(clips.count) clips but \(labels.count) labels")
    precondition(labels.allSatisfy { (0..<classNames.count).contains($0) }, "[AudioSet] a label is outside 0..<\(classNames.count)")
    precondition(files == nil || files?.count == clips.count, "[AudioSet] needs one file name per clip")
    let length = length ?? clips.map(\.count).max() ?? 0
    var kept = report ?? CleaningReport()
    kept.kept = clips.count
    self.init(
      samples: Self.flatten(clips, length: length, clip: true), length: length, labels: labels, classNames: classNames,
      sampleRate: sampleRate, files: files ?? clips.indices.map { "clip \($0)" }, report: kept, augmentation: augmentation)
  }

  /// A set over `samples` already laid out as `[labels.count, length]`.
  init(
    samples: [Float], length: Int, labels: [Int], classNames: [String], sampleRate: Int, files: [String],
    report: CleaningReport, augmentation: AudioAugmentation = .none
  ) {
    self.sampleRate = sampleRate
    self.length = length
    self.samples = samples
    self.labels = labels
    self.classNames = classNames
    self.files = files
    self.report = report
    self.augmentation = augmentation
  }

  /// `clips` padded with zeros or cropped from the end to `length` each, one after another
  /// (`[clips.count, length]`), clipped to [-1, 1] if `clip`.
  static func flatten(_ clips: [[Float]], length: Int, clip: Bool) -> [Float] {
    var flat = [Float](repeating: 0, count: clips.count * length)
    flat.withUnsafeMutableBufferPointer { out in
      guard let base = out.baseAddress else { return }
      for (i, c) in clips.enumerated() {
        let row = base + i * length
        c.withUnsafeBufferPointer { src in
          if let s = src.baseAddress { row.update(from: s, count: min(length, src.count)) }
        }
        guard clip else { continue }
        var j = 0
        while j < length {
          if row[j] > 1 { row[j] = 1 } else if row[j] < -1 { row[j] = -1 }
          j += 1
        }
      }
    }
    return flat
  }

  /// Number of clips.
  public var count: Int { labels.count }

  /// Clip `index`, `[T]`.
  public func clip(_ index: Int) -> [Float] { Array(samples[(index * length)..<((index + 1) * length)]) }

  /// Clips `indices` as inputs `[B, 1, T]` (augmented with draws from `generator` if
  /// `augmentation` is set, then clipped to [-1, 1]) and their labels `[B]`.
  /// - Precondition: every index is in `0..<count`.
  public func makeBatch(indices: [Int], generator: inout SeededGenerator) -> Batch {
    let t = length
    let inputs = Tensor.zeros([indices.count, 1, t])
    inputs.withUnsafeMutableBufferPointer { out in
      samples.withUnsafeBufferPointer { src in
        for (b, index) in indices.enumerated() {
          precondition(index >= 0 && index < count, "[AudioSet] index \(index) is outside 0..<\(count)")
          let row = UnsafeMutableBufferPointer(rebasing: out[(b * t)..<((b + 1) * t)])
          _ = row.update(fromContentsOf: src[(index * t)..<((index + 1) * t)])
          augmentation.apply(to: row, generator: &generator)
        }
      }
    }
    return Batch(inputs: inputs, labels: IndexTensor(indices.map { labels[$0] }))
  }
}
