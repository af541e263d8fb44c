// Vectorised exp, tanh and sigmoid on GCC/Clang vector types, included once per path with
//   VF  the float vector type, VI the matching int32 vector type, VN its lane count,
//   FN(name)  the path-suffixed function name.
// The functions are always inlined into the path's target-attributed kernels, which decide the
// instructions (ZMM, YMM or XMM/NEON). No include guard: meant to be included several times.
//
// The polynomials are the engine's (Kernels/FastMath.swift): Cephes' expf, about 1-2 ulp, with
// NaN and infinities kept as libm keeps them.

#define ALWAYS_INLINE static inline __attribute__((always_inline))

ALWAYS_INLINE VF FN(splat)(float x) { return (VF){0} + x; }

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
