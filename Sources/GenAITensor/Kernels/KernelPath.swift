import CGenAIKernels

/// The instruction-set path of the engine's kernels (matrix products, convolution packing,
/// vectorised element-wise maps), chosen at run time from the CPU's features.
///
/// The default is the fastest path this CPU supports; `GENAI_CPU=portable|avx2|avx512|neon`
/// forces one for the whole process (an unsupported choice falls back with a warning), and
/// `withKernelPath` forces one for a block of code (the tests run every path this way).
public enum KernelPath: Int32, CaseIterable, Sendable, CustomStringConvertible {
  /// Plain C vectorised by the compiler for the build's baseline (SSE2 on x86-64).
  case portable = 0
  /// AVX2 + FMA (x86-64: Haswell, Zen 1 and later).
  case avx2 = 1
  /// AVX-512 F (x86-64: Skylake-X, Ice Lake, Zen 4 and later).
  case avx512 = 2
  /// Advanced SIMD (arm64).
  case neon = 3

  /// The name `GENAI_CPU` accepts, e.g. `"avx2"`.
  public var description: String { String(cString: genai_path_name(rawValue)) }

  /// Whether this CPU (and this build) can run the path.
  public var isSupported: Bool { genai_path_supported(rawValue) != 0 }

  /// Every path this CPU can run, the portable one first.
  public static var supported: [KernelPath] { allCases.filter(\.isSupported) }

  /// The fastest path this CPU supports.
  public static var best: KernelPath { KernelPath(rawValue: genai_path_best()) ?? .portable }

  /// The path kernels use on this thread now.
  public static var active: KernelPath { KernelPath(rawValue: genai_path_active()) ?? .portable }
}

/// Runs `body` with every kernel on `path`, on this thread and on the pool's workers for the
/// jobs it starts. The previous choice is restored afterwards.
/// - Precondition: `path.isSupported`.
public func withKernelPath<R>(_ path: KernelPath, _ body: () throws -> R) rethrows -> R {
  require(path.isSupported, "[withKernelPath] this CPU cannot run the \(path) path")
  let saved = genai_thread_path_get()
  genai_thread_path_set(path.rawValue)
  defer { genai_thread_path_set(saved) }
  return try body()
}

/// The size in bytes of this machine's data cache at `level` (1, 2 or 3), as the kernels size
/// their blocks from it.
public func genaiCacheSize(_ level: Int32) -> Int { genai_cache_size(level) }
