import Foundation
import Testing

@testable import GenAIData

/// Tests of `DataSpec`, the one parser of `--data` and of a run's `config.json` `data` field:
/// every accepted form, the errors (each lists the valid names, generated from the catalogue),
/// the canonical written form and its JSON round trip; and of the catalogue entries it names.

private let home = FileManager.default.homeDirectoryForCurrentUser.path

/// Every form the parser accepts, with what it means.
private let acceptedForms: [(String, DataSpec)] = [
  ("fashion-mnist", .named(DatasetCatalog.fashionMNIST)),
  ("MNIST", .named(DatasetCatalog.mnist)),
  ("spoken_digits", .named(DatasetCatalog.spokenDigits)),
  (" shakespeare ", .named(DatasetCatalog.shakespeare)),
  ("Shakespeare-Full", .named(DatasetCatalog.shakespeareFull)),
  ("shapes", .shapes),
  ("SHAPES", .shapes),
  ("images:/data/faces", .files(.images, path: "/data/faces")),
  ("IMAGES:pics", .files(.images, path: "pics")),
  ("text:notes.txt", .files(.text, path: "notes.txt")),
  ("text: notes.txt ", .files(.text, path: "notes.txt")),
  ("wav:clips/a:b", .files(.audio, path: "clips/a:b")),  // only the first colon splits
  ("WAV:x", .files(.audio, path: "x")),
  ("audio:x", .files(.audio, path: "x")),  // the kind's own name says the same as wav:
  ("text:~/t.txt", .files(.text, path: home + "/t.txt")),
  ("wav:~", .files(.audio, path: home)),
]

@Test(arguments: acceptedForms)
func dataSpecParsesEveryAcceptedForm(_ text: String, _ expected: DataSpec) throws {
  #expect(try DataSpec(parsing: text) == expected)
}

@Test func dataSpecKindsAndCanonicalForms() throws {
  // The canonical forms read back as themselves.
  for text in DataSpec.names + ["images:a/b", "text:/t", "wav:w"] {
    #expect(try DataSpec(parsing: text).description == text)
  }
  // Other spellings are written in the canonical form.
  #expect(try DataSpec(parsing: "audio:x").description == "wav:x")
  #expect(try DataSpec(parsing: " Spoken_Digits ").description == "spoken-digits")
  #expect(try DataSpec(parsing: "SHAPES").description == "shapes")
  let kinds = try ["mnist", "shapes", "shakespeare", "shakespeare-full", "spoken-digits", "images:p", "text:p", "wav:p"]
    .map { try DataSpec(parsing: $0).kind }
  #expect(kinds == [.images, .images, .text, .text, .audio, .images, .text, .audio])
}

@Test(arguments: ["cifar10", "fashion", "", "   ", "png:x", "video:x", "shape"])
func dataSpecErrorsListTheValidNames(_ text: String) {
  do {
    _ = try DataSpec(parsing: text)
    Issue.record("expected an error for \(text.debugDescription)")
  } catch {
    let message = error.description
    // Generated from the catalogue: every dataset `--data` accepts, then the built-in shapes.
    #expect(DataSpec.names == ["fashion-mnist", "mnist", "shakespeare", "shakespeare-full", "spoken-digits", "shapes"])
    for name in DataSpec.names + ["images:PATH", "text:PATH", "wav:PATH"] {
      #expect(message.contains(name), "\(message)")
    }
    let trimmed = text.trimmingCharacters(in: .whitespaces)
    if trimmed.isEmpty {
      #expect(message.contains("none given"), "\(message)")
    } else if let colon = trimmed.firstIndex(of: ":") {
      #expect(message.contains("unknown kind of files \"\(trimmed[...colon])\""), "\(message)")
    } else {
      #expect(message.hasPrefix("\(trimmed): unknown dataset"), "\(message)")
    }
  }
}

@Test(arguments: ["images:", "text: ", "wav:", "Audio:  "])
func dataSpecNeedsAPathAfterTheColon(_ text: String) {
  let error = #expect(throws: DataError.self) { try DataSpec(parsing: text) }
  let message = error?.description ?? ""
  #expect(message.contains("no path after") && message.contains("e.g. "), "\(message)")
}

