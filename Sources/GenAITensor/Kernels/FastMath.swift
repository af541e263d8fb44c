/// Vectorised exp, tanh and sigmoid. glibc's scalar `tanhf` cost about 28 ns an element here and
/// `expf` about 5 ns; these run eight lanes at a time with about 1-2 ulp error (Cephes' `expf`
/// polynomial), and keep NaN and infinities as libm does.
extension Kernels {
  typealias F8 = SIMD8<Float>

  /// e^x, eight lanes.
  @inline(__always)
  static func exp8(_ v: F8) -> F8 {
    var x = v
    x.replace(with: -87.33654, where: v .< -87.33654)
    // Up to ln(FLT_MAX): the scale 2^k (k up to 128) is applied in two halves below, so no
    // clamp below the overflow threshold is needed (88.376 gave exp(88.5) 12% low).
    x.replace(with: 88.72283, where: v .> 88.72283)
    // Round to nearest by the 1.5·2²³ trick: the integer lands in the low mantissa bits.
    let shifted = x * 1.442695040888963 + 12_582_912
    let k = shifted - 12_582_912
    var r = x - k * 0.693359375
    r = r + k * 2.12194440e-4
    var p = F8(repeating: 1.9875691500e-4)
    p = p * r + 1.3981999507e-3
    p = p * r + 8.3334519073e-3
    p = p * r + 4.1665795894e-2
    p = p * r + 1.6666665459e-1
    p = p * r + 5.0000001201e-1
    let y = p * r * r + r + 1
    let ki = unsafeBitCast(shifted, to: SIMD8<Int32>.self) &- 0x4B40_0000
    let k1 = ki &>> 1
    let k2 = ki &- k1
    let scale1 = unsafeBitCast((k1 &+ 127) &<< 23, to: F8.self)
    let scale2 = unsafeBitCast((k2 &+ 127) &<< 23, to: F8.self)
    var out = y * scale1 * scale2
    out.replace(with: .infinity, where: v .> 88.72283)
    out.replace(with: 0, where: v .< -87.33654)
    out.replace(with: v, where: v .!= v)  // NaN stays NaN
    return out
  }

  /// tanh(x), eight lanes: an odd Taylor polynomial near zero (where `1 − 2/(e²ˣ+1)` would cancel),
  /// the exponential form elsewhere.
  @inline(__always)
  static func tanh8(_ v: F8) -> F8 {
    var a = v.replacing(with: -v, where: v .< 0)
    a.replace(with: 10, where: a .> 10)  // tanh(10) rounds to exactly 1
    let e = exp8(a * 2)
    var big = 1 - 2 / (e + 1)
    let x2 = v * v
    var p = F8(repeating: 62.0 / 2835.0)
    p = p * x2 - 17.0 / 315.0
    p = p * x2 + 2.0 / 15.0
    p = p * x2 - 1.0 / 3.0
    let small = v + v * x2 * p
    big.replace(with: -big, where: v .< 0)
    var out = big.replacing(with: small, where: a .< 0.3)
    out.replace(with: v, where: v .!= v)
    return out
  }

  /// 1 / (1 + e^−x), eight lanes.
  @inline(__always)
  static func sigmoid8(_ v: F8) -> F8 { 1 / (1 + exp8(-v)) }

  /// erf(x), eight lanes: the Maclaurin series to x¹³ for |x| < 0.5 (truncation < 1e-9), else
  /// `1 − erfc` with Numerical Recipes' `erfcc` Chebyshev fit (fractional error < 1.2e-7), so the
  /// absolute error is about 1e-7 everywhere, like glibc's `erff`.
  @inline(__always)
  static func erf8(_ v: F8) -> F8 {
    let a = v.replacing(with: -v, where: v .< 0)
    let x2 = v * v
    var p = F8(repeating: 1.0 / 9360)
    p = p * x2 - 1.0 / 1320
    p = p * x2 + 1.0 / 216
    p = p * x2 - 1.0 / 42
    p = p * x2 + 1.0 / 10
    p = p * x2 - 1.0 / 3
    p = p * x2 + 1
    let small = v * p * 1.1283791670955126
    let t = 1 / (1 + 0.5 * a)
    var q = F8(repeating: 0.17087277)
    q = q * t - 0.82215223
    q = q * t + 1.48851587
    q = q * t - 1.13520398
    q = q * t + 0.27886807
    q = q * t - 0.18628806
    q = q * t + 0.09678418
    q = q * t + 0.37409196
    q = q * t + 1.00002368
    q = q * t - 1.26551223
    var big = 1 - t * exp8(q - x2)
    big.replace(with: -big, where: v .< 0)
    var out = big.replacing(with: small, where: a .< 0.5)
    out.replace(with: v, where: v .!= v)
    return out
  }

