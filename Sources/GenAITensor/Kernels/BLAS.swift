import Foundation
#if canImport(Glibc)
  import Glibc
#elseif canImport(Darwin)
  import Darwin
#endif

/// Matrix products: OpenBLAS's `cblas_sgemm` loaded at run time with `dlopen`, so the package
/// builds and runs where OpenBLAS is absent, plus a portable Swift path for those machines.
///
/// Set `GENAI_BLAS=portable` to force the portable path (tests compare the two).
public enum BLAS {
  typealias SgemmFn = @convention(c) (
    Int32, Int32, Int32, Int32, Int32, Int32, Float, UnsafePointer<Float>?, Int32,
    UnsafePointer<Float>?, Int32, Float, UnsafeMutablePointer<Float>?, Int32
  ) -> Void
  typealias SetThreadsFn = @convention(c) (Int32) -> Void

  struct Library: @unchecked Sendable {
    let name: String
    let sgemm: SgemmFn
    let setThreads: SetThreadsFn?
  }

  static let library: Library? = {
    if let v = getenv("GENAI_BLAS"), String(cString: v) == "portable" { return nil }
    chooseOpenBLASCore()
    #if os(macOS)
      let candidates = ["/System/Library/Frameworks/Accelerate.framework/Accelerate"]
    #else
      let candidates = [
        "libopenblas.so.0", "libopenblas.so", "libopenblasp.so.0", "libblis.so.4", "libcblas.so.3", "libblas.so.3",
      ]
    #endif
    for name in candidates {
      guard let handle = dlopen(name, RTLD_NOW | RTLD_LOCAL), let sym = dlsym(handle, "cblas_sgemm") else { continue }
      let set = dlsym(handle, "openblas_set_num_threads").map { unsafeBitCast($0, to: SetThreadsFn.self) }
      // One BLAS thread: products are split across cores by our own pool, so OpenBLAS's idle
      // threads do not spin (sched_yield) against the pool's workers between calls.
      set?(Int32(ownThreads))
      return Library(name: name, sgemm: unsafeBitCast(sym, to: SgemmFn.self), setThreads: set)
    }
    return nil
  }()

  /// Debian's OpenBLAS 0.3.21 does not recognise Zen 4 and falls back to its SSE3 "Prescott"
  /// kernels (a quarter of the speed). Unless the user chose a core, pick one by the CPU's
  /// features before the library loads (it reads the variable once, at load).
  static func chooseOpenBLASCore() {
    #if os(Linux) && arch(x86_64)
      guard getenv("OPENBLAS_CORETYPE") == nil,
        let info = try? String(contentsOfFile: "/proc/cpuinfo", encoding: .utf8),
        let flagsLine = info.split(separator: "\n").first(where: { $0.hasPrefix("flags") })
      else { return }
      let flags = Set(flagsLine.split(separator: " ").map(String.init))
      if flags.contains("avx512f") && flags.contains("avx512bw") && flags.contains("avx512vl") {
        setenv("OPENBLAS_CORETYPE", preferredAVX512Core, 1)
      } else if flags.contains("avx2") && flags.contains("fma") {
        setenv("OPENBLAS_CORETYPE", "Haswell", 1)
      }
    #endif
  }

  /// Threads inside each BLAS call: 1 (the default), or `GENAI_BLAS_THREADS` to let OpenBLAS
  /// thread a product itself instead of the engine splitting it.
  static let ownThreads: Int = getenv("GENAI_BLAS_THREADS").flatMap { Int(String(cString: $0)) } ?? 1

  /// The OpenBLAS core used on AVX-512 machines.
  static let preferredAVX512Core = "SkylakeX"

  /// The BLAS library in use (e.g. `"libopenblas.so.0"`), or `"portable"`.
  public static var backend: String { library?.name ?? "portable" }

