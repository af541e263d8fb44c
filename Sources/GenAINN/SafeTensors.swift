import Foundation
import GenAITensor

#if canImport(Glibc)
  import Glibc
#elseif canImport(Musl)
  import Musl
#elseif canImport(Darwin)
  import Darwin
#endif

/// Reading and writing the safetensors format, the weight format of Hugging Face and PyTorch.
///
/// A file is an 8-byte little-endian header length `N`, then `N` bytes of UTF-8 JSON, then the raw
/// little-endian tensor data:
///
/// ```text
/// {"__metadata__": {"k": "v"}, "fc.weight": {"dtype": "F32", "shape": [4, 3], "data_offsets": [0, 48]}, ...}
/// ```
///
/// Offsets are relative to the start of the data section, and the tensors must cover it exactly,
/// without gaps or overlaps. genai writes `F32` and reads `F32`, `F16`, `BF16`, `F64`, the signed
/// and unsigned integers and `BOOL`, converting each value to `Float` (so checkpoints saved by
/// PyTorch in half precision load; integers beyond 2²⁴ are rounded).
///
/// ```swift
/// try SafeTensors.write(model.stateDict(), metadata: ["epoch": "3"], to: url)
/// let file = try SafeTensors.read(from: url)
/// try model.load(stateDict: file.tensors)
/// ```
///
/// Reading never crashes on a bad file: a truncated, corrupt or foreign file throws a
/// `SafeTensorsError` that names the file and the problem. Writing is atomic: the bytes go to a
/// temporary file in the same directory, which is flushed to disk and then renamed over the
/// target, so an interrupted save leaves the previous file intact.
public enum SafeTensors {
  /// The largest header accepted, as in the reference implementation (100 MB).
  public static let maxHeaderSize = 100_000_000

  /// A tensor's element type as spelled in the header.
  public enum DType: String, CaseIterable, Sendable {
    /// Boolean, one byte (0 or 1).
    case bool = "BOOL"
    /// Unsigned 8-bit integer.
    case u8 = "U8"
    /// Signed 8-bit integer.
    case i8 = "I8"
    /// Signed 16-bit integer.
    case i16 = "I16"
    /// Unsigned 16-bit integer.
    case u16 = "U16"
    /// IEEE half precision.
    case f16 = "F16"
    /// bfloat16: the upper half of a float32.
    case bf16 = "BF16"
    /// Signed 32-bit integer.
    case i32 = "I32"
    /// Unsigned 32-bit integer.
    case u32 = "U32"
    /// IEEE single precision: what genai writes.
    case f32 = "F32"
    /// IEEE double precision.
    case f64 = "F64"
    /// Signed 64-bit integer.
    case i64 = "I64"
    /// Unsigned 64-bit integer.
    case u64 = "U64"

    /// Bytes per element.
    public var size: Int {
      switch self {
      case .bool, .u8, .i8: 1
      case .i16, .u16, .f16, .bf16: 2
      case .i32, .u32, .f32: 4
      case .f64, .i64, .u64: 8
      }
    }
  }

  /// What a safetensors file holds: tensors converted to float32, their stored types, and the
  /// string metadata.
  public struct Contents {
    /// Every tensor by name, as float32.
    public var tensors: [String: Tensor]
    /// The element type each tensor had in the file.
    public var dtypes: [String: DType]
    /// The `__metadata__` strings (empty when the file has none).
    public var metadata: [String: String]
  }

  // MARK: - Writing

  /// Writes `tensors` as `F32` and `metadata` to `url`, atomically.
  ///
  /// Tensors are laid out in name order; the header is padded with spaces to a multiple of 8
  /// bytes, as the reference implementation does. Existing files are replaced only once the new
  /// one is complete and flushed to disk.
  /// - Throws: `SafeTensorsError` when a name is invalid or the file cannot be written.
  public static func write(_ tensors: [String: Tensor], metadata: [String: String] = [:], to url: URL) throws {
    try write(tensors, metadata: metadata, to: url, failureHook: nil)
  }

  /// What the name of `write`'s temporary file carries after the target's name.
  static let temporaryMarker = ".tmp-"

