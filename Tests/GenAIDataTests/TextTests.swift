import Foundation
import GenAITensor
import GenAITestSupport
import Testing

@testable import GenAIData

/// Tests of text loading (UTF-8 with located errors), character and byte vocabularies with their
/// unknown-character policies, train/validation splits and next-token windows, on small texts
/// made here and on the real `shared/data/shakespeare/tiny.txt`.

// MARK: - Helpers (file-private, prefixed so they cannot clash with other test files)

private enum TextTestData {
  /// `shakespeare/tiny.txt`, or `nil` when the shared data is not there.
  static var tiny: URL? { SharedData.file(.shakespeare, "tiny.txt") }

  /// Writes `bytes` to `name` in `dir`.
  @discardableResult
  static func write(_ bytes: [UInt8], _ name: String, in dir: URL) throws -> URL {
    let url = dir.appending(path: name)
    try Data(bytes).write(to: url)
    return url
  }
}

// MARK: - Real data

@Test(.requiresSharedData(.shakespeare))
func textTinyShakespeareLoadsWithItsVocabulary() throws {
  let url = try #require(TextTestData.tiny)
  let corpus = try TextCorpus(contentsOf: url)
  #expect(corpus.byteCount == 999_956)
  #expect(corpus.characterCount == 999_956)  // ASCII: one byte per character
  let vocab = Vocabulary.characters(in: corpus.text)
  // nanoGPT reports 65 characters for its tiny-shakespeare input.txt (char-rnn's 1,115,394-character
  // file). This tiny.txt is a different text (the first ~1 MB of 39 Gutenberg works, see
  // shared/data/README.md) and has 77: the README's listing, checked here character for character.
  #expect(vocab.characters.count == 77)
  #expect(vocab.size == 77)
  let expected = "\n !\"&'(),-.1234567:;?ABCDEFGHIJKLMNOPQRSTUVWXYZ[]`abcdefghijklmnopqrstuvwxyz{"
  #expect(String(String.UnicodeScalarView(vocab.characters)) == expected)
  #expect(vocab.id(of: "\n") == 0 && vocab.id(of: " ") == 1 && vocab.id(of: "{") == 76)
  // Round trip of a slice (the whole file is covered by the windows test below).
  let head = String(corpus.text.prefix(5_000))
  let ids = try vocab.encode(head)
  #expect(ids.count == 5_000)
  #expect(vocab.decode(ids) == head)
  // A 90/10 split at a character boundary, as nanoGPT's prepare.py does.
  let (train, validation) = corpus.split(validationFraction: 0.1)
  #expect(train.characterCount == 899_960)
  #expect(train.text + validation.text == corpus.text)
  // Characters of the full text that tiny.txt lacks need a policy: `}` is one of them.
  #expect(throws: DataError.self) { try vocab.encode("}") }
}

