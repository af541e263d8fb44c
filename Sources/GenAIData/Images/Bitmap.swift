/// An 8-bit image in memory: `height` rows of `width` pixels of `channels` interleaved samples,
/// layout `[H, W, C]`, the way PNG stores pixels.
///
/// Channels: 1 grey, 2 grey + alpha, 3 RGB, 4 RGBA. Alpha is straight (not premultiplied).
/// Datasets and tensors use planar `[C, H, W]`; `ImageSet` converts when it loads.
public struct Bitmap: Sendable, Equatable {
  /// Pixels per row.
  public let width: Int
  /// Rows.
  public let height: Int
  /// Samples per pixel: 1 grey, 2 grey + alpha, 3 RGB, 4 RGBA.
  public let channels: Int
  /// `height * width * channels` samples, `[H, W, C]` row-major.
  public var pixels: [UInt8]

  /// An image over `pixels` (`[H, W, C]`).
  /// - Precondition: sizes are positive, `channels` is 1...4 and
  ///   `pixels.count == width * height * channels`.
  public init(width: Int, height: Int, channels: Int, pixels: [UInt8]) {
    precondition(width > 0 && height > 0, "[Bitmap] size \(width)x\(height) must be positive")
    precondition((1...4).contains(channels), "[Bitmap] channels must be 1...4, got \(channels)")
    precondition(
      pixels.count == width * height * channels,
      "[Bitmap] \(width)x\(height)x\(channels) needs \(width * height * channels) samples, got \(pixels.count)")
    self.width = width
    self.height = height
    self.channels = channels
    self.pixels = pixels
  }

  /// An image of one colour: `fill` holds 1 sample (repeated in every channel) or `channels`.
  public init(width: Int, height: Int, channels: Int, fill: [UInt8]) {
    precondition(fill.count == 1 || fill.count == channels, "[Bitmap] fill needs 1 or \(channels) samples")
    let pixel = fill.count == 1 ? [UInt8](repeating: fill[0], count: channels) : fill
    var pixels = [UInt8](repeating: 0, count: width * height * channels)
    for i in 0..<(width * height) { for c in 0..<channels { pixels[i * channels + c] = pixel[c] } }
    self.init(width: width, height: height, channels: channels, pixels: pixels)
  }

  /// Whether the last channel is alpha (2 or 4 channels).
  public var hasAlpha: Bool { channels == 2 || channels == 4 }

  /// Whether there is no colour: 1 or 2 channels.
  public var isGrey: Bool { channels <= 2 }

  /// The sample of channel `c` of the pixel at column `x`, row `y`.
  public subscript(x: Int, y: Int, c: Int) -> UInt8 {
    get { pixels[(y * width + x) * channels + c] }
    set { pixels[(y * width + x) * channels + c] = newValue }
  }
}
