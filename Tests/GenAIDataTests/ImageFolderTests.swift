import Foundation
import GenAITensor
import GenAITestSupport
import Testing

@testable import GenAIData

/// Tests of `ImageSet.folder`: labels from sub-folder names, channel and size policies, and a
/// folder of good, corrupt, duplicate and wrong-sized files that loads the good ones and reports
/// the rest.

@Suite struct ImageFolderTests {
  @Test func loadsGoodFilesAndReportsTheRest() throws {
    let folder = try TemporaryFolder.make("image-tests")
    defer { try? FileManager.default.removeItem(at: folder) }
    let cat0 = ImageTestSupport.pattern(width: 6, height: 5, channels: 1, seed: 1)
    let cat1 = ImageTestSupport.pattern(width: 6, height: 5, channels: 1, seed: 2)
    let dog0 = ImageTestSupport.pattern(width: 6, height: 5, channels: 1, seed: 3)
    try ImageTestSupport.write(PNGEncoder.encode(cat0), "cat/a.png", in: folder)
    try ImageTestSupport.write(PNGEncoder.encode(cat1), "cat/b.png", in: folder)
    try ImageTestSupport.write(PNGEncoder.encode(dog0), "dog/x/deep.png", in: folder)
    // Same pixels stored differently (grey + opaque alpha would differ; a text chunk does not).
    try ImageTestSupport.write(
      PNGEncoder.encode(cat1, text: [PNGText(key: "k", value: "v")]), "dog/copy.png", in: folder)
    var corrupt = PNGEncoder.encode(dog0)
    corrupt[corrupt.count - 20] ^= 0xFF
    try ImageTestSupport.write(corrupt, "dog/corrupt.png", in: folder)
    try ImageTestSupport.write(Array("not an image".utf8), "dog/text.png", in: folder)
    try ImageTestSupport.write(
      PNGEncoder.encode(ImageTestSupport.pattern(width: 7, height: 5, channels: 1)), "dog/wide.png", in: folder)
    try ImageTestSupport.write([1, 2, 3], "dog/notes.txt", in: folder)
    try ImageTestSupport.write(PNGEncoder.encode(dog0), "dog/.hidden.png", in: folder)

    let set = try ImageSet.folder(folder, range: .zeroToOne)
    #expect(set.count == 3)
    #expect(set.classNames == ["cat", "dog"])
    #expect(set.labels == [0, 0, 1])
    #expect(set.imageShape == [1, 5, 6])
    #expect(set.bitmap(at: 0) == cat0 && set.bitmap(at: 1) == cat1 && set.bitmap(at: 2) == dog0)

    let report = set.report
    #expect(report.kept == 3)
    #expect(report.entries(.duplicate).map(\.file) == ["dog/copy.png"])
    #expect(report.entries(.duplicate).first?.reason == "same pixels as cat/b.png")
    #expect(report.entries(.corrupt).map(\.file) == ["dog/corrupt.png", "dog/text.png"])
    #expect(report.entries(.corrupt).first?.reason.contains("CRC mismatch") == true)
    #expect(report.entries(.corrupt).last?.reason.contains("not a PNG file") == true)
    #expect(report.entries(.wrongSize).map(\.file) == ["dog/wide.png"])
    #expect(report.entries(.wrongSize).first?.reason == "7x5, expected 6x5")
    #expect(report.table().contains("duplicate: 1"))
  }

  @Test func emptyFolderIsAnError() throws {
    let folder = try TemporaryFolder.make("image-tests")
    defer { try? FileManager.default.removeItem(at: folder) }
    let empty = #expect(throws: DataError.self) { try ImageSet.folder(folder) }
    #expect(empty?.file == folder.path)
    #expect(empty?.message.contains("the folder is empty") == true)
    try ImageTestSupport.write([1], "readme.txt", in: folder)
    let noPNG = #expect(throws: DataError.self) { try ImageSet.folder(folder) }
    #expect(noPNG?.message.contains("no .png files") == true)
    try ImageTestSupport.write([1, 2], "bad.png", in: folder)
    let allBad = #expect(throws: DataError.self) { try ImageSet.folder(folder) }
    #expect(allBad?.message.contains("no usable images") == true && allBad?.message.contains("bad.png") == true)
    let missing = #expect(throws: DataError.self) { try ImageSet.folder(folder.appendingPathComponent("nope")) }
    #expect(missing?.message == "image folder does not exist")
  }

  @Test func channelAndSizePolicies() throws {
    let folder = try TemporaryFolder.make("image-tests")
    defer { try? FileManager.default.removeItem(at: folder) }
    let grey = ImageTestSupport.pattern(width: 4, height: 4, channels: 1)
    let rgba = Bitmap(width: 8, height: 8, channels: 4, fill: [200, 100, 50, 255])
    try ImageTestSupport.write(PNGEncoder.encode(grey), "a.png", in: folder)
    try ImageTestSupport.write(PNGEncoder.encode(rgba), "b.png", in: folder)

    // Unlabelled; auto → RGB because one image has colour; resized to 4x4.
    let set = try ImageSet.folder(folder, size: .resized(width: 4, height: 4))
    #expect(set.labels == nil && set.count == 2 && set.imageShape == [3, 4, 4])
    #expect(set.bitmap(at: 1) == Bitmap(width: 4, height: 4, channels: 3, fill: [200, 100, 50]))
    #expect(set.bitmap(at: 0).converted(toChannels: 1) == grey)

    let greySet = try ImageSet.folder(folder, channels: .grey, size: .exactly(width: 8, height: 8))
    #expect(greySet.count == 1 && greySet.imageShape == [1, 8, 8])
    let weighted: Int = 299 * 200 + 587 * 100 + 114 * 50
    let luma = UInt8((weighted + 500) / 1000)
    #expect(greySet.pixels.allSatisfy { $0 == luma })
    #expect(greySet.report.entries(.wrongSize).map(\.reason) == ["4x4, expected 8x8"])

    let rgbaSet = try ImageSet.folder(folder, channels: .rgba)
    #expect(rgbaSet.imageShape == [4, 4, 4] && rgbaSet.bitmap(at: 0).pixels[3] == 255)
  }

  @Test func conversionsCompositeAlphaAndUseLuma() {
    let half = Bitmap(width: 1, height: 1, channels: 4, pixels: [255, 0, 0, 128])
    #expect(half.converted(toChannels: 3).pixels == [128, 0, 0])
    #expect(half.converted(toChannels: 3, background: 255).pixels == [255, 127, 127])
    #expect(half.converted(toChannels: 2).pixels == [76, 128])
    let grey = Bitmap(width: 1, height: 1, channels: 1, pixels: [9])
    #expect(grey.converted(toChannels: 4).pixels == [9, 9, 9, 255])
    // Shrinking 8x8 → 2x2 box-averages first.
    var pixels = [UInt8](repeating: 0, count: 64)
    for y in 0..<8 { for x in 0..<8 where (x + y) % 2 == 0 { pixels[y * 8 + x] = 200 } }
    let checker = Bitmap(width: 8, height: 8, channels: 1, pixels: pixels).resized(width: 2, height: 2)
    #expect(checker.pixels == [100, 100, 100, 100])
  }
}