  /// Whether `name` is the name of a temporary file of `write` (`.NAME.tmp-HEX`): one left by a
  /// writer that was killed before it could finish or remove it. Never a complete file.
  public static func isTemporaryFile(_ name: String) -> Bool {
    name.hasPrefix(".") && name.contains(temporaryMarker)
  }

  /// A point in `write` at which a test can inject a failure (to simulate a crash mid-save).
  enum WriteStage: Equatable {
    /// The header has been written to the temporary file.
    case header
    /// The named tensor's bytes have been written to the temporary file.
    case tensor(String)
    /// The temporary file is complete and flushed, just before it is renamed over the target.
    case beforeRename
  }

  /// `write`, calling `failureHook` at each stage with the temporary file's URL; a throwing hook
  /// aborts the write the way a crash would (the temporary file is then removed).
  static func write(
    _ tensors: [String: Tensor], metadata: [String: String], to url: URL,
    failureHook: ((WriteStage, URL) throws -> Void)?
  ) throws {
    let file = url.path
    let names = try orderedNames(tensors, file: file)
    let header = encodeHeader(names: names, tensors: tensors, metadata: metadata)

    let directory = url.deletingLastPathComponent()
    let tempURL = directory.appendingPathComponent(
      ".\(url.lastPathComponent)\(temporaryMarker)\(String(UInt32.random(in: .min ... .max), radix: 16))")
    let fd = open(tempURL.path, O_WRONLY | O_CREAT | O_EXCL | O_TRUNC, 0o644)
    guard fd >= 0 else {
      throw SafeTensorsError(file: file, .unwritable("cannot create \(tempURL.path): \(errnoString())"))
    }
    var closed = false
    var renamed = false
    defer {
      if !closed { close(fd) }
      if !renamed { unlink(tempURL.path) }
    }
    func writeAll(_ bytes: UnsafeRawBufferPointer) throws {
      guard var p = bytes.baseAddress else { return }
      var left = bytes.count
      while left > 0 {
        let n = posixWrite(fd, p, left)
        if n < 0 {
          if errno == EINTR { continue }
          throw SafeTensorsError(file: file, .unwritable("writing \(tempURL.path): \(errnoString())"))
        }
        p += n
        left -= n
      }
    }
    try header.withUnsafeBytes { try writeAll($0) }
    try failureHook?(.header, tempURL)
    for name in names {
      try withLittleEndianBytes(of: tensors[name]!) { try writeAll($0) }
      try failureHook?(.tensor(name), tempURL)
    }
    guard fsync(fd) == 0 else {
      throw SafeTensorsError(file: file, .unwritable("flushing \(tempURL.path): \(errnoString())"))
    }
    closed = true
    guard close(fd) == 0 else {
      throw SafeTensorsError(file: file, .unwritable("closing \(tempURL.path): \(errnoString())"))
    }
    try failureHook?(.beforeRename, tempURL)
    guard rename(tempURL.path, url.path) == 0 else {
      throw SafeTensorsError(file: file, .unwritable("renaming \(tempURL.path) to \(url.path): \(errnoString())"))
    }
    renamed = true
    // Make the rename itself durable; a failure here leaves a complete file, so it is ignored.
    let dirfd = open(directory.path, O_RDONLY)
    if dirfd >= 0 {
      _ = fsync(dirfd)
      close(dirfd)
    }
  }

  /// The complete file as bytes (header and data), for writing elsewhere or hashing.
  /// - Throws: `SafeTensorsError` when a name is invalid.
  public static func encode(_ tensors: [String: Tensor], metadata: [String: String] = [:]) throws -> Data {
    let names = try orderedNames(tensors, file: "<memory>")
    var data = encodeHeader(names: names, tensors: tensors, metadata: metadata)
    for name in names {
      withLittleEndianBytes(of: tensors[name]!) { data.append(contentsOf: $0) }
    }
    return data
  }

  /// The tensor names in the order they are laid out (sorted).
  /// - Throws: `SafeTensorsError` about `file` when a tensor is named `__metadata__`.
  static func orderedNames(_ tensors: [String: Tensor], file: String) throws -> [String] {
    let names = tensors.keys.sorted()
    if names.contains("__metadata__") {
      throw SafeTensorsError(file: file, .invalidName("a tensor cannot be named \"__metadata__\""))
    }
    return names
  }

