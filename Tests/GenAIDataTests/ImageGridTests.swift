import Foundation
import GenAITensor
import GenAITestSupport
import Testing

@testable import GenAIData

/// Tests of `ImageGrid` (layout, margins, upscaling, value mapping) and `ImageAugmentation`
/// (determinism and the geometry of each transform).

@Suite struct ImageGridTests {
  @Test func layoutMarginsAndUpscaling() throws {
    // 5 grey 2x3 images with values identifying image and pixel.
    var values: [Float] = []
    for i in 0..<5 { for p in 0..<6 { values.append(Float(i * 6 + p) / 29) } }
    let images = try Tensor(shape: [5, 1, 2, 3], values)
    let grid = ImageGrid.make(images, range: .zeroToOne, columns: 2, margin: 1, marginColour: [7], scale: 2)
    // 2 columns x 3 rows of 6x4 cells with 1-pixel margins.
    #expect(grid.width == 2 * 6 + 3 && grid.height == 3 * 4 + 4 && grid.channels == 1)
    for i in 0..<5 {
      let left = 1 + (i % 2) * 7
      let top = 1 + (i / 2) * 5
      for y in 0..<4 {
        for x in 0..<6 {
          let expected = PixelRange.zeroToOne.pixel(of: values[i * 6 + (y / 2) * 3 + x / 2])
          #expect(grid[left + x, top + y, 0] == expected, "image \(i) at \(x),\(y)")
        }
      }
    }
    // Margins and the unused sixth cell are margin colour.
    #expect((0..<grid.width).allSatisfy { grid[$0, 0, 0] == 7 && grid[$0, 5, 0] == 7 })
    #expect((0..<grid.height).allSatisfy { grid[0, $0, 0] == 7 && grid[7, $0, 0] == 7 })
    #expect(grid[8, 11, 0] == 7 && grid[13, 14, 0] == 7)
  }

  @Test func defaultColumnsAndColourAndClamping() throws {
    let images = try Tensor(shape: [5, 3, 1, 1], [-1, 0, 1, 2, -3, 0.5, 0, 0, 0, 0, 0, 0, 0, 0, 0])
    let grid = ImageGrid.make(images, range: .minusOneToOne, margin: 0, marginColour: [1, 2, 3])
    #expect(grid.width == 3 && grid.height == 2 && grid.channels == 3)  // ceil(sqrt(5)) = 3 columns
    #expect(Array(grid.pixels[0..<6]) == [0, 128, 255, 255, 0, 191])
    #expect(Array(grid.pixels[15..<18]) == [1, 2, 3])
  }

  @Test func writesAReadablePNG() throws {
    let folder = try TemporaryFolder.make("image-tests")
    defer { try? FileManager.default.removeItem(at: folder) }
    var rng = SeededGenerator(seed: 5)
    let images = Tensor.randn([16, 1, 28, 28], using: &rng).tanh()
    let url = folder.appendingPathComponent("grid.png")
    try ImageGrid.write(images, to: url, range: .minusOneToOne, scale: 3, text: [PNGText(key: "Source", value: "test")])
    let decoded = try PNGDecoder.read(url)
    #expect(decoded.bitmap == ImageGrid.make(images, range: .minusOneToOne, scale: 3))
    #expect(decoded.bitmap.width == 4 * 84 + 5 * 2)
    #expect(decoded.text.first?.value == "test")
  }
}

@Suite struct ImageAugmentationTests {
  /// A 1-channel 5x4 image with distinct values.
  static let image: [Float] = (0..<20).map { Float($0) / 20 }

  @Test func flipTwiceIsIdentity() {
    var values = Self.image
    values.withUnsafeMutableBufferPointer { ImageTransforms.flipHorizontally($0, channels: 1, height: 4, width: 5) }
    #expect(Array(values[0..<5]) == Array(Self.image[0..<5].reversed()))
    values.withUnsafeMutableBufferPointer { ImageTransforms.flipHorizontally($0, channels: 1, height: 4, width: 5) }
    #expect(values == Self.image)
  }

  @Test func shiftMovesContent() {
    var values = Self.image
    values.withUnsafeMutableBufferPointer {
      ImageTransforms.shift($0, channels: 1, height: 4, width: 5, dx: 2, dy: -1, fill: -1)
    }
    for y in 0..<4 {
      for x in 0..<5 {
        let (sx, sy) = (x - 2, y + 1)
        let expected = sx >= 0 && sy < 4 ? Self.image[sy * 5 + sx] : -1
        #expect(values[y * 5 + x] == expected)
      }
    }
  }

  @Test func rotationTurnsCounterClockwise() {
    // A bright pixel right of centre moves above centre after +90°.
    var values = [Float](repeating: 0, count: 25)
    values[2 * 5 + 4] = 1
    values.withUnsafeMutableBufferPointer {
      ImageTransforms.rotate($0, channels: 1, height: 5, width: 5, degrees: 90, fill: 0)
    }
    #expect(abs(values[0 * 5 + 2] - 1) < 1e-5)
    #expect(abs(values.reduce(0, +) - 1) < 1e-4)
    var same = Self.image
    same.withUnsafeMutableBufferPointer {
      ImageTransforms.rotate($0, channels: 1, height: 4, width: 5, degrees: 0, fill: 0)
    }
    #expect(same == Self.image)
  }

  @Test func sameSeedSameOutputAndOffChangesNothing() throws {
    let images = try Tensor(shape: [3, 1, 4, 5], Self.image + Self.image + Self.image)
    let augmentation = ImageAugmentation(
      maxShift: 1, horizontalFlipProbability: 0.5, maxRotationDegrees: 15, noiseStd: 0.1)
    var a = SeededGenerator(seed: 11)
    var b = SeededGenerator(seed: 11)
    let x = augmentation.applied(to: images, range: .zeroToOne, generator: &a).scalars
    let y = augmentation.applied(to: images, range: .zeroToOne, generator: &b).scalars
    #expect(x == y && x != images.scalars)
    #expect(x.allSatisfy { $0 >= 0 && $0 <= 1 })
    var c = SeededGenerator(seed: 11)
    #expect(ImageAugmentation.none.applied(to: images, range: .zeroToOne, generator: &c).scalars == images.scalars)
    #expect(c == SeededGenerator(seed: 11))  // no draws when off
    #expect(ImageAugmentation().isIdentity && !augmentation.isIdentity)
  }

  @Test func noiseHasTheRequestedSpread() throws {
    let images = Tensor.zeros([1, 1, 64, 64])
    var rng = SeededGenerator(seed: 2)
    let noisy = ImageAugmentation(noiseStd: 0.1).applied(to: images, range: .minusOneToOne, generator: &rng).scalars
    let mean = noisy.reduce(0, +) / Float(noisy.count)
    let std = (noisy.map { ($0 - mean) * ($0 - mean) }.reduce(0, +) / Float(noisy.count)).squareRoot()
    #expect(abs(mean) < 0.01 && abs(std - 0.1) < 0.01)
  }
}
