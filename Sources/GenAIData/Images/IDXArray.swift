/// One array read from an IDX file (the MNIST family's format): its element type, its shape and
/// its payload exactly as stored (row-major, big-endian elements).
///
/// Images of MNIST / Fashion-MNIST are `.uint8` with shape `[N, 28, 28]`; labels are `.uint8`
/// with shape `[N]`. `bytes` is the payload itself, so 8-bit data needs no conversion.
public struct IDXArray: Sendable, Equatable {
  /// The element types an IDX file can declare in the third byte of its magic number.
  public enum ElementType: UInt8, Sendable, CaseIterable, CustomStringConvertible {
    /// `0x08`: unsigned byte.
    case uint8 = 0x08
    /// `0x09`: signed byte.
    case int8 = 0x09
    /// `0x0B`: big-endian signed 16-bit integer.
    case int16 = 0x0B
    /// `0x0C`: big-endian signed 32-bit integer.
    case int32 = 0x0C
    /// `0x0D`: big-endian IEEE 754 single-precision float.
    case float32 = 0x0D
    /// `0x0E`: big-endian IEEE 754 double-precision float.
    case float64 = 0x0E

    /// Bytes per element.
    public var byteWidth: Int {
      switch self {
      case .uint8, .int8: return 1
      case .int16: return 2
      case .int32, .float32: return 4
      case .float64: return 8
      }
    }

    /// Whether elements are integers (as opposed to floating point).
    public var isInteger: Bool { self != .float32 && self != .float64 }

    /// A short name, e.g. `"unsigned bytes"`.
    public var description: String {
      switch self {
      case .uint8: return "unsigned bytes"
      case .int8: return "signed bytes"
      case .int16: return "16-bit integers"
      case .int32: return "32-bit integers"
      case .float32: return "32-bit floats"
      case .float64: return "64-bit floats"
      }
    }
  }

  /// The element type.
  public let type: ElementType
  /// Sizes of each axis, e.g. `[N, H, W]` for images, `[N]` for labels.
  public let shape: [Int]
  /// The payload as stored: `count * type.byteWidth` bytes, elements big-endian, row-major.
  public let bytes: [UInt8]

  /// An array of `type` and `shape` over `bytes` (stored big-endian, row-major).
  /// - Precondition: `bytes.count == shape.reduce(1, *) * type.byteWidth`.
  public init(type: ElementType, shape: [Int], bytes: [UInt8]) {
    precondition(
      shape.allSatisfy { $0 >= 0 } && bytes.count == shape.reduce(1, *) * type.byteWidth,
      "[IDXArray] shape \(shape) of \(type) needs \(shape.reduce(1, *) * type.byteWidth) bytes, got \(bytes.count)")
    self.type = type
    self.shape = shape
    self.bytes = bytes
  }

  /// Number of elements (the product of `shape`).
  public var count: Int { bytes.count / type.byteWidth }

  /// The magic number a file holding this array starts with: `0x0000TTDD` (type, rank).
  public var magic: UInt32 { IDX.magic(type, rank: shape.count) }

  /// Every element as a `Float` (64-bit floats and large integers are rounded), shape `shape`.
  public func floats() -> [Float] {
    bytes.withUnsafeBytes { raw in
      [Float](unsafeUninitializedCapacity: count) { out, initialized in
        let n = count
        switch type {
        case .uint8: for i in 0..<n { out[i] = Float(raw[i]) }
        case .int8: for i in 0..<n { out[i] = Float(Int8(bitPattern: raw[i])) }
        case .int16:
          for i in 0..<n { out[i] = Float(Int16(bigEndian: raw.loadUnaligned(fromByteOffset: 2 * i, as: Int16.self))) }
        case .int32:
          for i in 0..<n { out[i] = Float(Int32(bigEndian: raw.loadUnaligned(fromByteOffset: 4 * i, as: Int32.self))) }
        case .float32:
          for i in 0..<n {
            out[i] = Float(bitPattern: UInt32(bigEndian: raw.loadUnaligned(fromByteOffset: 4 * i, as: UInt32.self)))
          }
        case .float64:
          for i in 0..<n {
            out[i] = Float(
              Double(bitPattern: UInt64(bigEndian: raw.loadUnaligned(fromByteOffset: 8 * i, as: UInt64.self))))
          }
        }
        initialized = n
      }
    }
  }

  /// Every element as an `Int`, or `nil` for the floating-point types.
  public func integers() -> [Int]? {
    guard type.isInteger else { return nil }
    return bytes.withUnsafeBytes { raw in
      [Int](unsafeUninitializedCapacity: count) { out, initialized in
        let n = count
        switch type {
        case .uint8: for i in 0..<n { out[i] = Int(raw[i]) }
        case .int8: for i in 0..<n { out[i] = Int(Int8(bitPattern: raw[i])) }
        case .int16:
          for i in 0..<n { out[i] = Int(Int16(bigEndian: raw.loadUnaligned(fromByteOffset: 2 * i, as: Int16.self))) }
        case .int32:
          for i in 0..<n { out[i] = Int(Int32(bigEndian: raw.loadUnaligned(fromByteOffset: 4 * i, as: Int32.self))) }
        case .float32, .float64: break
        }
        initialized = n
      }
    }
  }
}
