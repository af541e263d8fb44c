import Foundation
import GenAITensor

/// Seeded random changes applied to each clip as a batch is made: gain, time shift and additive
/// noise. All are off by default; each one enabled is applied to every clip with a parameter
/// drawn afresh, in the order gain, shift, noise, and the result is clipped to [-1, 1].
///
/// Every draw comes from the generator `makeBatch` is given, so the same seed and position give
/// the same batch.
///
/// ```swift
/// var set = try AudioSet.spokenDigits(dir)
/// set.augmentation = AudioAugmentation(gainDB: -6...6, maxShift: 800, noise: .snr(20...40))
/// ```
public struct AudioAugmentation: Sendable, Equatable {
  /// What fills the samples a time shift uncovers.
  public enum ShiftFill: Sendable, Equatable {
    /// Samples shifted off one end come back at the other (a rotation).
    case circular
    /// Uncovered samples are silence.
    case zeros
  }

  /// Additive white Gaussian noise.
  public enum Noise: Sendable, Equatable {
    /// Noise with this standard deviation (full scale is 1).
    case std(Float)
    /// Noise at a signal-to-noise ratio drawn uniformly from this range of dB, relative to the
    /// clip's RMS (a silent clip gets none).
    case snr(ClosedRange<Float>)
  }

  /// Gain in dB drawn uniformly from this range, or `nil` for none.
  public var gainDB: ClosedRange<Float>?
  /// Largest time shift in samples; a shift uniform in `-maxShift...maxShift` (0: none).
  public var maxShift: Int
  /// What fills the gap a shift leaves.
  public var shiftFill: ShiftFill
  /// Additive noise, or `nil` for none.
  public var noise: Noise?

  /// An augmentation; with no arguments, none at all.
  public init(gainDB: ClosedRange<Float>? = nil, maxShift: Int = 0, shiftFill: ShiftFill = .circular, noise: Noise? = nil) {
    self.gainDB = gainDB
    self.maxShift = maxShift
    self.shiftFill = shiftFill
    self.noise = noise
  }

  /// No augmentation.
  public static let none = AudioAugmentation()

  /// Whether nothing is enabled (clips pass through untouched and no draws are made).
  public var isIdentity: Bool { gainDB == nil && maxShift <= 0 && noise == nil }

  /// Augments one clip in place with draws from `generator`.
  public func apply(to clip: UnsafeMutableBufferPointer<Float>, generator: inout SeededGenerator) {
    guard !isIdentity, !clip.isEmpty else { return }
    let n = clip.count
    if let gainDB {
      let db = gainDB.lowerBound + (gainDB.upperBound - gainDB.lowerBound) * generator.nextUniform()
      let g = Float(pow(10, Double(db) / 20))
      for i in 0..<n { clip[i] *= g }
    }
    if maxShift > 0 {
      let shift = Int.random(in: -maxShift...maxShift, using: &generator)
      Self.shift(clip, by: shift, fill: shiftFill)
    }
    if let noise {
      let std: Float
      switch noise {
      case .std(let s):
        std = s
      case .snr(let range):
        let snr = range.lowerBound + (range.upperBound - range.lowerBound) * generator.nextUniform()
        var sum: Float = 0
        for i in 0..<n { sum += clip[i] * clip[i] }
        std = (sum / Float(n)).squareRoot() / Float(pow(10, Double(snr) / 20))
      }
      if std > 0 {
        var i = 0
        while i < n {
          // Box–Muller: two normals from two uniforms, u1 in (0, 1] so the log is finite.
          let u1 = Double((generator.next() >> 11) + 1) * 0x1p-53
          let u2 = Double(generator.next() >> 11) * 0x1p-53
          let r = (-2 * Foundation.log(u1)).squareRoot()
          clip[i] += std * Float(r * cos(2 * Double.pi * u2))
          if i + 1 < n { clip[i + 1] += std * Float(r * sin(2 * Double.pi * u2)) }
          i += 2
        }
      }
    }
    for i in 0..<n { clip[i] = min(max(clip[i], -1), 1) }
  }

  /// Moves samples `by` places later (earlier when negative), filling as `fill` says.
  static func shift(_ clip: UnsafeMutableBufferPointer<Float>, by amount: Int, fill: ShiftFill) {
    let n = clip.count
    guard n > 0, amount % n != 0 || (fill == .zeros && amount != 0) else { return }
    let copy = Array(clip)
    for i in 0..<n {
      let source = i - amount
      switch fill {
      case .circular: clip[i] = copy[((source % n) + n) % n]
      case .zeros: clip[i] = source >= 0 && source < n ? copy[source] : 0
      }
    }
  }
}