  /// Calls `body` with the values of `t` as little-endian float32 bytes, as the file stores them.
  static func withLittleEndianBytes(of t: Tensor, _ body: (UnsafeRawBufferPointer) throws -> Void) rethrows {
    try t.withUnsafeBufferPointer { values in
      #if _endian(little)
        try body(UnsafeRawBufferPointer(values))
      #else
        try values.map { $0.bitPattern.littleEndian }.withUnsafeBytes(body)
      #endif
    }
  }

  /// The length prefix and the space-padded JSON header for `names` (in this order).
  static func encodeHeader(names: [String], tensors: [String: Tensor], metadata: [String: String]) -> Data {
    var json = "{"
    var fields: [String] = []
    if !metadata.isEmpty {
      let pairs = metadata.keys.sorted().map { jsonString($0) + ":" + jsonString(metadata[$0]!) }
      fields.append("\"__metadata__\":{" + pairs.joined(separator: ",") + "}")
    }
    var offset = 0
    for name in names {
      let t = tensors[name]!
      let end = offset + t.count * 4
      fields.append(
        jsonString(name) + ":{\"dtype\":\"F32\",\"shape\":[" + t.shape.map(String.init).joined(separator: ",")
          + "],\"data_offsets\":[\(offset),\(end)]}")
      offset = end
    }
    json += fields.joined(separator: ",") + "}"
    var bytes = Array(json.utf8)
    bytes += [UInt8](repeating: 0x20, count: (8 - bytes.count % 8) % 8)
    var data = Data(capacity: 8 + bytes.count + offset)
    withUnsafeBytes(of: UInt64(bytes.count).littleEndian) { data.append(contentsOf: $0) }
    data.append(contentsOf: bytes)
    return data
  }

  /// `s` as a JSON string literal, escaped as serde_json does.
  static func jsonString(_ s: String) -> String {
    var out = "\""
    for u in s.unicodeScalars {
      switch u {
      case "\"": out += "\\\""
      case "\\": out += "\\\\"
      case "\n": out += "\\n"
      case "\r": out += "\\r"
      case "\t": out += "\\t"
      case "\u{08}": out += "\\b"
      case "\u{0C}": out += "\\f"
      case _ where u.value < 0x20:
        let hex = String(u.value, radix: 16)
        out += "\\u" + String(repeating: "0", count: 4 - hex.count) + hex
      default: out.unicodeScalars.append(u)
      }
    }
    return out + "\""
  }

  // MARK: - Reading

  /// Reads every tensor (converted to float32) and the metadata of the file at `url`.
  /// - Throws: `SafeTensorsError` naming the file and the problem when it cannot be read, is
  ///   truncated, is not a safetensors file, or its header is invalid.
  public static func read(from url: URL) throws -> Contents {
    let data: Data
    do {
      data = try Data(contentsOf: url)
    } catch {
      throw SafeTensorsError(file: url.path, .unreadable(describe(error)))
    }
    return try decode(data, file: url.path)
  }

  /// Reads only the metadata of the file at `url`, without converting any tensor.
  ///
  /// Only the header is read; its offsets are still checked against the file size, so a
  /// truncated file is reported.
  /// - Throws: `SafeTensorsError` as `read(from:)`.
  public static func readMetadata(from url: URL) throws -> [String: String] {
    let file = url.path
    do {
      let handle = try FileHandle(forReadingFrom: url)
      defer { try? handle.close() }
      let size = Int(try handle.seekToEnd())
      try handle.seek(toOffset: 0)
      let prefix = try handle.read(upToCount: 8) ?? Data()
      var head = prefix
      if prefix.count == 8 {
        let declared = prefix.withUnsafeBytes { UInt64(littleEndian: $0.loadUnaligned(as: UInt64.self)) }
        if declared <= UInt64(min(maxHeaderSize, size - 8)) {
          head += try handle.read(upToCount: Int(declared)) ?? Data()
        }
      }
      return try head.withUnsafeBytes { try parse($0, fileSize: size, file: file).metadata }
    } catch let e as SafeTensorsError {
      throw e
    } catch {
      throw SafeTensorsError(file: file, .unreadable(describe(error)))
    }
  }

