import Foundation
import GenAITensor

/// Geometric and noise transforms of one planar float image `[C, H, W]`, in place. They are the
/// building blocks of `ImageAugmentation`; pixels that come from outside the image are `fill`.
enum ImageTransforms {
  /// Mirrors the image left to right.
  static func flipHorizontally(_ image: UnsafeMutableBufferPointer<Float>, channels: Int, height: Int, width: Int) {
    for row in 0..<(channels * height) {
      var l = row * width
      var r = l + width - 1
      while l < r {
        image.swapAt(l, r)
        l += 1
        r -= 1
      }
    }
  }

  /// Moves the content `dx` pixels right and `dy` pixels down (negative: left, up); what moves
  /// out is lost and what moves in is `fill`. Equivalent to padding by `|dx|`, `|dy|` and cropping.
  static func shift(
    _ image: UnsafeMutableBufferPointer<Float>, channels: Int, height: Int, width: Int, dx: Int, dy: Int, fill: Float
  ) {
    if dx == 0 && dy == 0 { return }
    let source = Array(image)
    for c in 0..<channels {
      let plane = c * height * width
      for y in 0..<height {
        let sy = y - dy
        for x in 0..<width {
          let sx = x - dx
          image[plane + y * width + x] =
            sy >= 0 && sy < height && sx >= 0 && sx < width ? source[plane + sy * width + sx] : fill
        }
      }
    }
  }

  /// Rotates the content by `degrees` counter-clockwise (as seen, rows running down) about the
  /// image centre, sampling bilinearly; corners brought in from outside are `fill`.
  static func rotate(
    _ image: UnsafeMutableBufferPointer<Float>, channels: Int, height: Int, width: Int, degrees: Float, fill: Float
  ) {
    if degrees == 0 { return }
    let source = Array(image)
    let theta = Double(degrees) * Double.pi / 180
    let cosT = Float(cos(theta))
    let sinT = Float(sin(theta))
    let cx = Float(width - 1) / 2
    let cy = Float(height - 1) / 2
    for y in 0..<height {
      for x in 0..<width {
        // Inverse map: the source of output (u, v) is (u·cos − v·sin, u·sin + v·cos).
        let u = Float(x) - cx
        let v = Float(y) - cy
        let sx = cx + u * cosT - v * sinT
        let sy = cy + u * sinT + v * cosT
        let x0 = Int(sx.rounded(.down))
        let y0 = Int(sy.rounded(.down))
        let wx = sx - Float(x0)
        let wy = sy - Float(y0)
        for c in 0..<channels {
          let plane = c * height * width
          func at(_ px: Int, _ py: Int) -> Float {
            px >= 0 && px < width && py >= 0 && py < height ? source[plane + py * width + px] : fill
          }
          let top = at(x0, y0) * (1 - wx) + at(x0 + 1, y0) * wx
          let bottom = at(x0, y0 + 1) * (1 - wx) + at(x0 + 1, y0 + 1) * wx
          image[plane + y * width + x] = top * (1 - wy) + bottom * wy
        }
      }
    }
  }

  /// Adds N(0, std²) noise to every value, then clamps to `[lower, upper]`.
  static func addNoise(
    _ image: UnsafeMutableBufferPointer<Float>, std: Float, lower: Float, upper: Float,
    generator: inout SeededGenerator
  ) {
    var i = 0
    while i < image.count {
      // Box–Muller: two normals from two uniforms; u1 in (0, 1] keeps the log finite.
      let u1 = Double((generator.next() >> 11) + 1) * 0x1p-53
      let u2 = Double(generator.next() >> 11) * 0x1p-53
      let r = (-2 * log(u1)).squareRoot()
      image[i] = min(max(image[i] + std * Float(r * cos(2 * Double.pi * u2)), lower), upper)
      if i + 1 < image.count {
        image[i + 1] = min(max(image[i + 1] + std * Float(r * sin(2 * Double.pi * u2)), lower), upper)
      }
      i += 2
    }
  }
}
