import Foundation
import GenAITensor
import GenAITestSupport
import Testing

@testable import GenAIData

/// Tests of the IDX reader and the in-memory `ImageSet`: the real Fashion-MNIST test files in
/// ../shared/data (skipped when absent), every malformed IDX file, and batching.

// MARK: - Shared helpers of the image tests (prefixed so they cannot clash with other files)

/// Files and small checks shared by the `Image*Tests.swift` files.
enum ImageTestSupport {
  /// Writes `bytes` to `name` under `folder` (creating sub-folders).
  static func write(_ bytes: [UInt8], _ name: String, in folder: URL) throws {
    let url = folder.appendingPathComponent(name)
    try FileManager.default.createDirectory(at: url.deletingLastPathComponent(), withIntermediateDirectories: true)
    try Data(bytes).write(to: url)
  }

  /// Bytes from a hex string.
  static func bytes(hex: String) -> [UInt8] {
    var out: [UInt8] = []
    var i = hex.startIndex
    while i < hex.endIndex {
      let j = hex.index(i, offsetBy: 2)
      out.append(UInt8(hex[i..<j], radix: 16) ?? 0)
      i = j
    }
    return out
  }

  /// A deterministic test bitmap with varied pixels.
  static func pattern(width: Int, height: Int, channels: Int, seed: Int = 0) -> Bitmap {
    var pixels: [UInt8] = []
    for y in 0..<height {
      for x in 0..<width {
        for c in 0..<channels { pixels.append(UInt8(truncatingIfNeeded: x * 29 + y * 71 + c * 113 + seed * 7 + x * y)) }
      }
    }
    return Bitmap(width: width, height: height, channels: channels, pixels: pixels)
  }
}

// MARK: - IDX

@Suite struct IDXTests {
  /// A small uint8 IDX image file: 3 images of 2 x 4.
  static let smallImages = IDXArray(type: .uint8, shape: [3, 2, 4], bytes: (0..<24).map { UInt8($0 * 10) })

  @Test(.requiresSharedData(.fashionMNIST))
  func readsRealFashionMNISTTestSplit() throws {
    let fashion = try #require(SharedData.folder(.fashionMNIST))
    let labels = fashion.appendingPathComponent("t10k-labels-idx1-ubyte.gz")
    let set = try ImageSet.idx(
      images: fashion.appendingPathComponent("t10k-images-idx3-ubyte.gz"), labels: labels, range: .zeroToOne)
    #expect(set.count == 10_000 && set.imageShape == [1, 28, 28])
    #expect(set.pixels.count == 10_000 * 784)
    var counts = [Int](repeating: 0, count: 10)
    for label in set.labels ?? [] { counts[label] += 1 }
    #expect(counts == [Int](repeating: 1_000, count: 10))
    // Pixels span 0...255 with mean 73.15 (../shared/data/README.md).
    let (sum, low, high) = set.pixels.withUnsafeBufferPointer { p in
      var (sum, low, high) = (0, UInt8.max, UInt8.min)
      for v in p {
        sum &+= Int(v)
        low = min(low, v)
        high = max(high, v)
      }
      return (sum, low, high)
    }
    #expect(low == 0 && high == 255)
    #expect(abs(Double(sum) / Double(set.pixels.count) - 73.15) < 0.01)
    // The header as the README gives it.
    let header = try IDX.parse(
      Array(try Gzip.decompress(try ImageFileIO.read(labels))), file: "l")
    #expect(header.magic == 0x0000_0801 && header.shape == [10_000])
  }

  @Test func parsesEveryElementTypeAndRank() throws {
    // int16 [2, 3], big-endian.
    let int16 = IDXArray(
      type: .int16, shape: [2, 3], bytes: [0x00, 0x01, 0xFF, 0xFF, 0x01, 0x00, 0x80, 0x00, 0x7F, 0xFF, 0, 0])
    let parsed = try IDX.parse(IDX.encode(int16), file: "a.idx")
    #expect(parsed == int16)
    #expect(parsed.integers() == [1, -1, 256, -32768, 32767, 0])
    // float32 and float64, rank 1 and rank 4.
    let f32 = IDXArray(type: .float32, shape: [2], bytes: [0x3F, 0x80, 0, 0, 0xC0, 0x20, 0, 0])
    #expect(try IDX.parse(IDX.encode(f32), file: "f").floats() == [1, -2.5])
    #expect(f32.integers() == nil)
    let f64 = IDXArray(type: .float64, shape: [1, 1, 1, 1], bytes: [0x40, 0x09, 0x21, 0xFB, 0x54, 0x44, 0x2D, 0x18])
    let pi = try IDX.parse(IDX.encode(f64), file: "f")
    #expect(pi.shape == [1, 1, 1, 1] && abs(pi.floats()[0] - Float.pi) < 1e-6)
    let int8 = IDXArray(type: .int8, shape: [3], bytes: [0x80, 0x00, 0x7F])
    #expect(try IDX.parse(IDX.encode(int8), file: "i").integers() == [-128, 0, 127])
    let int32 = IDXArray(type: .int32, shape: [1], bytes: [0xFF, 0xFF, 0xFF, 0xFE])
    #expect(try IDX.parse(IDX.encode(int32), file: "i").floats() == [-2])
  }