  /// Decodes a whole safetensors file held in memory; `file` names it in errors.
  /// - Throws: `SafeTensorsError` as `read(from:)`.
  public static func decode(_ data: Data, file: String = "<memory>") throws -> Contents {
    try data.withUnsafeBytes { raw in
      let layout = try parse(raw, fileSize: raw.count, file: file)
      var tensors: [String: Tensor] = [:]
      var dtypes: [String: DType] = [:]
      for entry in layout.entries {
        let range = (layout.dataStart + entry.begin)..<(layout.dataStart + entry.end)
        let bytes = UnsafeRawBufferPointer(rebasing: raw[range])
        let t = Tensor.zeros(entry.shape)
        t.withUnsafeMutableBufferPointer { convert(bytes, entry.dtype, into: $0) }
        tensors[entry.name] = t
        dtypes[entry.name] = entry.dtype
      }
      return Contents(tensors: tensors, dtypes: dtypes, metadata: layout.metadata)
    }
  }

  /// One validated header entry.
  struct Entry {
    var name: String
    var dtype: DType
    var shape: [Int]
    /// Byte range relative to the start of the data section.
    var begin: Int
    var end: Int
  }

  /// A validated header: entries, metadata and where the data section starts.
  struct Layout {
    var entries: [Entry]
    var metadata: [String: String]
    var dataStart: Int
  }

  /// Validates the length prefix, the header and the offsets of a file of `fileSize` bytes whose
  /// first bytes (at least the prefix and the header, when the file has them) are `raw`.
  static func parse(_ raw: UnsafeRawBufferPointer, fileSize: Int, file: String) throws -> Layout {
    func fail(_ p: SafeTensorsError.Problem) -> SafeTensorsError { SafeTensorsError(file: file, p) }
    guard fileSize >= 8, raw.count >= 8 else {
      throw fail(.truncated("the file has \(fileSize) bytes, fewer than the 8-byte header length"))
    }
    let declared = UInt64(littleEndian: raw.loadUnaligned(as: UInt64.self))
    let available = fileSize - 8
    if declared > UInt64(maxHeaderSize) {
      throw fail(.notSafeTensors(
        "the first 8 bytes declare a header of \(declared) bytes, more than the \(maxHeaderSize)-byte limit"))
    }
    let n = Int(declared)
    guard n <= available, 8 + n <= raw.count else {
      throw fail(.truncated("the header length is \(n) bytes but only \(available) bytes follow it"))
    }
    guard n >= 2 else { throw fail(.notSafeTensors("the header is \(n) bytes long, too short for a JSON object")) }
    let headerBytes = UnsafeRawBufferPointer(rebasing: raw[8..<(8 + n)])
    guard headerBytes[0] == UInt8(ascii: "{") else {
      throw fail(.notSafeTensors("the header does not start with '{'"))
    }
    guard String(validating: headerBytes, as: UTF8.self) != nil else {
      throw fail(.notSafeTensors("the header is not valid UTF-8"))
    }
    var parser = MiniJSON(bytes: headerBytes)
    let root: MiniJSON.Value
    do {
      root = try parser.parseDocument()
    } catch let e as MiniJSON.SyntaxError {
      throw fail(.invalidHeader("invalid JSON: \(e.message) at byte \(e.offset) of the header"))
    }
    guard case .object(let fields) = root else { throw fail(.invalidHeader("the header is not a JSON object")) }

    var metadata: [String: String] = [:]
    var entries: [Entry] = []
    for (name, value) in fields {
      if name == "__metadata__" {
        if case .null = value { continue }
        guard case .object(let pairs) = value else {
          throw fail(.invalidHeader("__metadata__ is not an object of strings"))
        }
        for (k, v) in pairs {
          guard case .string(let s) = v else {
            throw fail(.invalidHeader("__metadata__ value for \"\(k)\" is not a string"))
          }
          metadata[k] = s
        }
        continue
      }
      entries.append(try parseEntry(name, value, fail: fail))
    }

    // Each tensor's byte count must match its shape, and together they must tile the data.
    let dataLength = available - n
    entries.sort { ($0.begin, $0.end, $0.name) < ($1.begin, $1.end, $1.name) }
    var offset = 0
    var previous: String?
    for e in entries {
      if e.begin < offset {
        throw fail(.invalidOffsets(
          "tensor \"\(e.name)\" at bytes [\(e.begin), \(e.end)) overlaps \"\(previous ?? "")\", "
            + "which ends at \(offset)"))
      }
      if e.begin > offset {
        throw fail(.invalidOffsets("bytes [\(offset), \(e.begin)) of the data section belong to no tensor"))
      }
      offset = e.end
      previous = e.name
    }
    if offset > dataLength {
      throw fail(.truncated(
        "tensor \"\(previous ?? "")\" ends at byte \(offset) of the data section, which has only \(dataLength) bytes"))
    }
    if offset < dataLength {
      throw fail(.invalidOffsets(
        "the data section has \(dataLength) bytes but the tensors cover only \(offset) (trailing bytes)"))
    }
    return Layout(entries: entries, metadata: metadata, dataStart: 8 + n)
  }

