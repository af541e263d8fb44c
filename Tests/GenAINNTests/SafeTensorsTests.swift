import Foundation
import GenAITestSupport
import Testing

@testable import GenAINN
import GenAITensor

// MARK: - Helpers

/// A fresh temporary directory, removed by `cleanup`.
struct CheckpointScratchDir {
  let url: URL
  init() throws { url = try TemporaryFolder.make("st") }
  func file(_ name: String) -> URL { url.appendingPathComponent(name) }
  func cleanup() { try? FileManager.default.removeItem(at: url) }
  /// Names of the files in the directory, hidden ones included, sorted.
  func listing() throws -> [String] { try FileManager.default.contentsOfDirectory(atPath: url.path).sorted() }
}

/// Raw safetensors bytes: a length prefix (declared, or the real one), the header text, the data.
private func rawSafeTensorsFile(header: String, data: [UInt8] = [], declaredLength: UInt64? = nil) -> Data {
  var out = Data()
  let h = Array(header.utf8)
  withUnsafeBytes(of: (declaredLength ?? UInt64(h.count)).littleEndian) { out.append(contentsOf: $0) }
  out.append(contentsOf: h)
  out.append(contentsOf: data)
  return out
}

/// Little-endian bytes of fixed-width integers.
private func stLittleEndian<T: FixedWidthInteger>(_ values: [T]) -> [UInt8] {
  values.flatMap { v in withUnsafeBytes(of: v.littleEndian) { Array($0) } }
}

private func stFloatBits(_ t: Tensor) -> [UInt32] { t.scalars.map(\.bitPattern) }

/// `python3` from PATH and whether it can `import safetensors, numpy`; in CI (env `CI` set) the
/// interop tests must run, so a missing module fails them instead of skipping.
enum PythonSafeTensors {
  static let executable: String? = TestEnvironment.executable(named: "python3")?.path

  /// `nil` when usable, otherwise why not.
  static let unavailableReason: String? = {
    guard executable != nil else { return "python3 is not on PATH" }
    guard let r = try? run("import safetensors, numpy", []) else { return "python3 could not be started" }
    let lastLine = r.stderr.split(separator: "\n").last.map(String.init) ?? "exit status \(r.status)"
    return r.status == 0 ? nil : "python3 cannot import safetensors and numpy (pip install safetensors numpy): \(lastLine)"
  }()

  /// Runs when Python is usable, and always in CI (where it then fails rather than skips).
  static var shouldRun: Bool { unavailableReason == nil || TestEnvironment.isCI }

  struct Output { var status: Int32; var stdout: String; var stderr: String }

  static func run(_ script: String, _ arguments: [String]) throws -> Output {
    let p = Process()
    p.executableURL = URL(fileURLWithPath: executable ?? "/usr/bin/env")
    p.arguments = (executable == nil ? ["python3"] : []) + ["-c", script] + arguments
    let out = Pipe()
    let err = Pipe()
    p.standardOutput = out
    p.standardError = err
    try p.run()
    let o = out.fileHandleForReading.readDataToEndOfFile()
    let e = err.fileHandleForReading.readDataToEndOfFile()
    p.waitUntilExit()
    return Output(
      status: p.terminationStatus, stdout: String(decoding: o, as: UTF8.self), stderr: String(decoding: e, as: UTF8.self))
  }

  /// Fails the test (in CI, where `shouldRun` let it run) when Python is not usable.
  static func requireAvailable() throws {
    if let reason = unavailableReason {
      throw PythonUnavailable(message: "CI is set but the safetensors interop test cannot run: \(reason)")
    }
  }

  struct PythonUnavailable: Error, CustomStringConvertible { var message: String; var description: String { message } }
}

/// Expects `body` to throw a `SafeTensorsError` and returns it.
func expectSafeTensorsError(
  sourceLocation: SourceLocation = #_sourceLocation, _ body: () throws -> Void
) -> SafeTensorsError? {
  do {
    try body()
    Issue.record("expected a SafeTensorsError, nothing was thrown", sourceLocation: sourceLocation)
  } catch let e as SafeTensorsError {
    return e
  } catch {
    Issue.record("expected a SafeTensorsError, got \(error)", sourceLocation: sourceLocation)
  }
  return nil
}

