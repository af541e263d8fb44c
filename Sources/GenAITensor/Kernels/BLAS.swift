import CGenAIKernels
import Foundation

#if canImport(Glibc)
  import Glibc
#elseif canImport(Darwin)
  import Darwin
#endif

/// Matrix products. The engine's own SGEMM (`CGenAIKernels`: packed panels, cache blocks sized
/// from this machine's caches, register micro-kernels for AVX-512, AVX2+FMA, NEON and a portable
/// path, chosen at run time) is the fast path everywhere; products are split across the
/// engine's thread pool.
///
/// `GENAI_BLAS=openblas` routes products through OpenBLAS's `cblas_sgemm` instead, loaded at run
/// time with `dlopen` when it is installed (for comparisons; nothing depends on it).
public enum BLAS {
  typealias SgemmFn = @convention(c) (
    Int32, Int32, Int32, Int32, Int32, Int32, Float, UnsafePointer<Float>?, Int32,
    UnsafePointer<Float>?, Int32, Float, UnsafeMutablePointer<Float>?, Int32
  ) -> Void
  typealias SetThreadsFn = @convention(c) (Int32) -> Void

  struct Library: @unchecked Sendable {
    let name: String
    let sgemm: SgemmFn
  }

  /// OpenBLAS, only when `GENAI_BLAS=openblas` asks for it and it can be loaded.
  static let openBLAS: Library? = {
    guard let v = getenv("GENAI_BLAS"), String(cString: v) == "openblas" else { return nil }
    chooseOpenBLASCore()
    #if os(macOS)
      let candidates = ["/System/Library/Frameworks/Accelerate.framework/Accelerate"]
    #else
      let candidates = ["libopenblas.so.0", "libopenblas.so", "libopenblasp.so.0", "libblis.so.4", "libcblas.so.3"]
    #endif
    for name in candidates {
      guard let handle = dlopen(name, RTLD_NOW | RTLD_LOCAL), let sym = dlsym(handle, "cblas_sgemm") else { continue }
      // One BLAS thread: products are split across cores by our own pool.
      if let set = dlsym(handle, "openblas_set_num_threads") { unsafeBitCast(set, to: SetThreadsFn.self)(1) }
      return Library(name: name, sgemm: unsafeBitCast(sym, to: SgemmFn.self))
    }
    FileHandle.standardError.write(Data("genai: GENAI_BLAS=openblas but no OpenBLAS could be loaded; using genai's kernels\n".utf8))
    return nil
  }()

  /// Debian's OpenBLAS 0.3.21 does not recognise Zen 4 and falls back to its SSE3 kernels; pick
  /// a core by the CPU's features before the library loads (it reads the variable once).
  static func chooseOpenBLASCore() {
    #if os(Linux) && arch(x86_64)
      guard getenv("OPENBLAS_CORETYPE") == nil else { return }
      if KernelPath.avx512.isSupported {
        setenv("OPENBLAS_CORETYPE", "SkylakeX", 1)
      } else if KernelPath.avx2.isSupported {
        setenv("OPENBLAS_CORETYPE", "Haswell", 1)
      }
    #endif
  }

  /// What computes the products: `"genai-avx512"` (our kernels on that path) or the name of the
  /// BLAS library in use.
  public static var backend: String { openBLAS?.name ?? "genai-\(KernelPath.active)" }

