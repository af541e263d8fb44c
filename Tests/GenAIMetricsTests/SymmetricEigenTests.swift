import Testing

@testable import GenAIMetrics
import GenAITensor

/// The Jacobi eigensolver and the PSD square root, checked by reconstruction (`A = V Λ Vᵀ`,
/// `VᵀV = I`, `√A·√A = A`) and on matrices with known spectra.
@Suite struct SymmetricEigenTests {
  @Test(arguments: [1, 2, 3, 5, 12, 24])
  func reconstructsRandomSymmetricMatrices(dimension d: Int) {
    var rng = SeededGenerator(seed: UInt64(100 + d))
    let b = metricsRandomMatrix(d, &rng)
    let a = (0..<(d * d)).map { 0.5 * (b[$0] + b[($0 % d) * d + $0 / d]) }  // (B + Bᵀ)/2
    let e = SymmetricEigen(matrix: a, dimension: d)
    #expect(e.sweeps < 20, "Jacobi should converge quadratically, took \(e.sweeps) sweeps")
    #expect(zip(e.values, e.values.dropFirst()).allSatisfy { $0 <= $1 }, "eigenvalues ascending")
    // A = V Λ Vᵀ, computed here without the library's own reconstruction.
    var vl = e.vectors
    for i in 0..<d { for k in 0..<d { vl[i * d + k] *= e.values[k] } }
    let rebuilt = metricsMatmul(vl, metricsTranspose(e.vectors, d), d)
    #expect(metricsMaxAbsDiff(rebuilt, a) < 1e-9, "V Λ Vᵀ vs A: \(metricsMaxAbsDiff(rebuilt, a))")
    // Vᵀ V = I.
    let vtv = metricsMatmul(metricsTranspose(e.vectors, d), e.vectors, d)
    let identity = (0..<(d * d)).map { $0 / d == $0 % d ? 1.0 : 0.0 }
    #expect(metricsMaxAbsDiff(vtv, identity) < 1e-9, "VᵀV vs I: \(metricsMaxAbsDiff(vtv, identity))")
    // A V = V Λ column by column (each column is an eigenvector).
    #expect(metricsMaxAbsDiff(metricsMatmul(a, e.vectors, d), vl) < 1e-9)
  }

  @Test func knownSpectra() {
    // [[2, 1], [1, 2]] has eigenvalues 1 and 3.
    let e = SymmetricEigen(matrix: [2, 1, 1, 2], dimension: 2)
    #expect(metricsMaxAbsDiff(e.values, [1, 3]) < 1e-14)
    // Q diag(d) Qᵀ for a 3-D Givens rotation Q has eigenvalues d.
    let (c, s) = (0.6, 0.8)
    let q: [Double] = [c, -s, 0, s, c, 0, 0, 0, 1]
    let diag: [Double] = [5, 0, 0, 0, -2, 0, 0, 0, 0.5]
    let a = metricsMatmul(metricsMatmul(q, diag, 3), metricsTranspose(q, 3), 3)
    #expect(metricsMaxAbsDiff(SymmetricEigen(matrix: a, dimension: 3).values, [-2, 0.5, 5]) < 1e-13)
    // Already diagonal and all-zero matrices take no sweeps; D = 0 is empty.
    #expect(SymmetricEigen(matrix: [3, 0, 0, 1], dimension: 2).sweeps == 0)
    #expect(SymmetricEigen(matrix: [Double](repeating: 0, count: 16), dimension: 4).values == [0, 0, 0, 0])
    #expect(SymmetricEigen(matrix: [], dimension: 0).values.isEmpty)
  }

  @Test(arguments: [1, 2, 4, 10, 20])
  func squareRootSquaresBack(dimension d: Int) {
    var rng = SeededGenerator(seed: UInt64(200 + d))
    let b = metricsRandomMatrix(d, &rng)
    let a = metricsMatmul(b, metricsTranspose(b, d), d)  // B Bᵀ is symmetric PSD
    let root = SymmetricEigen.squareRoot(of: a, dimension: d)
    #expect(metricsMaxAbsDiff(root, metricsTranspose(root, d)) < 1e-12, "√A is symmetric")
    let squared = metricsMatmul(root, root, d)
    #expect(metricsMaxAbsDiff(squared, a) < 1e-9, "√A·√A vs A: \(metricsMaxAbsDiff(squared, a))")
    #expect(SymmetricEigen(matrix: root, dimension: d).values.allSatisfy { $0 >= -1e-12 }, "√A is PSD")
  }

  @Test func squareRootOfRankDeficientMatrixClampsRoundingNegatives() {
    // v vᵀ has rank 1: eigenvalues 0, 0, |v|²; rounding may leave −1e-17s, which must not be NaN.
    let v: [Double] = [1, 2, 3]
    let a = (0..<9).map { v[$0 / 3] * v[$0 % 3] }
    let root = SymmetricEigen.squareRoot(of: a, dimension: 3)
    #expect(root.allSatisfy { $0.isFinite })
    #expect(metricsMaxAbsDiff(metricsMatmul(root, root, 3), a) < 1e-9)
    // √(v vᵀ) = v vᵀ / |v|.
    let norm = (14.0).squareRoot()
    #expect(metricsMaxAbsDiff(root, a.map { $0 / norm }) < 1e-9)
  }
}
