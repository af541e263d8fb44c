import Foundation

/// Writes 8-bit PNG files: grey, grey + alpha, RGB or RGBA (by the bitmap's channel count),
/// non-interlaced, zlib-compressed, each row filtered with whichever of the five filters makes
/// it smallest by libpng's heuristic, with optional text entries (`tEXt`, or `iTXt` for text
/// that is not Latin-1).
///
/// ```swift
/// try PNGEncoder.write(bitmap, to: url, text: [PNGText(key: "Software", value: "genai")])
/// ```
public enum PNGEncoder {
  /// The bytes of a PNG file holding `bitmap`.
  /// - Parameters:
  ///   - bitmap: the image, `[H, W, C]` with 1 to 4 channels.
  ///   - text: key/value entries written before the image data, in order.
  ///   - level: the zlib compression level.
  /// - Precondition: every text key is valid (`PNGText.isValidKey`).
  public static func encode(_ bitmap: Bitmap, text: [PNGText] = [], level: Zlib.Level = .default) -> [UInt8] {
    let colourType = PNGHeader.ColourType.forChannels(bitmap.channels)
    var ihdr: [UInt8] = []
    PNGChunks.appendUInt32(UInt32(bitmap.width), to: &ihdr)
    PNGChunks.appendUInt32(UInt32(bitmap.height), to: &ihdr)
    ihdr += [8, colourType.rawValue, 0, 0, 0]  // depth, colour type, compression, filter, no interlace

    var out = PNGChunks.signature
    PNGChunks.append("IHDR", ihdr, to: &out)
    for entry in text {
      let chunk = PNGTextChunks.encode(entry)
      PNGChunks.append(chunk.type, chunk.data, to: &out)
    }
    PNGChunks.append("IDAT", Zlib.compress(filtered(bitmap), level: level), to: &out)
    PNGChunks.append("IEND", [], to: &out)
    return out
  }

  /// Writes `bitmap` as a PNG file at `url`, atomically (a temporary file renamed into place).
  /// - Throws: `DataError` naming the file when it cannot be written.
  /// - Precondition: every text key is valid (`PNGText.isValidKey`).
  public static func write(
    _ bitmap: Bitmap, to url: URL, text: [PNGText] = [], level: Zlib.Level = .default
  ) throws(DataError) {
    try ImageFileIO.writeAtomically(encode(bitmap, text: text, level: level), to: url)
  }

  /// The image data before compression: each row as a filter-type byte and the filtered row,
  /// using the filter whose output has the smallest sum of absolute signed bytes.
  static func filtered(_ bitmap: Bitmap) -> [UInt8] {
    let rowBytes = bitmap.width * bitmap.channels
    let stride = bitmap.channels
    var out = [UInt8](repeating: 0, count: bitmap.height * (rowBytes + 1))
    var candidate = [UInt8](repeating: 0, count: rowBytes)
    bitmap.pixels.withUnsafeBufferPointer { src in
      out.withUnsafeMutableBufferPointer { dst in
        candidate.withUnsafeMutableBufferPointer { trial in
          guard let s = src.baseAddress, let d = dst.baseAddress, let t = trial.baseAddress else { return }
          for y in 0..<bitmap.height {
            let row = s + y * rowBytes
            let above = y > 0 ? UnsafePointer(row - rowBytes) : nil
            let target = d + y * (rowBytes + 1)
            var best = Int.max
            for filter in PNGFilter.allCases {
              filter.apply(row, above: above, count: rowBytes, stride: stride, into: t)
              let cost = PNGFilter.cost(t, count: rowBytes)
              if cost < best {
                best = cost
                target[0] = filter.rawValue
                (target + 1).update(from: t, count: rowBytes)
              }
            }
          }
        }
      }
    }
    return out
  }
}