  /// `C = alpha * op(A) * op(B) + beta * C` for row-major matrices.
  ///
  /// `op(A)` is `[M, K]` (A stored `[K, M]` when `transA`), `op(B)` is `[K, N]` (B stored
  /// `[N, K]` when `transB`), C is `[M, N]` with row stride `ldc`. With `beta == 0` C is only
  /// written, never read. Transposes are handled by the packing, not copied.
  public static func sgemm(
    transA: Bool, transB: Bool, m: Int, n: Int, k: Int, alpha: Float = 1,
    a: UnsafePointer<Float>, lda: Int, b: UnsafePointer<Float>, ldb: Int,
    beta: Float = 0, c: UnsafeMutablePointer<Float>, ldc: Int
  ) {
    if m == 0 || n == 0 { return }
    if let lib = openBLAS, k > 0 {
      openBLASSgemm(lib, transA: transA, transB: transB, m: m, n: n, k: k, alpha: alpha, a: a, lda: lda, b: b,
                    ldb: ldb, beta: beta, c: c, ldc: ldc)
      return
    }
    var args = genai_sgemm_args(
      trans_a: transA ? 1 : 0, trans_b: transB ? 1 : 0, m: m, n: n, k: k, alpha: alpha, beta: beta,
      a: a, lda: lda, b: b, ldb: ldb, c: c, ldc: ldc, packed_b: nil)
    var op = genai_gemm_op()
    withUnsafePointer(to: &args) { genai_sgemm_op(&op, $0) }
    let path = genai_path_active()
    var parts = genai_gemm_parts(&op, ThreadPool.shared.threadCount, path)
    let blocking = genai_gemm_blocking_for(path)
    // Products of a GFLOP or more that split their rows get eight parts a thread: with op(B)
    // packed once and shared (below), a part costs no more packing than its own rows, and the
    // pool hands parts to threads as they come free, so a thread that runs slower (a busy or
    // throttled core) holds the others up for an eighth of its share, not half of it. char-rnn's
    // products over the whole sequence (3200 x 512 x 2048, 6.7 GFLOP) with two parts a thread
    // left the caller waiting 0.8-1.1 ms of every 16-32 ms; with eight, 0.3-0.4 ms (2-core
    // Sapphire Rapids, three alternating runs each).
    if parts > 1 && k > 0 && 2 * Double(m) * Double(n) * Double(k) >= 1e9
      && genai_gemm_split(&op, parts, blocking.mr, blocking.nr) == 1
    {
      let rowPanels = (m + Int(blocking.mr) - 1) / Int(blocking.mr)
      let finer = Swift.min(rowPanels, ThreadPool.shared.threadCount * 8)
      if finer > parts && genai_gemm_split(&op, finer, blocking.mr, blocking.nr) == 1 { parts = finer }
    }
    // Parts that split the rows would each pack all of op(B); pack it once instead, its panels
    // shared out across the pool, and let every part read the shared copy.
    var packed: OpaquePointer? = nil
    defer { genai_packed_b_free(packed) }
    if parts > 1 && k > 0 && genai_gemm_split(&op, parts, blocking.mr, blocking.nr) == 1 {
      packed = genai_packed_b_alloc(path, k, n)
      ThreadPool.shared.run(chunks: parts) { part in genai_packed_b_fill(packed, transB ? 1 : 0, b, ldb, part, parts) }
      args.packed_b = packed
    }
    withUnsafePointer(to: &args) { argsPointer in
      genai_sgemm_op(&op, argsPointer)
      withUnsafePointer(to: &op) { p in
        ThreadPool.shared.run(chunks: parts) { part in genai_gemm_run(p, part, parts, path) }
      }
    }
  }

  /// Runs a GEMM operation (plain or implicit) over the thread pool on the active path.
  static func run(_ op: genai_gemm_op) {
    var op = op
    let path = genai_path_active()
    let parts = genai_gemm_parts(&op, ThreadPool.shared.threadCount, path)
    withUnsafePointer(to: &op) { p in
      ThreadPool.shared.run(chunks: parts) { part in genai_gemm_run(p, part, parts, path) }
    }
  }

  private static func openBLASSgemm(
    _ lib: Library, transA: Bool, transB: Bool, m: Int, n: Int, k: Int, alpha: Float,
    a: UnsafePointer<Float>, lda: Int, b: UnsafePointer<Float>, ldb: Int,
    beta: Float, c: UnsafeMutablePointer<Float>, ldc: Int
  ) {
    // Split the larger output dimension across the pool; each part is an independent
    // single-threaded BLAS call on a sub-block of C.
    let parts = m * n * k >= 1 << 18 ? ThreadPool.shared.threadCount : 1
    let splitRows = m >= n
    let span = ((splitRows ? m : n) + parts - 1) / parts
    ThreadPool.shared.run(chunks: parts) { p in
      let lo = p * span
      let hi = Swift.min(splitRows ? m : n, lo + span)
      if lo >= hi { return }
      // 101 = CblasRowMajor, 111 = CblasNoTrans, 112 = CblasTrans.
      if splitRows {
        let ap = transA ? a + lo : a + lo * lda
        lib.sgemm(
          101, transA ? 112 : 111, transB ? 112 : 111, Int32(hi - lo), Int32(n), Int32(k), alpha,
          ap, Int32(lda), b, Int32(ldb), beta, c + lo * ldc, Int32(ldc))
      } else {
        let bp = transB ? b + lo * ldb : b + lo
        lib.sgemm(
          101, transA ? 112 : 111, transB ? 112 : 111, Int32(m), Int32(hi - lo), Int32(k), alpha,
          a, Int32(lda), bp, Int32(ldb), beta, c + lo, Int32(ldc))
      }
    }
  }
}