// MARK: - Tests

@Suite struct SafeTensorsTests {
  @Test func roundTripIsBitExactWithMetadata() throws {
    let dir = try CheckpointScratchDir()
    defer { dir.cleanup() }
    let url = dir.file("w.safetensors")
    let tensors: [String: Tensor] = [
      "fc.weight": try Tensor(shape: [2, 3], [1, -2, 3.5, 0.1, 1e-30, -7]),
      "scalar": Tensor(Float(2.5)),
      "empty": Tensor.zeros([0, 4]),
      "special": Tensor([
        -0.0, .infinity, -.infinity, .leastNonzeroMagnitude, .greatestFiniteMagnitude,
        Float(bitPattern: 0x7FC0_1234),
      ]),
      "ünï \"name\"\n": Tensor([1]),
    ]
    let metadata = ["epoch": "3", "note": "quote \" backslash \\ newline \n tab \t ctrl \u{01} é 🙂"]
    try SafeTensors.write(tensors, metadata: metadata, to: url)

    let raw = try Data(contentsOf: url)
    let n = raw.withUnsafeBytes { Int(UInt64(littleEndian: $0.loadUnaligned(as: UInt64.self))) }
    #expect(n % 8 == 0)
    #expect(String(decoding: raw[8..<(8 + 16)], as: UTF8.self) == "{\"__metadata__\":")
    #expect(raw.count == 8 + n + (6 + 1 + 0 + 6 + 1) * 4)
    #expect(try SafeTensors.encode(tensors, metadata: metadata) == raw)

    let back = try SafeTensors.read(from: url)
    #expect(back.metadata == metadata)
    #expect(Set(back.tensors.keys) == Set(tensors.keys))
    for (name, t) in tensors {
      #expect(back.tensors[name]?.shape == t.shape, "\(name)")
      #expect(back.tensors[name].map(stFloatBits) == stFloatBits(t), "\(name)")
      #expect(back.dtypes[name] == .f32)
    }
    #expect(try SafeTensors.readMetadata(from: url) == metadata)
    // No metadata: no __metadata__ entry at all.
    try SafeTensors.write(["a": Tensor([1, 2])], to: url)
    #expect(try SafeTensors.read(from: url).metadata.isEmpty)
    #expect(!String(decoding: try Data(contentsOf: url), as: UTF8.self).contains("__metadata__"))
  }

  @Test func readsEveryDTypeAsFloat() throws {
    // Hand-made little-endian data for each type, laid out back to back.
    let parts: [(String, String, [Int], [UInt8], [Float])] = [
      ("f16", "F16", [4], stLittleEndian([UInt16(0x3C00), 0xC000, 0x0001, 0x7C00]), [1, -2, 0x1p-24, .infinity]),
      ("bf16", "BF16", [2], stLittleEndian([UInt16(0x3F80), 0xC0A0]), [1, -5]),
      ("f64", "F64", [2], stLittleEndian([(0.1 as Double).bitPattern, (-1e300 as Double).bitPattern]), [Float(0.1 as Double), -.infinity]),
      ("i64", "I64", [2], stLittleEndian([Int64(-7), 1 << 40]), [-7, 0x1p40]),
      ("i32", "I32", [1, 2], stLittleEndian([Int32(-3), 100]), [-3, 100]),
      ("u64", "U64", [1], stLittleEndian([UInt64.max]), [0x1p64]),
      ("u32", "U32", [1], stLittleEndian([UInt32(7)]), [7]),
      ("i16", "I16", [1], stLittleEndian([Int16(-300)]), [-300]),
      ("u16", "U16", [1], stLittleEndian([UInt16(65535)]), [65535]),
      ("i8", "I8", [2], [0xFF, 0x05], [-1, 5]),
      ("u8", "U8", [2], [0xFF, 0x05], [255, 5]),
      ("bool", "BOOL", [3], [1, 0, 1], [1, 0, 1]),
    ]
    var fields: [String] = []
    var data: [UInt8] = []
    for (name, dtype, shape, bytes, _) in parts {
      fields.append("\"\(name)\":{\"dtype\":\"\(dtype)\",\"shape\":\(shape),\"data_offsets\":[\(data.count),\(data.count + bytes.count)]}")
      data += bytes
    }
    let contents = try SafeTensors.decode(rawSafeTensorsFile(header: "{" + fields.joined(separator: ",") + "}", data: data))
    for (name, dtype, shape, _, expected) in parts {
      #expect(contents.tensors[name]?.shape == shape, "\(name)")
      #expect(contents.tensors[name]?.scalars == expected, "\(name)")
      #expect(contents.dtypes[name]?.rawValue == dtype)
    }
  }

