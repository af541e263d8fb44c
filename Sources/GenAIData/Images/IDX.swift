import Foundation

/// Reads and writes IDX files, the format of MNIST, Fashion-MNIST, EMNIST and KMNIST, raw or
/// gzip-compressed (detected by the gzip magic `1f 8b`, not the file name).
///
/// Layout (all integers big-endian): a magic number `0x0000TTDD` (two zero bytes, element type
/// `TT`, rank `DD`), then `DD` 32-bit sizes, then the elements in row-major order. The payload
/// must be exactly as long as the sizes say; a short or long file is reported, never padded.
///
/// ```swift
/// let images = try IDX.read(url, expecting: (.uint8, rank: 3))   // shape [N, 28, 28]
/// ```
public enum IDX {
  /// The most axes a file may declare. Real files have 1 to 4; a larger rank means a corrupt
  /// header, and refusing it early keeps the error about the header rather than the payload.
  public static let maxRank = 16

  /// The magic number of an array of `type` with `rank` axes: `0x0000TTDD`.
  public static func magic(_ type: IDXArray.ElementType, rank: Int) -> UInt32 {
    UInt32(type.rawValue) << 8 | UInt32(truncatingIfNeeded: rank)
  }

  /// Reads the IDX file at `url`, decompressing it first if it is gzip.
  ///
  /// - Parameters:
  ///   - url: the file, e.g. `t10k-images-idx3-ubyte.gz`.
  ///   - expected: the element type and rank the caller needs; a file declaring anything else
  ///     is rejected with both magic numbers in the message. `nil` accepts any valid header.
  /// - Returns: the array, shape as declared by the header.
  /// - Throws: `DataError` naming the file when it cannot be read, its gzip data is truncated
  ///   or corrupt, the magic is wrong, the header declares too many axes, or the payload length
  ///   differs from the header's sizes (expected and actual bytes given).
  public static func read(
    _ url: URL, expecting expected: (type: IDXArray.ElementType, rank: Int)? = nil
  ) throws(DataError) -> IDXArray {
    let bytes = try ImageFileIO.read(url)
    return try parse(bytes, file: url.path, expecting: expected)
  }

  /// Parses the bytes of an IDX file (raw or gzip); `file` names it in errors.
  /// - Throws: `DataError` as `read(_:expecting:)` does.
  public static func parse(
    _ fileBytes: [UInt8], file: String, expecting expected: (type: IDXArray.ElementType, rank: Int)? = nil
  ) throws(DataError) -> IDXArray {
    var bytes = fileBytes
    var complete = true
    if bytes.count >= 2 && bytes[0] == 0x1F && bytes[1] == 0x8B {
      do {
        (bytes, complete) = try gunzip(fileBytes, expected: expected)
      } catch {
        if case .truncated = error {
          throw DataError(file: file, "truncated gzip data (\(fileBytes.count) bytes): \(error)")
        }
        throw DataError(file: file, "corrupt gzip data: \(error)")
      }
    }
    return try bytes.withUnsafeBufferPointer { (buffer) throws(DataError) -> IDXArray in
      let raw = UnsafeRawBufferPointer(buffer)
      let header = try parseHeader(raw, file: file, expected: expected)
      let actualBytes = raw.count - header.size
      guard actualBytes == header.payloadBytes else {
        let kind = actualBytes < header.payloadBytes ? "truncated" : "too long"
        throw DataError(
          file: file,
          "IDX payload \(kind): shape \(header.shape) of \(header.type) needs \(header.payloadBytes) bytes after the "
            + "\(header.size)-byte header, found \(complete ? "" : "at least ")\(actualBytes)")
      }
      let payload = [UInt8](UnsafeRawBufferPointer(rebasing: raw[header.size...]))
      return IDXArray(type: header.type, shape: header.shape, bytes: payload)
    }
  }

  /// A gzip'd IDX file's contents, decoded only as far as its header declares plus one byte (so a
  /// longer payload is still reported as too long): a corrupt or hostile stream cannot claim more
  /// memory than a genuine file of the shape in its header.
  /// - Returns: the bytes, and whether they are the whole stream (`false` when it holds more).
  private static func gunzip(
    _ bytes: [UInt8], expected: (type: IDXArray.ElementType, rank: Int)?
  ) throws(CompressionError) -> (bytes: [UInt8], complete: Bool) {
    let inflater = try Inflater(bytes, format: .gzip)
    try inflater.decode(upTo: 4 + 4 * maxRank)  // the longest header
    let header = try? inflater.output.withUnsafeBufferPointer { (buffer) throws(DataError) -> Header in
      try parseHeader(UnsafeRawBufferPointer(buffer), file: "", expected: expected)
    }
    // An invalid header: these bytes are enough for `parse` to say what is wrong with it.
    guard let header else { return (inflater.output, true) }
    let bound = header.size + header.payloadBytes + 1
    try inflater.decode(upTo: bound)
    // Unfinished, the output holds at least `bound` bytes (more if the header read went past it).
    return inflater.isFinished ? (inflater.output, true) : (Array(inflater.output.prefix(bound)), false)
  }

