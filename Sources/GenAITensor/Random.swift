/// Seeded random numbers: every random choice in genai comes from one of these, passed explicitly.

/// xoshiro256** seeded through SplitMix64: fast, small state, good statistical quality.
/// Its state is `Codable` so a training checkpoint can save and restore it exactly.
public struct SeededGenerator: RandomNumberGenerator, Codable, Sendable, Equatable {
  // Four stored words, not an array: `next()` runs once per random number (dropout masks draw
  // millions a step), and an array paid a uniqueness check and bounds checks on every call.
  private var s0: UInt64, s1: UInt64, s2: UInt64, s3: UInt64
  /// A decoded state of the wrong length, kept so that a checkpoint reader can name the problem.
  private var malformed: [UInt64]?

  /// The four 64-bit words of xoshiro256** state (saved in checkpoints under `"state"`).
  public var state: [UInt64] {
    get { malformed ?? [s0, s1, s2, s3] }
    set {
      if newValue.count == 4 {
        (s0, s1, s2, s3) = (newValue[0], newValue[1], newValue[2], newValue[3])
        malformed = nil
      } else {
        malformed = newValue
      }
    }
  }

  /// A generator whose whole sequence is determined by `seed`.
  public init(seed: UInt64) {
    var sm = seed
    func splitMix() -> UInt64 {
      sm &+= 0x9E37_79B9_7F4A_7C15
      var z = sm
      z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
      z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
      return z ^ (z >> 31)
    }
    s0 = splitMix()
    s1 = splitMix()
    s2 = splitMix()
    s3 = splitMix()
  }

  private enum CodingKeys: String, CodingKey { case state }

  /// Reads `{"state": [w0, w1, w2, w3]}`.
  public init(from decoder: any Decoder) throws {
    let words = try decoder.container(keyedBy: CodingKeys.self).decode([UInt64].self, forKey: .state)
    (s0, s1, s2, s3) = (0, 0, 0, 0)
    state = words
  }

  /// Writes `{"state": [w0, w1, w2, w3]}`.
  public func encode(to encoder: any Encoder) throws {
    var container = encoder.container(keyedBy: CodingKeys.self)
    try container.encode(state, forKey: .state)
  }

  /// Whether the two generators will produce the same sequence.
  public static func == (a: SeededGenerator, b: SeededGenerator) -> Bool { a.state == b.state }

  /// The next 64 random bits.
  @inlinable public mutating func next() -> UInt64 { nextWord() }

  @usableFromInline mutating func nextWord() -> UInt64 {
    let result = rotl(s1 &* 5, 7) &* 9
    let t = s1 << 17
    s2 ^= s0
    s3 ^= s1
    s1 ^= s2
    s0 ^= s3
    s2 ^= t
    s3 = rotl(s3, 45)
    return result
  }

  @inline(__always) private func rotl(_ x: UInt64, _ k: UInt64) -> UInt64 { (x << k) | (x >> (64 - k)) }

  /// A uniform float in [0, 1) with 24 random bits.
  @inlinable public mutating func nextUniform() -> Float { Float(next() >> 40) * 0x1p-24 }

  /// A derived generator for an independent stream (e.g. one per data-loader worker).
  public mutating func split() -> SeededGenerator { SeededGenerator(seed: next()) }
}

extension RandomNumberGenerator {
  /// A uniform float in [0, 1).
  @inlinable mutating func uniformFloat() -> Float { Float(next() >> 40) * 0x1p-24 }

  /// Fills `buffer` with N(mean, std²) samples by the Box–Muller transform.
  mutating func fillNormal(_ buffer: UnsafeMutableBufferPointer<Float>, mean: Float, std: Float) {
    var i = 0
    while i < buffer.count {
      // u1 in (0, 1] so the log is finite.
      let u1 = Double((next() >> 11) + 1) * 0x1p-53
      let u2 = Double(next() >> 11) * 0x1p-53
      let r = (-2 * _log(u1)).squareRoot()
      let theta = 2 * Double.pi * u2
      buffer[i] = mean + std * Float(r * _cos(theta))
      if i + 1 < buffer.count { buffer[i + 1] = mean + std * Float(r * _sin(theta)) }
      i += 2
    }
  }
}
