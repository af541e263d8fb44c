import Foundation

/// SHA-256 (FIPS 180-4), streaming: feed bytes with `update`, read the digest with `finalize`.
///
/// Used to check downloaded and found dataset files against published sums
/// (`sha256sum` prints the same lowercase hex as `hexDigest`). A plain block-at-a-time
/// implementation, a few hundred MB/s in release builds, which is plenty for files of tens of MB.
///
/// ```swift
/// SHA256.hex(Array("abc".utf8))
/// // "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"
/// ```
public struct SHA256: Sendable {
  /// The eight 32-bit words of the running hash.
  private var h: (UInt32, UInt32, UInt32, UInt32, UInt32, UInt32, UInt32, UInt32) = (
    0x6a09_e667, 0xbb67_ae85, 0x3c6e_f372, 0xa54f_f53a, 0x510e_527f, 0x9b05_688c, 0x1f83_d9ab, 0x5be0_cd19
  )
  /// Bytes of an incomplete block, waiting for more input (fewer than 64).
  private var pending: [UInt8] = []
  /// Total bytes fed so far.
  private var length: UInt64 = 0

  /// Starts a hash of no bytes.
  public init() { pending.reserveCapacity(64) }

  /// Feeds `bytes` (an array, a slice, `Data`, ...) into the hash.
  public mutating func update<Bytes: Collection>(_ bytes: Bytes) where Bytes.Element == UInt8 {
    let done: Void? = bytes.withContiguousStorageIfAvailable { update(UnsafeRawBufferPointer($0)) }
    if done == nil { update(Array(bytes)) }
  }

  /// Feeds raw bytes into the hash.
  public mutating func update(_ bytes: UnsafeRawBufferPointer) {
    length &+= UInt64(bytes.count)
    var offset = 0
    // Top up a pending partial block first.
    if !pending.isEmpty {
      let take = min(64 - pending.count, bytes.count)
      pending.append(contentsOf: bytes[0..<take])
      offset = take
      if pending.count == 64 {
        let block = pending
        block.withUnsafeBytes { raw in if let base = raw.baseAddress { compress(base) } }
        pending.removeAll(keepingCapacity: true)
      }
    }
    while bytes.count - offset >= 64, let base = bytes.baseAddress {
      compress(base + offset)
      offset += 64
    }
    if offset < bytes.count { pending.append(contentsOf: bytes[offset...]) }
  }

  /// The 32-byte digest of everything fed so far (the hash itself is left unchanged).
  public func finalize() -> [UInt8] {
    var copy = self
    // Padding: 0x80, zeros up to 56 mod 64, then the bit length big-endian.
    let bitLength = length &* 8
    var tail: [UInt8] = [0x80]
    let zeros = (119 - Int(length % 64)) % 64
    tail.append(contentsOf: repeatElement(0, count: zeros))
    for shift in stride(from: 56, through: 0, by: -8) {
      tail.append(UInt8(truncatingIfNeeded: bitLength >> UInt64(shift)))
    }
    let savedLength = copy.length
    copy.update(tail)
    copy.length = savedLength
    let words = [copy.h.0, copy.h.1, copy.h.2, copy.h.3, copy.h.4, copy.h.5, copy.h.6, copy.h.7]
    return words.flatMap { w in [24, 16, 8, 0].map { UInt8(truncatingIfNeeded: w >> UInt32($0)) } }
  }

  /// The digest as 64 lowercase hex digits, as `sha256sum` prints it.
  public var hexDigest: String { SHA256.hexString(finalize()) }

  /// The SHA-256 of `bytes` as lowercase hex.
  public static func hex<Bytes: Collection>(_ bytes: Bytes) -> String where Bytes.Element == UInt8 {
    var hash = SHA256()
    hash.update(bytes)
    return hash.hexDigest
  }

  /// The SHA-256 of a file's contents as lowercase hex, read in 1 MiB chunks.
  /// - Throws: `DataError` naming the file when it cannot be opened or read.
  public static func hex(file url: URL) throws(DataError) -> String {
    let handle: FileHandle
    do { handle = try FileHandle(forReadingFrom: url) } catch {
      throw DataError(file: url.path, "cannot open for reading: \(error.localizedDescription)")
    }
    defer { try? handle.close() }
    var hash = SHA256()
    while true {
      let chunk: Data?
      do { chunk = try handle.read(upToCount: 1 << 20) } catch {
        throw DataError(file: url.path, "read failed: \(error.localizedDescription)")
      }
      guard let chunk, !chunk.isEmpty else { break }
      hash.update(chunk)
    }
    return hash.hexDigest
  }

