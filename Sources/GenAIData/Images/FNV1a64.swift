/// FNV-1a, 64-bit: a tiny non-cryptographic hash, used to find duplicate content cheaply.
///
/// Each byte is XORed into the state, which is then multiplied by the FNV prime. Collisions are
/// possible (though unlikely: about n²/2⁶⁵ for n items), so a hash match should be confirmed by
/// comparing the content itself before anything is dropped.
public struct FNV1a64: Sendable, Hashable {
  /// The FNV-1a 64-bit offset basis, the state before any byte.
  public static let offsetBasis: UInt64 = 0xCBF2_9CE4_8422_2325
  /// The FNV 64-bit prime.
  public static let prime: UInt64 = 0x0000_0100_0000_01B3

  /// The hash of all bytes fed so far.
  public private(set) var value: UInt64 = FNV1a64.offsetBasis

  /// Starts a hash.
  public init() {}

  /// Feeds `bytes` into the hash.
  public mutating func update(_ bytes: UnsafeRawBufferPointer) {
    var h = value
    for b in bytes { h = (h ^ UInt64(b)) &* FNV1a64.prime }
    value = h
  }

  /// Feeds `bytes` (an array, a slice, ...) into the hash.
  public mutating func update<Bytes: Collection>(_ bytes: Bytes) where Bytes.Element == UInt8 {
    if let done: Void = bytes.withContiguousStorageIfAvailable({ update(UnsafeRawBufferPointer($0)) }) {
      return done
    }
    for b in bytes { value = (value ^ UInt64(b)) &* FNV1a64.prime }
  }

  /// The FNV-1a 64 of `bytes`.
  public static func hash<Bytes: Collection>(_ bytes: Bytes) -> UInt64 where Bytes.Element == UInt8 {
    var h = FNV1a64()
    h.update(bytes)
    return h.value
  }
}
