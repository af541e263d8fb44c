/// Channel and size conversions of `Bitmap`, used to bring a folder of mixed images to one
/// format.
extension Bitmap {
  /// This image with `target` channels (1 grey, 2 grey + alpha, 3 RGB, 4 RGBA).
  ///
  /// Colour to grey uses the ITU-R BT.601 luma weights (0.299, 0.587, 0.114), as PIL's `"L"`
  /// does. Dropping alpha composites over `background` (default black, the background of the
  /// MNIST family); adding alpha makes every pixel opaque.
  /// - Precondition: `target` is 1...4.
  public func converted(toChannels target: Int, background: UInt8 = 0) -> Bitmap {
    precondition((1...4).contains(target), "[Bitmap.converted] channels must be 1...4, got \(target)")
    if target == channels { return self }
    let n = width * height
    let source = channels
    var out = [UInt8](repeating: 0, count: n * target)
    pixels.withUnsafeBufferPointer { src in
      out.withUnsafeMutableBufferPointer { dst in
        for i in 0..<n {
          let p = i * source
          var r: Int
          var g: Int
          var b: Int
          if source <= 2 {
            r = Int(src[p])
            g = r
            b = r
          } else {
            r = Int(src[p])
            g = Int(src[p + 1])
            b = Int(src[p + 2])
          }
          let alpha = source == 2 || source == 4 ? Int(src[p + source - 1]) : 255
          if target == 1 || target == 3, alpha != 255 {
            // Straight alpha over the background: c·a + bg·(1 − a), rounded.
            let bg = Int(background) * (255 - alpha)
            r = (r * alpha + bg + 127) / 255
            g = (g * alpha + bg + 127) / 255
            b = (b * alpha + bg + 127) / 255
          }
          let q = i * target
          switch target {
          case 1, 2:
            let grey = source <= 2 ? r : (299 * r + 587 * g + 114 * b + 500) / 1000
            dst[q] = UInt8(grey)
            if target == 2 { dst[q + 1] = UInt8(alpha) }
          default:
            dst[q] = UInt8(r)
            dst[q + 1] = UInt8(g)
            dst[q + 2] = UInt8(b)
            if target == 4 { dst[q + 3] = UInt8(alpha) }
          }
        }
      }
    }
    return Bitmap(width: width, height: height, channels: target, pixels: out)
  }

  /// This image resampled to `newWidth` x `newHeight` by bilinear interpolation (pixel centres
  /// aligned, as PIL and OpenCV do). When shrinking by more than 2x, the image is first averaged
  /// over whole-pixel boxes so that detail is not aliased away.
  /// - Precondition: both sizes are positive.
  public func resized(width newWidth: Int, height newHeight: Int) -> Bitmap {
    precondition(newWidth > 0 && newHeight > 0, "[Bitmap.resized] size must be positive")
    if newWidth == width && newHeight == height { return self }
    let boxX = max(1, width / (2 * newWidth))
    let boxY = max(1, height / (2 * newHeight))
    if boxX > 1 || boxY > 1 { return boxAveraged(boxX, boxY).resized(width: newWidth, height: newHeight) }
    var out = [UInt8](repeating: 0, count: newWidth * newHeight * channels)
    let sx = Float(width) / Float(newWidth)
    let sy = Float(height) / Float(newHeight)
    for y in 0..<newHeight {
      let fy = min(max((Float(y) + 0.5) * sy - 0.5, 0), Float(height - 1))
      let y0 = Int(fy)
      let y1 = min(y0 + 1, height - 1)
      let wy = fy - Float(y0)
      for x in 0..<newWidth {
        let fx = min(max((Float(x) + 0.5) * sx - 0.5, 0), Float(width - 1))
        let x0 = Int(fx)
        let x1 = min(x0 + 1, width - 1)
        let wx = fx - Float(x0)
        for c in 0..<channels {
          let top = Float(self[x0, y0, c]) * (1 - wx) + Float(self[x1, y0, c]) * wx
          let bottom = Float(self[x0, y1, c]) * (1 - wx) + Float(self[x1, y1, c]) * wx
          out[(y * newWidth + x) * channels + c] = UInt8((top * (1 - wy) + bottom * wy).rounded())
        }
      }
    }
    return Bitmap(width: newWidth, height: newHeight, channels: channels, pixels: out)
  }

  /// The mean of each `bx` x `by` box (the last row and column of boxes may be partial).
  private func boxAveraged(_ bx: Int, _ by: Int) -> Bitmap {
    let w = (width + bx - 1) / bx
    let h = (height + by - 1) / by
    var out = [UInt8](repeating: 0, count: w * h * channels)
    for y in 0..<h {
      for x in 0..<w {
        for c in 0..<channels {
          var sum = 0
          var n = 0
          for yy in (y * by)..<min(height, (y + 1) * by) {
            for xx in (x * bx)..<min(width, (x + 1) * bx) {
              sum += Int(self[xx, yy, c])
              n += 1
            }
          }
          out[(y * w + x) * channels + c] = UInt8((sum + n / 2) / n)
        }
      }
    }
    return Bitmap(width: w, height: h, channels: channels, pixels: out)
  }
}
