// Matrix-vector products for decoding one token at a time: `y = A·x + bias` with A row-major
// `[M, K]`, i.e. one input row through a Linear layer's weight `[out, in]`.
//
// The GEMM packs a whole block of its B operand for every call; with a single row of A that
// packing copies (and transposes) the entire weight to use each element once, which cost more
// than the product itself. Here each weight row is read once, in place, as a dot product.
//
// Eight rows at a time: eight independent accumulators hide the FMA latency, and each load of x
// serves eight rows. The sums run in a different order from the GEMM's, so results agree with a
// batched product to rounding, not bit for bit.
#include "CGenAIKernels.h"

#if defined(__x86_64__)
#include <immintrin.h>

#define TARGET512 __attribute__((target("avx512f,fma")))
#define TARGET256 __attribute__((target("avx2,fma")))

TARGET512 static void gemv_avx512(long m, long k, const float *a, long lda, const float *x, const float *bias,
                                  float *y) {
  const long k16 = k & ~15L;
  const __mmask16 tail = (__mmask16)((1u << (k - k16)) - 1u);
  long i = 0;
  for (; i + 8 <= m; i += 8) {
    const float *r = a + i * lda;
    __m512 s0 = _mm512_setzero_ps(), s1 = s0, s2 = s0, s3 = s0, s4 = s0, s5 = s0, s6 = s0, s7 = s0;
    for (long j = 0; j < k16; j += 16) {
      const __m512 xv = _mm512_loadu_ps(x + j);
      s0 = _mm512_fmadd_ps(_mm512_loadu_ps(r + j), xv, s0);
      s1 = _mm512_fmadd_ps(_mm512_loadu_ps(r + lda + j), xv, s1);
      s2 = _mm512_fmadd_ps(_mm512_loadu_ps(r + 2 * lda + j), xv, s2);
      s3 = _mm512_fmadd_ps(_mm512_loadu_ps(r + 3 * lda + j), xv, s3);
      s4 = _mm512_fmadd_ps(_mm512_loadu_ps(r + 4 * lda + j), xv, s4);
      s5 = _mm512_fmadd_ps(_mm512_loadu_ps(r + 5 * lda + j), xv, s5);
      s6 = _mm512_fmadd_ps(_mm512_loadu_ps(r + 6 * lda + j), xv, s6);
      s7 = _mm512_fmadd_ps(_mm512_loadu_ps(r + 7 * lda + j), xv, s7);
    }
    if (tail) {
      const __m512 xv = _mm512_maskz_loadu_ps(tail, x + k16);
      s0 = _mm512_fmadd_ps(_mm512_maskz_loadu_ps(tail, r + k16), xv, s0);
      s1 = _mm512_fmadd_ps(_mm512_maskz_loadu_ps(tail, r + lda + k16), xv, s1);
      s2 = _mm512_fmadd_ps(_mm512_maskz_loadu_ps(tail, r + 2 * lda + k16), xv, s2);
      s3 = _mm512_fmadd_ps(_mm512_maskz_loadu_ps(tail, r + 3 * lda + k16), xv, s3);
      s4 = _mm512_fmadd_ps(_mm512_maskz_loadu_ps(tail, r + 4 * lda + k16), xv, s4);
      s5 = _mm512_fmadd_ps(_mm512_maskz_loadu_ps(tail, r + 5 * lda + k16), xv, s5);
      s6 = _mm512_fmadd_ps(_mm512_maskz_loadu_ps(tail, r + 6 * lda + k16), xv, s6);
      s7 = _mm512_fmadd_ps(_mm512_maskz_loadu_ps(tail, r + 7 * lda + k16), xv, s7);
    }
    y[i] = _mm512_reduce_add_ps(s0);
    y[i + 1] = _mm512_reduce_add_ps(s1);
    y[i + 2] = _mm512_reduce_add_ps(s2);
    y[i + 3] = _mm512_reduce_add_ps(s3);
    y[i + 4] = _mm512_reduce_add_ps(s4);
    y[i + 5] = _mm512_reduce_add_ps(s5);
    y[i + 6] = _mm512_reduce_add_ps(s6);
    y[i + 7] = _mm512_reduce_add_ps(s7);
  }
  for (; i < m; i++) {
    const float *r = a + i * lda;
    __m512 s = _mm512_setzero_ps();
    for (long j = 0; j < k16; j += 16) s = _mm512_fmadd_ps(_mm512_loadu_ps(r + j), _mm512_loadu_ps(x + j), s);
    if (tail) s = _mm512_fmadd_ps(_mm512_maskz_loadu_ps(tail, r + k16), _mm512_maskz_loadu_ps(tail, x + k16), s);
    y[i] = _mm512_reduce_add_ps(s);
  }
  if (bias)
    for (long r = 0; r < m; r++) y[r] += bias[r];
}

