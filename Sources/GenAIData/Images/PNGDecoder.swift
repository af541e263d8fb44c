import Foundation

/// A PNG decoder in Swift on the system zlib: every colour type (grey, RGB, palette, grey +
/// alpha, RGBA), every bit depth the spec allows (1, 2, 4, 8, 16), all five filters, Adam7
/// interlacing and `tRNS` transparency, with CRC checks on every chunk.
///
/// Output is 8 bits per sample (see `PNGImage.bitmap` for how each kind of file maps to 1–4
/// channels). Malformed input throws a `DataError` naming the file and the problem (the chunk,
/// the field, the expected value); no input makes it crash.
///
/// Leniency, as libpng: data after `IEND`, bytes after the zlib stream in `IDAT` (and a missing
/// Adler-32 or cut-off tail once the image data is complete), extra decompressed bytes and
/// palette indices past the palette (drawn black) are accepted; unknown ancillary chunks are
/// skipped.
///
/// ```swift
/// let image = try PNGDecoder.read(URL(fileURLWithPath: "digit.png")).bitmap   // [H, W, C]
/// ```
public enum PNGDecoder {
  /// The most pixels an image may have (2²⁸, e.g. 16384 x 16384): a header claiming more is
  /// rejected before any memory is allocated for it.
  public static let maxPixels = 1 << 28

  /// Decodes the PNG file at `url`.
  /// - Throws: `DataError` naming the file when it cannot be read or is not a valid PNG.
  public static func read(_ url: URL) throws(DataError) -> PNGImage {
    try decode(try ImageFileIO.read(url), file: url.path)
  }

  /// Decodes the bytes of a PNG file; `file` names it in errors.
  /// - Throws: `DataError` for a wrong signature, a truncated file, a chunk CRC mismatch (naming
  ///   the chunk), an invalid `IHDR` field, a misplaced or malformed `PLTE`/`tRNS`, an unknown
  ///   critical chunk, corrupt or short compressed data, or an invalid filter type.
  public static func decode(_ bytes: [UInt8], file: String = "PNG data") throws(DataError) -> PNGImage {
    let chunks = try PNGChunks.parse(bytes, file: file)
    var header: PNGHeader?
    var palette: [UInt8] = []  // RGB triples
    var transparency: [UInt8]?
    var idat: [UInt8] = []
    var idatState = 0  // 0 none yet, 1 reading, 2 ended
    var text: [PNGText] = []

    for (index, chunk) in chunks.enumerated() {
      let data = bytes[chunk.data]
      if index == 0 && chunk.type != "IHDR" {
        throw DataError(file: file, "PNG chunk \(chunk.type) comes first, expected IHDR")
      }
      if idatState == 1 && chunk.type != "IDAT" { idatState = 2 }
      switch chunk.type {
      case "IHDR":
        guard index == 0 else { throw DataError(file: file, "PNG has a second IHDR chunk") }
        header = try parseHeader(data, file: file)
      case "PLTE":
        guard let h = header, idatState == 0, palette.isEmpty else {
          throw DataError(file: file, "PNG chunk PLTE: misplaced (after IDAT, or repeated)")
        }
        guard h.colourType != .grey && h.colourType != .greyAlpha else {
          throw DataError(file: file, "PNG chunk PLTE: not allowed in a grey image")
        }
        let entries = data.count / 3
        guard data.count % 3 == 0, (1...256).contains(entries) else {
          throw DataError(file: file, "PNG chunk PLTE: length \(data.count) is not 3 x 1...256 entries")
        }
        guard h.colourType != .palette || entries <= 1 << h.bitDepth else {
          throw DataError(
            file: file, "PNG chunk PLTE: \(entries) entries, at most \(1 << h.bitDepth) at bit depth \(h.bitDepth)")
        }
        palette = Array(data)
      case "tRNS":
        guard let h = header, idatState == 0 else { throw DataError(file: file, "PNG chunk tRNS: after IDAT") }
        switch h.colourType {
        case .palette:
          guard !palette.isEmpty, data.count <= palette.count / 3 else {
            throw DataError(
              file: file, "PNG chunk tRNS: \(data.count) alphas for a palette of \(palette.count / 3), or before PLTE")
          }
        case .grey:
          guard data.count == 2 else {
            throw DataError(file: file, "PNG chunk tRNS: length \(data.count), expected 2 for grey")
          }
        case .rgb:
          guard data.count == 6 else {
            throw DataError(file: file, "PNG chunk tRNS: length \(data.count), expected 6 for RGB")
          }
        case .greyAlpha, .rgba:
          continue  // meaningless with an alpha channel; libpng ignores it too
        }
        transparency = Array(data)
      case "IDAT":
        guard idatState != 2 else { throw DataError(file: file, "PNG IDAT chunks are not consecutive") }
        idatState = 1
        idat.append(contentsOf: data)
      case "IEND":
        break
      case "tEXt", "zTXt", "iTXt":
        if let entry = PNGTextChunks.decode(type: chunk.type, data) { text.append(entry) }
      default:
        guard !chunk.isCritical else {
          throw DataError(file: file, "PNG has an unknown critical chunk \(chunk.type), so it cannot be decoded")
        }
      }
    }
    guard let header else { throw DataError(file: file, "PNG has no IHDR chunk") }
    guard header.colourType != .palette || !palette.isEmpty else {
      throw DataError(file: file, "PNG with colour type 3 (palette) has no PLTE chunk")
    }
    guard !idat.isEmpty else { throw DataError(file: file, "PNG has no image data (no IDAT chunk)") }

    var raw = try imageData(idat, header: header, file: file)
    let bitmap = try raw.withUnsafeMutableBufferPointer { (buffer) throws(DataError) -> Bitmap in
      // `imageData` guarantees the buffer holds at least `header.dataSize` bytes.
      guard let base = buffer.baseAddress else { throw DataError(file: file, "PNG image data is empty") }
      return try PNGSamples.decodePasses(base, header: header, palette: palette, transparency: transparency, file: file)
    }
    return PNGImage(bitmap: bitmap, header: header, text: text)
  }

