import Foundation
import GenAIModels
import Testing
@testable import GenAITraining

/// Options with a fixed set of values are typed in Swift and stored as their names in
/// `config.json`, so existing files load; a bad name or an out-of-range value names the file and
/// the field.
@Suite("Typed settings in config.json")
struct TypedSettingsTests {
  /// `config.json` as `encoded()` writes it, with `edit` applied to its top-level object.
  private func configJSON(_ recipe: RecipeKind = .vae, _ edit: (inout [String: Any]) -> Void) throws -> Data {
    var object = try #require(try JSONSerialization.jsonObject(with: RunConfig(recipe: recipe).encoded()) as? [String: Any])
    edit(&object)
    return try JSONSerialization.data(withJSONObject: object)
  }

  /// The message `RunConfig.decode` throws for `data`, or `nil` when it decodes.
  private func decodeError(_ data: Data) -> String? {
    do {
      _ = try RunConfig.decode(data, source: "/runs/x/config.json")
      return nil
    } catch {
      return "\(error)"
    }
  }

  @Test func namesInExistingFilesStillDecode() throws {
    let data = try configJSON {
      $0["vaeArchitecture"] = "mlp"
      $0["monitor"] = "rollback, instance-noise"
      var rnn = $0["charRNN"] as? [String: Any] ?? [:]
      rnn["cell"] = "gru"
      $0["charRNN"] = rnn
    }
    let config = try RunConfig.decode(data, source: "config.json")
    #expect(config.vaeArchitecture == .mlp)
    #expect(config.charRNN.cell == .gru)
    #expect(config.monitor == MonitorPolicy(actions: [.rollback, .instanceNoise]))
    // A file without the optional monitor field leaves it to the default.
    #expect(try RunConfig.decode(try configJSON { $0["monitor"] = nil }, source: "config.json").monitor == nil)
  }

  @Test func valuesAreWrittenAsTheirNames() throws {
    var config = RunConfig(recipe: .vae)
    config.vaeArchitecture = .mlp
    config.monitor = try MonitorPolicy("off")
    let object = try #require(try JSONSerialization.jsonObject(with: config.encoded()) as? [String: Any])
    #expect(object["vaeArchitecture"] as? String == "mlp")
    #expect(object["monitor"] as? String == "off")
    #expect((object["charRNN"] as? [String: Any])?["cell"] as? String == "lstm")
    #expect(try RunConfig.decode(config.encoded(), source: "config.json") == config)
  }

  @Test func aBadNameNamesTheFileTheFieldAndTheValuesExpected() throws {
    let vae = try #require(decodeError(try configJSON { $0["vaeArchitecture"] = "resnet" }))
    #expect(vae.contains("/runs/x/config.json") && vae.contains(#"field "vaeArchitecture": expected conv or mlp, got "resnet""#), "\(vae)")
    let cell = try #require(decodeError(try configJSON {
      var rnn = $0["charRNN"] as? [String: Any] ?? [:]
      rnn["cell"] = "rnn"
      $0["charRNN"] = rnn
    }))
    #expect(cell.contains(#"field "charRNN.cell": expected lstm or gru, got "rnn""#), "\(cell)")
    let monitor = try #require(decodeError(try configJSON(.dcgan) { $0["monitor"] = "reboot" }))
    #expect(monitor.contains(#"field "monitor": unknown monitor action "reboot""#) && monitor.contains("instance-noise"), "\(monitor)")
  }

  /// A value out of range in the file names the field as the file spells it, not a flag.
  @Test func anOutOfRangeValueNamesTheFieldNotAFlag() throws {
    let steps = try #require(decodeError(try configJSON { $0["steps"] = 0 }))
    #expect(steps == #"/runs/x/config.json: field "steps" must be at least 1, got 0"#)
    let batch = try #require(decodeError(try configJSON { $0["batchSize"] = -2 }))
    #expect(batch == #"/runs/x/config.json: field "batchSize" must be at least 1, got -2"#)
  }

  /// The settings recorded in a sample file are checked the same way, naming the file.
  @Test func provenanceSettingsOutOfRangeNameTheFile() throws {
    var request = SampleRequest()
    request.scale = 40
    do {
      _ = try Provenance.request(from: ["settings": request.settingsJSON], source: "grid.png")
      Issue.record("expected an error")
    } catch let error as TrainingError {
      #expect(error.message == #"grid.png: provenance settings field "scale" must be in 1...16, got 40"#)
    }
  }

  @Test func monitorPolicySpecsRoundTrip() throws {
    for spec in ["off", "warn", "rollback,lower-d-lr", "instance-noise"] {
      #expect(try MonitorPolicy(spec).description == spec)
    }
    #expect(MonitorPolicy.default.description == "rollback,lower-d-lr")
    #expect(MonitorPolicy.words == ["off", "warn", "rollback", "lower-d-lr", "instance-noise"])
  }
}
