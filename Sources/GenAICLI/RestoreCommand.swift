import ArgumentParser
import Foundation
import GenAI

/// `genai restore RUN --input damaged.png ...`: the VAE-GAN's restoration uses.
struct RestoreCommand: ParsableCommand {
  static let configuration = CommandConfiguration(
    commandName: "restore",
    abstract: "Repair, denoise or vary an image with a trained vaegan run.",
    discussion: """
      The input PNG is made 28x28 grey. With --mask (a PNG whose light pixels mark the damaged \
      region) or --box X,Y,W,H (the damaged rectangle, in 28x28 pixels) the damaged pixels are \
      filled in by iterating encode-decode while the known pixels are kept. With --denoise the \
      image is re-drawn by the model (its reconstruction), which drops noise the model never \
      learnt to draw. With --variations N the output is a grid of N new images similar to the \
      input.

      Example:
        genai train vaegan --data fashion-mnist --out runs/vaegan
        genai restore runs/vaegan --input damaged.png --box 8,8,12,12
      """)

  @Argument(help: ArgumentHelp("A vaegan run folder or checkpoint.", valueName: "run"))
  var runPath: String

  @Option(help: "The image to restore (PNG).")
  var input: String

  @Option(help: "The output PNG.")
  var out: String = "restored.png"

  @Option(help: "A PNG marking the damaged region in light pixels.")
  var mask: String?

  @Option(help: "The damaged rectangle X,Y,W,H in 28x28 pixel coordinates.")
  var box: String?

  @Flag(help: "Remove noise: output the model's reconstruction.")
  var denoise = false

  @Option(help: "Write a grid of N new images similar to the input instead.")
  var variations: Int?

  @Option(help: "Encode-decode rounds when filling a damaged region.")
  var rounds: Int = 10

  @Option(help: "Seed for --variations.")
  var seed: UInt64 = 0

  func validate() throws {
    let modes = [mask != nil || box != nil, denoise, variations != nil].filter { $0 }.count
    guard modes == 1 else {
      throw ValidationError("choose one of --mask/--box (fill a damaged region), --denoise or --variations N")
    }
    if let variations, !(1...SampleRequest.countLimit).contains(variations) {
      throw ValidationError("--variations must be in 1...\(SampleRequest.countLimit), got \(variations)")
    }
    guard (1...10_000).contains(rounds) else { throw ValidationError("--rounds must be in 1...10000, got \(rounds)") }
  }

  func run() throws {
    let trained = try TrainedRecipe(loading: runPath)
    guard let model = trained.recipe.imageRestorer else {
      // The VAE-GAN is the recipe this command was made for; any recipe that restores images works.
      throw ValidationError("\(runPath) is a \(trained.config.recipe.name) run, not \(VAEGAN.name): it cannot restore images")
    }
    let image = try Self.loadImage(input)
    let result: Tensor
    if let variations {
      var rng = SeededGenerator(seed: seed)
      result = try model.variations(of: image, count: variations, using: &rng)
    } else if denoise {
      result = try model.reconstruct(image)
    } else {
      let missing = try mask.map(Self.loadMask) ?? Self.boxMask(box!)
      result = try model.restore(damaged: image, mask: 1 - missing, steps: rounds)
    }
    let text = trained.provenance.map { PNGText(key: "genai.\($0.key)", value: $0.value) }
      + [PNGText(key: "Comment", value: "machine-restored image (genai vaegan)")]
    try ImageGrid.write(result, to: URL(fileURLWithPath: out), range: .minusOneToOne, margin: variations == nil ? 0 : 2, scale: 4, text: text)
    FileHandle.standardError.write(Data("wrote \(out)\n".utf8))
  }

  /// A PNG as `[1, 1, 28, 28]` in [-1, 1].
  static func loadImage(_ path: String) throws -> Tensor {
    let bitmap = try PNGDecoder.read(URL(fileURLWithPath: path)).bitmap.converted(toChannels: 1).resized(width: 28, height: 28)
    return try Tensor(shape: [1, 1, 28, 28], bitmap.pixels.map { PixelRange.minusOneToOne.value(of: $0) })
  }

  /// 1 where the mask PNG is light (damaged), else 0; `[1, 1, 28, 28]`.
  static func loadMask(_ path: String) throws -> Tensor {
    let bitmap = try PNGDecoder.read(URL(fileURLWithPath: path)).bitmap.converted(toChannels: 1).resized(width: 28, height: 28)
    return try Tensor(shape: [1, 1, 28, 28], bitmap.pixels.map { $0 > 127 ? 1 : 0 })
  }

  /// 1 inside the rectangle `X,Y,W,H`, else 0; `[1, 1, 28, 28]`.
  static func boxMask(_ text: String) throws -> Tensor {
    let parts = text.split(separator: ",").compactMap { Int($0.trimmingCharacters(in: .whitespaces)) }
    guard parts.count == 4, parts[2] > 0, parts[3] > 0, parts[0] >= 0, parts[1] >= 0,
      parts[0] + parts[2] <= 28, parts[1] + parts[3] <= 28
    else { throw ValidationError("--box must be X,Y,W,H inside 28x28 with W, H > 0, got \(text)") }
    var values = [Float](repeating: 0, count: 28 * 28)
    for y in parts[1]..<(parts[1] + parts[3]) {
      for x in parts[0]..<(parts[0] + parts[2]) { values[y * 28 + x] = 1 }
    }
    return try Tensor(shape: [1, 1, 28, 28], values)
  }
}
