import CGenAIKernels
import GenAITestSupport
import Synchronization
import Testing

@testable import GenAITensor

// `BLAS.sgemm` on every kernel path against a Double triple loop, and the promises of the GEMM
// driver that results never depend on M (a row alone gives the same bits as in a batch) nor on
// how the product is split into parts. Paths this CPU lacks are skipped visibly (see
// Support/KernelPaths.swift); tolerances are the √K bound of `KernelTolerance`.

/// One GEMM problem, run with all four transpose combinations.
///
/// Logical `op(A)` `[M, K]`, `op(B)` `[K, N]` and `C` `[M, N]`, the scalars, and the padding of
/// every stored row.
struct GemmCase: Sendable, CustomTestStringConvertible {
  let m: Int, n: Int, k: Int
  var alpha: Float = 1
  var beta: Float = 0
  /// Extra elements at the end of every stored row of A, B and C: the leading dimension is the
  /// stored width plus this.
  var pad = 0

  var testDescription: String { "M \(m) N \(n) K \(k), alpha \(alpha) beta \(beta), pad \(pad)" }
  /// The key of the logical operands and their product (they depend on the shape only).
  var shapeKey: String { "\(m)x\(n)x\(k)" }
}

/// The storage of one run: `op(A)`, `op(B)` and `C` laid out with the case's transposes and
/// padding, padding filled so that reading it or writing it shows.
struct GemmOperands {
  var a: [Float], lda: Int
  var b: [Float], ldb: Int
  var c: [Float], ldc: Int

  /// Padding of A and B: NaN, so a product that reads it is poisoned.
  static let inputPad = Float.nan
  /// Padding of C and the guard elements after it: a finite value any write would change.
  static let outputPad: Float = 1234.5
  /// Guard elements after the last row of C (an overrun past the matrix shows).
  static let guardCount = 64

  /// Runs `body` with the addresses of A, B and C (no buffer is ever empty: each holds at least
  /// one element).
  mutating func withPointers<R>(
    _ body: (UnsafePointer<Float>, UnsafePointer<Float>, UnsafeMutablePointer<Float>) -> R
  ) -> R {
    a.withUnsafeBufferPointer { a in
      b.withUnsafeBufferPointer { b in
        c.withUnsafeMutableBufferPointer { c in
          guard let pa = a.baseAddress, let pb = b.baseAddress, let pc = c.baseAddress else {
            preconditionFailure("GemmOperands holds an empty buffer")
          }
          return body(pa, pb, pc)
        }
      }
    }
  }
}

/// The logical operands of a shape and their product in Double.
struct GemmReference: Sendable {
  let a: [Float]  // [M, K]
  let b: [Float]  // [K, N]
  let c: [Float]  // [M, N], the starting C when beta != 0
  let product: [Double]  // Σ_p a·b, [M, N]
  let magnitude: [Double]  // Σ_p |a·b|, [M, N]
}

enum GemmCheck {
  static let references = ReferenceCache<GemmReference>()

  /// Operands seeded by the shape, and `op(A)·op(B)` in Double, computed once per shape.
  static func reference(_ c: GemmCase) -> GemmReference {
    references.value(c.shapeKey) {
      let seed = GradCheck.stableHash(c.shapeKey)
      let a = KernelCheck.values(c.m * c.k, seed: seed)
      let b = KernelCheck.values(c.k * c.n, seed: seed ^ 1)
      let cStart = KernelCheck.values(c.m * c.n, seed: seed ^ 2)
      var product = [Double](repeating: 0, count: c.m * c.n)
      var magnitude = [Double](repeating: 0, count: c.m * c.n)
      // Row i of C accumulates a[i, p] · row p of B: contiguous inner loops keep the Double
      // reference affordable in a debug build.
      a.withUnsafeBufferPointer { a in
        b.withUnsafeBufferPointer { b in
          product.withUnsafeMutableBufferPointer { pr in
            magnitude.withUnsafeMutableBufferPointer { mg in
              for i in 0..<c.m {
                for p in 0..<c.k {
                  let av = Double(a[i * c.k + p])
                  for j in 0..<c.n {
                    let t = av * Double(b[p * c.n + j])
                    pr[i * c.n + j] += t
                    mg[i * c.n + j] += Swift.abs(t)
                  }
                }
              }
            }
          }
        }
      }
      return GemmReference(a: a, b: b, c: cStart, product: product, magnitude: magnitude)
    }
  }