  /// Lowercase hex of `bytes`.
  static func hexString(_ bytes: [UInt8]) -> String {
    let digits = Array("0123456789abcdef".utf8)
    var out: [UInt8] = []
    out.reserveCapacity(bytes.count * 2)
    for b in bytes {
      out.append(digits[Int(b >> 4)])
      out.append(digits[Int(b & 15)])
    }
    return String(decoding: out, as: UTF8.self)
  }

  /// The 64 round constants: the first 32 bits of the fractional parts of the cube roots of the
  /// first 64 primes.
  private static let k: [UInt32] = [
    0x428a_2f98, 0x7137_4491, 0xb5c0_fbcf, 0xe9b5_dba5, 0x3956_c25b, 0x59f1_11f1, 0x923f_82a4, 0xab1c_5ed5,
    0xd807_aa98, 0x1283_5b01, 0x2431_85be, 0x550c_7dc3, 0x72be_5d74, 0x80de_b1fe, 0x9bdc_06a7, 0xc19b_f174,
    0xe49b_69c1, 0xefbe_4786, 0x0fc1_9dc6, 0x240c_a1cc, 0x2de9_2c6f, 0x4a74_84aa, 0x5cb0_a9dc, 0x76f9_88da,
    0x983e_5152, 0xa831_c66d, 0xb003_27c8, 0xbf59_7fc7, 0xc6e0_0bf3, 0xd5a7_9147, 0x06ca_6351, 0x1429_2967,
    0x27b7_0a85, 0x2e1b_2138, 0x4d2c_6dfc, 0x5338_0d13, 0x650a_7354, 0x766a_0abb, 0x81c2_c92e, 0x9272_2c85,
    0xa2bf_e8a1, 0xa81a_664b, 0xc24b_8b70, 0xc76c_51a3, 0xd192_e819, 0xd699_0624, 0xf40e_3585, 0x106a_a070,
    0x19a4_c116, 0x1e37_6c08, 0x2748_774c, 0x34b0_bcb5, 0x391c_0cb3, 0x4ed8_aa4a, 0x5b9c_ca4f, 0x682e_6ff3,
    0x748f_82ee, 0x78a5_636f, 0x84c8_7814, 0x8cc7_0208, 0x90be_fffa, 0xa450_6ceb, 0xbef9_a3f7, 0xc671_78f2,
  ]

  @inline(__always) private static func rotr(_ x: UInt32, _ n: UInt32) -> UInt32 { (x >> n) | (x << (32 - n)) }

  /// Runs the compression function on one 64-byte block at `block`.
  private mutating func compress(_ block: UnsafeRawPointer) {
    withUnsafeTemporaryAllocation(of: UInt32.self, capacity: 64) { w in
      for i in 0..<16 {
        w[i] = UInt32(bigEndian: block.loadUnaligned(fromByteOffset: 4 * i, as: UInt32.self))
      }
      for i in 16..<64 {
        let s0 = Self.rotr(w[i - 15], 7) ^ Self.rotr(w[i - 15], 18) ^ (w[i - 15] >> 3)
        let s1 = Self.rotr(w[i - 2], 17) ^ Self.rotr(w[i - 2], 19) ^ (w[i - 2] >> 10)
        w[i] = w[i - 16] &+ s0 &+ w[i - 7] &+ s1
      }
      var (a, b, c, d, e, f, g, hh) = h
      Self.k.withUnsafeBufferPointer { k in
        for i in 0..<64 {
          let s1 = Self.rotr(e, 6) ^ Self.rotr(e, 11) ^ Self.rotr(e, 25)
          let ch = (e & f) ^ (~e & g)
          let t1 = hh &+ s1 &+ ch &+ k[i] &+ w[i]
          let s0 = Self.rotr(a, 2) ^ Self.rotr(a, 13) ^ Self.rotr(a, 22)
          let maj = (a & b) ^ (a & c) ^ (b & c)
          let t2 = s0 &+ maj
          hh = g
          g = f
          f = e
          e = d &+ t1
          d = c
          c = b
          b = a
          a = t1 &+ t2
        }
      }
      h = (h.0 &+ a, h.1 &+ b, h.2 &+ c, h.3 &+ d, h.4 &+ e, h.5 &+ f, h.6 &+ g, h.7 &+ hh)
    }
  }
}
