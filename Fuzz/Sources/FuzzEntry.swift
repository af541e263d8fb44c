import Foundation

#if GENAI_LIBFUZZER
  // Built by Scripts/fuzz.sh with `-sanitize=fuzzer` and `-D GENAI_LIBFUZZER`: libFuzzer supplies
  // `main` and calls this function once per input it generates. One binary serves every target;
  // GENAI_FUZZ_TARGET picks which (read once, before the first input).

  /// The target named by GENAI_FUZZ_TARGET; the process stops with the list when it names none.
  private let selectedTarget: FuzzTarget = {
    let name = ProcessInfo.processInfo.environment["GENAI_FUZZ_TARGET"] ?? ""
    guard let target = FuzzTarget(rawValue: name) else {
      let names = FuzzTarget.allCases.map(\.rawValue).joined(separator: ", ")
      FileHandle.standardError.write(Data("GENAI_FUZZ_TARGET must be one of: \(names) (got \"\(name)\")\n".utf8))
      exit(2)
    }
    return target
  }()

  /// libFuzzer's entry point: runs the selected target on `size` bytes at `data`.
  @_cdecl("LLVMFuzzerTestOneInput")
  public func fuzzerTestOneInput(_ data: UnsafePointer<UInt8>?, _ size: Int) -> CInt {
    let bytes = data.map { Array(UnsafeBufferPointer(start: $0, count: size)) } ?? []
    _ = selectedTarget.run(bytes)
    return 0
  }
#else
  /// Without libFuzzer (a plain `swift build`): replays files through a target, one line each,
  /// so a crash the fuzzer kept can be reproduced and debugged in an ordinary build.
  ///
  /// `genai-fuzz <target> <file or folder>...`
  @main
  struct FuzzReplay {
    static func main() {
      let arguments = Array(CommandLine.arguments.dropFirst())
      guard let first = arguments.first, let target = FuzzTarget(rawValue: first), arguments.count > 1 else {
        let names = FuzzTarget.allCases.map(\.rawValue).joined(separator: "|")
        print("usage: genai-fuzz <\(names)> <file or folder>...")
        exit(2)
      }
      let fileManager = FileManager.default
      for path in arguments.dropFirst() {
        var isFolder: ObjCBool = false
        guard fileManager.fileExists(atPath: path, isDirectory: &isFolder) else {
          print("\(path): no such file or folder")
          exit(1)
        }
        let files =
          isFolder.boolValue
          ? ((try? fileManager.contentsOfDirectory(atPath: path)) ?? []).sorted().map { path + "/" + $0 } : [path]
        for file in files {
          guard let data = fileManager.contents(atPath: file) else {
            print("\(file): cannot be read")
            exit(1)
          }
          print("\(file): \(target.run([UInt8](data)))")
        }
      }
    }
  }
#endif