  /// Lays out the logical operands of `r` for `c` with the given transposes: A stored `[K, M]`
  /// when `transA`, B stored `[N, K]` when `transB`, every row padded by `c.pad`; C is NaN when
  /// `beta == 0` (it must be written without being read) and the reference's C otherwise.
  static func operands(_ c: GemmCase, _ r: GemmReference, transA: Bool, transB: Bool) -> GemmOperands {
    /// `rows x cols` row-major with stride `ld`, element `(i, j)` from `value`.
    func layout(rows: Int, cols: Int, ld: Int, fill: Float, _ value: (Int, Int) -> Float) -> [Float] {
      var s = [Float](repeating: fill, count: Swift.max(1, rows * ld))
      for i in 0..<rows { for j in 0..<cols { s[i * ld + j] = value(i, j) } }
      return s
    }
    let (m, n, k) = (c.m, c.n, c.k)
    let lda = Swift.max(1, transA ? m : k) + c.pad
    let ldb = Swift.max(1, transB ? k : n) + c.pad
    let ldc = n + c.pad
    let a =
      transA
      ? layout(rows: k, cols: m, ld: lda, fill: GemmOperands.inputPad) { p, i in r.a[i * k + p] }
      : layout(rows: m, cols: k, ld: lda, fill: GemmOperands.inputPad) { i, p in r.a[i * k + p] }
    let b =
      transB
      ? layout(rows: n, cols: k, ld: ldb, fill: GemmOperands.inputPad) { j, p in r.b[p * n + j] }
      : layout(rows: k, cols: n, ld: ldb, fill: GemmOperands.inputPad) { p, j in r.b[p * n + j] }
    var cs = layout(rows: m, cols: n, ld: ldc, fill: GemmOperands.outputPad) { i, j in
      c.beta == 0 ? .nan : r.c[i * n + j]
    }
    cs += [Float](repeating: GemmOperands.outputPad, count: GemmOperands.guardCount)
    return GemmOperands(a: a, lda: lda, b: b, ldb: ldb, c: cs, ldc: ldc)
  }

  /// `BLAS.sgemm` on `ops` (C updated in place) on the current path.
  static func sgemm(_ c: GemmCase, _ ops: inout GemmOperands, transA: Bool, transB: Bool) {
    let (lda, ldb, ldc) = (ops.lda, ops.ldb, ops.ldc)
    ops.withPointers { a, b, cp in
      BLAS.sgemm(
        transA: transA, transB: transB, m: c.m, n: c.n, k: c.k, alpha: c.alpha, a: a, lda: lda, b: b, ldb: ldb,
        beta: c.beta, c: cp, ldc: ldc)
    }
  }

  /// Runs `c` on `path` with all four transpose combinations and checks each result.
  static func run(_ c: GemmCase, on path: KernelPath) {
    let r = reference(c)
    for (transA, transB) in [(false, false), (true, false), (false, true), (true, true)] {
      let start = operands(c, r, transA: transA, transB: transB)
      var ops = start
      withKernelPath(path) { sgemm(c, &ops, transA: transA, transB: transB) }
      expectMatchesReference(
        c, r, ops, start: start.c, "\(path) \(c.testDescription), \(transA ? "Aᵀ" : "A")·\(transB ? "Bᵀ" : "B")")
    }
  }

  /// Checks every element of C in `ops` against `alpha·Σ a·b + beta·C` within the √K bound, and
  /// that C's padding and the guard after it still hold the bits they had in `start`.
  static func expectMatchesReference(
    _ c: GemmCase, _ r: GemmReference, _ ops: GemmOperands, start: [Float], _ what: String
  ) {
    let (alpha, beta) = (Double(c.alpha), Double(c.beta))
    var expected = [Double](repeating: 0, count: c.m * c.n)
    var bound = expected
    for e in 0..<expected.count {
      // With beta 0 the starting C (NaN here) plays no part.
      let cTerm = beta == 0 ? 0 : beta * Double(r.c[e])
      expected[e] = alpha * r.product[e] + cTerm
      bound[e] = KernelTolerance.bound(terms: c.k, magnitude: Swift.abs(alpha) * r.magnitude[e] + Swift.abs(cTerm))
    }
    var result: [Float] = []
    result.reserveCapacity(c.m * c.n)
    for i in 0..<c.m { result += ops.c[(i * ops.ldc)..<(i * ops.ldc + c.n)] }
    KernelCheck.expectWithin(result, expected, bound: bound, shape: [c.m, c.n], what)
    var touched = 0
    for i in 0..<ops.c.count where i >= c.m * ops.ldc || i % ops.ldc >= c.n {
      if ops.c[i].bitPattern != start[i].bitPattern { touched += 1 }
    }
    #expect(touched == 0, "[\(what)] \(touched) padding or guard elements of C were written")
  }

