import ArgumentParser
import Foundation
import GenAI
import GenAITestSupport
import Testing
@testable import GenAICLI

/// Runs `genai ARGS` in-process, as the executable would.
private func genai(_ arguments: [String]) throws {
  var command = try GenAICommand.parseAsRoot(arguments)
  try command.run()
}

@Suite("The genai command line", .serialized)
struct CLITests {
  /// Every command has a `--help` that explains its options.
  @Test(arguments: [
    (["quickstart"], "--steps"), (["train"], "--resume"), (["sample"], "--label"), (["restore"], "--box"),
    (["bench"], "--steps"), (["serve"], "--token"), (["report"], "report.html"), (["datasets"], "--verify"), (["info"], "threads"), (["demo"], "--steps"),
  ])
  func everyCommandHasHelp(_ path: [String], _ mentions: String) throws {
    let help = GenAICommand.helpMessage(for: try #require(GenAICommand.configuration.subcommands.first { $0.configuration.commandName == path[0] }))
    #expect(help.contains("USAGE"), "\(path)")
    #expect(help.lowercased().contains(mentions.lowercased()), "\(path): \(help)")
  }

  /// `--data` lists what it accepts, from the catalogue, wherever it is an option.
  @Test func dataHelpListsTheCatalogue() throws {
    for command in ["train", "eval"] {
      let type = try #require(GenAICommand.configuration.subcommands.first { $0.configuration.commandName == command })
      let help = GenAICommand.helpMessage(for: type)
      for form in DataSpec.names + ["images:PATH", "text:PATH", "wav:PATH"] {
        #expect(help.contains(form), "\(command): \(help)")
      }
    }
  }

  @Test func rootHelpListsTheCommands() {
    let help = GenAICommand.helpMessage()
    for name in ["quickstart", "train", "sample", "report", "restore", "bench", "datasets"] {
      #expect(help.contains(name))
    }
  }

  /// `genai train` on tiny sizes, then `genai sample` from the run and from a checkpoint file.
  @Test func trainThenSampleEndToEnd() throws {
    let folder = try TemporaryFolder.make("cli-e2e")
    defer { try? FileManager.default.removeItem(at: folder) }
    let run = folder.appending(path: "run").path
    try genai([
      "train", "dcgan", "--data", "shapes", "--steps", "3", "--batch-size", "4", "--conditional", "--sample-count", "10",
      "--out", run, "--plain", "--log-every", "1",
    ])
    let grid = folder.appending(path: "grid.png")
    try genai(["sample", run, "--count", "6", "--label", "triangle", "--out", grid.path, "--seed", "3"])
    let png = try PNGDecoder.read(grid)
    #expect(png.text.contains { $0.key == "genai.label" && $0.value == "2" })
    #expect(png.text.contains { $0.key == "genai.step" && $0.value == "3" })
    let checkpoint = RunDirectory(url: URL(fileURLWithPath: run)).checkpointURL(step: 3).path
    let again = folder.appending(path: "again.png")
    try genai(["sample", checkpoint, "--count", "6", "--label", "2", "--out", again.path, "--seed", "3"])
    #expect(try PNGDecoder.read(again).bitmap == png.bitmap)
    // Resume for more steps.
    try genai(["train", "--resume", run, "--steps", "4", "--plain"])
    #expect(RunDirectory(url: URL(fileURLWithPath: run)).checkpoints().last?.step == 4)
  }

  /// `--minutes` stops a run early with a checkpoint, and `genai eval --images` scores a folder of
  /// PNGs (here that run's own samples, duplicates kept) with a feature network.
  @Test func timeLimitThenScoreAFolderOfImages() throws {
    let folder = try TemporaryFolder.make("cli-images")
    defer { try? FileManager.default.removeItem(at: folder) }
    let run = folder.appending(path: "plus").path
    try genai([
      "train", "dcgan-plus", "--data", "shapes", "--steps", "100000", "--minutes", "0.002", "--batch-size", "4",
      "--out", run, "--plain", "--eval-every", "0",
    ])
    let step = try #require(RunDirectory(url: URL(fileURLWithPath: run)).checkpoints().last?.step)
    #expect(step >= 1 && step < 100_000)
    let classifier = folder.appending(path: "classifier").path
    try genai(["train", "classifier", "--data", "shapes", "--steps", "2", "--batch-size", "8", "--out", classifier, "--plain"])
    let images = folder.appending(path: "images")
    try genai(["sample", run, "--count", "12", "--separate", "--out", images.path])
    let copy = images.appending(path: "zz-copy.png")
    try FileManager.default.copyItem(at: images.appending(path: try #require(
      try FileManager.default.contentsOfDirectory(atPath: images.path).filter { $0.hasSuffix(".png") }.sorted().first)), to: copy)
    try genai(["eval", "--images", images.path, "--data", "shapes", "--classifier", classifier, "--no-ceiling"])
    // What the command scored, through the library: all 13 files, the duplicate kept.
    let set = try ImageSet.folder(images, channels: .grey, size: .exactly(width: 28, height: 28), deduplicate: false)
    #expect(set.count == 13)
    var unused = SeededGenerator(seed: 0)
    var options = EvaluationOptions()
    options.classifier = classifier
    let report = try Evaluator(images: .shapes, options: options)
      .evaluate(images: set.makeBatch(indices: Array(0..<13), generator: &unused).inputs, origin: images.path)
    let names = Set(report.metrics.map(\.name))
    #expect(names.isSuperset(of: ["fid", "kid", "is", "precision", "recall", "nn_distance"]), "\(names)")
    #expect(report.metrics.allSatisfy { $0.value.isFinite })
    #expect(genaiFailure(["eval", "--images", folder.appending(path: "nothing").path])?.contains("does not exist") == true)
    #expect(genaiFailure(["eval", run, "--images", images.path])?.contains("not both") == true)
  }

