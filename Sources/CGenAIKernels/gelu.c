// GELU `x·Φ(x)` with wide vectors, for decoding.
//
// The engine's GELU is Swift `SIMD8` code (`Kernels.gelu8`), which on the baseline x86-64
// target runs as pairs of SSE operations; in a sampled token's MLP it cost more than the
// matrix products around it. This is the same arithmetic, operation for operation and in the
// same order (separate multiplies and adds, no fused multiply-add, the same constants), on 16
// or 8 lanes, so it gives the same bits:
//
//   e^x:   Cephes' `expf` polynomial, the scale 2^k applied in two halves
//   Φ(x):  Abramowitz & Stegun 7.1.26, erf(z) = 1 − t·P(t)·e^{−z²}, t = 1/(1 + 0.3275911·z),
//          z = |x|/√2
#include "CGenAIKernels.h"

#if defined(__x86_64__)
#include <immintrin.h>

#define TARGET512 __attribute__((target("avx512f")))
#define TARGET256 __attribute__((target("avx2")))

// The constants of `Kernels.exp8` and `Kernels.normalCDF8`, as float32.
static const float EXP_LO = -87.33654f, EXP_HI = 88.72283f, LOG2E = 1.442695040888963f, ROUND = 12582912.0f;
static const float LN2_HI = 0.693359375f, LN2_LO = 2.12194440e-4f;
static const float E0 = 1.9875691500e-4f, E1 = 1.3981999507e-3f, E2 = 8.3334519073e-3f, E3 = 4.1665795894e-2f,
                   E4 = 1.6666665459e-1f, E5 = 5.0000001201e-1f;
static const float P0 = 1.061405429f, P1 = 1.453152027f, P2 = 1.421413741f, P3 = 0.284496736f, P4 = 0.254829592f;

#define V512(c) _mm512_set1_ps(c)

TARGET512 static __m512 exp16(__m512 v) {
  const __mmask16 low = _mm512_cmp_ps_mask(v, V512(EXP_LO), _CMP_LT_OQ);
  const __mmask16 high = _mm512_cmp_ps_mask(v, V512(EXP_HI), _CMP_GT_OQ);
  __m512 x = _mm512_mask_mov_ps(v, low, V512(EXP_LO));
  x = _mm512_mask_mov_ps(x, high, V512(EXP_HI));
  const __m512 shifted = _mm512_add_ps(_mm512_mul_ps(x, V512(LOG2E)), V512(ROUND));
  const __m512 k = _mm512_sub_ps(shifted, V512(ROUND));
  __m512 r = _mm512_sub_ps(x, _mm512_mul_ps(k, V512(LN2_HI)));
  r = _mm512_add_ps(r, _mm512_mul_ps(k, V512(LN2_LO)));
  __m512 p = V512(E0);
  p = _mm512_add_ps(_mm512_mul_ps(p, r), V512(E1));
  p = _mm512_add_ps(_mm512_mul_ps(p, r), V512(E2));
  p = _mm512_add_ps(_mm512_mul_ps(p, r), V512(E3));
  p = _mm512_add_ps(_mm512_mul_ps(p, r), V512(E4));
  p = _mm512_add_ps(_mm512_mul_ps(p, r), V512(E5));
  const __m512 y = _mm512_add_ps(_mm512_add_ps(_mm512_mul_ps(_mm512_mul_ps(p, r), r), r), V512(1));
  const __m512i ki = _mm512_sub_epi32(_mm512_castps_si512(shifted), _mm512_set1_epi32(0x4B400000));
  const __m512i k1 = _mm512_srai_epi32(ki, 1);
  const __m512i k2 = _mm512_sub_epi32(ki, k1);
  const __m512 s1 = _mm512_castsi512_ps(_mm512_slli_epi32(_mm512_add_epi32(k1, _mm512_set1_epi32(127)), 23));
  const __m512 s2 = _mm512_castsi512_ps(_mm512_slli_epi32(_mm512_add_epi32(k2, _mm512_set1_epi32(127)), 23));
  __m512 out = _mm512_mul_ps(_mm512_mul_ps(y, s1), s2);
  out = _mm512_mask_mov_ps(out, high, V512(__builtin_inff()));
  out = _mm512_mask_mov_ps(out, low, V512(0));
  return _mm512_mask_mov_ps(out, _mm512_cmp_ps_mask(v, v, _CMP_UNORD_Q), v);  // NaN stays NaN
}

TARGET512 static __m512 gelu16(__m512 v) {
  const __mmask16 negative = _mm512_cmp_ps_mask(v, V512(0), _CMP_LT_OQ);
  const __m512 a = _mm512_mask_sub_ps(v, negative, V512(0), v);
  const __m512 e = exp16(_mm512_mul_ps(_mm512_mul_ps(v, v), V512(-0.5f)));
  const __m512 t = _mm512_div_ps(V512(1), _mm512_add_ps(V512(1), _mm512_mul_ps(a, V512(0.3275911f * 0.7071067811865476f))));
  __m512 p = V512(P0);
  p = _mm512_sub_ps(_mm512_mul_ps(p, t), V512(P1));
  p = _mm512_add_ps(_mm512_mul_ps(p, t), V512(P2));
  p = _mm512_sub_ps(_mm512_mul_ps(p, t), V512(P3));
  p = _mm512_add_ps(_mm512_mul_ps(p, t), V512(P4));
  const __m512 tail = _mm512_mul_ps(_mm512_mul_ps(_mm512_mul_ps(V512(0.5f), t), p), e);  // Φ(−|x|)
  const __mmask16 nonNegative = _mm512_cmp_ps_mask(v, V512(0), _CMP_GE_OQ);
  const __m512 cdf = _mm512_mask_sub_ps(tail, nonNegative, V512(1), tail);
  return _mm512_mul_ps(v, cdf);
}

