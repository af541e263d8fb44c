import CGenAIKernels
import Testing

@testable import GenAITensor

/// `genai_buffer_alloc`, under every tensor's storage: 64-byte alignment for the vector kernels
/// at every size, whole 2 MB pages (huge-page aligned) from 2 MB up, and memory that holds
/// what is written to every byte of it.
struct BufferAllocationTests {
  @Test(arguments: [1, 3, 4095, 4096, 100_000, (2 << 20) / 4 - 1, (2 << 20) / 4, 3_000_001])
  func buffersAreAlignedAndHoldTheirContents(floats: Int) throws {
    let raw = try #require(genai_buffer_alloc(floats * 4))
    defer { genai_buffer_free(raw) }
    let address = UInt(bitPattern: raw)
    #expect(address % 64 == 0)
    if floats * 4 >= 2 << 20 { #expect(address % UInt(2 << 20) == 0, "a huge-page buffer starts on a 2 MB boundary") }
    let p = raw.bindMemory(to: Float.self, capacity: floats)
    for i in 0..<floats { p[i] = Float(i % 1000) }
    #expect((0..<floats).allSatisfy { p[$0] == Float($0 % 1000) })
  }

  @Test func largeTensorsComeFromTheCacheAligned() {
    let t = Tensor.zeros([1024, 1024])  // 4 MB: a huge-page buffer
    #expect(UInt(bitPattern: t.storage.base) % 64 == 0)
    #expect(t.storage.buffer.allSatisfy { $0 == 0 })
  }
}
