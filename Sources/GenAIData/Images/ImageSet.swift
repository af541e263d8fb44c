import GenAITensor

/// An in-memory image dataset: `count` images of `channels` x `height` x `width` 8-bit pixels,
/// optional integer labels with class names, and what cleaning skipped when it was loaded.
///
/// Pixels stay bytes (a quarter of the memory of floats); `makeBatch` turns the chosen images into
/// floats `[B, C, H, W]` in `range` and applies `augmentation`. Load with `ImageSet.idx(images:labels:)`
/// (MNIST-style files) or `ImageSet.folder(_:)` (PNG files, labels from sub-folder names).
///
/// ```swift
/// let set = try ImageSet.idx(images: imagesURL, labels: labelsURL, range: .minusOneToOne)
/// var rng = SeededGenerator(seed: 0)
/// let batch = set.makeBatch(indices: [0, 1, 2], generator: &rng)   // inputs [3, 1, 28, 28]
/// ```
public struct ImageSet: BatchSource {
  /// The pixels, `[N, C, H, W]` row-major: 0 black (or transparent), 255 full intensity.
  public let pixels: [UInt8]
  /// Number of images, N.
  public let count: Int
  /// Channels per image, C: 1 grey, 2 grey + alpha, 3 RGB, 4 RGBA.
  public let channels: Int
  /// Rows per image, H.
  public let height: Int
  /// Pixels per row, W.
  public let width: Int
  /// One class index per image, `[N]`, or `nil` for unlabelled data.
  public let labels: [Int]?
  /// The name of each class index (may be empty when the source has no names).
  public let classNames: [String]
  /// The range `makeBatch` maps pixels to: `.minusOneToOne` for tanh generators, `.zeroToOne`
  /// for Bernoulli / sigmoid decoders.
  public var range: PixelRange
  /// Augmentation applied by `makeBatch` (none by default).
  public var augmentation: ImageAugmentation
  /// What loading skipped or changed, and why.
  public var report: CleaningReport

  /// A dataset over `pixels` `[N, C, H, W]`.
  /// - Precondition: sizes are positive, C is 1...4, `pixels.count == N·C·H·W`, and `labels`, if
  ///   given, has N entries, each `>= 0` (and `< classNames.count` when names are given).
  public init(
    pixels: [UInt8], count: Int, channels: Int, height: Int, width: Int, labels: [Int]? = nil,
    classNames: [String] = [], range: PixelRange = .minusOneToOne, augmentation: ImageAugmentation = .none,
    report: CleaningReport? = nil
  ) {
    precondition(count > 0 && height > 0 && width > 0, "[ImageSet] sizes must be positive")
    precondition((1...4).contains(channels), "[ImageSet] channels must be 1...4, got \(channels)")
    precondition(pixels.count == count * channels * height * width, "[ImageSet] pixel count mismatch")
    if let labels {
      precondition(labels.count == count, "[ImageSet] \(labels.count) labels for \(count) images")
      precondition(
        labels.allSatisfy { $0 >= 0 && (classNames.isEmpty || $0 < classNames.count) },
        "[ImageSet] labels must be in 0..<\(classNames.isEmpty ? "∞" : String(classNames.count))")
    }
    self.pixels = pixels
    self.count = count
    self.channels = channels
    self.height = height
    self.width = width
    self.labels = labels
    self.classNames = classNames
    self.range = range
    self.augmentation = augmentation
    self.report =
      report
      ?? {
        var r = CleaningReport()
        r.kept = count
        return r
      }()
  }

  /// The shape of one image, `[C, H, W]`.
  public var imageShape: [Int] { [channels, height, width] }

  /// The number of classes: `classNames.count`, or one more than the largest label.
  public var classCount: Int { classNames.isEmpty ? (labels?.max()).map { $0 + 1 } ?? 0 : classNames.count }

  /// Images `indices` as floats `[B, C, H, W]` in `range`, augmented if `augmentation` is on, with
  /// their labels `[B]` when the set is labelled.
  /// - Precondition: every index is in `0..<count`.
  public func makeBatch(indices: [Int], generator: inout SeededGenerator) -> Batch {
    let per = channels * height * width
    let table = range.lookupTable
    let inputs = Tensor.zeros([indices.count, channels, height, width])
    inputs.withUnsafeMutableBufferPointer { dst in
      pixels.withUnsafeBufferPointer { src in
        guard let out = dst.baseAddress else { return }
        for (b, index) in indices.enumerated() {
          precondition(index >= 0 && index < count, "[ImageSet.makeBatch] index \(index) out of 0..<\(count)")
          let from = index * per
          let to = b * per
          for k in 0..<per { out[to + k] = table[Int(src[from + k])] }
          if !augmentation.isIdentity {
            augmentation.apply(
              to: UnsafeMutableBufferPointer(start: out + to, count: per), channels: channels, height: height,
              width: width, range: range, generator: &generator)
          }
        }
      }
    }
    let batchLabels = labels.map { all in IndexTensor(indices.map { all[$0] }) }
    return Batch(inputs: inputs, labels: batchLabels)
  }

  /// Image `index` as an interleaved bitmap `[H, W, C]` (e.g. to write it as a PNG).
  /// - Precondition: `index` is in `0..<count`.
  public func bitmap(at index: Int) -> Bitmap {
    precondition(index >= 0 && index < count, "[ImageSet.bitmap] index \(index) out of 0..<\(count)")
    let plane = height * width
    let base = index * channels * plane
    var out = [UInt8](repeating: 0, count: channels * plane)
    for c in 0..<channels {
      for p in 0..<plane { out[p * channels + c] = pixels[base + c * plane + p] }
    }
    return Bitmap(width: width, height: height, channels: channels, pixels: out)
  }
}