/// Horizontal sum of eight lanes.
TARGET256 static inline float hsum256(__m256 v) {
  __m128 s = _mm_add_ps(_mm256_castps256_ps128(v), _mm256_extractf128_ps(v, 1));
  s = _mm_add_ps(s, _mm_movehl_ps(s, s));
  s = _mm_add_ss(s, _mm_movehdup_ps(s));
  return _mm_cvtss_f32(s);
}

TARGET256 static void gemv_avx2(long m, long k, const float *a, long lda, const float *x, const float *bias, float *y) {
  const long k8 = k & ~7L;
  long i = 0;
  for (; i + 8 <= m; i += 8) {
    const float *r = a + i * lda;
    __m256 s0 = _mm256_setzero_ps(), s1 = s0, s2 = s0, s3 = s0, s4 = s0, s5 = s0, s6 = s0, s7 = s0;
    for (long j = 0; j < k8; j += 8) {
      const __m256 xv = _mm256_loadu_ps(x + j);
      s0 = _mm256_fmadd_ps(_mm256_loadu_ps(r + j), xv, s0);
      s1 = _mm256_fmadd_ps(_mm256_loadu_ps(r + lda + j), xv, s1);
      s2 = _mm256_fmadd_ps(_mm256_loadu_ps(r + 2 * lda + j), xv, s2);
      s3 = _mm256_fmadd_ps(_mm256_loadu_ps(r + 3 * lda + j), xv, s3);
      s4 = _mm256_fmadd_ps(_mm256_loadu_ps(r + 4 * lda + j), xv, s4);
      s5 = _mm256_fmadd_ps(_mm256_loadu_ps(r + 5 * lda + j), xv, s5);
      s6 = _mm256_fmadd_ps(_mm256_loadu_ps(r + 6 * lda + j), xv, s6);
      s7 = _mm256_fmadd_ps(_mm256_loadu_ps(r + 7 * lda + j), xv, s7);
    }
    float t[8] = {hsum256(s0), hsum256(s1), hsum256(s2), hsum256(s3),
                  hsum256(s4), hsum256(s5), hsum256(s6), hsum256(s7)};
    for (long j = k8; j < k; j++)
      for (int q = 0; q < 8; q++) t[q] += r[q * lda + j] * x[j];
    for (int q = 0; q < 8; q++) y[i + q] = t[q];
  }
  for (; i < m; i++) {
    const float *r = a + i * lda;
    __m256 s = _mm256_setzero_ps();
    for (long j = 0; j < k8; j += 8) s = _mm256_fmadd_ps(_mm256_loadu_ps(r + j), _mm256_loadu_ps(x + j), s);
    float t = hsum256(s);
    for (long j = k8; j < k; j++) t += r[j] * x[j];
    y[i] = t;
  }
  if (bias)
    for (long r = 0; r < m; r++) y[r] += bias[r];
}
#endif

/// Four partial sums per row so the compiler can keep several lanes busy without reassociating.
static void gemv_portable(long m, long k, const float *a, long lda, const float *x, const float *bias, float *y) {
  for (long i = 0; i < m; i++) {
    const float *r = a + i * lda;
    float s0 = 0, s1 = 0, s2 = 0, s3 = 0;
    long j = 0;
    for (; j + 4 <= k; j += 4) {
      s0 += r[j] * x[j];
      s1 += r[j + 1] * x[j + 1];
      s2 += r[j + 2] * x[j + 2];
      s3 += r[j + 3] * x[j + 3];
    }
    for (; j < k; j++) s0 += r[j] * x[j];
    y[i] = (s0 + s1) + (s2 + s3) + (bias ? bias[i] : 0);
  }
}

void genai_sgemv(int path, long m, long k, const float *a, long lda, const float *x, const float *bias, float *y) {
  if (path < 0) path = genai_path_active();
#if defined(__x86_64__)
  if (path == GENAI_PATH_AVX512 && genai_path_supported(path)) return gemv_avx512(m, k, a, lda, x, bias, y);
  if ((path == GENAI_PATH_AVX512 || path == GENAI_PATH_AVX2) && genai_path_supported(GENAI_PATH_AVX2))
    return gemv_avx2(m, k, a, lda, x, bias, y);
#endif
  gemv_portable(m, k, a, lda, x, bias, y);
}
