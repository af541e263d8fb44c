import Foundation
import GenAINN
import GenAITensor
import Testing

// The README's custom-layer example, verbatim apart from the temporary file: if this stops
// compiling or training, the README is wrong.

/// A residual MLP block: x + W2·gelu(W1·LayerNorm(x)).
private final class ResidualBlock: Module, UnaryLayer {
  let norm: LayerNorm
  let up: Linear
  let down: Linear

  init(width: Int, using rng: inout SeededGenerator) {
    norm = LayerNorm(width)
    up = Linear(inputSize: width, outputSize: 4 * width, using: &rng)
    down = Linear(inputSize: 4 * width, outputSize: width, using: &rng)
    super.init()
  }

  func callAsFunction(_ x: Tensor) -> Tensor { x + down(up(norm(x)).gelu()) }
}

@Suite struct ReadmeExampleTests {
  @Test func customLayerTrainsAndCheckpoints() throws {
    let url = FileManager.default.temporaryDirectory.appendingPathComponent("readme-\(UUID().uuidString).safetensors")
    defer { try? FileManager.default.removeItem(at: url) }

    var rng = SeededGenerator(seed: 0)
    let model = Sequential([ResidualBlock(width: 16, using: &rng), Linear(inputSize: 16, outputSize: 1, using: &rng)])
    #expect(Array(model.namedParameters().map(\.0).prefix(3)) == ["0.norm.weight", "0.norm.bias", "0.up.weight"])
    let optimizer = AdamW(parameters: model.parameters(), learningRate: 1e-2)
    let schedule: some LearningRateSchedule = .cosineWithWarmup(learningRate: 1e-2, warmupSteps: 10, totalSteps: 100)
    var losses: [Float] = []
    for step in 0..<100 {
      schedule.apply(to: optimizer, atStep: step)
      let x = Tensor.randn([8, 16], using: &rng)
      let loss = model(x).meanSquaredError(x.sum(axes: [1], keepDims: true))
      optimizer.zeroGrad()
      try loss.backward()
      clipGradNorm(model.parameters(), maxNorm: 1)
      optimizer.step()
      losses.append(loss.item)
    }
    try TrainingCheckpoint.save(to: url, models: ["model": model], optimizers: ["opt": optimizer],
                                generators: ["data": rng], step: 100)
    let resumed = try TrainingCheckpoint.load(from: url, into: ["model": model], optimizers: ["opt": optimizer])
    rng = try resumed.generator("data")

    #expect(resumed.step == 100)
    let early = losses.prefix(10).reduce(0, +) / 10, late = losses.suffix(10).reduce(0, +) / 10
    #expect(late < early * 0.7, "loss should fall: first 10 average \(early), last 10 average \(late)")
  }
}