  /// Validates one `{"dtype", "shape", "data_offsets"}` entry.
  static func parseEntry(
    _ name: String, _ value: MiniJSON.Value, fail: (SafeTensorsError.Problem) -> SafeTensorsError
  ) throws -> Entry {
    guard case .object(let fields) = value else {
      throw fail(.invalidHeader("entry \"\(name)\" is not an object"))
    }
    let dict = Dictionary(fields, uniquingKeysWith: { a, _ in a })
    guard case .string(let dtypeName)? = dict["dtype"] else {
      throw fail(.invalidHeader("entry \"\(name)\" has no string \"dtype\""))
    }
    guard let dtype = DType(rawValue: dtypeName) else {
      throw fail(.unsupportedDType(tensor: name, dtype: dtypeName))
    }
    func integers(_ key: String) throws -> [Int] {
      guard case .array(let items)? = dict[key] else {
        throw fail(.invalidHeader("entry \"\(name)\" has no array \"\(key)\""))
      }
      return try items.map { item in
        guard case .number(let text) = item, let v = Int(text), v >= 0 else {
          throw fail(.invalidHeader("entry \"\(name)\" has a \"\(key)\" element that is not a non-negative integer"))
        }
        return v
      }
    }
    let shape = try integers("shape")
    let offsets = try integers("data_offsets")
    guard offsets.count == 2 else {
      throw fail(.invalidHeader("entry \"\(name)\" has \(offsets.count) data_offsets, expected [begin, end]"))
    }
    guard offsets[0] <= offsets[1] else {
      throw fail(.invalidOffsets(
        "tensor \"\(name)\" has data_offsets [\(offsets[0]), \(offsets[1])] ending before they begin"))
    }
    var count = 1
    for d in shape {
      let (product, overflow) = count.multipliedReportingOverflow(by: d)
      guard !overflow else {
        throw fail(.invalidHeader("entry \"\(name)\" has shape \(shapeString(shape)), too large"))
      }
      count = product
    }
    let (bytes, overflow) = count.multipliedReportingOverflow(by: dtype.size)
    if overflow || bytes != offsets[1] - offsets[0] {
      throw fail(.sizeMismatch(
        tensor: name,
        "shape \(shapeString(shape)) of \(dtype.rawValue) needs \(overflow ? "more than Int.max" : String(bytes)) "
          + "bytes but data_offsets [\(offsets[0]), \(offsets[1])] hold \(offsets[1] - offsets[0])"))
    }
    return Entry(name: name, dtype: dtype, shape: shape, begin: offsets[0], end: offsets[1])
  }