  /// What an IDX header declares.
  private struct Header {
    var type: IDXArray.ElementType
    var shape: [Int]
    /// The header's own length: 4 + 4 · rank bytes.
    var size: Int
    /// The payload length the shape and element type need.
    var payloadBytes: Int
  }

  /// Validates the header at the start of the decompressed bytes `raw`.
  private static func parseHeader(
    _ raw: UnsafeRawBufferPointer, file: String, expected: (type: IDXArray.ElementType, rank: Int)?
  ) throws(DataError) -> Header {
    let expectedText =
      expected.map { e in
        ", expected \(hex(magic(e.type, rank: e.rank))) (\(e.type), \(dimensions(e.rank)))"
      } ?? ""
    guard raw.count >= 4 else {
      throw DataError(file: file, "too short for an IDX header: \(raw.count) bytes, need at least 4")
    }
    let found = UInt32(bigEndian: raw.loadUnaligned(as: UInt32.self))
    guard found >> 16 == 0, let type = IDXArray.ElementType(rawValue: UInt8(found >> 8 & 0xFF)) else {
      let need =
        expectedText.isEmpty ? ", expected 0x0000TTDD (TT an element type 08, 09, 0b, 0c, 0d, 0e)" : expectedText
      throw DataError(file: file, "bad IDX magic \(hex(found))\(need)")
    }
    let rank = Int(found & 0xFF)
    if let e = expected, e.type != type || e.rank != rank {
      throw DataError(file: file, "bad IDX magic \(hex(found)) (\(type), \(dimensions(rank)))\(expectedText)")
    }
    guard rank <= maxRank else {
      throw DataError(file: file, "IDX header declares \(rank) dimensions, more than the \(maxRank) supported")
    }
    let headerSize = 4 + 4 * rank
    guard raw.count >= headerSize else {
      throw DataError(
        file: file, "truncated IDX header: \(rank) dimensions need \(headerSize) bytes, the file has \(raw.count)")
    }
    var shape: [Int] = []
    var elements = 1
    for axis in 0..<rank {
      let size = Int(UInt32(bigEndian: raw.loadUnaligned(fromByteOffset: 4 + 4 * axis, as: UInt32.self)))
      shape.append(size)
      let (product, overflow) = elements.multipliedReportingOverflow(by: size)
      guard !overflow, product <= Int(Int32.max) * 8 else {
        throw DataError(file: file, "IDX sizes \(shape) describe an impossibly large array")
      }
      elements = product
    }
    return Header(type: type, shape: shape, size: headerSize, payloadBytes: elements * type.byteWidth)
  }

  /// The bytes of an IDX file holding `array` (uncompressed; wrap in `Gzip.compress` for `.gz`).
  /// - Precondition: every size fits in 32 bits and the rank is at most `maxRank`.
  public static func encode(_ array: IDXArray) -> [UInt8] {
    precondition(array.shape.count <= maxRank && array.shape.allSatisfy { $0 <= Int(UInt32.max) })
    var out: [UInt8] = []
    out.reserveCapacity(4 + 4 * array.shape.count + array.bytes.count)
    appendBigEndian(array.magic, to: &out)
    for size in array.shape { appendBigEndian(UInt32(size), to: &out) }
    out.append(contentsOf: array.bytes)
    return out
  }

  /// `"1 dimension"`, `"3 dimensions"`.
  private static func dimensions(_ rank: Int) -> String { rank == 1 ? "1 dimension" : "\(rank) dimensions" }

  /// `0x` and eight hex digits.
  static func hex(_ value: UInt32) -> String {
    let digits = String(value, radix: 16)
    return "0x" + String(repeating: "0", count: max(0, 8 - digits.count)) + digits
  }

  /// Appends `value` as four big-endian bytes.
  private static func appendBigEndian(_ value: UInt32, to out: inout [UInt8]) {
    out.append(contentsOf: [
      UInt8(value >> 24), UInt8(value >> 16 & 0xFF), UInt8(value >> 8 & 0xFF), UInt8(value & 0xFF),
    ])
  }
}
