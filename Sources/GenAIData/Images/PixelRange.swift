/// The range a model's image values live in, and the map between it and 8-bit pixels.
public enum PixelRange: Sendable, Hashable, CaseIterable {
  /// `[0, 1]`: pixel `p` becomes `p / 255` (Bernoulli or sigmoid decoders, e.g. a VAE).
  case zeroToOne
  /// `[-1, 1]`: pixel `p` becomes `p / 127.5 − 1` (tanh generators, e.g. DCGAN).
  case minusOneToOne

  /// The value of pixel 0.
  public var lowerBound: Float { self == .zeroToOne ? 0 : -1 }
  /// The value of pixel 255.
  public var upperBound: Float { 1 }

  /// The value of 8-bit `pixel`.
  @inlinable public func value(of pixel: UInt8) -> Float {
    self == .zeroToOne ? Float(pixel) / 255 : Float(pixel) / 127.5 - 1
  }

  /// The 8-bit pixel nearest to `value`, clamped to the range (NaN becomes 0).
  @inlinable public func pixel(of value: Float) -> UInt8 {
    let unit = self == .zeroToOne ? value : (value + 1) / 2
    guard unit > 0 else { return 0 }
    return unit >= 1 ? 255 : UInt8((unit * 255).rounded())
  }

  /// The 256 values of pixels 0...255, for fast conversion of many pixels.
  public var lookupTable: [Float] { (0...255).map { value(of: UInt8($0)) } }
}