  /// Converts little-endian `bytes` of `dtype` to float32 values.
  static func convert(_ bytes: UnsafeRawBufferPointer, _ dtype: DType, into out: UnsafeMutableBufferPointer<Float>) {
    @inline(__always) func each<T: FixedWidthInteger>(_: T.Type, _ f: (T) -> Float) {
      for i in 0..<out.count {
        out[i] = f(T(littleEndian: bytes.loadUnaligned(fromByteOffset: i * MemoryLayout<T>.size, as: T.self)))
      }
    }
    switch dtype {
    case .f32:
      #if _endian(little)
        if let dst = out.baseAddress, let src = bytes.baseAddress {
          UnsafeMutableRawPointer(dst).copyMemory(from: src, byteCount: out.count * 4)
        }
      #else
        each(UInt32.self) { Float(bitPattern: $0) }
      #endif
    case .f16: each(UInt16.self, halfToFloat)
    case .bf16: each(UInt16.self) { Float(bitPattern: UInt32($0) << 16) }
    case .f64: each(UInt64.self) { Float(Double(bitPattern: $0)) }
    case .bool: each(UInt8.self) { $0 == 0 ? 0 : 1 }
    case .u8: each(UInt8.self) { Float($0) }
    case .i8: each(UInt8.self) { Float(Int8(bitPattern: $0)) }
    case .i16: each(UInt16.self) { Float(Int16(bitPattern: $0)) }
    case .u16: each(UInt16.self) { Float($0) }
    case .i32: each(UInt32.self) { Float(Int32(bitPattern: $0)) }
    case .u32: each(UInt32.self) { Float($0) }
    case .i64: each(UInt64.self) { Float(Int64(bitPattern: $0)) }
    case .u64: each(UInt64.self) { Float($0) }
    }
  }

  /// IEEE half-precision bits to float32 (exact: every half is a float).
  static func halfToFloat(_ h: UInt16) -> Float {
    let sign: Float = h & 0x8000 != 0 ? -1 : 1
    let exponent = UInt32(h >> 10) & 0x1F
    let mantissa = UInt32(h) & 0x3FF
    switch exponent {
    case 0: return sign * Float(mantissa) * 0x1p-24
    case 0x1F:
      return Float(bitPattern: (UInt32(h & 0x8000) << 16) | 0x7F80_0000 | (mantissa << 13))
    default:
      return Float(bitPattern: (UInt32(h & 0x8000) << 16) | ((exponent + 112) << 23) | (mantissa << 13))
    }
  }

  static func errnoString() -> String { String(cString: strerror(errno)) }

  static func describe(_ error: Error) -> String {
    let ns = error as NSError
    if let underlying = ns.userInfo[NSUnderlyingErrorKey] as? NSError,
      underlying.domain == NSPOSIXErrorDomain, let code = POSIXErrorCode(rawValue: Int32(underlying.code))
    {
      return String(cString: strerror(code.rawValue))
    }
    return ns.localizedDescription
  }
}

/// POSIX `write(2)`, named apart from `SafeTensors.write`.
private func posixWrite(_ fd: Int32, _ p: UnsafeRawPointer, _ count: Int) -> Int {
  #if canImport(Glibc)
    Glibc.write(fd, p, count)
  #elseif canImport(Musl)
    Musl.write(fd, p, count)
  #else
    Darwin.write(fd, p, count)
  #endif
}

/// A safetensors file that cannot be read or written: names the file and what is wrong.
public struct SafeTensorsError: Error, CustomStringConvertible, Equatable {
  /// What is wrong with the file.
  public enum Problem: Equatable, Sendable {
    /// The file could not be opened or read (it is missing, a directory, unreadable).
    case unreadable(String)
    /// The file could not be written.
    case unwritable(String)
    /// The file ends before its header or data do.
    case truncated(String)
    /// The file is not in the safetensors format at all (its length prefix or header is foreign).
    case notSafeTensors(String)
    /// The header is not valid JSON or not of the expected structure.
    case invalidHeader(String)
    /// A tensor's element type is not one genai reads.
    case unsupportedDType(tensor: String, dtype: String)
    /// A tensor's shape and element type need a different number of bytes than its offsets hold.
    case sizeMismatch(tensor: String, String)
    /// The tensors' byte ranges overlap, leave gaps, or do not cover the data section.
    case invalidOffsets(String)
    /// A tensor name cannot be written.
    case invalidName(String)
  }

  /// The file's path (`<memory>` for in-memory data).
  public let file: String
  /// What is wrong.
  public let problem: Problem

  /// An error about `file`.
  public init(file: String, _ problem: Problem) {
    self.file = file
    self.problem = problem
  }

