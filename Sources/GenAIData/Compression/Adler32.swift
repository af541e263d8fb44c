/// Adler-32 (RFC 1950), the checksum in a zlib stream's trailer.
///
/// Two running sums modulo 65521; the modulo is taken only every 5552 bytes, the most that can be
/// summed before the second sum could overflow 32 bits, so the inner loop is two adds per byte.
public struct Adler32: Sendable, Equatable {
  /// The checksum of all bytes fed so far (1 for none, as the format defines).
  public private(set) var value: UInt32

  /// Starts a checksum, optionally continuing from the `value` of an earlier one.
  public init(value: UInt32 = 1) { self.value = value }

  /// The largest prime below 2^16.
  static let modulus: UInt32 = 65521
  /// The largest n with 255·n·(n+1)/2 + (n+1)·(modulus−1) < 2^32 (zlib's NMAX).
  static let blockLength = 5552

  /// Feeds `bytes` into the checksum.
  public mutating func update(_ bytes: UnsafeRawBufferPointer) {
    guard var p = bytes.baseAddress, !bytes.isEmpty else { return }
    var a = value & 0xFFFF
    var b = value >> 16
    var remaining = bytes.count
    while remaining > 0 {
      let n = Swift.min(remaining, Adler32.blockLength)
      remaining -= n
      for i in 0..<n {
        a &+= UInt32(p.load(fromByteOffset: i, as: UInt8.self))
        b &+= a
      }
      p += n
      a %= Adler32.modulus
      b %= Adler32.modulus
    }
    value = (b << 16) | a
  }

  /// Feeds `bytes` (an array, a slice, `Data`, ...) into the checksum.
  public mutating func update<Bytes: Collection>(_ bytes: Bytes) where Bytes.Element == UInt8 {
    // Contiguous storage takes the fast path; anything else is fed one byte at a time.
    let done: Void? = bytes.withContiguousStorageIfAvailable { update(UnsafeRawBufferPointer($0)) }
    if done == nil {
      for byte in bytes { withUnsafeBytes(of: byte) { update($0) } }
    }
  }

  /// The Adler-32 of `bytes`.
  public static func checksum<Bytes: Collection>(_ bytes: Bytes) -> UInt32 where Bytes.Element == UInt8 {
    var adler = Adler32()
    adler.update(bytes)
    return adler.value
  }
}
