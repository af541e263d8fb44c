import Foundation
import GenAITestSupport
import Synchronization
import Testing

@testable import GenAIData

/// Tests of the dataset registry: SHA-256 against published vectors and a real file's published
/// sum, data-directory resolution, found/missing/partial detection, verification
/// (including a re-compressed gzip), and downloading from a local HTTP server on 127.0.0.1.

// MARK: - Helpers (file-private, prefixed so they cannot clash with other test files)

private enum DatasetsTestData {
  static func write(_ bytes: [UInt8], _ path: String, in dir: URL) throws {
    let url = dir.appending(path: path)
    try FileManager.default.createDirectory(at: url.deletingLastPathComponent(), withIntermediateDirectories: true)
    try Data(bytes).write(to: url)
  }
}

/// A Python `http.server` on 127.0.0.1 with a free port, serving `root`.
///
/// The test process blocks SIGTERM for its threads and children inherit that mask, so a plain
/// `terminate()` is ignored: the server exits by itself when its stdin closes (the test ended or
/// died) or after 60 s, and `stop()` closes stdin, sends SIGKILL and waits at most 5 s.
private final class DatasetsTestServer {
  let process = Process()
  let input = Pipe()
  let base: URL

  static let script = """
    import functools, http.server, os, sys, threading
    class Quiet(http.server.SimpleHTTPRequestHandler):
        def log_message(self, *args): pass
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), functools.partial(Quiet, directory=sys.argv[1]))
    def watch():
        sys.stdin.read()
        os._exit(0)
    threading.Thread(target=watch, daemon=True).start()
    threading.Timer(60, os._exit, [0]).start()
    print("port", server.server_address[1], flush=True)
    server.serve_forever()
    """

  init(root: URL, python: URL) throws {
    process.executableURL = python
    process.arguments = ["-u", "-c", Self.script, root.path]
    let out = Pipe()
    process.standardInput = input
    process.standardOutput = out
    process.standardError = FileHandle.nullDevice
    try process.run()
    // The first line is "port NNNNN"; read it on a helper thread so a silent server cannot hang
    // the test.
    let line = Mutex<String>("")
    let reader = out.fileHandleForReading
    let done = DispatchSemaphore(value: 0)
    Thread {
      var text = ""
      while !text.contains("\n") {
        let chunk = reader.availableData
        if chunk.isEmpty { break }
        text += String(decoding: chunk, as: UTF8.self)
      }
      line.withLock { $0 = text }
      done.signal()
    }.start()
    let answered = done.wait(timeout: .now() + 10) == .success
    let text = line.withLock { $0 }
    guard answered, text.hasPrefix("port "),
          let port = Int(text.dropFirst(5).trimmingCharacters(in: .whitespacesAndNewlines)),
          let url = URL(string: "http://127.0.0.1:\(port)/") else {
      try? input.fileHandleForWriting.close()
      kill(process.processIdentifier, SIGKILL)
      throw DataError(file: "python3 http.server", "did not report a port: \(text.debugDescription)")
    }
    base = url
  }

  func stop() {
    try? input.fileHandleForWriting.close()
    if process.isRunning { kill(process.processIdentifier, SIGKILL) }
    let deadline = Date().addingTimeInterval(5)
    while process.isRunning && Date() < deadline { Thread.sleep(forTimeInterval: 0.01) }
  }
}

// MARK: - SHA-256

@Test(arguments: [
  ("", "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"),
  ("abc", "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"),
  ("abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq", "248d6a61d20638b8e5c026930c3e6039a33ce45964ff2167f6ecedd419db06c1"),
  ("abcdefghbcdefghicdefghijdefghijkefghijklfghijklmghijklmnhijklmnoijklmnopjklmnopqklmnopqrlmnopqrsmnopqrstnopqrstu",
   "cf5b16a778af8380036ce59e7b0492370b249b11e8f07a51afac45037afee9d1"),
])
func sha256MatchesFIPSVectors(message: String, digest: String) {
  #expect(SHA256.hex(Array(message.utf8)) == digest)
}

