// Causal attention of a few new queries over one head's key/value cache, for decoding.
//
// A sampled token is one query against at most a block of keys (64 x 32 for char-gpt): far too
// small for the GEMM (whose packing would cost more than the product), so each score is a dot
// product read straight from the cache and each output row a sum of value rows scaled by the
// softmax weights. The softmax subtracts the row maximum before `expf`, like the training
// path's, and divides once at the end, so results agree with it to rounding.
#include "CGenAIKernels.h"

#include <math.h>

#if defined(__x86_64__)
#include <immintrin.h>

#define TARGET512 __attribute__((target("avx512f,fma")))
#define TARGET256 __attribute__((target("avx2,fma")))

TARGET512 static void attend_avx512(long t, long past, long d, float scale, const float *q, long ldq, const float *k,
                                    const float *v, float *out, long ldo, float *w) {
  const long d16 = d & ~15L;
  const __mmask16 tail = (__mmask16)((1u << (d - d16)) - 1u);
  for (long i = 0; i < t; i++) {
    const float *qi = q + i * ldq;
    const long n = past + i + 1;
    float top = -INFINITY;
    for (long j = 0; j < n; j++) {
      const float *kj = k + j * d;
      __m512 s = _mm512_setzero_ps();
      for (long c = 0; c < d16; c += 16) s = _mm512_fmadd_ps(_mm512_loadu_ps(qi + c), _mm512_loadu_ps(kj + c), s);
      if (tail) s = _mm512_fmadd_ps(_mm512_maskz_loadu_ps(tail, qi + d16), _mm512_maskz_loadu_ps(tail, kj + d16), s);
      w[j] = _mm512_reduce_add_ps(s) * scale;
      if (w[j] > top) top = w[j];
    }
    float total = 0;
    for (long j = 0; j < n; j++) {
      w[j] = expf(w[j] - top);
      total += w[j];
    }
    const __m512 inv = _mm512_set1_ps(1 / total);
    float *oi = out + i * ldo;
    for (long c = 0; c < d16; c += 16) {
      __m512 acc = _mm512_setzero_ps();
      for (long j = 0; j < n; j++) acc = _mm512_fmadd_ps(_mm512_set1_ps(w[j]), _mm512_loadu_ps(v + j * d + c), acc);
      _mm512_storeu_ps(oi + c, _mm512_mul_ps(acc, inv));
    }
    if (tail) {
      __m512 acc = _mm512_setzero_ps();
      for (long j = 0; j < n; j++)
        acc = _mm512_fmadd_ps(_mm512_set1_ps(w[j]), _mm512_maskz_loadu_ps(tail, v + j * d + d16), acc);
      _mm512_mask_storeu_ps(oi + d16, tail, _mm512_mul_ps(acc, inv));
    }
  }
}

TARGET256 static inline float hsum256(__m256 v) {
  __m128 s = _mm_add_ps(_mm256_castps256_ps128(v), _mm256_extractf128_ps(v, 1));
  s = _mm_add_ps(s, _mm_movehl_ps(s, s));
  s = _mm_add_ss(s, _mm_movehdup_ps(s));
  return _mm_cvtss_f32(s);
}

TARGET256 static void attend_avx2(long t, long past, long d, float scale, const float *q, long ldq, const float *k,
                                  const float *v, float *out, long ldo, float *w) {
  const long d8 = d & ~7L;
  for (long i = 0; i < t; i++) {
    const float *qi = q + i * ldq;
    const long n = past + i + 1;
    float top = -INFINITY;
    for (long j = 0; j < n; j++) {
      const float *kj = k + j * d;
      __m256 s = _mm256_setzero_ps();
      for (long c = 0; c < d8; c += 8) s = _mm256_fmadd_ps(_mm256_loadu_ps(qi + c), _mm256_loadu_ps(kj + c), s);
      float dot = hsum256(s);
      for (long c = d8; c < d; c++) dot += qi[c] * kj[c];
      w[j] = dot * scale;
      if (w[j] > top) top = w[j];
    }
    float total = 0;
    for (long j = 0; j < n; j++) {
      w[j] = expf(w[j] - top);
      total += w[j];
    }
    const float inv = 1 / total;
    float *oi = out + i * ldo;
    for (long c = 0; c < d8; c += 8) {
      __m256 acc = _mm256_setzero_ps();
      for (long j = 0; j < n; j++) acc = _mm256_fmadd_ps(_mm256_set1_ps(w[j]), _mm256_loadu_ps(v + j * d + c), acc);
      _mm256_storeu_ps(oi + c, _mm256_mul_ps(acc, _mm256_set1_ps(inv)));
    }
    for (long c = d8; c < d; c++) {
      float acc = 0;
      for (long j = 0; j < n; j++) acc += w[j] * v[j * d + c];
      oi[c] = acc * inv;
    }
  }
}
#endif

static void attend_portable(long t, long past, long d, float scale, const float *q, long ldq, const float *k,
                            const float *v, float *out, long ldo, float *w) {
  for (long i = 0; i < t; i++) {
    const float *qi = q + i * ldq;
    const long n = past + i + 1;
    float top = -INFINITY;
    for (long j = 0; j < n; j++) {
      float dot = 0;
      for (long c = 0; c < d; c++) dot += qi[c] * k[j * d + c];
      w[j] = dot * scale;
      if (w[j] > top) top = w[j];
    }
    float total = 0;
    for (long j = 0; j < n; j++) {
      w[j] = expf(w[j] - top);
      total += w[j];
    }
    const float inv = 1 / total;
    float *oi = out + i * ldo;
    for (long c = 0; c < d; c++) oi[c] = 0;
    for (long j = 0; j < n; j++)
      for (long c = 0; c < d; c++) oi[c] += w[j] * v[j * d + c];
    for (long c = 0; c < d; c++) oi[c] *= inv;
  }
}

void genai_attention_cached(int path, long t, long past, long d, float scale, const float *q, long ldq, const float *k,
                            const float *v, float *out, long ldo, float *scratch) {
  if (path < 0) path = genai_path_active();
#if defined(__x86_64__)
  if (path == GENAI_PATH_AVX512 && genai_path_supported(path))
    return attend_avx512(t, past, d, scale, q, ldq, k, v, out, ldo, scratch);
  if ((path == GENAI_PATH_AVX512 || path == GENAI_PATH_AVX2) && genai_path_supported(GENAI_PATH_AVX2))
    return attend_avx2(t, past, d, scale, q, ldq, k, v, out, ldo, scratch);
#endif
  attend_portable(t, past, d, scale, q, ldq, k, v, out, ldo, scratch);
}
