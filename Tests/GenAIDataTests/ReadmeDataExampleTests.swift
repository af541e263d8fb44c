import Foundation
import GenAIData
import GenAITensor
import GenAITestSupport
import Testing

// The README's data example on the real Fashion-MNIST test files: if this breaks, so does the README.
@Suite struct ReadmeDataExampleTests {
  @Test(.requiresSharedData(.fashionMNIST))
  func loadBatchAndWriteGrid() throws {
    let dir = try #require(SharedData.folder(.fashionMNIST))
    let imagesFile = dir.appendingPathComponent("t10k-images-idx3-ubyte.gz")
    let out = FileManager.default.temporaryDirectory.appendingPathComponent("readme-grid-\(UUID().uuidString).png")
    defer { try? FileManager.default.removeItem(at: out) }

    let images = try ImageSet.idx(images: imagesFile,
                                  labels: dir.appendingPathComponent("t10k-labels-idx1-ubyte.gz"),
                                  range: .minusOneToOne)
    let loader = try BatchLoader(images, batchSize: 64, shuffle: true, dropLast: true, seed: 1, prefetch: 1)
    let batch = try #require(loader.next())
    try ImageGrid.write(batch.inputs, to: out, range: .minusOneToOne, scale: 3)
    let resumeAt = loader.position

    #expect(batch.inputs.shape == [64, 1, 28, 28])
    #expect(batch.labels?.shape == [64])
    #expect(resumeAt.batch == 1)
    let bytes = try Data(contentsOf: out)
    #expect(bytes.starts(with: [0x89, 0x50, 0x4E, 0x47]))
  }
}
