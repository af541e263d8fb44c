import Foundation
import GenAIData
import GenAIModels
import GenAITestSupport
import Testing
@testable import GenAITraining

@Suite("Run configuration, data specs, labels, metrics lines")
struct RunPiecesTests {
  @Test func configRoundTripsThroughJSON() throws {
    var config = RunConfig(recipe: .charGPT)
    config.steps = 123
    config.learningRate = 3e-4
    config.vocabulary = Vocabulary.characters(in: "hello world")
    config.classNames = ["a", "b"]
    let back = try RunConfig.decode(try config.encoded(), source: "config.json")
    #expect(back == config)
  }

  @Test func badConfigNamesTheFileAndField() throws {
    let json = Data(#"{"recipe": "dcgan"}"#.utf8)
    #expect(throws: TrainingError.self) { try RunConfig.decode(json, source: "/x/config.json") }
    do {
      _ = try RunConfig.decode(Data(#"{"recipe": "nope"}"#.utf8), source: "/x/config.json")
    } catch let error as TrainingError {
      #expect(error.message.contains("/x/config.json"))
    }
  }

  @Test func optionsAreValidatedWithTheirNames() {
    var config = RunConfig(recipe: .dcgan)
    config.steps = -1
    #expect(throws: SettingError("steps", "must be at least 1, got -1")) { try config.validate() }
    config = RunConfig(recipe: .dcgan)
    config.batchSize = 0
    #expect(throws: SettingError("batchSize", "must be at least 1, got 0")) { try config.validate() }
  }

  @Test func recipeNamesParseAndUnknownOnesListTheValidNames() throws {
    #expect(try RecipeKind.named("char_gpt") == .charGPT)
    #expect(try RecipeKind.named("WGAN-GP") == .wganGP)
    do {
      _ = try RecipeKind.named("stylegan")
      Issue.record("expected an error")
    } catch let error as RecipeError {
      #expect(error.message.contains("stylegan") && error.message.contains("dcgan") && error.message.contains("char-rnn"))
    }
  }

  /// Every kind of data spec survives config.json, written as the string it would be typed as.
  @Test func configRoundTripsEveryDataSpec() throws {
    let specs: [DataSpec] =
      DatasetCatalog.choices.map(DataSpec.named) + [.shapes, .files(.images, path: "pics"), .files(.text, path: "/tmp/a.txt"), .files(.audio, path: "clips")]
    for spec in specs {
      var config = RunConfig(recipe: .dcgan)
      config.data = spec
      let json = try config.encoded()
      let object = try #require(try JSONSerialization.jsonObject(with: json) as? [String: Any])
      #expect(object["data"] as? String == spec.description)
      let back = try RunConfig.decode(json, source: "config.json")
      #expect(back == config)
      #expect(try back.encoded() == json)
    }
  }

  /// A config.json written before `data` was typed loads, and is written back byte for byte.
  @Test func oldConfigJSONStillLoads() throws {
    let canonical: [(String, DataSpec)] = [
      ("fashion-mnist", .named(DatasetCatalog.fashionMNIST)), ("shapes", .shapes),
      ("shakespeare-full", .named(DatasetCatalog.shakespeareFull)), ("text:\\/tmp\\/play.txt", .files(.text, path: "/tmp/play.txt")),
      ("wav:clips", .files(.audio, path: "clips")),
    ]
    for (data, expected) in canonical {
      let json = Data(Self.oldConfig(data: data).utf8)
      let config = try RunConfig.decode(json, source: "config.json")
      #expect(config.data == expected)
      #expect(config.recipe == .dcgan && config.steps == 3000 && config.classNames?.last == "Ankle boot")
      #expect(String(decoding: try config.encoded(), as: UTF8.self) == Self.oldConfig(data: data))
    }
    // Other spellings the parser took then load too (and are written in the canonical form).
    let others: [(String, DataSpec)] = [("MNIST", .named(DatasetCatalog.mnist)), ("audio:clips", .files(.audio, path: "clips"))]
    for (data, expected) in others {
      #expect(try RunConfig.decode(Data(Self.oldConfig(data: data).utf8), source: "config.json").data == expected)
    }
  }

  @Test func badDataInConfigNamesTheFieldAndTheValidNames() throws {
    let error = #expect(throws: TrainingError.self) {
      try RunConfig.decode(Data(Self.oldConfig(data: "cifar").utf8), source: "/x/config.json")
    }
    let message = error?.message ?? ""
    #expect(message.contains("/x/config.json") && message.contains("field \"data\"") && message.contains("cifar: unknown dataset"), "\(message)")
    for name in DataSpec.names { #expect(message.contains(name), "\(message)") }
  }

  /// A dcgan run's config.json as `RunConfig.encoded()` wrote it before `data` was typed, with
  /// `data` (JSON-escaped) in place.
  static func oldConfig(data: String) -> String {
    #"""
    {
      "audio" : {
        "batchSize" : 32,
        "griffinLimIterations" : 32,
        "klWarmupSteps" : 200,
        "klWeight" : 1,
        "labelSize" : 16,
        "latentSize" : 32,
        "learningRate" : 0.001,
        "steps" : 3000,
        "temperature" : 0.7,
        "width" : 16
      },
      "batchSize" : 64,
      "charGPT" : {
        "bias" : false,
        "blockSize" : 64,
        "clipNorm" : 1,
        "decaySteps" : 2000,
        "dropout" : 0,
        "heads" : 4,
        "layers" : 4,
        "learningRate" : 0.001,
        "minLearningRate" : 0.0001,
        "tiedHead" : true,
        "warmupSteps" : 100,
        "weightDecay" : 0.1,
        "width" : 128
      },
      "charRNN" : {
        "carryState" : false,
        "cell" : "lstm",
        "clipNorm" : 5,
        "dropout" : 0,
        "embeddingSize" : 128,
        "hiddenSize" : 512,
        "layers" : 2,
        "learningRate" : 0.002,
        "sequenceLength" : 100
      },
      "checkpointEvery" : 500,
      "classNames" : [
        "T-shirt\/top",
        "Trouser",
        "Pullover",
        "Dress",
        "Coat",
        "Sandal",
        "Shirt",
        "Sneaker",
        "Bag",
        "Ankle boot"
      ],
      "conditional" : false,
      "data" : "\#(data)",
      "dataDirectory" : "\/work\/shared\/data",
      "keepBest" : 1,
      "keepCheckpoints" : 2,
      "klWarmupSteps" : 0,
      "logEvery" : 10,
      "monitor" : "rollback",
      "recipe" : "dcgan",
      "sampleCount" : 64,
      "sampleEvery" : 500,
      "seed" : 0,
      "steps" : 3000,
      "vaeArchitecture" : "conv"
    }
    """#
  }

  @Test func labelsResolveByNumberNameAndPlural() throws {
    let names = DatasetCatalog.fashionMNIST.classNames
    #expect(try SampleWriter.label("7", classNames: names) == 7)
    #expect(try SampleWriter.label("sneakers", classNames: names) == 7)
    #expect(try SampleWriter.label("Ankle", classNames: names) == 9)
    for bad in ["10", "-1", "s", "hat"] {  // "s" is ambiguous
      let error = #expect(throws: SettingError.self) { try SampleWriter.label(bad, classNames: names) }
      #expect(error?.field == "label" && error?.problem.contains("Sneaker") == true, "\(bad)")
    }
  }

  @Test func metricsLinesAreSortedJSONWithNullForNonFinite() throws {
    let line = try JSONLines.line(MetricsLine.training(TrainingLine(step: 10, losses: ["g_loss": 0.5, "d_loss": .nan])))
    #expect(line == #"{"d_loss":null,"g_loss":0.5,"step":10}"#)
    #expect(try JSONLines.line(["note": "a \"b\""]) == #"{"note":"a \"b\""}"#)
    let folder = try TemporaryFolder.make("metrics")
    defer { try? FileManager.default.removeItem(at: folder) }
    let url = folder.appending(path: "m.jsonl")
    do {
      let log = try MetricsLog(url: url)
      try log.append(.training(TrainingLine(step: 1, losses: ["loss": 2.25])))
      try log.append(.training(TrainingLine(step: 2, losses: ["loss": 2])))
    }
    let rows = try MetricsLog.read(url)
    #expect(rows.count == 2)
    #expect(rows[0].training?.losses["loss"] == 2.25)
    #expect(rows[1].training?.step == 2)
  }

  /// A real SIGINT only sets the flag the training loop checks (the process keeps running).
  @Test func ctrlCSetsTheStopFlag() {
    Interruption.install()
    #expect(!Interruption.isRequested)
    // Process-directed, as Ctrl-C is: any thread that does not block SIGINT runs the handler.
    kill(getpid(), SIGINT)
    let deadline = Date().addingTimeInterval(5)
    while !Interruption.isRequested && Date() < deadline { usleep(1000) }
    #expect(Interruption.isRequested)
    Interruption.uninstall()
    Interruption.reset()
  }

  @Test func progressFormatsLossesAndDurations() {
    #expect(TrainingProgress.format(["g_loss": 0.84211, "d_loss": 1.2104, "d_acc_real": 0.5]) == "[D loss: 1.2104, G loss: 0.8421, d_acc_real: 0.5000]")
    #expect(TrainingProgress.duration(42) == "42s")
    #expect(TrainingProgress.duration(741) == "12m21s")
    #expect(TrainingProgress.duration(3720) == "1h02m")
    var lines: [String] = []
    let progress = TrainingProgress(total: 4, startStep: 0, logEvery: 2, interactive: false, write: { lines.append($0) })
    for step in 1...4 { progress.update(step: step, epoch: 0, losses: ["loss": 1]) }
    #expect(lines.count == 2)
    #expect(lines[0].hasPrefix("epoch 1 step 2/4 [loss: 1.0000]"))
  }
}