  /// Sets the number of threads each OpenBLAS call uses (no effect on the portable path). The
  /// engine sets 1 and splits products across its own pool instead.
  public static func setThreads(_ n: Int) { library?.setThreads?(Int32(n)) }

  /// `C = alpha * op(A) * op(B) + beta * C` for row-major matrices.
  ///
  /// `op(A)` is `[M, K]` (A stored `[K, M]` when `transA`), `op(B)` is `[K, N]` (B stored
  /// `[N, K]` when `transB`), C is `[M, N]` with row stride `ldc`. Transposes are passed to BLAS
  /// rather than copied.
  public static func sgemm(
    transA: Bool, transB: Bool, m: Int, n: Int, k: Int, alpha: Float = 1,
    a: UnsafePointer<Float>, lda: Int, b: UnsafePointer<Float>, ldb: Int,
    beta: Float = 0, c: UnsafeMutablePointer<Float>, ldc: Int
  ) {
    if m == 0 || n == 0 { return }
    if k == 0 {
      scaleMatrix(c, m: m, n: n, ldc: ldc, beta: beta)
      return
    }
    if let lib = library {
      // Split the larger output dimension across the pool; each part is an independent
      // single-threaded BLAS call on a sub-block of C.
      let parts = m * n * k >= 1 << 18 && ownThreads == 1 ? ThreadPool.shared.threadCount : 1
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
    } else {
      portableSgemm(
        transA: transA, transB: transB, m: m, n: n, k: k, alpha: alpha, a: a, lda: lda, b: b, ldb: ldb,
        beta: beta, c: c, ldc: ldc)
    }
  }

  static func scaleMatrix(_ c: UnsafeMutablePointer<Float>, m: Int, n: Int, ldc: Int, beta: Float) {
    for i in 0..<m {
      let row = c + i * ldc
      if beta == 0 { row.update(repeating: 0, count: n) } else { for j in 0..<n { row[j] *= beta } }
    }
  }

  /// The portable path: packs op(A) and op(B) into contiguous row-major panels, then runs a
  /// cache-blocked i-k-j loop whose inner loop the compiler vectorises; rows split across cores.
  /// Also the test oracle's second opinion against BLAS.
  public static func portableSgemm(
    transA: Bool, transB: Bool, m: Int, n: Int, k: Int, alpha: Float,
    a: UnsafePointer<Float>, lda: Int, b: UnsafePointer<Float>, ldb: Int,
    beta: Float, c: UnsafeMutablePointer<Float>, ldc: Int
  ) {
    scaleMatrix(c, m: m, n: n, ldc: ldc, beta: beta)
    // Contiguous op(A) [M, K] and op(B) [K, N]: O(MK + KN) copies beside O(MNK) work.
    let pa = UnsafeMutablePointer<Float>.allocate(capacity: m * k)
    let pb = UnsafeMutablePointer<Float>.allocate(capacity: k * n)
    defer {
      pa.deallocate()
      pb.deallocate()
    }
    for i in 0..<m {
      for p in 0..<k { pa[i * k + p] = alpha * (transA ? a[p * lda + i] : a[i * lda + p]) }
    }
    for p in 0..<k {
      for j in 0..<n { pb[p * n + j] = transB ? b[j * ldb + p] : b[p * ldb + j] }
    }
    let kBlock = 256
    let nBlock = 1024
    parallelFor(m, grain: max(1, 65_536 / max(1, n * k / 64))) { rows in
      for j0 in stride(from: 0, to: n, by: nBlock) {
        let jn = min(nBlock, n - j0)
        for p0 in stride(from: 0, to: k, by: kBlock) {
          let pn = min(kBlock, k - p0)
          for i in rows {
            let crow = c + i * ldc + j0
            let arow = pa + i * k + p0
            for p in 0..<pn {
              let av = arow[p]
              let brow = pb + (p0 + p) * n + j0
              for j in 0..<jn { crow[j] += av * brow[j] }
            }
          }
        }
      }
    }
  }
}
