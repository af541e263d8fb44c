/// The last step of PNG decoding: unfiltering each pass and expanding its stored samples (any
/// bit depth, palette indices, `tRNS` keys) into 8-bit pixels at their places in the image.
enum PNGSamples {
  /// Decodes the decompressed image data at `data` (at least `header.dataSize` bytes; it is
  /// unfiltered in place) into a bitmap.
  /// - Throws: `DataError` for an invalid filter type (naming the pass and row).
  static func decodePasses(
    _ data: UnsafeMutablePointer<UInt8>, header: PNGHeader, palette: [UInt8], transparency: [UInt8]?, file: String
  ) throws(DataError) -> Bitmap {
    let channels = outputChannels(header, hasTransparency: transparency != nil)
    var pixels = [UInt8](repeating: 0, count: header.width * header.height * channels)
    var offset = 0
    let passes = header.passes
    for (number, pass) in passes.enumerated() {
      let rowBytes = header.rowBytes(pass.width)
      if let bad = PNGFilter.unfilter(data + offset, rows: pass.height, rowBytes: rowBytes, stride: header.filterStride)
      {
        let where_ = header.interlaced ? "row \(bad.row) of Adam7 pass \(number + 1)" : "row \(bad.row)"
        throw DataError(file: file, "PNG image data: invalid filter type \(bad.type) on \(where_) (expected 0...4)")
      }
      pixels.withUnsafeMutableBufferPointer { out in
        for j in 0..<pass.height {
          let row = UnsafePointer(data + offset + j * (rowBytes + 1) + 1)
          expandRow(
            row, pass: pass, y: pass.y0 + j * pass.dy, header: header, palette: palette,
            transparency: transparency, into: out, channels: channels)
        }
      }
      offset += pass.height * (rowBytes + 1)
    }
    return Bitmap(width: header.width, height: header.height, channels: channels, pixels: pixels)
  }

  /// Channels of the decoded bitmap: palette → RGB(A), a `tRNS` key adds alpha to grey and RGB.
  static func outputChannels(_ header: PNGHeader, hasTransparency: Bool) -> Int {
    switch header.colourType {
    case .grey: return hasTransparency ? 2 : 1
    case .rgb, .palette: return hasTransparency ? 4 : 3
    case .greyAlpha: return 2
    case .rgba: return 4
    }
  }

  /// Sample `k` of a row at `depth` bits (unscaled).
  @inline(__always) static func sample(_ row: UnsafePointer<UInt8>, _ k: Int, depth: Int) -> Int {
    switch depth {
    case 8: return Int(row[k])
    case 16: return Int(row[2 * k]) << 8 | Int(row[2 * k + 1])
    default:
      let bit = k * depth
      return Int(row[bit >> 3] >> UInt8(8 - depth - (bit & 7))) & ((1 << depth) - 1)
    }
  }

  /// A `depth`-bit sample scaled to 8 bits (16-bit rounded: v·255/65535).
  @inline(__always) static func scaled(_ v: Int, depth: Int) -> UInt8 {
    switch depth {
    case 8: return UInt8(v)
    case 16: return UInt8((v * 255 + 32767) / 65535)
    default: return UInt8(v * 255 / ((1 << depth) - 1))
    }
  }

  /// Writes the pixels of one stored row of `pass` into row `y` of `out`.
  static func expandRow(
    _ row: UnsafePointer<UInt8>, pass: PNGPass, y: Int, header: PNGHeader, palette: [UInt8],
    transparency: [UInt8]?, into out: UnsafeMutableBufferPointer<UInt8>, channels: Int
  ) {
    let depth = header.bitDepth
    let spp = header.colourType.samplesPerPixel
    guard let outBase = out.baseAddress else { return }
    let rowStart = outBase + y * header.width * channels
    // Fast path: 8-bit samples stored exactly as output, row by row.
    if depth == 8 && pass.dx == 1 && header.colourType != .palette && transparency == nil {
      rowStart.update(from: row, count: pass.width * channels)
      return
    }
    // The tRNS colour key, compared before scaling (only the low `depth` bits count).
    var key: [Int] = []
    if let t = transparency, header.colourType != .palette {
      let mask = (1 << depth) - 1
      key = stride(from: 0, to: t.count, by: 2).map { (Int(t[$0]) << 8 | Int(t[$0 + 1])) & mask }
    }
    let entries = palette.count / 3
    for i in 0..<pass.width {
      let dst = rowStart + (pass.x0 + i * pass.dx) * channels
      switch header.colourType {
      case .palette:
        let index = sample(row, i, depth: depth)
        if index < entries {
          dst[0] = palette[3 * index]
          dst[1] = palette[3 * index + 1]
          dst[2] = palette[3 * index + 2]
        }  // else: out of range, drawn black (the buffer is zeroed), as libpng does
        if let t = transparency { dst[3] = index < t.count ? t[index] : 255 }
      case .grey:
        let v = sample(row, i, depth: depth)
        dst[0] = scaled(v, depth: depth)
        if !key.isEmpty { dst[1] = v == key[0] ? 0 : 255 }
      case .rgb:
        let r = sample(row, 3 * i, depth: depth)
        let g = sample(row, 3 * i + 1, depth: depth)
        let b = sample(row, 3 * i + 2, depth: depth)
        dst[0] = scaled(r, depth: depth)
        dst[1] = scaled(g, depth: depth)
        dst[2] = scaled(b, depth: depth)
        if !key.isEmpty { dst[3] = r == key[0] && g == key[1] && b == key[2] ? 0 : 255 }
      case .greyAlpha, .rgba:
        for s in 0..<spp { dst[s] = scaled(sample(row, spp * i + s, depth: depth), depth: depth) }
      }
    }
  }
}