  /// The cases: edge sizes alone and against large ones, shapes that cross every cache block of
  /// every path, then sizes 1, 2, 3, 7, 13, 17, 31, 33, 64, 97, 129 in every dimension and seeded
  /// random shapes over them, with varied scalars and padding.
  static let cases: [GemmCase] = {
    var cases: [GemmCase] = [
      GemmCase(m: 1, n: 1, k: 1),
      GemmCase(m: 1, n: 1, k: 129, alpha: 0.5, beta: 1),
      GemmCase(m: 1, n: 129, k: 97, pad: 3),
      GemmCase(m: 129, n: 1, k: 33, beta: -0.5, pad: 1),
      GemmCase(m: 97, n: 97, k: 1, alpha: -1),
      GemmCase(m: 64, n: 64, k: 64, alpha: 1, beta: 1),
      GemmCase(m: 13, n: 17, k: 31, alpha: 2, beta: 0, pad: 5),
      // K = 0: C = beta·C, and with beta 0 the NaNs in C are replaced by zeros.
      GemmCase(m: 7, n: 13, k: 0),
      GemmCase(m: 7, n: 13, k: 0, alpha: 1, beta: 0.5, pad: 2),
      // K past every path's K block (kc ≤ 512), with N wide in the first and M past several row
      // panels in the second; narrow in the other dimension, so that the Double reference and the
      // unoptimised kernels of a debug build stay cheap. (The split check crosses N's block.)
      GemmCase(m: 13, n: 700, k: 1100, alpha: 0.75, beta: 0.25, pad: 1),
      GemmCase(m: 100, n: 40, k: 1100),
    ]
    let sizes = [1, 2, 3, 7, 13, 17, 31, 33, 64, 97, 129]
    let scalars: [(Float, Float)] = [(1, 0), (1, 1), (-0.5, 0.75), (2, 0), (1, -1)]
    // Every size once in every dimension, paired with different sizes in the other two.
    for (i, m) in sizes.enumerated() {
      let (alpha, beta) = scalars[i % scalars.count]
      cases.append(
        GemmCase(
          m: m, n: sizes[(i + 4) % sizes.count], k: sizes[(i + 7) % sizes.count], alpha: alpha, beta: beta,
          pad: i % 3))
    }
    var rng = SeededGenerator(seed: 0x6E_4D4D)
    func pick<T>(_ xs: [T]) -> T { xs[Int(rng.next() % UInt64(xs.count))] }
    for _ in 0..<16 {
      let (alpha, beta) = pick(scalars)
      cases.append(
        GemmCase(m: pick(sizes), n: pick(sizes), k: pick(sizes), alpha: alpha, beta: beta, pad: pick([0, 0, 1, 4])))
    }
    return cases
  }()

