/// The image header of a PNG file (its `IHDR` chunk): size, colour type, bit depth, interlacing.
public struct PNGHeader: Sendable, Equatable {
  /// How pixels are stored (PNG spec §11.2.2).
  public enum ColourType: UInt8, Sendable, CaseIterable {
    /// 0: one grey sample; bit depths 1, 2, 4, 8, 16.
    case grey = 0
    /// 2: red, green, blue; bit depths 8, 16.
    case rgb = 2
    /// 3: one palette index; bit depths 1, 2, 4, 8.
    case palette = 3
    /// 4: grey and alpha; bit depths 8, 16.
    case greyAlpha = 4
    /// 6: red, green, blue and alpha; bit depths 8, 16.
    case rgba = 6

    /// Samples per stored pixel.
    public var samplesPerPixel: Int {
      switch self {
      case .grey, .palette: return 1
      case .greyAlpha: return 2
      case .rgb: return 3
      case .rgba: return 4
      }
    }

    /// The bit depths the spec allows for this colour type.
    public var allowedBitDepths: [Int] {
      switch self {
      case .grey: return [1, 2, 4, 8, 16]
      case .palette: return [1, 2, 4, 8]
      case .rgb, .greyAlpha, .rgba: return [8, 16]
      }
    }

    /// The colour type that stores `channels` 8-bit samples (1 grey ... 4 RGBA).
    public static func forChannels(_ channels: Int) -> ColourType {
      switch channels {
      case 1: return .grey
      case 2: return .greyAlpha
      case 3: return .rgb
      default: return .rgba
      }
    }
  }

  /// Pixels per row, 1 ... 2³¹ − 1.
  public var width: Int
  /// Rows, 1 ... 2³¹ − 1.
  public var height: Int
  /// Bits per sample (per palette index for `.palette`).
  public var bitDepth: Int
  /// How pixels are stored.
  public var colourType: ColourType
  /// Whether the image data is Adam7-interlaced (seven passes) rather than row by row.
  public var interlaced: Bool

  /// A header; validity is checked by `PNGDecoder` when reading, not here.
  public init(width: Int, height: Int, bitDepth: Int, colourType: ColourType, interlaced: Bool) {
    self.width = width
    self.height = height
    self.bitDepth = bitDepth
    self.colourType = colourType
    self.interlaced = interlaced
  }

  /// Bits per stored pixel.
  public var bitsPerPixel: Int { bitDepth * colourType.samplesPerPixel }

  /// The filter's byte distance to "the pixel to the left": bytes per pixel, at least 1.
  var filterStride: Int { max(1, bitsPerPixel / 8) }

  /// Bytes of one stored row of `pixels` pixels, without its filter-type byte.
  func rowBytes(_ pixels: Int) -> Int { (pixels * bitsPerPixel + 7) / 8 }

  /// The passes the image data is stored in: one full-size pass, or Adam7's seven (empty passes
  /// of a small image are left out, as they hold no bytes, not even filter bytes).
  var passes: [PNGPass] {
    guard interlaced else { return [PNGPass(x0: 0, y0: 0, dx: 1, dy: 1, width: width, height: height)] }
    return PNGPass.adam7.compactMap { p in
      let w = (width - p.x0 + p.dx - 1) / p.dx
      let h = (height - p.y0 + p.dy - 1) / p.dy
      return w > 0 && h > 0 ? PNGPass(x0: p.x0, y0: p.y0, dx: p.dx, dy: p.dy, width: w, height: h) : nil
    }
  }

  /// The size of the decompressed image data: every pass's rows, each with its filter byte.
  var dataSize: Int { passes.reduce(0) { $0 + $1.height * (1 + rowBytes($1.width)) } }
}

/// One pass of the image data: pixel `(i, j)` of the pass is pixel `(x0 + i·dx, y0 + j·dy)` of the
/// image.
struct PNGPass: Equatable {
  /// First column.
  var x0: Int
  /// First row.
  var y0: Int
  /// Column step.
  var dx: Int
  /// Row step.
  var dy: Int
  /// Pixels per row in this pass.
  var width: Int
  /// Rows in this pass.
  var height: Int

  /// Adam7's seven passes over an 8x8 tile (sizes are filled in per image).
  static let adam7: [PNGPass] = [
    (0, 0, 8, 8), (4, 0, 8, 8), (0, 4, 4, 8), (2, 0, 4, 4), (0, 2, 2, 4), (1, 0, 2, 2), (0, 1, 1, 2),
  ].map { PNGPass(x0: $0.0, y0: $0.1, dx: $0.2, dy: $0.3, width: 0, height: 0) }
}

/// A textual key/value pair stored in a PNG (`tEXt`, `zTXt` or `iTXt` chunk), e.g.
/// `Software: genai`.
public struct PNGText: Sendable, Equatable {
  /// The keyword: 1 to 79 Latin-1 characters, no leading, trailing or double spaces.
  public var key: String
  /// The text (any Unicode; written as `tEXt` when it is Latin-1, else as UTF-8 `iTXt`).
  public var value: String

  /// A key/value pair.
  public init(key: String, value: String) {
    self.key = key
    self.value = value
  }

  /// Whether `key` is a valid PNG keyword (1...79 printable Latin-1 characters, no leading,
  /// trailing or consecutive spaces).
  public static func isValidKey(_ key: String) -> Bool {
    let scalars = Array(key.unicodeScalars)
    guard (1...79).contains(scalars.count), scalars.first != " ", scalars.last != " " else { return false }
    for (i, s) in scalars.enumerated() {
      guard (32...126).contains(s.value) || (161...255).contains(s.value) else { return false }
      if s == " " && i > 0 && scalars[i - 1] == " " { return false }
    }
    return true
  }
}

/// A decoded PNG: its pixels in 8-bit channels, its header as stored, and its text chunks.
public struct PNGImage: Sendable, Equatable {
  /// The pixels, 8 bits per sample: grey (1), grey + alpha (2), RGB (3) or RGBA (4) channels.
  /// Palette images become RGB, or RGBA when they have a `tRNS` chunk; grey and RGB images with
  /// a `tRNS` colour key gain an alpha channel; 16-bit samples are scaled to 8 bits (rounded).
  public var bitmap: Bitmap
  /// The header as stored in the file (bit depth, colour type, interlacing).
  public var header: PNGHeader
  /// The `tEXt`, `zTXt` and `iTXt` entries, in file order.
  public var text: [PNGText]

  /// A decoded image.
  public init(bitmap: Bitmap, header: PNGHeader, text: [PNGText] = []) {
    self.bitmap = bitmap
    self.header = header
    self.text = text
  }
}