@Test(.requiresSharedData(.shakespeare))
func textTinyShakespeareWindowsPredictTheNextCharacter() throws {
  let corpus = try TextCorpus(contentsOf: try #require(TextTestData.tiny))
  let vocab = Vocabulary.characters(in: corpus.text)
  let ids = try vocab.encode(corpus.text)
  #expect(ids.count == 999_956)
  let windows = try TextWindows(ids: ids, length: 64)
  var g = SeededGenerator(seed: 3)
  let batch = windows.makeBatch(indices: Array(0..<4), generator: &g)
  let tokens = try #require(batch.tokens), targets = try #require(batch.targets)
  for b in 0..<4 {
    let row = Array(tokens.values[(b * 64)..<((b + 1) * 64)])
    let next = Array(targets.values[(b * 64)..<((b + 1) * 64)])
    #expect(Array(row.dropFirst()) == Array(next.dropLast()))
    // The window is real text: decoding it finds it in the corpus.
    #expect(corpus.text.contains(vocab.decode(row + [next.last ?? 0])))
  }
}

// MARK: - Loading and UTF-8 errors

@Test func textNonUTF8FileNamesTheFileAndOffset() throws {
  let dir = try TemporaryFolder.make("text")
  defer { try? FileManager.default.removeItem(at: dir) }
  // "hello\nwor" then 0xFF (never valid in UTF-8) at byte offset 9, on line 2.
  let url = try TextTestData.write(Array("hello\nwor".utf8) + [0xFF] + Array("ld\n".utf8), "latin.txt", in: dir)
  do {
    _ = try TextCorpus(contentsOf: url)
    Issue.record("expected an error")
  } catch {
    #expect(error.file == url.path)
    #expect(error.message.contains("invalid UTF-8 at byte offset 9 (line 2)"), "\(error)")
    #expect(error.message.contains("0xFF"), "\(error)")
  }
}

@Test(arguments: [
  // (bytes, offset of the bad sequence, words the reason must contain)
  (Array("ab".utf8) + [0xC3], 2, "ends inside"),  // truncated 2-byte sequence at the end
  (Array("ab".utf8) + [0xC0, 0x80], 2, "never appears"),  // overlong NUL
  ([0x41, 0xE0, 0x80, 0x80], 1, "overlong"),  // overlong 3-byte form
  ([0x41, 0x42, 0xED, 0xA0, 0x80], 2, "surrogate"),  // UTF-16 surrogate D800
  ([0xF4, 0x90, 0x80, 0x80], 0, "out-of-range"),  // above U+10FFFF
  ([0x61, 0x80], 1, "continuation byte"),  // stray continuation
  ([0x61, 0xE2, 0x82, 0x41], 1, "cut short"),  // 3-byte sequence interrupted
] as [([UInt8], Int, String)])
func textInvalidUTF8IsLocated(bytes: [UInt8], offset: Int, reason: String) {
  #expect(TextCorpus.firstInvalidUTF8(bytes[...])?.offset == offset)
  do {
    _ = try TextCorpus.decodeUTF8(bytes, source: "x.txt")
    Issue.record("expected an error for \(bytes)")
  } catch {
    #expect(error.file == "x.txt")
    #expect(error.message.contains("byte offset \(offset)"), "\(error)")
    #expect(error.message.contains(reason), "\(error)")
  }
}

@Test func textValidUTF8DecodesAndDropsAByteOrderMark() throws {
  let text = "naïve café — 日本語 🌍\r\n"
  #expect(try TextCorpus.decodeUTF8(Array(text.utf8), source: "a") == text)
  #expect(try TextCorpus.decodeUTF8([0xEF, 0xBB, 0xBF] + Array(text.utf8), source: "a") == text)
  #expect(TextCorpus.firstInvalidUTF8(Array(text.utf8)[...]) == nil)
  // Offsets count from the start of the file, byte-order mark included.
  #expect(throws: DataError(file: "b", "invalid UTF-8 at byte offset 4 (line 1): byte 0xFF never appears in UTF-8 "
    + "[bytes FF]; the file must be UTF-8 text")) {
    try TextCorpus.decodeUTF8([0xEF, 0xBB, 0xBF, 0x41, 0xFF], source: "b")
  }
}

@Test func textEmptyAndMissingFilesAreErrors() throws {
  let dir = try TemporaryFolder.make("text")
  defer { try? FileManager.default.removeItem(at: dir) }
  let empty = try TextTestData.write([], "empty.txt", in: dir)
  #expect(throws: DataError(file: empty.path, "empty file (0 bytes)")) { try TextCorpus(contentsOf: empty) }
  let missing = dir.appending(path: "nope.txt")
  #expect(throws: DataError(file: missing.path, "no such file or folder")) { try TextCorpus(contentsOf: missing) }
}

@Test func textFolderLoadsGoodFilesAndReportsBadOnes() throws {
  let dir = try TemporaryFolder.make("text")
  defer { try? FileManager.default.removeItem(at: dir) }
  try TextTestData.write(Array("first\n".utf8), "a.txt", in: dir)
  try TextTestData.write([0x62, 0xE9, 0x0A], "b.txt", in: dir)  // Latin-1 "bé"
  try TextTestData.write(Array("third\n".utf8), "c.txt", in: dir)
  try TextTestData.write([], "d.txt", in: dir)
  try TextTestData.write(Array("ignored".utf8), "notes.md", in: dir)
  var report = CleaningReport()
  let corpus = try TextCorpus.load(dir, report: &report)
  #expect(corpus.text == "first\n\n\nthird\n")
  #expect(report.kept == 2)
  #expect(report.entries(.notUTF8).map(\.file) == ["b.txt"])
  #expect(report.entries(.empty).map(\.file) == ["d.txt"])
  #expect(report.table().contains("not UTF-8: 1"))

  let allBad = try TemporaryFolder.make("text")
  defer { try? FileManager.default.removeItem(at: allBad) }
  try TextTestData.write([0xFF], "x.txt", in: allBad)
  #expect(throws: DataError.self) { try TextCorpus(contentsOf: allBad) }
}

