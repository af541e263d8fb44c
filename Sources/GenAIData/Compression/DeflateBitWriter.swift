/// Packs bits least-significant first into bytes, as DEFLATE stores them.
///
/// Bits collect in a 64-bit buffer and leave four bytes at a time, so a symbol costs one shift,
/// one OR and (a quarter of the time) a flush rather than a loop over its bits.
struct DeflateBitWriter {
  /// The finished bytes.
  private(set) var bytes: [UInt8]
  /// Pending bits, the oldest in bit 0.
  private var buffer: UInt64 = 0
  /// How many bits of `buffer` are pending (always < 32 between calls).
  private var count = 0

  /// Creates a writer whose output array reserves `capacity` bytes.
  init(capacity: Int) {
    bytes = []
    bytes.reserveCapacity(capacity)
  }

  /// Appends the low `n` bits of `bits` (n ≤ 32; higher bits of `bits` must be zero).
  @inline(__always)
  mutating func write(_ bits: UInt32, _ n: Int) {
    buffer |= UInt64(bits) &<< UInt64(count)
    count &+= n
    if count >= 32 {
      bytes.append(UInt8(truncatingIfNeeded: buffer))
      bytes.append(UInt8(truncatingIfNeeded: buffer &>> 8))
      bytes.append(UInt8(truncatingIfNeeded: buffer &>> 16))
      bytes.append(UInt8(truncatingIfNeeded: buffer &>> 24))
      buffer &>>= 32
      count &-= 32
    }
  }

  /// Pads with zero bits to a byte boundary and flushes everything pending.
  mutating func alignToByte() {
    while count > 0 {
      bytes.append(UInt8(truncatingIfNeeded: buffer))
      buffer &>>= 8
      count -= 8
    }
    buffer = 0
    count = 0
  }

  /// Appends raw bytes; the writer must be byte-aligned (call `alignToByte()` first).
  mutating func writeAlignedBytes(_ source: UnsafeBufferPointer<UInt8>) {
    precondition(count == 0, "DeflateBitWriter.writeAlignedBytes called off a byte boundary")
    bytes.append(contentsOf: source)
  }

  /// Flushes the last partial byte and returns all bytes written.
  mutating func finish() -> [UInt8] {
    alignToByte()
    return bytes
  }
}
