import Foundation
import GenAITensor

/// A built-in image set drawn on the fly: white anti-aliased shapes on black, 28x28 grey, so the
/// image recipes can run on a fresh machine with nothing downloaded.
///
/// Each image shows one shape of a class (below) at a random centre, size and rotation, with a
/// random stroke brightness. Everything is a pure function of `seed`, so the same set comes back
/// on every machine.
///
/// | label | class     | drawn as                                    |
/// |-------|-----------|---------------------------------------------|
/// | 0     | circle    | a filled disc                               |
/// | 1     | square    | a filled, rotated square                    |
/// | 2     | triangle  | a filled, rotated equilateral triangle      |
/// | 3     | ring      | an annulus                                  |
/// | 4     | cross     | two crossing bars, rotated                  |
public enum ProceduralShapes {
  /// The class names, indexed by label.
  public static let classNames = ["circle", "square", "triangle", "ring", "cross"]
  /// Image side in pixels.
  public static let size = 28

  /// `count` images `[count, 1, 28, 28]` with random classes, in `range`, all drawn up front.
  /// - Precondition: `count > 0`.
  public static func imageSet(count: Int, seed: UInt64 = 0, range: PixelRange = .minusOneToOne) -> ImageSet {
    let source = Source(count: count, seed: seed, range: range)
    var pixels = [UInt8](repeating: 0, count: count * size * size)
    var labels = [Int](repeating: 0, count: count)
    for i in 0..<count {
      let (label, image) = source.item(i)
      labels[i] = label
      pixels.replaceSubrange((i * size * size)..<((i + 1) * size * size), with: image)
    }
    var report = CleaningReport()
    report.kept = count
    return ImageSet(
      pixels: pixels, count: count, channels: 1, height: size, width: size, labels: labels,
      classNames: classNames, range: range, report: report)
  }

  /// The shapes as a batch source that draws each image when a batch asks for it (item `i` is
  /// a pure function of `(seed, i)`), so a large set costs nothing up front.
  public struct Source: BatchSource {
    /// Number of items.
    public let count: Int
    /// The seed items derive from.
    public let seed: UInt64
    /// The range pixels map to.
    public let range: PixelRange

    /// `count` shapes from `seed`.
    /// - Precondition: `count > 0`.
    public init(count: Int, seed: UInt64 = 0, range: PixelRange = .minusOneToOne) {
      precondition(count > 0, "[ProceduralShapes] count must be positive, got \(count)")
      self.count = count
      self.seed = seed
      self.range = range
    }

    /// Item `index`: its label and its 28x28 bytes.
    public func item(_ index: Int) -> (label: Int, pixels: [UInt8]) {
      var generator = SeededGenerator(seed: seed &* 0x9E37_79B9_7F4A_7C15 &+ UInt64(index))
      let label = Int.random(in: 0..<classNames.count, using: &generator)
      return (label, draw(label: label, using: &generator))
    }

    /// Images `[B, 1, 28, 28]` and labels `[B]` (no augmentation; `generator` is not used).
    public func makeBatch(indices: [Int], generator: inout SeededGenerator) -> Batch {
      let per = size * size
      let inputs = Tensor.zeros([indices.count, 1, size, size])
      var labels: [Int] = []
      inputs.withUnsafeMutableBufferPointer { out in
        for (b, index) in indices.enumerated() {
          precondition(index >= 0 && index < count, "[ProceduralShapes] index \(index) out of 0..<\(count)")
          let (label, pixels) = item(index)
          labels.append(label)
          for k in 0..<per { out[b * per + k] = range.value(of: pixels[k]) }
        }
      }
      return Batch(inputs: inputs, labels: IndexTensor(labels))
    }
  }

  /// One 28x28 image (row-major bytes) of class `label`.
  /// - Precondition: `label` is in `0..<classNames.count`.
  public static func draw(label: Int, using generator: inout SeededGenerator) -> [UInt8] {
    precondition(classNames.indices.contains(label), "[ProceduralShapes] label \(label) out of range")
    let radius = Double.random(in: 6...10, using: &generator)
    let cx = Double.random(in: (radius + 2)...(Double(size) - radius - 2), using: &generator)
    let cy = Double.random(in: (radius + 2)...(Double(size) - radius - 2), using: &generator)
    let angle = Double.random(in: 0..<(2 * .pi), using: &generator)
    let brightness = Double.random(in: 0.7...1, using: &generator)
    let inside = shapeTest(label: label, radius: radius, angle: angle)
    // 4x4 supersampling per pixel gives anti-aliased edges.
    let sub = 4
    var out = [UInt8](repeating: 0, count: size * size)
    for y in 0..<size {
      for x in 0..<size {
        var hits = 0
        for sy in 0..<sub {
          for sx in 0..<sub {
            let px = Double(x) + (Double(sx) + 0.5) / Double(sub) - cx
            let py = Double(y) + (Double(sy) + 0.5) / Double(sub) - cy
            if inside(px, py) { hits += 1 }
          }
        }
        out[y * size + x] = UInt8((brightness * 255 * Double(hits) / Double(sub * sub)).rounded())
      }
    }
    return out
  }

  /// Whether a point relative to the centre is inside the shape.
  private static func shapeTest(label: Int, radius r: Double, angle: Double) -> (Double, Double) -> Bool {
    let (c, s) = (cos(angle), sin(angle))
    // Coordinates in the shape's own, rotated frame.
    func rotated(_ x: Double, _ y: Double) -> (Double, Double) { (c * x + s * y, -s * x + c * y) }
    switch label {
    case 0:
      return { x, y in x * x + y * y <= r * r }
    case 1:
      let half = r * 0.75
      return { x, y in
        let (u, v) = rotated(x, y)
        return abs(u) <= half && abs(v) <= half
      }
    case 2:
      // An equilateral triangle inscribed in the circle of radius r: inside all three edges.
      let normals = (0..<3).map { k -> (Double, Double) in
        let a = angle + Double(k) * 2 * .pi / 3
        return (cos(a), sin(a))
      }
      return { x, y in normals.allSatisfy { n in n.0 * x + n.1 * y <= r / 2 } }
    case 3:
      let inner = r * 0.55
      return { x, y in
        let d = x * x + y * y
        return d <= r * r && d >= inner * inner
      }
    default:
      let half = r * 0.22
      return { x, y in
        let (u, v) = rotated(x, y)
        return (abs(u) <= r && abs(v) <= half) || (abs(v) <= r && abs(u) <= half)
      }
    }
  }
}