  /// `"[safetensors] <file>: <problem>"`.
  public var description: String {
    let text: String
    switch problem {
    case .unreadable(let s): text = "cannot read the file: \(s)"
    case .unwritable(let s): text = "cannot write the file: \(s)"
    case .truncated(let s): text = "the file is truncated: \(s)"
    case .notSafeTensors(let s): text = "not a safetensors file: \(s)"
    case .invalidHeader(let s): text = "invalid header: \(s)"
    case .unsupportedDType(let t, let d):
      text = "tensor \"\(t)\" has unsupported dtype \"\(d)\" (supported: "
        + SafeTensors.DType.allCases.map(\.rawValue).joined(separator: ", ") + ")"
    case .sizeMismatch(let t, let s): text = "tensor \"\(t)\": \(s)"
    case .invalidOffsets(let s): text = "invalid data_offsets: \(s)"
    case .invalidName(let s): text = "invalid tensor name: \(s)"
    }
    return "[safetensors] \(file): \(text)"
  }
}

/// A small, strict JSON parser for safetensors headers: reports the byte offset of a syntax
/// error, rejects duplicate keys, and bounds nesting so hostile input cannot overflow the stack.
struct MiniJSON {
  /// A parsed JSON value; numbers keep their text so integers convert exactly.
  indirect enum Value {
    case object([(String, Value)])
    case array([Value])
    case string(String)
    case number(String)
    case bool(Bool)
    case null
  }

  /// A syntax error at a byte offset.
  struct SyntaxError: Error {
    var message: String
    var offset: Int
  }

  let bytes: UnsafeRawBufferPointer
  var i = 0
  var depth = 0
  static let maxDepth = 64

  init(bytes: UnsafeRawBufferPointer) { self.bytes = bytes }

  /// One value followed only by whitespace.
  mutating func parseDocument() throws -> Value {
    let v = try parseValue()
    skipSpace()
    if i != bytes.count { throw error("unexpected trailing content") }
    return v
  }

  func error(_ message: String) -> SyntaxError { SyntaxError(message: message, offset: i) }

  mutating func skipSpace() {
    while i < bytes.count {
      switch bytes[i] {
      case 0x20, 0x09, 0x0A, 0x0D: i += 1
      default: return
      }
    }
  }

  mutating func expect(_ c: UInt8) throws {
    skipSpace()
    guard i < bytes.count, bytes[i] == c else {
      throw error(i < bytes.count ? "expected '\(Character(UnicodeScalar(c)))'" : "unexpected end of header")
    }
    i += 1
  }

  mutating func parseValue() throws -> Value {
    skipSpace()
    guard i < bytes.count else { throw error("unexpected end of header") }
    switch bytes[i] {
    case UInt8(ascii: "{"):
      depth += 1
      defer { depth -= 1 }
      guard depth <= Self.maxDepth else { throw error("nesting deeper than \(Self.maxDepth)") }
      i += 1
      var fields: [(String, Value)] = []
      var seen = Set<String>()
      skipSpace()
      if i < bytes.count, bytes[i] == UInt8(ascii: "}") {
        i += 1
        return .object(fields)
      }
      while true {
        skipSpace()
        let keyStart = i
        guard i < bytes.count, bytes[i] == UInt8(ascii: "\"") else { throw error("expected a string key") }
        let key = try parseString()
        guard seen.insert(key).inserted else {
          throw SyntaxError(message: "duplicate key \"\(key)\"", offset: keyStart)
        }
        try expect(UInt8(ascii: ":"))
        fields.append((key, try parseValue()))
        skipSpace()
        guard i < bytes.count else { throw error("unexpected end of header") }
        if bytes[i] == UInt8(ascii: ",") {
          i += 1
          continue
        }
        try expect(UInt8(ascii: "}"))
        return .object(fields)
      }
    case UInt8(ascii: "["):
      depth += 1
      defer { depth -= 1 }
      guard depth <= Self.maxDepth else { throw error("nesting deeper than \(Self.maxDepth)") }
      i += 1
      var items: [Value] = []
      skipSpace()
      if i < bytes.count, bytes[i] == UInt8(ascii: "]") {
        i += 1
        return .array(items)
      }
      while true {
        items.append(try parseValue())
        skipSpace()
        guard i < bytes.count else { throw error("unexpected end of header") }
        if bytes[i] == UInt8(ascii: ",") {
          i += 1
          continue
        }
        try expect(UInt8(ascii: "]"))
        return .array(items)
      }
    case UInt8(ascii: "\""): return .string(try parseString())
    case UInt8(ascii: "t"): try literal("true"); return .bool(true)
    case UInt8(ascii: "f"): try literal("false"); return .bool(false)
    case UInt8(ascii: "n"): try literal("null"); return .null
    case UInt8(ascii: "-"), UInt8(ascii: "0")...UInt8(ascii: "9"): return .number(try parseNumber())
    default: throw error("unexpected character")
    }
  }

