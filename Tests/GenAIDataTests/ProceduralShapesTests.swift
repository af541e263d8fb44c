import Foundation
import GenAITensor
import Testing
@testable import GenAIData

@Suite("Procedurally drawn shapes")
struct ProceduralShapesTests {
  @Test func itemsAreDeterministicAndEveryClassIsDrawn() {
    let source = ProceduralShapes.Source(count: 200, seed: 3)
    var seen = Set<Int>()
    for i in 0..<200 {
      let (label, pixels) = source.item(i)
      seen.insert(label)
      #expect(pixels.count == 28 * 28)
      // Each image has ink but is not all ink.
      let ink = pixels.filter { $0 > 128 }.count
      #expect(ink > 20 && ink < 28 * 28 / 2, "item \(i) (\(ProceduralShapes.classNames[label])) has \(ink) inked pixels")
    }
    #expect(seen == Set(0..<5))
    #expect(source.item(17) == source.item(17))
    #expect(source.item(17) != ProceduralShapes.Source(count: 200, seed: 4).item(17))
  }

  @Test func batchesAndTheEagerSetAgree() {
    let source = ProceduralShapes.Source(count: 10, seed: 1, range: .zeroToOne)
    var g = SeededGenerator(seed: 0)
    let batch = source.makeBatch(indices: [3, 7], generator: &g)
    #expect(batch.inputs.shape == [2, 1, 28, 28])
    let set = ProceduralShapes.imageSet(count: 10, seed: 1, range: .zeroToOne)
    let eager = set.makeBatch(indices: [3, 7], generator: &g)
    #expect(eager.inputs.scalars == batch.inputs.scalars)
    #expect(eager.labels?.values == batch.labels?.values)
    #expect(batch.inputs.scalars.allSatisfy { $0 >= 0 && $0 <= 1 })
  }

  /// Ring and circle differ in the centre; the class means are distinct images.
  @Test func classesLookDifferent() {
    let source = ProceduralShapes.Source(count: 400, seed: 0)
    var means = [[Double]](repeating: [Double](repeating: 0, count: 784), count: 5)
    var counts = [Int](repeating: 0, count: 5)
    var centreInk = [Double](repeating: 0, count: 5)
    for i in 0..<400 {
      let (label, pixels) = source.item(i)
      counts[label] += 1
      for k in 0..<784 { means[label][k] += Double(pixels[k]) }
      // ink at the shape's own centre is not known here; use the share of fully inked pixels
      centreInk[label] += Double(pixels.filter { $0 > 200 }.count)
    }
    for a in 0..<5 {
      for b in (a + 1)..<5 {
        let diff = zip(means[a], means[b]).map { abs($0 / Double(counts[a]) - $1 / Double(counts[b])) }.reduce(0, +)
        #expect(diff > 1000, "\(ProceduralShapes.classNames[a]) vs \(ProceduralShapes.classNames[b])")
      }
    }
  }
}