  /// A vaegan run repairs a damaged image (known pixels kept), denoises, and makes variations.
  @Test func restoreFillsDenoisesAndVaries() throws {
    let folder = try TemporaryFolder.make("cli-restore")
    defer { try? FileManager.default.removeItem(at: folder) }
    let run = folder.appending(path: "vaegan").path
    try genai(["train", "vaegan", "--data", "shapes", "--steps", "2", "--batch-size", "4", "--out", run, "--plain", "--sample-count", "4"])
    var g = SeededGenerator(seed: 1)
    let image = ProceduralShapes.draw(label: 0, using: &g)
    let input = folder.appending(path: "in.png")
    try PNGEncoder.write(Bitmap(width: 28, height: 28, channels: 1, pixels: image), to: input)
    let out = folder.appending(path: "out.png")
    try genai(["restore", run, "--input", input.path, "--box", "8,8,10,10", "--out", out.path])
    let restored = try PNGDecoder.read(out).bitmap
    #expect(restored.width == 28 * 4)
    // Outside the box the pixels are the input's (the output is upscaled 4x).
    for (x, y) in [(0, 0), (27, 27), (3, 20), (20, 3)] {
      #expect(restored.pixels[(y * 4) * restored.width + x * 4] == image[y * 28 + x], "(\(x), \(y))")
    }
    try genai(["restore", run, "--input", input.path, "--denoise", "--out", out.path])
    try genai(["restore", run, "--input", input.path, "--variations", "4", "--out", out.path])
    #expect(try PNGDecoder.read(out).bitmap.width > 28 * 4 * 2)
    #expect(GenAICommand.message(for: ValidationError("x")) == "x")
    do {
      try genai(["restore", run, "--input", input.path, "--box", "20,20,10,10"])
      Issue.record("expected an error")
    } catch {
      #expect(GenAICommand.message(for: error).contains("--box must be X,Y,W,H inside 28x28"))
    }
  }

  /// A short dcgan run, then `genai report`: the page exists with its loss plot and last grid,
  /// and a folder that is not a run gets an error naming it.
  @Test func reportOfAShortRun() throws {
    let folder = try TemporaryFolder.make("cli-report")
    defer { try? FileManager.default.removeItem(at: folder) }
    let run = folder.appending(path: "run").path
    try genai(["train", "dcgan", "--data", "shapes", "--steps", "2", "--batch-size", "4", "--sample-count", "4", "--out", run, "--plain", "--log-every", "1"])
    try genai(["report", run])
    let html = try String(contentsOfFile: run + "/report.html", encoding: .utf8)
    #expect(html.contains("<svg") && html.contains(">Losses<") && html.contains(">g_loss<"))
    #expect(html.contains("data:image/png;base64,") && html.contains("step 2</figcaption>"))
    let out = folder.appending(path: "elsewhere.html")
    try genai(["report", run, "--out", out.path, "--open-hint"])
    #expect(FileManager.default.fileExists(atPath: out.path))
    do {
      try genai(["report", folder.path])
      Issue.record("expected an error")
    } catch {
      #expect(GenAICommand.message(for: error) == "\(folder.path) is not a genai run: it has no config.json")
    }
    do {
      try genai(["report", folder.appending(path: "missing").path])
      Issue.record("expected an error")
    } catch {
      #expect(GenAICommand.message(for: error).contains("missing: no such run folder"))
    }
  }

  @Test func badInputGetsClearErrors() throws {
    let folder = try TemporaryFolder.make("cli-bad")
    defer { try? FileManager.default.removeItem(at: folder) }
    func message(_ arguments: [String]) -> String {
      do {
        try genai(arguments)
        return ""
      } catch {
        return GenAICommand.message(for: error)
      }
    }
    #expect(message(["train", "stylegan"]).contains("unknown recipe \"stylegan\""))
    #expect(message(["train", "dcgan", "--data-dir", folder.path, "--out", folder.appending(path: "r").path]).contains("dataset fashion-mnist not found"))
    #expect(message(["train", "dcgan", "--data", "shakespeare"]).contains("trains on images"))
    let badData = message(["train", "dcgan", "--data", "cifar"])
    #expect(badData.contains("--data") && badData.contains("cifar: unknown dataset"), "\(badData)")
    for name in DataSpec.names + ["images:PATH", "text:PATH", "wav:PATH"] { #expect(badData.contains(name), "\(badData)") }
    #expect(message(["eval", folder.path, "--data", "text:"]).contains("no path after \"text:\""))
    #expect(message(["train", "dcgan", "--data", "shapes", "--steps=-3"]).contains("--steps must be at least 1"))
    #expect(message(["train"]).contains("name a recipe"))
    #expect(message(["sample", folder.path]).contains("not a genai run"))
    #expect(message(["sample", folder.path, "--count", "-1"]).contains("--count"))
    // A vae run: no labels, and not a vaegan for restore.
    let run = folder.appending(path: "vae").path
    try genai(["train", "vae", "--data", "shapes", "--steps", "1", "--batch-size", "4", "--out", run, "--plain", "--sample-count", "4"])
    #expect(message(["sample", run, "--label", "3"]).contains("not class-conditional"))
    #expect(message(["train", "dcgan", "--resume", run]).contains("is a vae run, not dcgan"))
    #expect(message(["restore", run, "--input", "x.png", "--denoise"]).contains("is a vae run, not vaegan"))
    #expect(message(["restore", run, "--input", "x.png"]).contains("choose one of"))
    #expect(message(["bench", "stylegan"]).contains("stylegan"))
  }
}