  /// A row of A multiplied alone (M = 1) gives the same bits as inside a batch of 37 rows, for
  /// every transpose, with rows at the start, inside and at the end of register panels: the K
  /// blocking depends only on K, so every element is the same sequence of operations.
  static func rowAloneMatchesRowInBatch(_ path: KernelPath) {
    let (m, n, k) = (37, 77, 1100)
    let mr = Int(genai_gemm_blocking_for(path.rawValue).mr)
    let rows = Set([0, 1, mr - 1, mr, m / 2, m - 1].filter { $0 < m }).sorted()
    for (alpha, beta) in [(Float(1), Float(0)), (0.75, 0.5)] {
      let c = GemmCase(m: m, n: n, k: k, alpha: alpha, beta: beta, pad: 2)
      let r = GemmCheck.reference(c)
      for (transA, transB) in [(false, false), (true, false), (false, true), (true, true)] {
        let fresh = GemmCheck.operands(c, r, transA: transA, transB: transB)
        var batch = fresh
        withKernelPath(path) { GemmCheck.sgemm(c, &batch, transA: transA, transB: transB) }
        for i in rows {
          // The same storage, seen as a single row: A's row i starts at column i of the
          // transposed layout or at row i of the plain one.
          var one = fresh
          let aOffset = transA ? i : i * batch.lda
          one.withPointers { a, b, cp in
            withKernelPath(path) {
              BLAS.sgemm(
                transA: transA, transB: transB, m: 1, n: n, k: k, alpha: alpha, a: a + aOffset, lda: batch.lda,
                b: b, ldb: batch.ldb, beta: beta, c: cp + i * batch.ldc, ldc: batch.ldc)
            }
          }
          let range = (i * batch.ldc)..<(i * batch.ldc + n)
          KernelCheck.expectBitIdentical(
            Array(one.c[range]), Array(batch.c[range]),
            """
            \(path) row \(i) alone vs in M \(m), \(transA ? "Aᵀ" : "A")·\(transB ? "Bᵀ" : "B"), \
            alpha \(alpha) beta \(beta)
            """)
        }
      }
    }
  }

  /// The split of a product into parts does not change a bit of the result.
  ///
  /// `genai_gemm_run` in 1, 3 (automatic, by rows, by columns) and 7 parts, the parts run in
  /// reverse order, and `BLAS.sgemm` over the thread pool all agree. N and K are past the path's
  /// column and K blocks, so the single part, checked against the reference too, crosses every
  /// cache block whatever the number of threads (the pool's parts may each be narrower than one
  /// column block).
  static func resultDoesNotDependOnTheSplit(_ path: KernelPath) {
    let blocking = genai_gemm_blocking_for(path.rawValue)
    let c = GemmCase(m: 13, n: blocking.nc + 37, k: blocking.kc + 37, alpha: 1.5, beta: 0, pad: 1)
    let r = GemmCheck.reference(c)
    let base = GemmCheck.operands(c, r, transA: false, transB: true)

    /// C from running `parts` parts (last part first) with the given split (0 = automatic).
    func runParts(_ parts: Int, split: Int32) -> GemmOperands {
      var ops = base
      ops.withPointers { a, b, cp in
        var args = genai_sgemm_args(
          trans_a: 0, trans_b: 1, m: c.m, n: c.n, k: c.k, alpha: c.alpha, beta: c.beta,
          a: a, lda: base.lda, b: b, ldb: base.ldb, c: cp, ldc: base.ldc, packed_b: nil)
        withUnsafePointer(to: &args) { argsPointer in
          var op = genai_gemm_op()
          genai_sgemm_op(&op, argsPointer)
          op.split = split
          for part in (0..<parts).reversed() { genai_gemm_run(&op, part, parts, path.rawValue) }
        }
      }
      return ops
    }

    let whole = runParts(1, split: 0)
    GemmCheck.expectMatchesReference(c, r, whole, start: base.c, "\(path) \(c.testDescription), one part, A·Bᵀ")
    for (parts, split) in [(3, Int32(0)), (3, 1), (3, 2), (7, 1), (7, 2)] {
      KernelCheck.expectBitIdentical(
        runParts(parts, split: split).c, whole.c, "\(path) \(parts) parts, split \(split) vs 1 part")
    }
    var pooled = base
    withKernelPath(path) { GemmCheck.sgemm(c, &pooled, transA: false, transB: true) }
    KernelCheck.expectBitIdentical(pooled.c, whole.c, "\(path) BLAS.sgemm over the pool vs 1 part")
  }

