// Vectorised exp, tanh and sigmoid on GCC/Clang vector types, included once per path with
//   VF  the float vector type, VI the matching int32 vector type, VN its lane count,
//   FN(name)  the path-suffixed function name.
// The functions are always inlined into the path's target-attributed kernels, which decide the
// instructions (ZMM, YMM or XMM/NEON). No include guard: meant to be included several times.
//
// The polynomials are the engine's (Kernels/FastMath.swift): Cephes' expf, about 1-2 ulp, with
// NaN and infinities kept as libm keeps them.

#define ALWAYS_INLINE static inline __attribute__((always_inline))

/// `x` in every lane: one broadcast (`(VF){0} + x` would cost a scalar add first, since `0 + x`
/// is not `x` for x = −0).
ALWAYS_INLINE VF FN(splat)(float x) {
  VF v;
  for (int i = 0; i < VN; i++) v[i] = x;
  return v;
}

/// `m ? a : b` lane-wise for a comparison mask `m` (all ones or all zeros per lane).
ALWAYS_INLINE VF FN(select)(VI m, VF a, VF b) { return (VF)(((VI)a & m) | ((VI)b & ~m)); }

ALWAYS_INLINE VF FN(vexp)(VF v) {
  VF x = FN(select)(v < -87.33654f, FN(splat)(-87.33654f), v);
  x = FN(select)(v > 88.72283f, FN(splat)(88.72283f), x);
  // Round to nearest by the 1.5·2²³ trick: the integer lands in the low mantissa bits.
  const VF shifted = x * 1.442695040888963f + 12582912.0f;
  const VF k = shifted - 12582912.0f;
  VF r = x - k * 0.693359375f;
  r = r + k * 2.12194440e-4f;
  VF p = FN(splat)(1.9875691500e-4f);
  p = p * r + 1.3981999507e-3f;
  p = p * r + 8.3334519073e-3f;
  p = p * r + 4.1665795894e-2f;
  p = p * r + 1.6666665459e-1f;
  p = p * r + 5.0000001201e-1f;
  const VF y = p * r * r + r + 1.0f;
  // 2^k applied in two halves, so k up to 128 does not overflow the exponent field.
  const VI ki = (VI)shifted - 0x4B400000;
  const VI k1 = ki >> 1;
  const VI k2 = ki - k1;
  const VF scale1 = (VF)((k1 + 127) << 23);
  const VF scale2 = (VF)((k2 + 127) << 23);
  VF out = y * scale1 * scale2;
  out = FN(select)(v > 88.72283f, FN(splat)(__builtin_inff()), out);
  out = FN(select)(v < -87.33654f, FN(splat)(0.0f), out);
  return FN(select)(v != v, v, out);  // NaN stays NaN
}

/// tanh: an odd polynomial near zero (where `1 − 2/(e²ˣ+1)` would cancel), the exponential form
/// elsewhere.
ALWAYS_INLINE VF FN(vtanh)(VF v) {
  VF a = FN(select)(v < 0.0f, -v, v);
  a = FN(select)(a > 10.0f, FN(splat)(10.0f), a);  // tanh(10) rounds to exactly 1
  const VF e = FN(vexp)(a * 2.0f);
  VF big = 1.0f - 2.0f / (e + 1.0f);
  const VF x2 = v * v;
  VF p = FN(splat)(62.0f / 2835.0f);
  p = p * x2 - 17.0f / 315.0f;
  p = p * x2 + 2.0f / 15.0f;
  p = p * x2 - 1.0f / 3.0f;
  const VF small = v + v * x2 * p;
  big = FN(select)(v < 0.0f, -big, big);
  const VF out = FN(select)(a < 0.3f, small, big);
  return FN(select)(v != v, v, out);
}

ALWAYS_INLINE VF FN(vsigmoid)(VF v) { return 1.0f / (1.0f + FN(vexp)(-v)); }

/// log(1 + u) for 0 ≤ u ≤ 1 (softplus's tail, log(1 + e^−|x|)). s = 1 + u is halved above √2,
/// so f = m − 1 lies in [−0.293, 0.415) and log(1 + f) = 2·atanh(f / (2 + f)) by its odd series
/// to r¹³ (|r| < 0.172: truncation below 1e-9). The rounding of 1 + u is undone by the factor
/// u / (s − 1), log1p's classic correction; where 1 + u rounds to 1 the result is u itself.
ALWAYS_INLINE VF FN(vlog1p_unit)(VF u) {
  const VF s = 1.0f + u;
  const VI high = s > 1.41421356f;
  const VF m = FN(select)(high, s * 0.5f, s);
  const VF f = m - 1.0f;
  const VF r = f / (2.0f + f);
  const VF r2 = r * r;
  VF p = FN(splat)(2.0f / 13.0f);
  p = p * r2 + 2.0f / 11.0f;
  p = p * r2 + 2.0f / 9.0f;
  p = p * r2 + 2.0f / 7.0f;
  p = p * r2 + 2.0f / 5.0f;
  p = p * r2 + 2.0f / 3.0f;
  const VF log_s = FN(select)(high, FN(splat)(0.693147180559945f), FN(splat)(0.0f)) + r * (2.0f + r2 * p);
  const VF d = s - 1.0f;
  const VI exact = d == 0.0f;
  return FN(select)(exact, u, log_s * (u / FN(select)(exact, FN(splat)(1.0f), d)));
}

