import GenAITensor

/// Seeded random augmentation of images in a model's value range: shifts (pad and crop),
/// horizontal flips, small rotations and additive Gaussian noise. Everything is off by default;
/// switch on what suits the data (flips suit clothes, not digits).
///
/// Each image draws its own parameters from the generator it is given, in a fixed order (flip,
/// shift, rotation, noise), so the same seed gives the same batch. Pixels brought in from
/// outside the image take the range's lower bound (black, the MNIST family's background).
///
/// ```swift
/// var set = try ImageSet.idx(images: imagesURL, labels: labelsURL)
/// set.augmentation = ImageAugmentation(maxShift: 2, maxRotationDegrees: 10)
/// ```
public struct ImageAugmentation: Sendable, Equatable {
  /// The largest translation in pixels along each axis: each image moves by a uniform integer
  /// in `-maxShift...maxShift` horizontally and, independently, vertically (0: off).
  public var maxShift: Int
  /// The probability of mirroring an image left to right (0: off; 0.5 is usual).
  public var horizontalFlipProbability: Float
  /// The largest rotation in degrees: each image turns by a uniform angle in
  /// `-maxRotationDegrees...maxRotationDegrees`, sampled bilinearly (0: off).
  public var maxRotationDegrees: Float
  /// The standard deviation of Gaussian noise added to every value, in the model's units (a
  /// `[-1, 1]` image's range is 2 wide); results are clamped to the range (0: off).
  public var noiseStd: Float

  /// An augmentation; every part defaults to off.
  /// - Precondition: `maxShift >= 0`, the probability is in `0...1`, the others are `>= 0`.
  public init(
    maxShift: Int = 0, horizontalFlipProbability: Float = 0, maxRotationDegrees: Float = 0, noiseStd: Float = 0
  ) {
    precondition(maxShift >= 0, "[ImageAugmentation] maxShift must be >= 0, got \(maxShift)")
    precondition(
      (0...1).contains(horizontalFlipProbability),
      "[ImageAugmentation] horizontalFlipProbability must be in 0...1, got \(horizontalFlipProbability)")
    precondition(maxRotationDegrees >= 0, "[ImageAugmentation] maxRotationDegrees must be >= 0")
    precondition(noiseStd >= 0, "[ImageAugmentation] noiseStd must be >= 0")
    self.maxShift = maxShift
    self.horizontalFlipProbability = horizontalFlipProbability
    self.maxRotationDegrees = maxRotationDegrees
    self.noiseStd = noiseStd
  }

  /// No augmentation.
  public static let none = ImageAugmentation()

  /// Whether every part is off, so `apply` changes nothing and draws no random numbers.
  public var isIdentity: Bool {
    maxShift == 0 && horizontalFlipProbability == 0 && maxRotationDegrees == 0 && noiseStd == 0
  }

  /// Augments one image `[C, H, W]` in place.
  /// - Parameters:
  ///   - image: `channels * height * width` values in `range`.
  ///   - range: the values' range: the fill for pixels brought in, and the noise's clamp.
  ///   - generator: the source of every random choice.
  public func apply(
    to image: UnsafeMutableBufferPointer<Float>, channels: Int, height: Int, width: Int, range: PixelRange,
    generator: inout SeededGenerator
  ) {
    precondition(image.count == channels * height * width, "[ImageAugmentation] image size mismatch")
    let fill = range.lowerBound
    if horizontalFlipProbability > 0 && generator.nextUniform() < horizontalFlipProbability {
      ImageTransforms.flipHorizontally(image, channels: channels, height: height, width: width)
    }
    if maxShift > 0 {
      let dx = Int.random(in: -maxShift...maxShift, using: &generator)
      let dy = Int.random(in: -maxShift...maxShift, using: &generator)
      ImageTransforms.shift(image, channels: channels, height: height, width: width, dx: dx, dy: dy, fill: fill)
    }
    if maxRotationDegrees > 0 {
      let degrees = (generator.nextUniform() * 2 - 1) * maxRotationDegrees
      ImageTransforms.rotate(image, channels: channels, height: height, width: width, degrees: degrees, fill: fill)
    }
    if noiseStd > 0 {
      ImageTransforms.addNoise(
        image, std: noiseStd, lower: range.lowerBound, upper: range.upperBound, generator: &generator)
    }
  }

  /// Augmented copies of `images` `[N, C, H, W]` (or one image `[C, H, W]`), each drawing its own
  /// parameters from `generator` in order.
  /// - Precondition: rank 3 or 4.
  public func applied(to images: Tensor, range: PixelRange, generator: inout SeededGenerator) -> Tensor {
    precondition(images.rank == 3 || images.rank == 4, "[ImageAugmentation] needs [N, C, H, W] or [C, H, W]")
    let out = images.detached().copy()
    let dims = Array(images.shape.suffix(3))
    let per = dims[0] * dims[1] * dims[2]
    let n = images.rank == 4 ? images.shape[0] : 1
    out.withUnsafeMutableBufferPointer { buffer in
      guard let base = buffer.baseAddress else { return }
      for i in 0..<n {
        apply(
          to: UnsafeMutableBufferPointer(start: base + i * per, count: per), channels: dims[0], height: dims[1],
          width: dims[2], range: range, generator: &generator)
      }
    }
    return out
  }
}