@Test func textSplitKeepsGraphemesTogether() {
  let corpus = TextCorpus(String(repeating: "abcdefghij", count: 10))
  let (train, validation) = corpus.split(validationFraction: 0.25)
  #expect(train.characterCount == 75 && validation.characterCount == 25)
  #expect(corpus.split(validationFraction: 0).validation.text.isEmpty)
  #expect(corpus.split(validationFraction: 1).train.text.isEmpty)
  // "e" + combining acute (2 scalars, 1 Character): a cut after scalar 4 of "abce\u{301}xyz" would
  // split the "é"; the split moves forward to keep it in the training part.
  let accented = TextCorpus("abce\u{301}xyz")  // 8 scalars
  let (t, v) = accented.split(validationFraction: 0.5)
  #expect(t.text == "abce\u{301}")
  #expect(v.text == "xyz")
}

// MARK: - Vocabularies

@Test func vocabCharactersAreSortedAndRoundTrip() throws {
  let vocab = Vocabulary.characters(in: "hello, wörld 🌍\n")
  #expect(vocab.characters.map(\.value) == vocab.characters.map(\.value).sorted())
  #expect(vocab.characters.count == 12)  // \n space , d e h l o r w ö 🌍
  #expect(vocab.unknownID == nil && vocab.size == 12)
  let text = "hello wörld 🌍"
  #expect(vocab.decode(try vocab.encode(text)) == text)
  #expect(try vocab.encode("\n ,") == [0, 1, 2])
  #expect(vocab.symbol(for: 0) == "\n")
  // Built from an explicit character set, any order and repeats: the same ids.
  #expect(Vocabulary(characters: "🌍ö,wrdoleh \n\n".unicodeScalars) == vocab)
  // Scalars, not grapheme clusters: "\r\n" and "e\u{301}" are two symbols each.
  let crlf = Vocabulary.characters(in: "a\r\ne\u{301}")
  #expect(crlf.characters.count == 5)
  #expect(crlf.decode(try crlf.encode("e\u{301}\r\n")) == "e\u{301}\r\n")
}

@Test func vocabUnknownCharacterPolicies() throws {
  let strict = Vocabulary.characters(in: "abc")
  do {
    _ = try strict.encode("abxc", source: "prompt")
    Issue.record("expected an error")
  } catch {
    #expect(error.file == "prompt")
    #expect(error.message.contains("unknown character 'x' (U+0078) at character 2"), "\(error)")
  }
  #expect(throws: DataError.self) { try strict.encode("a\u{E9}") }

  let skip = Vocabulary.characters(in: "abc", unknown: .skip)
  #expect(try skip.encode("axbyc") == [0, 1, 2])
  #expect(skip.size == 3)

  let replace = Vocabulary.characters(in: "abc", unknown: .replace(with: "?"))
  #expect(replace.size == 4 && replace.unknownID == 3)
  #expect(try replace.encode("axbé") == [0, 3, 1, 3])
  #expect(replace.decode([0, 3, 1, 3]) == "a?b?")
  #expect(replace.symbol(for: 3) == "<unk>")
  // The known characters keep the ids they have without `<unk>`.
  #expect(try replace.encode("cab") == (try strict.encode("cab")))
}

