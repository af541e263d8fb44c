/// CRC-32 as used by gzip (RFC 1952) and PNG: the reflected IEEE 802.3 polynomial 0xEDB88320,
/// initial value and final XOR 0xFFFFFFFF.
///
/// The checksum is computed "slicing-by-8": eight 256-entry tables let one step consume eight
/// input bytes with eight independent lookups instead of eight dependent ones, which is several
/// times faster than the classic byte-at-a-time table and keeps a gzip'd dataset's CRC check a
/// small fraction of its inflate time.
public struct CRC32: Sendable, Equatable {
  /// The checksum of all bytes fed so far (0 for none).
  public private(set) var value: UInt32

  /// Starts a checksum, optionally continuing from the `value` of an earlier one.
  public init(value: UInt32 = 0) { self.value = value }

  /// Feeds `bytes` into the checksum.
  public mutating func update(_ bytes: UnsafeRawBufferPointer) {
    value = CRC32.update(value, bytes)
  }

  /// Feeds `bytes` (an array, a slice, `Data`, ...) into the checksum.
  public mutating func update<Bytes: Collection>(_ bytes: Bytes) where Bytes.Element == UInt8 {
    // Contiguous storage takes the fast path; anything else is fed one byte at a time.
    let done: Void? = bytes.withContiguousStorageIfAvailable { update(UnsafeRawBufferPointer($0)) }
    if done == nil {
      for byte in bytes { withUnsafeBytes(of: byte) { update($0) } }
    }
  }

  /// The CRC-32 of `bytes`.
  public static func checksum<Bytes: Collection>(_ bytes: Bytes) -> UInt32 where Bytes.Element == UInt8 {
    var crc = CRC32()
    crc.update(bytes)
    return crc.value
  }

  /// The eight slicing tables, table k at offset 256·k. Table 0 is the classic byte table; table k
  /// advances a byte's contribution through k further zero bytes.
  static let tables: [UInt32] = {
    var t = [UInt32](repeating: 0, count: 8 * 256)
    for i in 0..<256 {
      var c = UInt32(i)
      for _ in 0..<8 { c = c & 1 == 1 ? 0xEDB8_8320 ^ (c >> 1) : c >> 1 }
      t[i] = c
    }
    for k in 1..<8 {
      for i in 0..<256 {
        let previous = t[(k - 1) * 256 + i]
        t[k * 256 + i] = (previous >> 8) ^ t[Int(previous & 0xFF)]
      }
    }
    return t
  }()

  /// Continues the CRC `crc` (a finished value, not the inverted register) over `bytes`.
  static func update(_ crc: UInt32, _ bytes: UnsafeRawBufferPointer) -> UInt32 {
    guard var p = bytes.baseAddress, !bytes.isEmpty else { return crc }
    var remaining = bytes.count
    var c = ~crc
    tables.withUnsafeBufferPointer { tablesBuffer in
      let t = tablesBuffer.baseAddress.unsafelyUnwrapped
      while remaining >= 8 {
        let word = UInt64(littleEndian: p.loadUnaligned(as: UInt64.self))
        let lo = UInt32(truncatingIfNeeded: word) ^ c
        let hi = UInt32(truncatingIfNeeded: word &>> 32)
        c =
          t[7 * 256 + Int(lo & 0xFF)] ^ t[6 * 256 + Int((lo &>> 8) & 0xFF)]
          ^ t[5 * 256 + Int((lo &>> 16) & 0xFF)] ^ t[4 * 256 + Int(lo &>> 24)]
          ^ t[3 * 256 + Int(hi & 0xFF)] ^ t[2 * 256 + Int((hi &>> 8) & 0xFF)]
          ^ t[1 * 256 + Int((hi &>> 16) & 0xFF)] ^ t[Int(hi &>> 24)]
        p += 8
        remaining &-= 8
      }
      while remaining > 0 {
        c = t[Int((c ^ UInt32(p.load(as: UInt8.self))) & 0xFF)] ^ (c &>> 8)
        p += 1
        remaining &-= 1
      }
    }
    return ~c
  }
}