  /// Full row panels of a row-major A (N ≤ 128) are read in place by the micro-kernel; packed
  /// like any other panel they give the same bits, with K past the path's K block and a partial
  /// panel at the end (M 50).
  static func inPlaceAMatchesPackedA(_ path: KernelPath) {
    let blocking = genai_gemm_blocking_for(path.rawValue)
    let c = GemmCase(m: 50, n: 100, k: blocking.kc + 37, alpha: 1, beta: 0.5, pad: 3)
    let r = GemmCheck.reference(c)
    for transB in [false, true] {
      let start = GemmCheck.operands(c, r, transA: false, transB: transB)
      var inPlace = start, packed = start
      let before = genai_gemm_in_place_a_enabled()
      genai_gemm_set_in_place_a(1)
      withKernelPath(path) { GemmCheck.sgemm(c, &inPlace, transA: false, transB: transB) }
      genai_gemm_set_in_place_a(0)
      withKernelPath(path) { GemmCheck.sgemm(c, &packed, transA: false, transB: transB) }
      genai_gemm_set_in_place_a(before)
      let what = "\(path) A·\(transB ? "Bᵀ" : "B")"
      GemmCheck.expectMatchesReference(c, r, inPlace, start: start.c, "\(what), A in place")
      KernelCheck.expectBitIdentical(inPlace.c, packed.c, "\(what), A in place vs packed")
    }
  }

  /// `withKernelPath` sets the path on this thread, hands it to the pool's workers for the jobs
  /// started inside, and restores the previous choice afterwards.
  static func forcedPathReachesThePoolWorkers(_ path: KernelPath) {
    let before = genai_thread_path_get()
    let seen = Mutex<[Int32]>([])
    withKernelPath(path) {
      #expect(KernelPath.active == path)
      ThreadPool.shared.run(chunks: 64) { _ in
        let active = genai_path_active()
        seen.withLock { $0.append(active) }
      }
    }
    #expect(genai_thread_path_get() == before)
    let paths = seen.withLock { $0 }
    #expect(paths.count == 64 && paths.allSatisfy { $0 == path.rawValue }, "[\(path)] chunks ran on \(Set(paths))")
  }
}

@Suite struct GemmTests {
  /// Everything checked on each path: the reference cases, then the driver's promises.
  static let checks: [PathCheck] =
    GemmCheck.cases.map { c in PathCheck("reference \(c.testDescription)") { GemmCheck.run(c, on: $0) } } + [
      PathCheck("a row alone gives the bits it has in a batch", GemmCheck.rowAloneMatchesRowInBatch),
      PathCheck("the split into parts does not change the bits", GemmCheck.resultDoesNotDependOnTheSplit),
      PathCheck("reading A in place gives the bits of packing it", GemmCheck.inPlaceAMatchesPackedA),
      PathCheck("withKernelPath reaches the pool's workers", GemmCheck.forcedPathReachesThePoolWorkers),
    ]

  // One test per path; a path this CPU lacks is reported as skipped.

  @Test("SGEMM on the portable path", .requires(.portable), arguments: checks)
  func portable(_ check: PathCheck) throws { try check(.portable) }

  @Test("SGEMM on the avx2 path", .requires(.avx2), arguments: checks)
  func avx2(_ check: PathCheck) throws { try check(.avx2) }

  @Test("SGEMM on the avx512 path", .requires(.avx512), arguments: checks)
  func avx512(_ check: PathCheck) throws { try check(.avx512) }

  @Test("SGEMM on the neon path", .requires(.neon), arguments: checks)
  func neon(_ check: PathCheck) throws { try check(.neon) }

  /// The portable path runs everywhere, the best path is supported, and the cases really cross
  /// the cache blocks of every supported path (K past kc with M past several panels; the split
  /// check crosses nc) and use every listed size in every dimension.
  @Test func pathsAndCasesCoverTheBlocking() {
    #expect(KernelPath.supported.contains(.portable))
    #expect(KernelPath.supported.contains(KernelPath.best))
    let cases = GemmCheck.cases
    for path in KernelPath.supported {
      let b = genai_gemm_blocking_for(path.rawValue)
      #expect(cases.contains { $0.k > b.kc && $0.n > 2 * Int(b.nr) }, "[\(path)] no wide case crosses kc \(b.kc)")
      #expect(
        cases.contains { $0.m > 4 * Int(b.mr) && $0.k > b.kc },
        "[\(path)] no case spans several row panels and K blocks")
    }
    for size in [1, 2, 3, 7, 13, 17, 31, 33, 64, 97, 129] {
      #expect(
        cases.contains { $0.m == size } && cases.contains { $0.n == size } && cases.contains { $0.k == size },
        "size \(size) is not in every dimension")
    }
    #expect(cases.contains { $0.beta == 0 } && cases.contains { $0.beta != 0 && $0.beta != 1 })
    #expect(cases.contains { $0.alpha != 1 } && cases.contains { $0.pad > 0 })
  }
}