@Test func vocabByteLevelRoundTripsAnyText() throws {
  let bytes = Vocabulary.bytes
  #expect(bytes.size == 256 && bytes.kind == .bytes)
  let text = "naïve — 日本語 🌍 \u{0}\r\n"
  let ids = try bytes.encode(text)
  #expect(ids == Array(text.utf8).map { Int($0) })
  #expect(ids.allSatisfy { (0..<256).contains($0) })
  #expect(bytes.decode(ids) == text)
  // A sampled sequence need not be valid UTF-8: it decodes with U+FFFD, never traps.
  #expect(bytes.decode([0x61, 0xFF, 0x62]) == "a\u{FFFD}b")
  #expect(bytes.symbol(for: 65) == "0x41")
}

@Test func vocabCodableRoundTripForEveryKindAndPolicy() throws {
  let text = "To be, or not to be: 🌍\n"
  let vocabs = [
    Vocabulary.characters(in: text), Vocabulary.characters(in: text, unknown: .skip),
    Vocabulary.characters(in: text, unknown: .replace(with: "�")), Vocabulary.bytes,
  ]
  for vocab in vocabs {
    let json = try JSONEncoder().encode(vocab)
    let back = try JSONDecoder().decode(Vocabulary.self, from: json)
    #expect(back == vocab)
    #expect(try back.encode(text) == vocab.encode(text))
    if vocab.unknownPolicy != .error { #expect(try back.encode("#x") == vocab.encode("#x")) }
  }
  // A vocabulary whose characters are out of order would renumber the tokens: rejected.
  let bad = Data(#"{"kind":"characters","characters":"ba","unknown":{"policy":"error"}}"#.utf8)
  #expect(throws: DecodingError.self) { try JSONDecoder().decode(Vocabulary.self, from: bad) }
  let badPolicy = Data(#"{"kind":"characters","characters":"ab","unknown":{"policy":"guess"}}"#.utf8)
  #expect(throws: DecodingError.self) { try JSONDecoder().decode(Vocabulary.self, from: badPolicy) }
}

// MARK: - Windows

@Test func textWindowsTargetsAreTokensShiftedByOne() throws {
  let ids = Array(0..<50)
  let windows = try TextWindows(ids: ids, length: 8)
  #expect(windows.count == 6)  // (50 - 1) / 8
  var g = SeededGenerator(seed: 1)
  let batch = windows.makeBatch(indices: [0, 1, 2], generator: &g)
  let tokens = try #require(batch.tokens), targets = try #require(batch.targets)
  #expect(tokens.shape == [3, 8] && targets.shape == [3, 8])
  #expect(batch.inputs.shape == [3, 0])
  // ids are their own positions here, so each row is consecutive and targets are tokens + 1.
  for b in 0..<3 {
    let row = tokens.values[(b * 8)..<((b + 1) * 8)]
    #expect(zip(row, row.dropFirst()).allSatisfy { $1 == $0 + 1 })
    #expect(zip(row, targets.values[(b * 8)..<((b + 1) * 8)]).allSatisfy { $1 == $0 + 1 })
    #expect(row.last ?? 0 <= 48)
  }
  // The same generator state gives the same windows.
  var g1 = SeededGenerator(seed: 9), g2 = SeededGenerator(seed: 9)
  #expect(windows.makeBatch(indices: [0, 0], generator: &g1).tokens == windows.makeBatch(indices: [5, 3], generator: &g2).tokens)
}

@Test func textWindowsTiledCoverEveryTargetOnce() throws {
  let ids = Array(100..<133)  // 33 tokens, windows of 4: 8 windows cover targets 101...132
  let windows = try TextWindows(ids: ids, length: 4, sampling: .tiled)
  #expect(windows.count == 8)
  var g = SeededGenerator(seed: 0)
  let batch = windows.makeBatch(indices: Array(0..<8).reversed(), generator: &g)
  let targets = try #require(batch.targets)
  #expect(targets.values.sorted() == Array(101..<133))
  #expect(batch.tokens?.values.prefix(4) == [128, 129, 130, 131])
}

@Test func textWindowsRejectShortStreams() {
  #expect(throws: DataError.self) { try TextWindows(ids: [1, 2, 3], length: 3) }
  #expect(throws: DataError.self) { try TextWindows(ids: [1, 2, 3], length: 0) }
  #expect((try? TextWindows(ids: [1, 2, 3, 4], length: 3))?.count == 1)
}
