import CZlib

/// A zlib `inflate` stream over one input, decoded in steps: a caller asks for output up to a
/// size, so it can read a header first and then bound the rest by what the header declares (PNG
/// knows its raw size, IDX its payload size), and a hostile stream cannot claim unbounded memory.
///
/// `Zlib` and `Gzip` are built on it. A gzip input may hold several members (as `cat a.gz b.gz`
/// makes): each is decoded and checked in turn, and zero bytes after the last are padding.
final class Inflater {
  /// The wrapper around the DEFLATE data.
  enum Format: String {
    /// RFC 1950: a 2-byte header and an Adler-32 trailer.
    case zlib
    /// RFC 1952: one or more members, each with a header and a CRC-32 and length trailer.
    case gzip
  }

  /// The format being decoded.
  let format: Format
  /// How many bytes have been decoded so far.
  private(set) var outputCount = 0
  /// How many input bytes have been consumed (the end of the stream, once `isFinished`).
  private(set) var consumed = 0
  /// Whether the stream (for gzip, every member) has been decoded and its checksums verified.
  private(set) var isFinished = false

  private let input: [UInt8]
  /// zlib keeps a pointer back to the `z_stream` and checks it, so it must not move: it lives in
  /// its own allocation rather than in a (movable) Swift property.
  private let stream: UnsafeMutablePointer<z_stream>
  /// The gzip member being decoded (1-based), for error messages.
  private var member = 1
  /// The decoded bytes (the first `outputCount`) and room for more.
  ///
  /// A buffer managed by hand rather than an array: zlib writes into its free tail directly, with
  /// no zero-filling first (per-byte work that cost seconds per dataset in a debug build), and
  /// growing it is a memcpy.
  private var buffer = UnsafeMutableBufferPointer<UInt8>(start: nil, count: 0)

  /// A copy of the bytes decoded so far.
  var output: [UInt8] {
    [UInt8](unsafeUninitializedCapacity: outputCount) { out, initialized in
      if let from = buffer.baseAddress, let to = out.baseAddress { to.initialize(from: from, count: outputCount) }
      initialized = outputCount
    }
  }

  /// Starts decoding `input` (nothing is decoded until `decode(upTo:)`).
  /// - Throws: `CompressionError.truncated` for an empty input, `.badMagic` for a gzip input that
  ///   does not start with `1f 8b`, `.corrupt` if zlib cannot start (out of memory).
  init(_ input: [UInt8], format: Format) throws(CompressionError) {
    // Every check that can throw comes before `self` is complete, so a failed init never runs
    // `deinit` on a stream that was not set up.
    guard !input.isEmpty else { throw .truncated(context: "the \(format) header (the input is empty)") }
    if format == .gzip { try Self.checkGzipMagic(input, at: 0, member: 1) }
    let stream = UnsafeMutablePointer<z_stream>.allocate(capacity: 1)
    stream.initialize(to: z_stream())
    // windowBits 15 (the 32 KiB maximum) accepts every valid stream; + 16 means gzip only.
    let status = genai_inflate_init(stream, format == .gzip ? 15 + 16 : 15)
    guard status == Z_OK else {
      stream.deallocate()
      throw .corrupt(format: format.rawValue, reason: "zlib could not start inflating (error \(status))")
    }
    self.input = input
    self.format = format
    self.stream = stream
  }

  deinit {
    inflateEnd(stream)
    stream.deallocate()
    buffer.deallocate()
  }

  /// Decodes until at least `count` bytes are out or the stream ends (`isFinished`).
  ///
  /// The output buffer grows in steps (doubling, from 64 KiB, never past `count`), so memory
  /// follows what the stream really produces rather than what it claims.
  /// - Throws: `CompressionError`: `.truncated` when the input ends first, `.corrupt` for invalid
  ///   data or a checksum mismatch, `.badMagic` for garbage after a gzip member.
  func decode(upTo count: Int) throws(CompressionError) {
    while !isFinished && outputCount < count {
      if outputCount == buffer.count { grow(by: Swift.min(count - outputCount, Swift.max(outputCount, 1 << 16))) }
      let status = inflateStep()
      switch status {
      case Z_OK:
        continue
      case Z_STREAM_END:
        try endOfMember()
      case Z_BUF_ERROR:
        // No progress with room left for output: the input ran out mid-stream.
        let which = format == .gzip && member > 1 ? "gzip member \(member)" : "the \(format) stream"
        throw .truncated(context: "\(which) (\(input.count) input bytes, \(outputCount) decoded)")
      case Z_NEED_DICT:
        throw .corrupt(format: format.rawValue, reason: "the stream needs a preset dictionary (FDICT), unsupported")
      default:
        throw .corrupt(format: format.rawValue, reason: reason(status))
      }
    }
  }