  @Test func gzipIsDetectedByMagic() throws {
    let raw = IDX.encode(Self.smallImages)
    let gz = Gzip.compress(raw)
    #expect(try IDX.parse(gz, file: "x.idx") == Self.smallImages)
    #expect(try IDX.parse(raw, file: "x.gz") == Self.smallImages)
  }

  @Test func truncatedGzipNamesTheFile() throws {
    let gz = Gzip.compress(IDX.encode(Self.smallImages))
    let error = #expect(throws: DataError.self) {
      try IDX.parse(Array(gz.prefix(gz.count - 9)), file: "train-images-idx3-ubyte.gz")
    }
    #expect(error?.file == "train-images-idx3-ubyte.gz")
    #expect(error?.message.contains("truncated gzip") == true)
  }

  @Test func wrongMagicSaysWhatWasExpected() throws {
    let labels = IDX.encode(IDXArray(type: .uint8, shape: [4], bytes: [0, 1, 2, 3]))
    let error = #expect(throws: DataError.self) {
      try IDX.parse(labels, file: "images.gz", expecting: (.uint8, rank: 3))
    }
    #expect(
      error?.description
        == "images.gz: bad IDX magic 0x00000801 (unsigned bytes, 1 dimension), "
        + "expected 0x00000803 (unsigned bytes, 3 dimensions)"
    )
    // Not an IDX file at all.
    let png = #expect(throws: DataError.self) { try IDX.parse([0x89, 0x50, 0x4E, 0x47, 0, 0, 0, 0], file: "p") }
    #expect(png?.message.hasPrefix("bad IDX magic 0x89504e47") == true)
    // Unknown element type 0x0A.
    let type = #expect(throws: DataError.self) { try IDX.parse([0, 0, 0x0A, 1, 0, 0, 0, 0], file: "t") }
    #expect(type?.message.contains("0x00000a01") == true)
  }

  @Test func payloadLengthMustBeExact() throws {
    let raw = IDX.encode(Self.smallImages)
    let short = #expect(throws: DataError.self) { try IDX.parse(Array(raw.dropLast(5)), file: "s.idx") }
    #expect(
      short?.message
        == "IDX payload truncated: shape [3, 2, 4] of unsigned bytes needs 24 bytes after the 16-byte header, found 19")
    let long = #expect(throws: DataError.self) { try IDX.parse(raw + [0], file: "l.idx") }
    #expect(long?.message.contains("too long") == true && long?.message.contains("found 25") == true)
    let header = #expect(throws: DataError.self) { try IDX.parse(Array(raw.prefix(10)), file: "h.idx") }
    #expect(header?.message.contains("truncated IDX header") == true)
    let tiny = #expect(throws: DataError.self) { try IDX.parse([0, 0], file: "t.idx") }
    #expect(tiny?.message.contains("too short") == true)
  }

  @Test func gzipIsDecodedOnlyAsFarAsTheHeaderDeclares() throws {
    // 10 MB of zeros after a header declaring 24 bytes (a zip bomb of ~10 KB): decoding stops one
    // byte past the declared size, and the error says the payload is at least that long.
    let header = Array(IDX.encode(Self.smallImages).prefix(16))
    let bomb = Gzip.compress(header + [UInt8](repeating: 0, count: 10_000_000))
    #expect(bomb.count < 20_000)
    let error = #expect(throws: DataError.self) { try IDX.parse(bomb, file: "bomb.gz") }
    #expect(
      error?.message
        == "IDX payload too long: shape [3, 2, 4] of unsigned bytes needs 24 bytes after the 16-byte header, "
        + "found at least 25")
    // A gzip'd file of exactly the declared size decodes to its end, checksums included.
    var corrupt = Gzip.compress(IDX.encode(Self.smallImages))
    corrupt[corrupt.count - 8] ^= 1  // the CRC-32
    let crc = #expect(throws: DataError.self) { try IDX.parse(corrupt, file: "crc.gz") }
    #expect(crc?.message.contains("corrupt gzip data") == true && crc?.message.contains("CRC-32") == true)
  }

  @Test func tooManyDimensionsIsRejected() throws {
    let error = #expect(throws: DataError.self) {
      try IDX.parse([0, 0, 0x08, 200] + [UInt8](repeating: 0, count: 64), file: "d.idx")
    }
    #expect(error?.message.contains("200 dimensions") == true)
    let huge = #expect(throws: DataError.self) {
      try IDX.parse([0, 0, 0x08, 3, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF], file: "h")
    }
    #expect(huge?.message.contains("impossibly large") == true)
  }

  @Test func missingFileNamesIt() throws {
    let error = #expect(throws: DataError.self) { try IDX.read(URL(fileURLWithPath: "/nonexistent/x.idx")) }
    #expect(error?.file == "/nonexistent/x.idx" && error?.message.hasPrefix("does not exist") == true)
  }
}