@Test func dataSpecRoundTripsThroughJSONAsItsString() throws {
  struct Holder: Codable, Equatable { var data: DataSpec }
  let specs: [DataSpec] =
    DatasetCatalog.choices.map(DataSpec.named) + [.shapes]
    + [.files(.images, path: "pics"), .files(.text, path: "/tmp/a b.txt"), .files(.audio, path: "clips/x")]
  for spec in specs {
    let json = try JSONEncoder().encode(Holder(data: spec))
    // Written as the string it would be typed as, so config.json files keep their form.
    let object = try #require(try JSONSerialization.jsonObject(with: json) as? [String: Any])
    #expect(object["data"] as? String == spec.description)
    #expect(try JSONDecoder().decode(Holder.self, from: json) == Holder(data: spec))
  }
  // Old spellings load.
  let old = try JSONDecoder().decode(Holder.self, from: Data(#"{"data": "AUDIO:clips"}"#.utf8))
  #expect(old.data == .files(.audio, path: "clips"))
  // A bad string is a decoding error at the field, with the parser's message (not a trap).
  do {
    _ = try JSONDecoder().decode(Holder.self, from: Data(#"{"data": "cifar"}"#.utf8))
    Issue.record("expected a decoding error")
  } catch DecodingError.dataCorrupted(let context) {
    #expect(context.codingPath.map(\.stringValue) == ["data"])
    #expect(context.debugDescription.contains("cifar: unknown dataset") && context.debugDescription.contains("shapes"))
  }
  #expect(throws: DecodingError.self) { try JSONDecoder().decode(Holder.self, from: Data(#"{"data": 3}"#.utf8)) }
}

@Test func dataSpecHelpListsEveryFormWithNotes() {
  let help = DataSpec.help
  for name in DataSpec.names + ["images:PATH", "text:PATH", "wav:PATH"] {
    #expect(help.contains(name), "\(help)")
  }
  #expect(help.contains("shakespeare (tiny.txt)") && help.contains("shakespeare-full (shakespeare.txt)"))
  #expect(help.contains("shapes (built in, no files needed)"))
  #expect(DataSpec.forms.hasPrefix("fashion-mnist, mnist, "))
}

// MARK: - The catalogue entries specs name

@Test func catalogueEntriesHoldFolderClassesAndLayout() {
  // `genai datasets` lists one entry per folder; --data also takes shakespeare-full.
  #expect(DatasetCatalog.all.map(\.name) == ["fashion-mnist", "mnist", "shakespeare", "spoken-digits"])
  #expect(DatasetCatalog.names == DatasetCatalog.all.map(\.name))
  #expect(DatasetCatalog.choices.map(\.name) == ["fashion-mnist", "mnist", "shakespeare", "shakespeare-full", "spoken-digits"])
  #expect(DatasetCatalog.dataset(named: "Shakespeare_Full") == DatasetCatalog.shakespeareFull)
  #expect(DatasetCatalog.dataset(named: "shapes") == nil)

  let dir = DataDirectory(url: URL(fileURLWithPath: "/data"))
  #expect(DatasetCatalog.mnist.location(in: dir).path == "/data/mnist")
  #expect(DatasetCatalog.shakespeareFull.location(in: dir).path == "/data/shakespeare")
  #expect(DatasetCatalog.shakespeareFull.files.map(\.path) == ["shakespeare.txt"])
  #expect(DatasetCatalog.shakespeare.files.contains(DatasetCatalog.shakespeareFull.files[0]))

  let fashion = DatasetCatalog.fashionMNIST.classNames
  #expect(fashion.count == 10 && fashion.first == "T-shirt/top" && fashion[7] == "Sneaker" && fashion.last == "Ankle boot")
  #expect(DatasetCatalog.mnist.classNames == (0...9).map(String.init))
  #expect(DatasetCatalog.spokenDigits.classNames == (0...9).map(String.init))
  #expect(DatasetCatalog.shakespeare.classNames.isEmpty)

  #expect(DatasetCatalog.fashionMNIST.layout == .idx && DatasetCatalog.mnist.layout == .idx)
  #expect(DatasetCatalog.shakespeare.layout == .text(file: "tiny.txt", heldOut: HeldOutText(file: "shakespeare.txt", lastCharacters: 200_000)))
  #expect(DatasetCatalog.shakespeareFull.layout == .text(file: "shakespeare.txt", heldOut: nil))
  #expect(DatasetCatalog.spokenDigits.layout == .spokenDigits)
  // Every file a layout reads is one the entry lists (so `genai datasets` checks it).
  for dataset in DatasetCatalog.choices {
    guard case .text(let file, let heldOut) = dataset.layout else { continue }
    let listed = DatasetCatalog.all.first { $0.folder == dataset.folder }?.files.map(\.path) ?? []
    #expect(listed.contains(file) && (heldOut.map { listed.contains($0.file) } ?? true), "\(dataset.name)")
  }
}