  /// Decodes the whole stream.
  /// - Parameter limit: the most bytes the output may hold; `nil` for no limit.
  /// - Throws: `CompressionError.outputLimitExceeded`, or any error of `decode(upTo:)`.
  func decodeAll(limit: Int?) throws(CompressionError) -> [UInt8] {
    // One byte past the limit tells "exactly at the limit" from "over it".
    try decode(upTo: limit.map { $0 == Int.max ? $0 : $0 + 1 } ?? Int.max)
    if let limit, outputCount > limit { throw .outputLimitExceeded(limit: limit) }
    return output
  }

  /// Makes room for `extra` more bytes of output (a new buffer, the old output copied over).
  private func grow(by extra: Int) {
    let bigger = UnsafeMutableBufferPointer<UInt8>.allocate(capacity: buffer.count + extra)
    if let old = buffer.baseAddress, let new = bigger.baseAddress { new.initialize(from: old, count: outputCount) }
    buffer.deallocate()
    buffer = bigger
  }

  /// One call of zlib's `inflate` from `input[consumed...]` into the free part of `buffer`;
  /// advances `consumed` and `outputCount`.
  /// - Returns: zlib's status.
  private func inflateStep() -> Int32 {
    // zlib's counts are 32-bit, so huge buffers go in slices of 1 GiB.
    let inCount = Swift.min(input.count - consumed, 1 << 30)
    let outCount = Swift.min(buffer.count - outputCount, 1 << 30)
    guard let out = buffer.baseAddress else { return Z_BUF_ERROR }
    stream.pointee.next_out = out + outputCount
    stream.pointee.avail_out = uInt(outCount)
    let (status, read) = input.withUnsafeBufferPointer { inBuffer -> (Int32, Int) in
      guard let inBase = inBuffer.baseAddress else { return (Z_BUF_ERROR, 0) }
      stream.pointee.next_in = UnsafeMutablePointer(mutating: inBase + consumed)
      stream.pointee.avail_in = uInt(inCount)
      let status = inflate(stream, Z_NO_FLUSH)
      return (status, inCount - Int(stream.pointee.avail_in))
    }
    consumed += read
    outputCount += outCount - Int(stream.pointee.avail_out)
    return status
  }

  /// After a stream's end (its checksums verified by zlib): finishes, or starts the next gzip
  /// member when non-zero bytes follow.
  private func endOfMember() throws(CompressionError) {
    guard format == .gzip, input[consumed...].contains(where: { $0 != 0 }) else {
      isFinished = true
      return
    }
    member += 1
    try Self.checkGzipMagic(input, at: consumed, member: member)
    inflateReset(stream)
  }

  /// Checks for the gzip magic `1f 8b` at `offset`, where member `member` must start.
  ///
  /// zlib would say only "incorrect header check"; this names the offset and the bytes found.
  private static func checkGzipMagic(_ input: [UInt8], at offset: Int, member: Int) throws(CompressionError) {
    let left = input.count - offset
    if left >= 2 && input[offset] == 0x1F && input[offset + 1] == 0x8B { return }
    if left == 0 || (left == 1 && input[offset] == 0x1F) {
      throw .truncated(context: "the header of gzip member \(member) (\(left) of 10 bytes)")
    }
    throw .badMagic(format: "gzip", offset: offset, found: Array(input[offset..<Swift.min(offset + 2, input.count)]))
  }

  /// zlib's message for a failed `inflate`, in plainer words where we have them, with the gzip
  /// member when there are several.
  private func reason(_ status: Int32) -> String {
    let message = stream.pointee.msg.map { String(cString: $0) } ?? "zlib error \(status)"
    let plain: String
    switch message {
    case "incorrect data check":
      plain = format == .gzip ? "CRC-32 mismatch" : "Adler-32 checksum mismatch"
    case "incorrect length check": plain = "ISIZE (the length modulo 2^32) mismatch"
    case "incorrect header check": plain = "header check (FCHECK) fails: not a zlib stream"
    case "unknown header flags set": plain = "reserved flag bits set in the header"
    case "header crc mismatch": plain = "header CRC-16 mismatch"
    default: plain = message
    }
    return member > 1 ? "\(plain) in member \(member)" : plain
  }
}