  /// The standard normal CDF `Φ(x)` and `e^{−x²/2}`, eight lanes, from one exponential:
  /// Abramowitz & Stegun 7.1.26, `erf(z) = 1 − t·P(t)·e^{−z²}`, `t = 1/(1 + 0.3275911·z)`, with
  /// `z = |x|/√2` (absolute error below 1.5e-7, enough for GELU, where it is scaled by `x`).
  @inline(__always)
  static func normalCDF8(_ v: F8) -> (cdf: F8, gauss: F8) {
    let a = v.replacing(with: -v, where: v .< 0)
    let e = exp8(v * v * -0.5)
    let t = 1 / (1 + a * (0.3275911 * 0.7071067811865476))
    var p = F8(repeating: 1.061405429)
    p = p * t - 1.453152027
    p = p * t + 1.421413741
    p = p * t - 0.284496736
    p = p * t + 0.254829592
    let tail = 0.5 * t * p * e  // Φ(−|x|)
    return (tail.replacing(with: 1 - tail, where: v .>= 0), e)
  }

  /// GELU `x·Φ(x)`, eight lanes.
  @inline(__always)
  static func gelu8(_ v: F8) -> F8 { v * normalCDF8(v).cdf }

  /// GELU's derivative `Φ(x) + x·φ(x)`, eight lanes.
  @inline(__always)
  static func geluDerivative8(_ v: F8) -> F8 {
    let (cdf, e) = normalCDF8(v)
    return cdf + v * e * 0.3989422804014327
  }

  /// `dst[i] = F.apply(a[i], b[i])` eight lanes at a time, as `vectorMap` for two inputs.
  @inline(__always)
  static func vectorZip<F: VectorBinaryFunction>(
    _ a: UnsafePointer<Float>, _ b: UnsafePointer<Float>, _ dst: UnsafeMutablePointer<Float>, count: Int, _: F.Type
  ) {
    parallelFor(count / 8 + 1, grain: grain / 8) { blocks in
      for blk in blocks {
        let i = blk * 8
        if i + 8 <= count {
          let x = UnsafeRawPointer(a + i).loadUnaligned(as: F8.self)
          let y = UnsafeRawPointer(b + i).loadUnaligned(as: F8.self)
          UnsafeMutableRawPointer(dst + i).storeBytes(of: F.apply(x, y), as: F8.self)
        } else if i < count {
          var x = F8()
          var y = F8()
          for j in 0..<(count - i) {
            x[j] = a[i + j]
            y[j] = b[i + j]
          }
          let z = F.apply(x, y)
          for j in 0..<(count - i) { dst[i + j] = z[j] }
        }
      }
    }
  }

  /// `dst[i] = F.apply(src[i])` eight lanes at a time; the tail goes through a zero-padded vector so
  /// every element gets exactly the same arithmetic. Split across cores.
  @inline(__always)
  static func vectorMap<F: VectorFunction>(_ src: UnsafePointer<Float>, _ dst: UnsafeMutablePointer<Float>, count: Int, _: F.Type) {
    parallelFor(count / 8 + 1, grain: grain / 8) { blocks in
      for b in blocks {
        let i = b * 8
        if i + 8 <= count {
          let v = UnsafeRawPointer(src + i).loadUnaligned(as: F8.self)
          UnsafeMutableRawPointer(dst + i).storeBytes(of: F.apply(v), as: F8.self)
        } else if i < count {
          var v = F8()
          for j in 0..<(count - i) { v[j] = src[i + j] }
          let y = F.apply(v)
          for j in 0..<(count - i) { dst[i + j] = y[j] }
        }
      }
    }
  }

  /// A new buffer holding `F` of every element of `x`, vectorised.
  static func vectorMap<F: VectorFunction>(_ x: Tensor, _ f: F.Type) -> Storage {
    let out = Storage(uninitializedCount: x.count)
    vectorMap(x.storage.base, out.base, count: x.count, f)
    return out
  }
}

/// A function of eight lanes, as a type so that generic kernels specialise and inline it
/// (a closure passed down would be called per vector).
protocol VectorFunction { static func apply(_ v: SIMD8<Float>) -> SIMD8<Float> }
enum ExpFunction: VectorFunction { @inline(__always) static func apply(_ v: SIMD8<Float>) -> SIMD8<Float> { Kernels.exp8(v) } }
enum TanhFunction: VectorFunction { @inline(__always) static func apply(_ v: SIMD8<Float>) -> SIMD8<Float> { Kernels.tanh8(v) } }
enum ErfFunction: VectorFunction { @inline(__always) static func apply(_ v: SIMD8<Float>) -> SIMD8<Float> { Kernels.erf8(v) } }
enum GeluFunction: VectorFunction { @inline(__always) static func apply(_ v: SIMD8<Float>) -> SIMD8<Float> { Kernels.gelu8(v) } }
/// A function of two eight-lane vectors (see `VectorFunction`).
protocol VectorBinaryFunction { static func apply(_ a: SIMD8<Float>, _ b: SIMD8<Float>) -> SIMD8<Float> }
/// `g · gelu′(x)`: GELU's pullback in one pass.
enum GeluGradFunction: VectorBinaryFunction {
  @inline(__always) static func apply(_ g: SIMD8<Float>, _ x: SIMD8<Float>) -> SIMD8<Float> {
    g * Kernels.geluDerivative8(x)
  }
}
enum SigmoidFunction: VectorFunction { @inline(__always) static func apply(_ v: SIMD8<Float>) -> SIMD8<Float> { Kernels.sigmoid8(v) } }
