import CZlib

/// zlib's `deflate` in one pass over a whole buffer; `Zlib.compress` and `Gzip.compress` call it.
enum Deflater {
  /// `bytes` compressed at `level` into a zlib stream, or a single-member gzip stream (no name,
  /// comment or timestamp) when `format` is `.gzip`.
  static func compress(_ bytes: [UInt8], level: Zlib.Level, format: Inflater.Format) -> [UInt8] {
    let stream = UnsafeMutablePointer<z_stream>.allocate(capacity: 1)
    stream.initialize(to: z_stream())
    defer {
      deflateEnd(stream)
      stream.deallocate()
    }
    // windowBits 15: the 32 KiB maximum; + 16 writes a gzip header and trailer instead.
    let started = genai_deflate_init(stream, level.rawValue, format == .gzip ? 15 + 16 : 15)
    // With valid constant arguments the only failure is a failed allocation of a few hundred KiB.
    precondition(started == Z_OK, "zlib deflateInit2 failed (error \(started)): out of memory")
    // deflateBound is the most the whole stream can take (incompressible data grows by a few bytes
    // per 16 KiB), so one output buffer suffices and there is nothing to grow.
    let bound = Int(deflateBound(stream, uLong(bytes.count)))
    return bytes.withUnsafeBufferPointer { input in
      [UInt8](unsafeUninitializedCapacity: bound) { output, written in
        var read = 0
        var status = Z_OK
        while status != Z_STREAM_END {
          // zlib's counts are 32-bit, so huge buffers go in slices of 1 GiB.
          let inCount = Swift.min(input.count - read, 1 << 30)
          stream.pointee.next_in = input.baseAddress.map { UnsafeMutablePointer(mutating: $0 + read) }
          stream.pointee.avail_in = uInt(inCount)
          stream.pointee.next_out = output.baseAddress.map { $0 + Int(stream.pointee.total_out) }
          stream.pointee.avail_out = uInt(Swift.min(bound - Int(stream.pointee.total_out), 1 << 30))
          status = deflate(stream, read + inCount == input.count ? Z_FINISH : Z_NO_FLUSH)
          precondition(status == Z_OK || status == Z_STREAM_END, "zlib deflate failed (error \(status))")
          read += inCount - Int(stream.pointee.avail_in)
        }
        written = Int(stream.pointee.total_out)
      }
    }
  }
}