TARGET512 static void gelu_avx512(const float *x, float *y, long n) {
  long i = 0;
  for (; i + 16 <= n; i += 16) _mm512_storeu_ps(y + i, gelu16(_mm512_loadu_ps(x + i)));
  if (i < n) {
    const __mmask16 m = (__mmask16)((1u << (n - i)) - 1u);
    _mm512_mask_storeu_ps(y + i, m, gelu16(_mm512_maskz_loadu_ps(m, x + i)));
  }
}

#define V256(c) _mm256_set1_ps(c)

TARGET256 static __m256 select256(__m256 mask, __m256 yes, __m256 no) { return _mm256_blendv_ps(no, yes, mask); }

TARGET256 static __m256 exp8(__m256 v) {
  const __m256 low = _mm256_cmp_ps(v, V256(EXP_LO), _CMP_LT_OQ);
  const __m256 high = _mm256_cmp_ps(v, V256(EXP_HI), _CMP_GT_OQ);
  __m256 x = select256(low, V256(EXP_LO), v);
  x = select256(high, V256(EXP_HI), x);
  const __m256 shifted = _mm256_add_ps(_mm256_mul_ps(x, V256(LOG2E)), V256(ROUND));
  const __m256 k = _mm256_sub_ps(shifted, V256(ROUND));
  __m256 r = _mm256_sub_ps(x, _mm256_mul_ps(k, V256(LN2_HI)));
  r = _mm256_add_ps(r, _mm256_mul_ps(k, V256(LN2_LO)));
  __m256 p = V256(E0);
  p = _mm256_add_ps(_mm256_mul_ps(p, r), V256(E1));
  p = _mm256_add_ps(_mm256_mul_ps(p, r), V256(E2));
  p = _mm256_add_ps(_mm256_mul_ps(p, r), V256(E3));
  p = _mm256_add_ps(_mm256_mul_ps(p, r), V256(E4));
  p = _mm256_add_ps(_mm256_mul_ps(p, r), V256(E5));
  const __m256 y = _mm256_add_ps(_mm256_add_ps(_mm256_mul_ps(_mm256_mul_ps(p, r), r), r), V256(1));
  const __m256i ki = _mm256_sub_epi32(_mm256_castps_si256(shifted), _mm256_set1_epi32(0x4B400000));
  const __m256i k1 = _mm256_srai_epi32(ki, 1);
  const __m256i k2 = _mm256_sub_epi32(ki, k1);
  const __m256 s1 = _mm256_castsi256_ps(_mm256_slli_epi32(_mm256_add_epi32(k1, _mm256_set1_epi32(127)), 23));
  const __m256 s2 = _mm256_castsi256_ps(_mm256_slli_epi32(_mm256_add_epi32(k2, _mm256_set1_epi32(127)), 23));
  __m256 out = _mm256_mul_ps(_mm256_mul_ps(y, s1), s2);
  out = select256(high, V256(__builtin_inff()), out);
  out = select256(low, V256(0), out);
  return select256(_mm256_cmp_ps(v, v, _CMP_UNORD_Q), v, out);
}

TARGET256 static __m256 gelu8(__m256 v) {
  const __m256 negative = _mm256_cmp_ps(v, V256(0), _CMP_LT_OQ);
  const __m256 a = select256(negative, _mm256_sub_ps(V256(0), v), v);
  const __m256 e = exp8(_mm256_mul_ps(_mm256_mul_ps(v, v), V256(-0.5f)));
  const __m256 t = _mm256_div_ps(V256(1), _mm256_add_ps(V256(1), _mm256_mul_ps(a, V256(0.3275911f * 0.7071067811865476f))));
  __m256 p = V256(P0);
  p = _mm256_sub_ps(_mm256_mul_ps(p, t), V256(P1));
  p = _mm256_add_ps(_mm256_mul_ps(p, t), V256(P2));
  p = _mm256_sub_ps(_mm256_mul_ps(p, t), V256(P3));
  p = _mm256_add_ps(_mm256_mul_ps(p, t), V256(P4));
  const __m256 tail = _mm256_mul_ps(_mm256_mul_ps(_mm256_mul_ps(V256(0.5f), t), p), e);
  const __m256 cdf = select256(_mm256_cmp_ps(v, V256(0), _CMP_GE_OQ), _mm256_sub_ps(V256(1), tail), tail);
  return _mm256_mul_ps(v, cdf);
}

TARGET256 static void gelu_avx2(const float *x, float *y, long n) {
  long i = 0;
  for (; i + 8 <= n; i += 8) _mm256_storeu_ps(y + i, gelu8(_mm256_loadu_ps(x + i)));
  if (i < n) {
    float in[8] = {0}, out[8];
    for (long j = i; j < n; j++) in[j - i] = x[j];
    _mm256_storeu_ps(out, gelu8(_mm256_loadu_ps(in)));
    for (long j = i; j < n; j++) y[j] = out[j - i];
  }
}
#endif

int genai_gelu(int path, const float *x, float *y, long n) {
  if (path < 0) path = genai_path_active();
#if defined(__x86_64__)
  if (path == GENAI_PATH_AVX512 && genai_path_supported(path)) {
    gelu_avx512(x, y, n);
    return 1;
  }
  if ((path == GENAI_PATH_AVX512 || path == GENAI_PATH_AVX2) && genai_path_supported(GENAI_PATH_AVX2)) {
    gelu_avx2(x, y, n);
    return 1;
  }
#endif
  (void)x;
  (void)y;
  (void)n;
  return 0;
}
