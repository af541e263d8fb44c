import Foundation

// Cyclic Jacobi eigendecomposition of a real symmetric matrix (Golub & Van Loan, "Matrix
// Computations", §8.5). O(D³) per sweep and typically 6–12 sweeps: exact to ~1e-15 relative and
// simple enough to audit, which is what a metric needs; it is not meant for D in the thousands
// (Inception's D = 2048 takes minutes — use LAPACK `dsyevd` there).

/// The eigendecomposition `A = V Λ Vᵀ` of a real symmetric matrix `A` `[D, D]`, by cyclic Jacobi
/// rotations in Double.
///
/// ```swift
/// let e = SymmetricEigen(matrix: [2, 1, 1, 2], dimension: 2)
/// e.values  // [1, 3]
/// ```
public struct SymmetricEigen: Sendable {
  /// `D`, the matrix size.
  public let dimension: Int
  /// The eigenvalues `Λ`, ascending, shape `[D]`.
  public let values: [Double]
  /// The orthonormal eigenvectors, row-major `[D, D]`: column `j` (`vectors[i * D + j]`, `i` in
  /// `0..<D`) is the eigenvector of `values[j]`.
  public let vectors: [Double]
  /// Number of full sweeps over the off-diagonal that were run.
  public let sweeps: Int

  /// Decomposes the symmetric `matrix` (row-major `[D, D]`; only its symmetric part
  /// `(A + Aᵀ)/2` is used).
  /// - Parameters:
  ///   - matrix: `D·D` values, row-major.
  ///   - dimension: `D`.
  ///   - maxSweeps: an upper bound on sweeps; convergence is quadratic, so 50 is never reached
  ///     for finite input.
  /// - Precondition: `matrix.count == dimension * dimension`, all values finite.
  public init(matrix: [Double], dimension d: Int, maxSweeps: Int = 50) {
    precondition(
      matrix.count == d * d, "[SymmetricEigen] expected \(d * d) values for [\(d), \(d)], got \(matrix.count)")
    precondition(matrix.allSatisfy(\.isFinite), "[SymmetricEigen] matrix has non-finite values")
    var a = matrix
    for i in 0..<d {
      for j in (i + 1)..<d {
        let s = 0.5 * (a[i * d + j] + a[j * d + i])
        a[i * d + j] = s
        a[j * d + i] = s
      }
    }
    var v = [Double](repeating: 0, count: d * d)
    for i in 0..<d { v[i * d + i] = 1 }

    let frobenius2 = a.reduce(0) { $0 + $1 * $1 }
    var sweep = 0
    while sweep < maxSweeps {
      var off2 = 0.0
      for p in 0..<d {
        for q in (p + 1)..<d { off2 += a[p * d + q] * a[p * d + q] }
      }
      // Stop once the off-diagonal is at rounding level relative to the whole matrix.
      if off2 <= 1e-32 * frobenius2 || off2 == 0 { break }
      sweep += 1
      for p in 0..<max(d - 1, 0) {
        for q in (p + 1)..<d {
          let apq = a[p * d + q]
          if apq == 0 { continue }
          // Rotation J(p, q, θ) with c = cos θ, s = sin θ chosen so that (Jᵀ A J)[p, q] = 0;
          // t = tan θ is the smaller root of t² + 2τt − 1 = 0 (stable, |θ| ≤ π/4).
          let tau = (a[q * d + q] - a[p * d + p]) / (2 * apq)
          let t: Double =
            abs(tau) > 1e150
            ? 1 / (2 * tau)
            : (tau >= 0 ? 1 : -1) / (abs(tau) + (tau * tau + 1).squareRoot())
          let c = 1 / (t * t + 1).squareRoot()
          let s = t * c
          // A ← A J (columns p, q), then A ← Jᵀ A (rows p, q), V ← V J.
          for k in 0..<d {
            let akp = a[k * d + p]
            let akq = a[k * d + q]
            a[k * d + p] = c * akp - s * akq
            a[k * d + q] = s * akp + c * akq
          }
          for k in 0..<d {
            let apk = a[p * d + k]
            let aqk = a[q * d + k]
            a[p * d + k] = c * apk - s * aqk
            a[q * d + k] = s * apk + c * aqk
          }
          a[p * d + q] = 0
          a[q * d + p] = 0
          for k in 0..<d {
            let vkp = v[k * d + p]
            let vkq = v[k * d + q]
            v[k * d + p] = c * vkp - s * vkq
            v[k * d + q] = s * vkp + c * vkq
          }
        }
      }
    }

    // Sort ascending (as numpy.linalg.eigh), permuting the eigenvector columns alongside.
    let order = (0..<d).sorted { a[$0 * d + $0] < a[$1 * d + $1] }
    var sortedVectors = [Double](repeating: 0, count: d * d)
    for (newColumn, oldColumn) in order.enumerated() {
      for i in 0..<d { sortedVectors[i * d + newColumn] = v[i * d + oldColumn] }
    }
    self.dimension = d
    self.values = order.map { a[$0 * d + $0] }
    self.vectors = sortedVectors
    self.sweeps = sweep
  }

  /// `V f(Λ) Vᵀ`, row-major `[D, D]`: the matrix function `f` applied through the eigenvalues.
  public func reconstructed(applying f: (Double) -> Double = { $0 }) -> [Double] {
    let d = dimension
    let fl = values.map(f)
    var out = [Double](repeating: 0, count: d * d)
    for i in 0..<d {
      for j in i..<d {
        var s = 0.0
        for k in 0..<d { s += vectors[i * d + k] * fl[k] * vectors[j * d + k] }
        out[i * d + j] = s
        out[j * d + i] = s
      }
    }
    return out
  }

  /// The symmetric positive semi-definite square root `A^½ = V √max(Λ, 0) Vᵀ` of a symmetric PSD
  /// matrix, row-major `[D, D]`.
  ///
  /// Eigenvalues that rounding left slightly negative are clamped to 0, so for a PSD `A` the
  /// result `S` is symmetric PSD with `S·S ≈ A`. For an indefinite `A` this is the square root
  /// of its PSD part, not of `A`.
  /// - Precondition: `matrix.count == dimension * dimension`.
  public static func squareRoot(of matrix: [Double], dimension: Int) -> [Double] {
    SymmetricEigen(matrix: matrix, dimension: dimension).reconstructed { max($0, 0).squareRoot() }
  }
}

/// `A · B` for row-major `[D, D]` matrices.
func matmulSquare(_ a: [Double], _ b: [Double], _ d: Int) -> [Double] {
  var out = [Double](repeating: 0, count: d * d)
  for i in 0..<d {
    for k in 0..<d {
      let aik = a[i * d + k]
      if aik == 0 { continue }
      for j in 0..<d { out[i * d + j] += aik * b[k * d + j] }
    }
  }
  return out
}