/// Binary cross-entropy of logit `x` against target `t`, `max(x, 0) − x·t + log(1 + e^−|x|)`:
/// no overflow for any x.
ALWAYS_INLINE VF FN(vbce_logits)(VF x, VF t) {
  const VF neg_abs = FN(select)(x < 0.0f, x, -x);
  return FN(select)(x > 0.0f, x, FN(splat)(0.0f)) - x * t + FN(vlog1p_unit)(FN(vexp)(neg_abs));
}

/// erf: the Maclaurin series to x¹³ for |x| < 0.5, else `1 − erfc` with Numerical Recipes'
/// `erfcc` Chebyshev fit (absolute error about 1e-7 everywhere, like glibc's `erff`).
ALWAYS_INLINE VF FN(verf)(VF v) {
  const VF a = FN(select)(v < 0.0f, -v, v);
  const VF x2 = v * v;
  VF p = FN(splat)(1.0f / 9360);
  p = p * x2 - 1.0f / 1320;
  p = p * x2 + 1.0f / 216;
  p = p * x2 - 1.0f / 42;
  p = p * x2 + 1.0f / 10;
  p = p * x2 - 1.0f / 3;
  p = p * x2 + 1.0f;
  const VF small = v * p * 1.1283791670955126f;
  const VF t = 1.0f / (1.0f + 0.5f * a);
  VF q = FN(splat)(0.17087277f);
  q = q * t - 0.82215223f;
  q = q * t + 1.48851587f;
  q = q * t - 1.13520398f;
  q = q * t + 0.27886807f;
  q = q * t - 0.18628806f;
  q = q * t + 0.09678418f;
  q = q * t + 0.37409196f;
  q = q * t + 1.00002368f;
  q = q * t - 1.26551223f;
  VF big = 1.0f - t * FN(vexp)(q - x2);
  big = FN(select)(v < 0.0f, -big, big);
  const VF out = FN(select)(a < 0.5f, small, big);
  return FN(select)(v != v, v, out);
}

/// The standard normal CDF Φ(x) (Abramowitz & Stegun 7.1.26, absolute error below 1.5e-7), and
/// `e^{−x²/2}` through `gauss`, from one exponential.
ALWAYS_INLINE VF FN(vnormal_cdf)(VF v, VF *gauss) {
  const VF a = FN(select)(v < 0.0f, -v, v);
  const VF e = FN(vexp)(v * v * -0.5f);
  const VF t = 1.0f / (1.0f + a * (0.3275911f * 0.7071067811865476f));
  VF p = FN(splat)(1.061405429f);
  p = p * t - 1.453152027f;
  p = p * t + 1.421413741f;
  p = p * t - 0.284496736f;
  p = p * t + 0.254829592f;
  const VF tail = 0.5f * t * p * e;  // Φ(−|x|)
  *gauss = e;
  return FN(select)(v >= 0.0f, 1.0f - tail, tail);
}

/// GELU `x·Φ(x)`.
ALWAYS_INLINE VF FN(vgelu)(VF v) {
  VF e;
  return v * FN(vnormal_cdf)(v, &e);
}

/// GELU's derivative `Φ(x) + x·φ(x)`.
ALWAYS_INLINE VF FN(vgelu_derivative)(VF v) {
  VF e;
  const VF cdf = FN(vnormal_cdf)(v, &e);
  return cdf + v * e * 0.3989422804014327f;
}

/// Loads `n < VN` floats into the low lanes, zeros above.
ALWAYS_INLINE VF FN(load_partial)(const float *p, long n) {
  float t[VN] = {0};
  for (long i = 0; i < n; i++) t[i] = p[i];
  VF v;
  __builtin_memcpy(&v, t, sizeof v);
  return v;
}

ALWAYS_INLINE void FN(store_partial)(float *p, VF v, long n) {
  float t[VN];
  __builtin_memcpy(t, &v, sizeof v);
  for (long i = 0; i < n; i++) p[i] = t[i];
}

ALWAYS_INLINE VF FN(load)(const float *p) {
  VF v;
  __builtin_memcpy(&v, p, sizeof v);
  return v;
}

ALWAYS_INLINE void FN(store)(float *p, VF v) { __builtin_memcpy(p, &v, sizeof v); }

#undef ALWAYS_INLINE
