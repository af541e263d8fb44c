import Testing
@testable import GenAINN
import GenAITensor

private final class Block: Module, UnaryLayer {
  let fc: Linear
  init(using rng: inout SeededGenerator) {
    fc = Linear(inputSize: 4, outputSize: 4, using: &rng)
    super.init()
  }
  func callAsFunction(_ x: Tensor) -> Tensor { fc(x).relu() }
}

private final class Net: Module {
  let layers: Sequential
  let heads: [String: Module]
  let scale = Tensor.ones([1])  // a buffer: does not require a gradient
  init(using rng: inout SeededGenerator) {
    layers = Sequential([Block(using: &rng), Linear(inputSize: 4, outputSize: 2, bias: false, using: &rng)])
    heads = ["b": Linear(inputSize: 2, outputSize: 1, using: &rng), "a": Linear(inputSize: 2, outputSize: 3, using: &rng)]
    super.init()
  }
}

@Suite struct ModuleTests {
  @Test func namesAndCountsAreGolden() {
    var rng = SeededGenerator(seed: 0)
    let net = Net(using: &rng)
    #expect(net.namedParameters().map(\.0) == [
      "layers.0.fc.weight", "layers.0.fc.bias", "layers.1.weight",
      "heads.a.weight", "heads.a.bias", "heads.b.weight", "heads.b.bias",
    ])
    #expect(net.namedBuffers().map(\.0) == ["scale"])
    #expect(net.parameterCount() == 16 + 4 + 8 + 6 + 3 + 2 + 1)
  }

  @Test func trainEvalReachesEveryChild() {
    var rng = SeededGenerator(seed: 0)
    let net = Net(using: &rng)
    net.eval()
    #expect(net.namedModules().allSatisfy { !$0.1.isTraining })
    net.train()
    #expect(net.namedModules().allSatisfy { $0.1.isTraining })
  }

  @Test func freezingKeepsParametersButStopsGradients() {
    var rng = SeededGenerator(seed: 0)
    let net = Net(using: &rng)
    net.layers.freeze()
    #expect(net.namedParameters().count == 7)
    #expect(net.parameterCount(trainableOnly: true) == 6 + 3 + 2 + 1)
    #expect(net.parameters().count == 4)
    net.layers.unfreeze()
    #expect(net.parameters().count == 7)
  }
}