  #if !(os(macOS) && arch(x86_64))
    @Test func halfConversionMatchesFloat16ForEveryBitPattern() {
      for h in UInt16.min...UInt16.max {
        let expected = Float(Float16(bitPattern: h))
        let got = SafeTensors.halfToFloat(h)
        if expected.isNaN {
          #expect(got.isNaN)
        } else if got.bitPattern != expected.bitPattern {
          Issue.record("half 0x\(String(h, radix: 16)): got \(got), expected \(expected)")
          return
        }
      }
    }
  #endif

  /// Every bad file gives the expected problem, and the message names the file.
  @Test func badFilesGiveClearErrors() throws {
    let dir = try CheckpointScratchDir()
    defer { dir.cleanup() }
    let f32 = #""dtype":"F32""#
    let cases: [(String, Data, (SafeTensorsError.Problem) -> Bool, String)] = [
      ("empty", Data(), { if case .truncated = $0 { true } else { false } }, "fewer than the 8-byte"),
      ("short", Data([1, 2, 3]), { if case .truncated = $0 { true } else { false } }, "3 bytes"),
      (
        "header-longer-than-file", rawSafeTensorsFile(header: "{}", declaredLength: 4096),
        { if case .truncated = $0 { true } else { false } }, "header length is 4096"
      ),
      (
        "png", Data([0x89, 0x50, 0x4E, 0x47, 0x0D, 0x0A, 0x1A, 0x0A] + [UInt8](repeating: 0, count: 64)),
        { if case .notSafeTensors = $0 { true } else { false } }, "not a safetensors file"
      ),
      (
        "text", Data("hello, this is a plain text file and not a tensor file at all\n".utf8),
        { if case .notSafeTensors = $0 { true } else { false } }, "not a safetensors file"
      ),
      (
        "no-brace", rawSafeTensorsFile(header: "[1, 2, 3]"),
        { if case .notSafeTensors = $0 { true } else { false } }, "does not start with '{'"
      ),
      (
        "bad-utf8", rawSafeTensorsFile(header: "{\"a\u{1}\"}").replacingByte(at: 10, with: 0xFF),
        { if case .notSafeTensors = $0 { true } else { false } }, "UTF-8"
      ),
      (
        "bad-json", rawSafeTensorsFile(header: #"{"a": {"dtype": "F32", "shape": [1], "data_offsets": [0, 4]"#, data: [0, 0, 0, 0]),
        { if case .invalidHeader = $0 { true } else { false } }, "invalid JSON"
      ),
      (
        "duplicate", rawSafeTensorsFile(header: #"{"a":{"dtype":"F32","shape":[],"data_offsets":[0,4]},"a":{}}"#, data: [0, 0, 0, 0]),
        { if case .invalidHeader = $0 { true } else { false } }, "duplicate key \"a\""
      ),
      (
        "deep", rawSafeTensorsFile(header: "{\"a\":" + String(repeating: "[", count: 10_000) + String(repeating: "]", count: 10_000) + "}"),
        { if case .invalidHeader = $0 { true } else { false } }, "nesting"
      ),
      (
        "no-dtype", rawSafeTensorsFile(header: #"{"a":{"shape":[1],"data_offsets":[0,4]}}"#, data: [0, 0, 0, 0]),
        { if case .invalidHeader = $0 { true } else { false } }, "\"a\" has no string \"dtype\""
      ),
      (
        "float-shape", rawSafeTensorsFile(header: #"{"a":{"#+f32+#","shape":[1.5],"data_offsets":[0,4]}}"#, data: [0, 0, 0, 0]),
        { if case .invalidHeader = $0 { true } else { false } }, "not a non-negative integer"
      ),
      (
        "negative-offset", rawSafeTensorsFile(header: #"{"a":{"#+f32+#","shape":[1],"data_offsets":[-4,0]}}"#),
        { if case .invalidHeader = $0 { true } else { false } }, "not a non-negative integer"
      ),
      (
        "three-offsets", rawSafeTensorsFile(header: #"{"a":{"#+f32+#","shape":[1],"data_offsets":[0,4,8]}}"#, data: [0, 0, 0, 0]),
        { if case .invalidHeader = $0 { true } else { false } }, "expected [begin, end]"
      ),
      (
        "metadata-number", rawSafeTensorsFile(header: #"{"__metadata__":{"k":1}}"#),
        { if case .invalidHeader = $0 { true } else { false } }, "\"k\" is not a string"
      ),
      (
        "unknown-dtype", rawSafeTensorsFile(header: #"{"a":{"dtype":"F8_E4M3","shape":[1],"data_offsets":[0,1]}}"#, data: [0]),
        { $0 == .unsupportedDType(tensor: "a", dtype: "F8_E4M3") }, "unsupported dtype \"F8_E4M3\""
      ),
      (
        "size-mismatch", rawSafeTensorsFile(header: #"{"a":{"#+f32+#","shape":[2,2],"data_offsets":[0,8]}}"#, data: [UInt8](repeating: 0, count: 8)),
        { if case .sizeMismatch(tensor: "a", _) = $0 { true } else { false } }, "needs 16 bytes"
      ),
      (
        "huge-shape", rawSafeTensorsFile(header: #"{"a":{"#+f32+#","shape":[4294967296,4294967296],"data_offsets":[0,4]}}"#, data: [0, 0, 0, 0]),
        { if case .invalidHeader = $0 { true } else { false } }, "too large"
      ),
      (
        "out-of-bounds", rawSafeTensorsFile(header: #"{"a":{"#+f32+#","shape":[4],"data_offsets":[0,16]}}"#, data: [0, 0, 0, 0]),
        { if case .truncated = $0 { true } else { false } }, "only 4 bytes"
      ),
      (
        "overlap",
        rawSafeTensorsFile(
          header: #"{"a":{"#+f32+#","shape":[2],"data_offsets":[0,8]},"b":{"#+f32+#","shape":[2],"data_offsets":[4,12]}}"#,
          data: [UInt8](repeating: 0, count: 12)),
        { if case .invalidOffsets = $0 { true } else { false } }, "overlaps \"a\""
      ),
      (
        "gap",
        rawSafeTensorsFile(
          header: #"{"a":{"#+f32+#","shape":[1],"data_offsets":[0,4]},"b":{"#+f32+#","shape":[1],"data_offsets":[8,12]}}"#,
          data: [UInt8](repeating: 0, count: 12)),
        { if case .invalidOffsets = $0 { true } else { false } }, "bytes [4, 8)"
      ),
      (
        "trailing", rawSafeTensorsFile(header: #"{"a":{"#+f32+#","shape":[1],"data_offsets":[0,4]}}"#, data: [UInt8](repeating: 0, count: 9)),
        { if case .invalidOffsets = $0 { true } else { false } }, "cover only 4"
      ),
      (
        "reversed", rawSafeTensorsFile(header: #"{"a":{"#+f32+#","shape":[0],"data_offsets":[4,0]}}"#, data: [0, 0, 0, 0]),
        { if case .invalidOffsets = $0 { true } else { false } }, "ending before they begin"
      ),
    ]
    for (name, bytes, matches, fragment) in cases {
      let url = dir.file(name + ".safetensors")
      try bytes.write(to: url)
      guard let e = expectSafeTensorsError({ _ = try SafeTensors.read(from: url) }) else { continue }
      #expect(matches(e.problem), "\(name): \(e)")
      #expect(e.description.contains(url.path), "\(name): \(e)")
      #expect(e.description.contains(fragment), "\(name): \(e)")
    }
    let missing = dir.file("missing.safetensors")
    let e = expectSafeTensorsError { _ = try SafeTensors.read(from: missing) }
    #expect(e.map { if case .unreadable = $0.problem { true } else { false } } == true)
    #expect(e?.description.contains(missing.path) == true)
  }

  /// Every prefix and many single-byte corruptions of a valid file throw or decode; none crash.
  @Test func truncationsAndCorruptionsNeverCrash() throws {
    let good = try SafeTensors.encode(
      ["a": try Tensor(shape: [2, 2], [1, 2, 3, 4]), "b": Tensor([5])], metadata: ["k": "v"])
    for length in 0..<good.count {
      #expect(throws: SafeTensorsError.self, "prefix of \(length) bytes") {
        _ = try SafeTensors.decode(good.prefix(length))
      }
    }
    var rng = SeededGenerator(seed: 3)
    for _ in 0..<500 {
      var bad = good
      let i = Int(rng.next() % UInt64(bad.count))
      bad[i] = UInt8(truncatingIfNeeded: rng.next())
      do { _ = try SafeTensors.decode(bad) } catch is SafeTensorsError {} catch { Issue.record("unexpected error \(error)") }
    }
  }

  @Test func writeRejectsBadNamesAndUnwritablePaths() throws {
    let dir = try CheckpointScratchDir()
    defer { dir.cleanup() }
    let e1 = expectSafeTensorsError { try SafeTensors.write(["__metadata__": Tensor([1])], to: dir.file("x")) }
    #expect(e1.map { if case .invalidName = $0.problem { true } else { false } } == true)
    let target = dir.file("no/such/dir/x.safetensors")
    let e2 = expectSafeTensorsError { try SafeTensors.write(["a": Tensor([1])], to: target) }
    #expect(e2.map { if case .unwritable = $0.problem { true } else { false } } == true)
    #expect(e2?.description.contains(target.path) == true)
  }

  /// A save interrupted at any stage leaves the previous file intact and no temporary file; the
  /// target is untouched while the new file is being written.
  @Test func writesAreAtomic() throws {
    let dir = try CheckpointScratchDir()
    defer { dir.cleanup() }
    let url = dir.file("model.safetensors")
    try SafeTensors.write(["a": Tensor([1, 2, 3])], metadata: ["v": "old"], to: url)
    let old = try Data(contentsOf: url)
    let new: [String: Tensor] = ["a": Tensor([4, 5, 6]), "b": Tensor.ones([100])]
    struct Crash: Error {}
    for stage: SafeTensors.WriteStage in [.header, .tensor("a"), .tensor("b"), .beforeRename] {
      var sawTemp = false
      #expect(throws: Crash.self) {
        try SafeTensors.write(new, metadata: ["v": "new"], to: url) { s, temp in
          // Mid-write: the target still holds the old file; the new bytes are elsewhere.
          #expect(try Data(contentsOf: url) == old)
          #expect(temp.deletingLastPathComponent().standardizedFileURL.path == dir.url.standardizedFileURL.path)
          sawTemp = FileManager.default.fileExists(atPath: temp.path)
          if s == stage { throw Crash() }
        }
      }
      #expect(sawTemp)
      #expect(try Data(contentsOf: url) == old, "\(stage)")
      #expect(try dir.listing() == ["model.safetensors"], "\(stage)")
    }
    try SafeTensors.write(new, metadata: ["v": "new"], to: url)
    #expect(try SafeTensors.read(from: url).metadata == ["v": "new"])
    #expect(try dir.listing() == ["model.safetensors"])
  }

  // MARK: Interop with the reference Python library

  @Test(
    .enabled(
      if: PythonSafeTensors.shouldRun,
      "python3 with safetensors and numpy not found (pip install safetensors numpy); CI=1 makes this a failure"))
  func pythonReadsWhatSwiftWrites() throws {
    try PythonSafeTensors.requireAvailable()
    let dir = try CheckpointScratchDir()
    defer { dir.cleanup() }
    let url = dir.file("swift.safetensors")
    let tensors: [String: Tensor] = [
      "layer.weight": try Tensor(shape: [2, 3], [0.5, -1, 2.25, 1e-8, 3e38, -0.0]),
      "layer.bias": Tensor([.infinity, -.infinity]),
      "scalar": Tensor(Float(7)),
      "empty": Tensor.zeros([0, 3]),
    ]
    let metadata = ["format": "pt", "note": "ünï \"q\""]
    try SafeTensors.write(tensors, metadata: metadata, to: url)
    let script = """
      import sys, json, numpy as np
      from safetensors import safe_open
      from safetensors.numpy import load_file
      path = sys.argv[1]
      d = load_file(path)
      with safe_open(path, framework="np") as f:
          meta = f.metadata()
      out = {"metadata": meta, "tensors": {k: {"dtype": str(v.dtype), "shape": list(v.shape),
             "bits": v.ravel().view(np.uint32).tolist()} for k, v in d.items()}}
      print(json.dumps(out))
      """
    let r = try PythonSafeTensors.run(script, [url.path])
    try #require(r.status == 0, "python failed: \(r.stderr)")
    let json = try #require(try JSONSerialization.jsonObject(with: Data(r.stdout.utf8)) as? [String: Any])
    #expect(json["metadata"] as? [String: String] == metadata)
    let read = try #require(json["tensors"] as? [String: [String: Any]])
    #expect(Set(read.keys) == Set(tensors.keys))
    for (name, t) in tensors {
      #expect(read[name]?["dtype"] as? String == "float32", "\(name)")
      #expect((read[name]?["shape"] as? [NSNumber])?.map(\.intValue) == t.shape, "\(name)")
      #expect((read[name]?["bits"] as? [NSNumber])?.map(\.uint32Value) == stFloatBits(t), "\(name)")
    }
  }

  @Test(
    .enabled(
      if: PythonSafeTensors.shouldRun,
      "python3 with safetensors and numpy not found (pip install safetensors numpy); CI=1 makes this a failure"))
  func swiftReadsWhatPythonWrites() throws {
    try PythonSafeTensors.requireAvailable()
    let dir = try CheckpointScratchDir()
    defer { dir.cleanup() }
    let url = dir.file("python.safetensors")
    let script = """
      import sys, numpy as np
      from safetensors.numpy import save_file
      save_file({
          "f32": (np.arange(6, dtype=np.float32) / 4).reshape(2, 3),
          "f16": np.array([0.5, -1.25, 65504, 2**-14, 2**-24, -0.0, np.inf], dtype=np.float16),
          "f64": np.array([[0.1, -2.5e-3], [1e30, 3.0]], dtype=np.float64),
          "i64": np.array([-7, 0, 2**40, 123456789], dtype=np.int64),
          "i32": np.array([[1, -2], [3, 2**31 - 1]], dtype=np.int32),
          "u8": np.array([0, 255], dtype=np.uint8),
          "flags": np.array([True, False, True]),
          "scalar": np.array(3.5, dtype=np.float32),
          "empty": np.zeros((0, 3), dtype=np.float32),
      }, sys.argv[1], metadata={"source": "numpy", "note": "ünï \\"q\\""})
      """
    let r = try PythonSafeTensors.run(script, [url.path])
    try #require(r.status == 0, "python failed: \(r.stderr)")
    let c = try SafeTensors.read(from: url)
    #expect(c.metadata == ["source": "numpy", "note": "ünï \"q\""])
    let expected: [String: (SafeTensors.DType, [Int], [Float])] = [
      "f32": (.f32, [2, 3], [0, 0.25, 0.5, 0.75, 1, 1.25]),
      "f16": (.f16, [7], [0.5, -1.25, 65504, 0x1p-14, 0x1p-24, -0.0, .infinity]),
      "f64": (.f64, [2, 2], [Float(0.1 as Double), Float(-2.5e-3 as Double), Float(1e30 as Double), 3]),
      "i64": (.i64, [4], [-7, 0, 0x1p40, Float(123_456_789 as Int64)]),
      "i32": (.i32, [2, 2], [1, -2, 3, Float(Int32.max)]),
      "u8": (.u8, [2], [0, 255]),
      "flags": (.bool, [3], [1, 0, 1]),
      "scalar": (.f32, [], [3.5]),
      "empty": (.f32, [0, 3], []),
    ]
    #expect(Set(c.tensors.keys) == Set(expected.keys))
    for (name, (dtype, shape, values)) in expected {
      #expect(c.dtypes[name] == dtype, "\(name)")
      #expect(c.tensors[name]?.shape == shape, "\(name)")
      #expect(c.tensors[name].map(stFloatBits) == values.map(\.bitPattern), "\(name)")
    }
  }
}

extension Data {
  func replacingByte(at i: Int, with b: UInt8) -> Data {
    var d = self
    d[i] = b
    return d
  }
}