// MARK: - ImageSet

@Suite struct ImageSetTests {
  @Test func idxPairLoadsAndChecksLabelCount() throws {
    let folder = try TemporaryFolder.make("image-tests")
    defer { try? FileManager.default.removeItem(at: folder) }
    try ImageTestSupport.write(Gzip.compress(IDX.encode(IDXTests.smallImages)), "images.gz", in: folder)
    try ImageTestSupport.write(IDX.encode(IDXArray(type: .uint8, shape: [3], bytes: [2, 0, 1])), "labels", in: folder)
    try ImageTestSupport.write(IDX.encode(IDXArray(type: .uint8, shape: [2], bytes: [2, 0])), "short", in: folder)

    let set = try ImageSet.idx(
      images: folder.appendingPathComponent("images.gz"), labels: folder.appendingPathComponent("labels"),
      classNames: ["a", "b", "c"])
    #expect(set.count == 3 && set.imageShape == [1, 2, 4] && set.labels == [2, 0, 1] && set.classCount == 3)
    #expect(set.report.kept == 3 && set.report.entries.isEmpty)

    let error = #expect(throws: DataError.self) {
      try ImageSet.idx(
        images: folder.appendingPathComponent("images.gz"), labels: folder.appendingPathComponent("short"))
    }
    #expect(error?.message == "holds 2 labels, but images.gz holds 3 images")
    let range = #expect(throws: DataError.self) {
      try ImageSet.idx(
        images: folder.appendingPathComponent("images.gz"), labels: folder.appendingPathComponent("labels"),
        classNames: ["a", "b"])
    }
    #expect(range?.message.contains("label 2 at index 0") == true)
  }

  @Test func makeBatchNormalisesToEitherRange() throws {
    let pixels: [UInt8] = [0, 51, 255, 128, 10, 20, 30, 40]
    var set = ImageSet(pixels: pixels, count: 2, channels: 1, height: 2, width: 2, labels: [1, 0])
    var rng = SeededGenerator(seed: 1)
    let batch = set.makeBatch(indices: [1, 0, 1], generator: &rng)
    #expect(batch.inputs.shape == [3, 1, 2, 2])
    #expect(batch.labels?.values == [0, 1, 0])
    let values = batch.inputs.scalars
    #expect(values[4] == -1 && values[6] == 1 && abs(values[5] - (51 / 127.5 - 1)) < 1e-6)
    #expect(Array(values[0..<4]) == Array(values[8..<12]))
    set.range = .zeroToOne
    let unit = set.makeBatch(indices: [0], generator: &rng).inputs.scalars
    #expect(unit == [0, 0.2, 1, Float(128) / 255])
    #expect(set.bitmap(at: 1).pixels == [10, 20, 30, 40])
  }

  @Test func augmentedBatchesAreSeeded() throws {
    let bitmap = ImageTestSupport.pattern(width: 8, height: 8, channels: 1)
    var set = ImageSet(pixels: bitmap.pixels, count: 1, channels: 1, height: 8, width: 8)
    set.augmentation = ImageAugmentation(
      maxShift: 2, horizontalFlipProbability: 0.5, maxRotationDegrees: 10, noiseStd: 0.05)
    var a = SeededGenerator(seed: 7)
    var b = SeededGenerator(seed: 7)
    let x = set.makeBatch(indices: [0, 0, 0, 0], generator: &a).inputs.scalars
    let y = set.makeBatch(indices: [0, 0, 0, 0], generator: &b).inputs.scalars
    #expect(x == y)
    #expect(Array(x[0..<64]) != Array(x[64..<128]))  // each image draws its own parameters
    #expect(x.allSatisfy { $0 >= -1 && $0 <= 1 })
  }
}