@Test func sha256PaddingEdgesAndStreaming() {
  // Lengths around the 55/56/64-byte padding boundaries (sums from Python's hashlib).
  let sums: [Int: String] = [
    55: "9f4390f8d30c2dd92ec9f095b65e2b9ae9b0a925a5258e241c9f1e910f734318",
    56: "b35439a4ac6f0948b6d6f9e3c6af0f5f590ce20f1bde7090ef7970686ec6738a",
    63: "7d3e74a05d7db15bce4ad9ec0658ea98e3f06eeecf16b4c6fff2da457ddc2f34",
    64: "ffe054fe7ae0cb6dc65c3af9b61d5209f439851db43d0ba5997337df154668eb",
    65: "635361c48bb9eab14198e76ea8ab7f1a41685d6ad62aa9146d301d4f17eb0ae0",
    119: "31eba51c313a5c08226adf18d4a359cfdfd8d2e816b13f4af952f7ea6584dcfb",
    120: "2f3d335432c70b580af0e8e1b3674a7c020d683aa5f73aaaedfdc55af904c21c",
    1000: "41edece42d63e8d9bf515a9ba6932e1c20cbc9f5a5d134645adb5db1b9737ea3",
  ]
  for (n, sum) in sums { #expect(SHA256.hex([UInt8](repeating: 0x61, count: n)) == sum, "\(n) x 'a'") }
  // Fed in uneven pieces: the same digest as in one go; finalize leaves the hash usable.
  let data = (0..<10_240).map { UInt8(truncatingIfNeeded: $0) }
  var h = SHA256()
  var i = 0
  for size in [1, 63, 64, 65, 3, 500, 7].cycled(until: data.count) {
    let end = min(i + size, data.count)
    h.update(data[i..<end])
    i = end
    if i == data.count { break }
  }
  #expect(h.hexDigest == "e96760a87768717bcebcfd25ddc7d46b4dbc95a4b0014def080c08539f7d90d0")
  #expect(h.hexDigest == SHA256.hex(data))
}

extension Array {
  /// The elements repeated until `count` of them have been produced.
  fileprivate func cycled(until count: Int) -> [Element] { (0..<count).map { self[$0 % self.count] } }
}

@Test(.requiresSharedData(.fashionMNIST))
func sha256OfTheRealFashionMNISTLabelsMatchesTheREADME() throws {
  let url = try #require(SharedData.file(.fashionMNIST, "t10k-labels-idx1-ubyte.gz"))
  // From shared/data/README.md: the .gz file and its decompressed content.
  #expect(try SHA256.hex(file: url) == "8d3605d196f4be44669e46906da9733c8131fef761fdbfec72c424d5222f1a05")
  let content = try Gzip.decompress([UInt8](try Data(contentsOf: url)))
  #expect(SHA256.hex(content) == "0402a96d92fd2663957122ceb108a494c5af83dab82d92729df917d7dec38c34")
  let file = try #require(DatasetCatalog.fashionMNIST.files.first { $0.path == "t10k-labels-idx1-ubyte.gz" })
  #expect(DatasetCatalog.verifyFile(file, at: url, name: url.lastPathComponent, listed: nil).outcome == .ok("sha256 matches"))

  // A different gzip of the same content (as upstream's own .gz files are) passes on content;
  // so does the decompressed IDX file; a damaged one fails.
  let dir = try TemporaryFolder.make("datasets")
  defer { try? FileManager.default.removeItem(at: dir) }
  try DatasetsTestData.write(Gzip.compress(content), "t10k-labels-idx1-ubyte.gz", in: dir)
  try DatasetsTestData.write(content, "t10k-labels-idx1-ubyte", in: dir)
  var damaged = content
  damaged[100] ^= 1
  try DatasetsTestData.write(damaged, "damaged/t10k-labels-idx1-ubyte", in: dir)
  let regz = DatasetCatalog.verifyFile(file, at: dir.appending(path: "t10k-labels-idx1-ubyte.gz"),
                                       name: "t10k-labels-idx1-ubyte.gz", listed: nil)
  #expect(regz.outcome == .ok("decompressed content sha256 matches"))
  let raw = DatasetCatalog.verifyFile(file, at: dir.appending(path: "t10k-labels-idx1-ubyte"),
                                      name: "t10k-labels-idx1-ubyte", listed: nil)
  #expect(raw.outcome == .ok("content sha256 matches"))
  let bad = DatasetCatalog.verifyFile(file, at: dir.appending(path: "damaged/t10k-labels-idx1-ubyte"),
                                      name: "t10k-labels-idx1-ubyte", listed: nil)
  #expect(!bad.passed)
  #expect(bad.summary.hasPrefix("MISMATCH"))
}

// MARK: - Data directory

@Test func datasetDirectoryResolutionOrder() throws {
  let root = try TemporaryFolder.make("datasets")
  defer { try? FileManager.default.removeItem(at: root) }
  let work = root.appending(path: "work")
  try FileManager.default.createDirectory(at: work, withIntermediateDirectories: true)
  let explicit = root.appending(path: "mine")

  // Nothing there: ./data as the place to put things.
  var d = DataDirectory.resolve(explicit: nil, environment: [:], currentDirectory: work)
  #expect(d.origin == .fallback && d.url.path == work.appending(path: "data").path && !d.exists)
  // ../shared/data exists.
  try FileManager.default.createDirectory(at: root.appending(path: "shared/data"), withIntermediateDirectories: true)
  d = DataDirectory.resolve(explicit: nil, environment: [:], currentDirectory: work)
  #expect(d.origin == .sharedData && d.url.path == root.appending(path: "shared/data").path && d.exists)
  // ./data wins over ../shared/data.
  try FileManager.default.createDirectory(at: work.appending(path: "data"), withIntermediateDirectories: true)
  d = DataDirectory.resolve(explicit: nil, environment: [:], currentDirectory: work)
  #expect(d.origin == .localData && d.url.path == work.appending(path: "data").path)
  // GENAI_DATA wins over ./data (relative to the current directory), even if absent.
  d = DataDirectory.resolve(explicit: nil, environment: ["GENAI_DATA": "elsewhere"], currentDirectory: work)
  #expect(d.origin == .environment && d.url.path == work.appending(path: "elsewhere").path)
  // An empty GENAI_DATA is ignored.
  #expect(DataDirectory.resolve(explicit: nil, environment: ["GENAI_DATA": ""], currentDirectory: work).origin == .localData)
  // An explicit folder wins over everything.
  d = DataDirectory.resolve(explicit: explicit, environment: ["GENAI_DATA": "/x"], currentDirectory: work)
  #expect(d.origin == .explicit && d.url.path == explicit.path)
}

// MARK: - Found, missing, partial

@Test func datasetStatusFoundMissingPartial() throws {
  let root = try TemporaryFolder.make("datasets")
  defer { try? FileManager.default.removeItem(at: root) }
  let dir = DataDirectory(url: root)
  #expect(DatasetCatalog.statuses(in: dir).allSatisfy { $0.state == .missing && $0.bytes == 0 })

  // Two of four Fashion-MNIST files, one of them uncompressed: partial.
  try DatasetsTestData.write([1, 2, 3], "fashion-mnist/train-images-idx3-ubyte.gz", in: root)
  try DatasetsTestData.write([4, 5], "fashion-mnist/t10k-labels-idx1-ubyte", in: root)
  var fashion = DatasetCatalog.status(of: DatasetCatalog.fashionMNIST, in: dir)
  #expect(fashion.state == .partial)
  #expect(fashion.bytes == 5)
  #expect(fashion.missingFiles.map(\.path) == ["train-labels-idx1-ubyte.gz", "t10k-images-idx3-ubyte.gz"])
  #expect(fashion.location.path == root.appending(path: "fashion-mnist").path)
  // All four: found.
  try DatasetsTestData.write([6], "fashion-mnist/train-labels-idx1-ubyte.gz", in: root)
  try DatasetsTestData.write([7], "fashion-mnist/t10k-images-idx3-ubyte.gz", in: root)
  fashion = DatasetCatalog.status(of: DatasetCatalog.fashionMNIST, in: dir)
  #expect(fashion.state == .found && fashion.missingFiles.isEmpty)
  // The fake files fail verification, each with the expected sums in the message.
  let checks = DatasetCatalog.verify(fashion)
  #expect(checks.count == 4 && checks.allSatisfy { !$0.passed })

  // Spoken digits: labels and 3 of 1,500 clips is partial; other extensions do not count.
  try DatasetsTestData.write(Array("file,digit\n".utf8), "spoken-digits/labels.csv", in: root)
  for name in ["0_a_0.wav", "1_a_0.WAV", "2_a_0.wav", "notes.txt"] {
    try DatasetsTestData.write([0], "spoken-digits/wav/\(name)", in: root)
  }
  let digits = DatasetCatalog.status(of: DatasetCatalog.spokenDigits, in: dir)
  #expect(digits.state == .partial)
  #expect(digits.folders.first?.fileNames.count == 3)
  #expect(digits.incompleteFolders == ["wav/: 3 of 1500 .wav files"])
  // Clips are checked against a SHA256SUMS listing when there is one.
  let sums = ["spoken-digits/wav/0_a_0.wav": SHA256.hex([0]), "spoken-digits/wav/2_a_0.wav": SHA256.hex([1])]
  let clipChecks = DatasetCatalog.verify(digits, checksums: sums).filter { $0.path.hasPrefix("wav/") }
  #expect(clipChecks.map(\.passed) == [true, false, false])
  #expect(clipChecks.map(\.outcome)[1] == .unknown)
  #expect(DatasetCatalog.status(of: DatasetCatalog.mnist, in: dir).state == .missing)
}

@Test func datasetChecksumsFileIsRead() throws {
  let root = try TemporaryFolder.make("datasets")
  defer { try? FileManager.default.removeItem(at: root) }
  let a = String(repeating: "a", count: 64), b = String(repeating: "B", count: 64)
  try DatasetsTestData.write(Array("\(a)  x/one.gz\n\(b) *./two.txt\nnot a line\n".utf8), "SHA256SUMS", in: root)
  let sums = try #require(DatasetCatalog.readChecksums(root.appending(path: "SHA256SUMS")))
  #expect(sums == ["x/one.gz": a, "two.txt": b.lowercased()])
  #expect(DatasetCatalog.readChecksums(root.appending(path: "absent")) == nil)
}

@Test(.requiresSharedData(.fashionMNIST, .shakespeare, .spokenDigits))
func datasetStatusOfTheSharedData() throws {
  let dir = DataDirectory(url: try #require(SharedData.directory(containing: .fashionMNIST, .shakespeare, .spokenDigits)))
  let byName = Dictionary(uniqueKeysWithValues: DatasetCatalog.statuses(in: dir).map { ($0.dataset.name, $0) })
  #expect(byName["fashion-mnist"]?.state == .found)
  #expect(byName["fashion-mnist"]?.bytes == 30_878_551)
  #expect(byName["shakespeare"]?.state == .found)
  #expect(byName["spoken-digits"]?.state == .found)
  #expect(byName["mnist"]?.state == .missing)
  #expect(DatasetCatalog.readChecksums(dir.appending("SHA256SUMS"))?.count == 1_507)
}

// MARK: - Download (loopback only)

@Test(.enabled(if: TestEnvironment.executable(named: "python3") != nil, "python3 is not installed"))
func datasetDownloadFromALocalServer() throws {
  let python = try #require(TestEnvironment.executable(named: "python3"))
  let served = try TemporaryFolder.make("datasets")
  let target = try TemporaryFolder.make("datasets")
  defer {
    try? FileManager.default.removeItem(at: served)
    try? FileManager.default.removeItem(at: target)
  }
  let images = (0..<3_000).map { UInt8(truncatingIfNeeded: $0 &* 7) }
  let labels = Array("0123456789".utf8)
  // mirror1 lacks the files (HTTP 404); mirror2 has a gzip whose own sum is not listed (only the
  // content sum is) and a plain file with a listed sum.
  try FileManager.default.createDirectory(at: served.appending(path: "mirror1"), withIntermediateDirectories: true)
  try DatasetsTestData.write(Gzip.compress(images), "mirror2/images.gz", in: served)
  try DatasetsTestData.write(labels, "mirror2/labels.bin", in: served)
  try DatasetsTestData.write(Array("tampered".utf8), "mirror2/wrong.bin", in: served)

  let server = try DatasetsTestServer(root: served, python: python)
  defer { server.stop() }
  let mirrors = [server.base.appending(path: "mirror1/"), server.base.appending(path: "mirror2/")]
  #expect(mirrors.allSatisfy { $0.host == "127.0.0.1" })

  let dataset = NamedDataset(
    name: "toy", kind: .images, summary: "a test dataset",
    files: [DatasetFile("images.gz", sha256: [], contentSHA256: SHA256.hex(images)),
            DatasetFile("labels.bin", sha256: [SHA256.hex(labels)])])
  let dir = DataDirectory(url: target)
  var log: [String] = []
  let results = try DatasetDownload.download(dataset, into: dir, mirrors: mirrors, timeout: 10) { log.append($0) }
  #expect(results.map(\.path) == ["images.gz", "labels.bin"])
  #expect(results.allSatisfy { $0.source?.path.hasPrefix("/mirror2/") == true && $0.check?.passed == true })
  #expect(log.contains { $0.contains("mirror1/images.gz") })
  #expect(try Data(contentsOf: target.appending(path: "toy/labels.bin")) == Data(labels))
  #expect(DatasetCatalog.status(of: dataset, in: dir).state == .found)
  // Already present: nothing is fetched again.
  #expect(try DatasetDownload.download(dataset, into: dir, mirrors: mirrors, timeout: 10).allSatisfy { $0.source == nil })

  // A file that fails its check on every mirror: an error naming it, and nothing left behind.
  let tampered = NamedDataset(name: "toy2", kind: .images, summary: "",
                              files: [DatasetFile("wrong.bin", sha256: [SHA256.hex(Array("right".utf8))])])
  do {
    _ = try DatasetDownload.download(tampered, into: dir, mirrors: mirrors, timeout: 10)
    Issue.record("expected a failed download")
  } catch {
    #expect(error.file.hasSuffix("toy2/wrong.bin"))
    #expect(error.message.contains("HTTP status 404") && error.message.contains("MISMATCH"), "\(error)")
  }
  let left = (try? FileManager.default.contentsOfDirectory(atPath: target.appending(path: "toy2").path)) ?? []
  #expect(left.isEmpty)
  // No mirrors at all: a clear error.
  #expect(throws: DataError.self) { try DatasetDownload.download(DatasetCatalog.shakespeare, into: dir) }
}
