import CZlib

/// CRC-32 as used by gzip (RFC 1952) and PNG: the reflected IEEE 802.3 polynomial 0xEDB88320,
/// initial value and final XOR 0xFFFFFFFF. Computed by the system zlib's `crc32`.
public struct CRC32: Sendable, Equatable {
  /// The checksum of all bytes fed so far (0 for none).
  public private(set) var value: UInt32

  /// Starts a checksum, optionally continuing from the `value` of an earlier one.
  public init(value: UInt32 = 0) { self.value = value }

  /// Feeds `bytes` (an array, a slice, `Data`, ...) into the checksum.
  public mutating func update<Bytes: Collection>(_ bytes: Bytes) where Bytes.Element == UInt8 {
    // Contiguous storage is read in place; anything else is copied once.
    let done: Void? = bytes.withContiguousStorageIfAvailable { update(UnsafeRawBufferPointer($0)) }
    if done == nil { Array(bytes).withUnsafeBytes { update($0) } }
  }

  /// Feeds the bytes at `buffer` into the checksum.
  public mutating func update(_ buffer: UnsafeRawBufferPointer) {
    guard var p = buffer.baseAddress?.assumingMemoryBound(to: UInt8.self) else { return }
    var remaining = buffer.count
    // zlib takes a 32-bit length, so a buffer of 4 GiB or more goes in slices.
    while remaining > 0 {
      let n = Swift.min(remaining, 1 << 30)
      value = UInt32(truncatingIfNeeded: crc32(uLong(value), p, uInt(n)))
      p += n
      remaining -= n
    }
  }

  /// The CRC-32 of `bytes`.
  public static func checksum<Bytes: Collection>(_ bytes: Bytes) -> UInt32 where Bytes.Element == UInt8 {
    var crc = CRC32()
    crc.update(bytes)
    return crc.value
  }
}