  mutating func literal(_ word: String) throws {
    for c in word.utf8 {
      guard i < bytes.count, bytes[i] == c else { throw error("invalid literal") }
      i += 1
    }
  }

  mutating func parseNumber() throws -> String {
    let start = i
    func digits() -> Int {
      let s = i
      while i < bytes.count, (UInt8(ascii: "0")...UInt8(ascii: "9")).contains(bytes[i]) { i += 1 }
      return i - s
    }
    if bytes[i] == UInt8(ascii: "-") { i += 1 }
    let intStart = i
    guard digits() > 0 else { throw error("invalid number") }
    if bytes[intStart] == UInt8(ascii: "0"), i - intStart > 1 {
      throw SyntaxError(message: "leading zero", offset: intStart)
    }
    if i < bytes.count, bytes[i] == UInt8(ascii: ".") {
      i += 1
      guard digits() > 0 else { throw error("invalid number") }
    }
    if i < bytes.count, bytes[i] == UInt8(ascii: "e") || bytes[i] == UInt8(ascii: "E") {
      i += 1
      if i < bytes.count, bytes[i] == UInt8(ascii: "+") || bytes[i] == UInt8(ascii: "-") { i += 1 }
      guard digits() > 0 else { throw error("invalid number") }
    }
    return String(decoding: UnsafeRawBufferPointer(rebasing: bytes[start..<i]), as: UTF8.self)
  }

  /// A string starting at the opening quote; the header was already checked to be UTF-8.
  mutating func parseString() throws -> String {
    i += 1
    var out: [UInt8] = []
    while true {
      guard i < bytes.count else { throw error("unterminated string") }
      let c = bytes[i]
      i += 1
      switch c {
      case UInt8(ascii: "\""): return String(decoding: out, as: UTF8.self)
      case UInt8(ascii: "\\"):
        guard i < bytes.count else { throw error("unterminated string") }
        let e = bytes[i]
        i += 1
        switch e {
        case UInt8(ascii: "\""), UInt8(ascii: "\\"), UInt8(ascii: "/"): out.append(e)
        case UInt8(ascii: "b"): out.append(0x08)
        case UInt8(ascii: "f"): out.append(0x0C)
        case UInt8(ascii: "n"): out.append(0x0A)
        case UInt8(ascii: "r"): out.append(0x0D)
        case UInt8(ascii: "t"): out.append(0x09)
        case UInt8(ascii: "u"):
          var scalar = try hex4()
          if (0xD800..<0xDC00).contains(scalar) {
            guard i + 1 < bytes.count, bytes[i] == UInt8(ascii: "\\"), bytes[i + 1] == UInt8(ascii: "u") else {
              throw error("unpaired surrogate in \\u escape")
            }
            i += 2
            let low = try hex4()
            guard (0xDC00..<0xE000).contains(low) else { throw error("unpaired surrogate in \\u escape") }
            scalar = 0x10000 + ((scalar - 0xD800) << 10) + (low - 0xDC00)
          }
          guard let u = Unicode.Scalar(scalar) else { throw error("invalid \\u escape") }
          out += Array(String(Character(u)).utf8)
        default: throw error("invalid escape")
        }
      case 0..<0x20: throw error("control character in string")
      default: out.append(c)
      }
    }
  }

  mutating func hex4() throws -> UInt32 {
    guard i + 4 <= bytes.count else { throw error("truncated \\u escape") }
    var v: UInt32 = 0
    for _ in 0..<4 {
      guard let d = Character(UnicodeScalar(bytes[i])).hexDigitValue else { throw error("invalid \\u escape") }
      v = v << 4 | UInt32(d)
      i += 1
    }
    return v
  }
}
