// Vectorised element-wise maps, one copy per path (16 lanes on AVX-512, 8 on AVX2, 4 portable),
// from the shared polynomials in vecmath_template.h. Tails go through a zero-padded vector, so
// every element gets exactly the same arithmetic.
#include "gemm_internal.h"

#include <math.h>

// The loop is written once per function so the switch is decided outside it.
#define UNARY_LOOP(expr)                                                              \
  for (long i = 0; i < n; i += VN) {                                                  \
    const long k = n - i < VN ? n - i : VN;                                           \
    const VF v = k == VN ? FN(load)(x + i) : FN(load_partial)(x + i, k);              \
    const VF r = (expr);                                                              \
    if (k == VN) {                                                                    \
      FN(store)(y + i, r);                                                            \
    } else {                                                                          \
      FN(store_partial)(y + i, r, k);                                                 \
    }                                                                                 \
  }

#define BINARY_LOOP(expr)                                                             \
  for (long i = 0; i < n; i += VN) {                                                  \
    const long k = n - i < VN ? n - i : VN;                                           \
    const VF u = k == VN ? FN(load)(a + i) : FN(load_partial)(a + i, k);              \
    const VF v = k == VN ? FN(load)(b + i) : FN(load_partial)(b + i, k);              \
    const VF r = (expr);                                                              \
    if (k == VN) {                                                                    \
      FN(store)(y + i, r);                                                            \
    } else {                                                                          \
      FN(store_partial)(y + i, r, k);                                                 \
    }                                                                                 \
  }

/// Softmax (or log-softmax) of `rows` contiguous rows of `n`: max, sum of shifted exponentials,
/// normalise. Lanes past `n` in the last vector are padded with -inf (exp gives 0).
#define SOFTMAX_BODY                                                                  \
  static void FN(softmax)(const float *x, float *y, long rows, long n, int log) {     \
    for (long r = 0; r < rows; r++) {                                                 \
      const float *s = x + r * n;                                                     \
      float *d = y + r * n;                                                           \
      float m = -__builtin_inff();                                                    \
      for (long i = 0; i < n; i++) m = s[i] > m ? s[i] : m;                           \
      if (!(m > -__builtin_inff() && m < __builtin_inff())) m = 0;                    \
      VF acc = FN(splat)(0.0f);                                                       \
      for (long i = 0; i < n; i += VN) {                                              \
        const long k = n - i < VN ? n - i : VN;                                       \
        VF v;                                                                         \
        if (k == VN) {                                                                \
          v = FN(load)(s + i);                                                        \
        } else {                                                                      \
          float t[VN];                                                                \
          for (long j = 0; j < VN; j++) t[j] = j < k ? s[i + j] : -__builtin_inff();  \
          v = FN(load)(t);                                                            \
        }                                                                             \
        const VF e = FN(vexp)(v - m);                                                 \
        acc = acc + e;                                                                \
        if (k == VN) {                                                                \
          FN(store)(d + i, e);                                                        \
        } else {                                                                      \
          FN(store_partial)(d + i, e, k);                                             \
        }                                                                             \
      }                                                                               \
      float total = 0;                                                                \
      for (int j = 0; j < VN; j++) total += acc[j];                                   \
      if (log) {                                                                      \
        const float lse = logf(total) + m;                                            \
        for (long i = 0; i < n; i++) d[i] = s[i] - lse;                               \
      } else {                                                                        \
        const float inv = 1.0f / total;                                               \
        for (long i = 0; i < n; i++) d[i] *= inv;                                     \
      }                                                                               \
    }                                                                                 \
  }

#define MAP_BODY                                                                      \
  static void FN(map)(int fn, const float *x, float *y, long n, float param) {        \
    switch (fn) {                                                                     \
    case GENAI_MAP_LEAKY_RELU: UNARY_LOOP(FN(select)(v > 0.0f, v, v * param)) break;   \
    case GENAI_MAP_EXP: UNARY_LOOP(FN(vexp)(v)) break;                                \
    case GENAI_MAP_TANH: UNARY_LOOP(FN(vtanh)(v)) break;                              \
    case GENAI_MAP_SIGMOID: UNARY_LOOP(FN(vsigmoid)(v)) break;                        \
    case GENAI_MAP_GELU: UNARY_LOOP(FN(vgelu)(v)) break;                              \
    default: UNARY_LOOP(FN(verf)(v)) break;                                           \
    }                                                                                 \
  }                                                                                   \
  static void FN(zip)(int fn, const float *a, const float *b, float *y, long n, float param) { \
    switch (fn) {                                                                     \
    case GENAI_ZIP_LEAKY_RELU_GRAD: BINARY_LOOP(FN(select)(v > 0.0f, u, u * param)) break; \
    case GENAI_ZIP_ADD: BINARY_LOOP(u + v) break;                                     \
    case GENAI_ZIP_SUBTRACT: BINARY_LOOP(u - v) break;                                \
    case GENAI_ZIP_MULTIPLY: BINARY_LOOP(u * v) break;                                \
    case GENAI_ZIP_DIVIDE: BINARY_LOOP(u / v) break;                                  \
    case GENAI_ZIP_GELU_GRAD: BINARY_LOOP(u * FN(vgelu_derivative)(v)) break;         \
    case GENAI_ZIP_TANH_GRAD: BINARY_LOOP(u * (1.0f - v * v)) break;                  \
    case GENAI_ZIP_SIGMOID_GRAD: BINARY_LOOP(u * v * (1.0f - v)) break;               \
    case GENAI_ZIP_BCE_LOGITS: BINARY_LOOP(FN(vbce_logits)(u, v)) break;              \
    case GENAI_ZIP_BCE_LOGITS_GRAD: BINARY_LOOP(FN(vsigmoid)(u) - v) break;           \
    default: break;                                                                   \
    }                                                                                 \
  }

#define PATH_BODIES MAP_BODY SOFTMAX_BODY
#include "vec_paths.h"

void genai_map(int path, int fn, const float *x, float *y, long n, float param) {
#if defined(__x86_64__)
  if (path == GENAI_PATH_AVX512) return map_avx512(fn, x, y, n, param);
  if (path == GENAI_PATH_AVX2) return map_avx2(fn, x, y, n, param);
#endif
  (void)path;
  map_portable(fn, x, y, n, param);
}

void genai_zip(int path, int fn, const float *a, const float *b, float *y, long n, float param) {
#if defined(__x86_64__)
  if (path == GENAI_PATH_AVX512) return zip_avx512(fn, a, b, y, n, param);
  if (path == GENAI_PATH_AVX2) return zip_avx2(fn, a, b, y, n, param);
#endif
  (void)path;
  zip_portable(fn, a, b, y, n, param);
}

void genai_softmax_rows(int path, const float *x, float *y, long rows, long n, int log) {
#if defined(__x86_64__)
  if (path == GENAI_PATH_AVX512) return softmax_avx512(x, y, rows, n, log);
  if (path == GENAI_PATH_AVX2) return softmax_avx2(x, y, rows, n, log);
#endif
  (void)path;
  softmax_portable(x, y, rows, n, log);
}