  /// Parses and validates the 13 bytes of `IHDR`.
  private static func parseHeader(_ data: ArraySlice<UInt8>, file: String) throws(DataError) -> PNGHeader {
    guard data.count == 13 else { throw DataError(file: file, "PNG chunk IHDR: length \(data.count), expected 13") }
    let d = Array(data)
    func u32(_ i: Int) -> Int { Int(d[i]) << 24 | Int(d[i + 1]) << 16 | Int(d[i + 2]) << 8 | Int(d[i + 3]) }
    let width = u32(0)
    let height = u32(4)
    guard (1...Int(Int32.max)).contains(width), (1...Int(Int32.max)).contains(height) else {
      throw DataError(file: file, "PNG chunk IHDR: invalid size \(width)x\(height) (each must be 1...2^31-1)")
    }
    guard width * height <= maxPixels else {
      throw DataError(file: file, "PNG chunk IHDR: \(width)x\(height) is larger than the \(maxPixels) pixels supported")
    }
    guard let colourType = PNGHeader.ColourType(rawValue: d[9]) else {
      throw DataError(file: file, "PNG chunk IHDR: invalid colour type \(d[9]) (expected 0, 2, 3, 4 or 6)")
    }
    let bitDepth = Int(d[8])
    guard colourType.allowedBitDepths.contains(bitDepth) else {
      throw DataError(
        file: file,
        "PNG chunk IHDR: bit depth \(bitDepth) is invalid for colour type \(colourType.rawValue) "
          + "(allowed: \(colourType.allowedBitDepths.map(String.init).joined(separator: ", ")))")
    }
    guard d[10] == 0 else { throw DataError(file: file, "PNG chunk IHDR: compression method \(d[10]), expected 0") }
    guard d[11] == 0 else { throw DataError(file: file, "PNG chunk IHDR: filter method \(d[11]), expected 0") }
    guard d[12] <= 1 else { throw DataError(file: file, "PNG chunk IHDR: interlace method \(d[12]), expected 0 or 1") }
    return PNGHeader(width: width, height: height, bitDepth: bitDepth, colourType: colourType, interlaced: d[12] == 1)
  }

  /// The decompressed image data: at least `header.dataSize` bytes (extra bytes are ignored).
  private static func imageData(_ idat: [UInt8], header: PNGHeader, file: String) throws(DataError) -> [UInt8] {
    let expected = header.dataSize
    let data: [UInt8]
    do {
      data = try inflateLeniently(idat, expectedSize: expected)
    } catch {
      throw DataError(file: file, "PNG image data (IDAT) is corrupt: \(error)")
    }
    guard data.count >= expected else {
      throw DataError(
        file: file, "PNG image data (IDAT) too short: \(data.count) bytes decompressed, \(expected) needed")
    }
    return data
  }

  /// Decodes a zlib stream as libpng does.
  ///
  /// Once `expectedSize` bytes are out, a missing Adler-32 or a cut-off tail is tolerated and
  /// bytes after the stream are ignored, but what is present is still checked. Output is bounded
  /// by `expectedSize` plus as much again (at least 64 KiB), so a hostile stream cannot claim
  /// unbounded memory.
  static func inflateLeniently(_ bytes: [UInt8], expectedSize: Int) throws(CompressionError) -> [UInt8] {
    let inflater = try Inflater(bytes, format: .zlib)
    try inflater.decode(upTo: expectedSize)
    let limit = expectedSize + max(expectedSize, 1 << 16)
    do {
      try inflater.decode(upTo: limit + 1)
    } catch {
      guard case .truncated = error, inflater.outputCount >= expectedSize else { throw error }
      return inflater.output
    }
    guard inflater.outputCount <= limit else { throw .outputLimitExceeded(limit: limit) }
    return inflater.output
  }
}
