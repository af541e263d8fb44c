import Foundation

#if GENAI_LIBFUZZER
  // Built by Scripts/fuzz.sh with `-sanitize=fuzzer` and `-D GENAI_LIBFUZZER`. SwiftPM links a
  // Linux executable's `main` to `GenAIFuzz_main` (so tests can import the module), which is
  // why this does not leave `main` to libFuzzer but starts libFuzzer's driver itself:
  // `genai-fuzz <target> [libFuzzer flags and corpus folders]`.

  /// libFuzzer's driver (compiler-rt's FuzzerInterface.h): parses its flags from `argv` and calls
  /// `callback` once per input until a limit or a crash.
  @_silgen_name("LLVMFuzzerRunDriver")
  func LLVMFuzzerRunDriver(
    _ argc: UnsafeMutablePointer<CInt>,
    _ argv: UnsafeMutablePointer<UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>?>,
    _ callback: @convention(c) (UnsafePointer<UInt8>?, Int) -> CInt
  ) -> CInt

  /// The target being fuzzed: set once from the command line before the driver starts, read by
  /// the callback (a C function pointer, which cannot capture it).
  nonisolated(unsafe) private var selectedTarget = FuzzTarget.png

  /// The process's entry point in the libFuzzer build.
  @_cdecl("GenAIFuzz_main")
  func fuzzMain(_ argc: CInt, _ argv: UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>) -> CInt {
    let name = argc > 1 ? argv[1].map { String(cString: $0) } ?? "" : ""
    guard let target = FuzzTarget(rawValue: name) else {
      let names = FuzzTarget.allCases.map(\.rawValue).joined(separator: "|")
      print("usage: genai-fuzz <\(names)> [libFuzzer flags] [corpus folders]")
      return 2
    }
    selectedTarget = target
    // The driver sees the program name and everything after the target.
    var rest: [UnsafeMutablePointer<CChar>?] = [argv[0]] + (2..<Int(argc)).map { argv[$0] } + [nil]
    var count = argc - 1
    return rest.withUnsafeMutableBufferPointer { buffer in
      var pointer = buffer.baseAddress
      return LLVMFuzzerRunDriver(&count, &pointer) { data, size in
        let bytes = data.map { Array(UnsafeBufferPointer(start: $0, count: size)) } ?? []
        _ = selectedTarget.run(bytes)
        return 0
      }
    }
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
