// Layer normalisation over contiguous rows, fused with its elementwise affine, one copy per path
// (16 lanes on AVX-512, 8 on AVX2, 4 portable).
//
// A transformer normalises every token's row of C values twice per block. Built from the
// general normalisation, the row statistics, the normalisation, the multiply by the weight and
// the add of the bias each walk the whole activation, and the pullback walks it five more times
// (two reductions for the weight and bias gradients among them). Here a row (a few hundred
// floats, in L1) is read three times forward and twice backward, and nothing else is.
#include "gemm_internal.h"

#include <math.h>

/// Forward: per row, mean and population variance (two passes over the row), then
/// `y = (x − mean)·rstd·w + b`. Full vectors first, the tail scalar.
/// Backward: per row, `ĝ = g·w`, `s1 = Σĝ`, `s2 = Σĝ·x̂`, then `dx = rstd·(ĝ − s1/n − x̂·s2/n)`;
/// `dw += g·x̂` and `db += g` over the rows given (the caller sums blocks of rows in order).
#define LAYERNORM_BODY                                                                           \
  static void FN(layernorm_forward)(const float *x, float *y, long rows, long n, const float *w, \
                                    const float *b, float eps, float *mean, float *rstd) {       \
    const long nv = n / VN * VN;                                                                 \
    for (long r = 0; r < rows; r++) {                                                            \
      const float *s = x + r * n;                                                                \
      float *d = y + r * n;                                                                      \
      VF acc = FN(splat)(0.0f);                                                                  \
      for (long i = 0; i < nv; i += VN) acc = acc + FN(load)(s + i);                             \
      float total = 0;                                                                           \
      for (int j = 0; j < VN; j++) total += acc[j];                                              \
      for (long i = nv; i < n; i++) total += s[i];                                               \
      const float mu = total / (float)n;                                                         \
      VF sq = FN(splat)(0.0f);                                                                   \
      for (long i = 0; i < nv; i += VN) {                                                        \
        const VF t = FN(load)(s + i) - mu;                                                       \
        sq = sq + t * t;                                                                         \
      }                                                                                          \
      float var = 0;                                                                             \
      for (int j = 0; j < VN; j++) var += sq[j];                                                 \
      for (long i = nv; i < n; i++) var += (s[i] - mu) * (s[i] - mu);                            \
      const float rs = 1.0f / sqrtf(var / (float)n + eps);                                       \
      if (mean) mean[r] = mu;                                                                    \
      if (rstd) rstd[r] = rs;                                                                    \
      for (long i = 0; i < nv; i += VN) {                                                        \
        VF v = (FN(load)(s + i) - mu) * rs;                                                      \
        if (w) v = v * FN(load)(w + i);                                                          \
        if (b) v = v + FN(load)(b + i);                                                          \
        FN(store)(d + i, v);                                                                     \
      }                                                                                          \
      for (long i = nv; i < n; i++) {                                                            \
        float v = (s[i] - mu) * rs;                                                              \
        if (w) v = v * w[i];                                                                     \
        if (b) v = v + b[i];                                                                     \
        d[i] = v;                                                                                \
      }                                                                                          \
    }                                                                                            \
  }                                                                                              \
  static void FN(layernorm_backward)(const float *g, const float *x, long rows, long n,          \
                                     const float *w, const float *mean, const float *rstd,       \
                                     float *dx, float *dw, float *db) {                          \
    const long nv = n / VN * VN;                                                                 \
    for (long r = 0; r < rows; r++) {                                                            \
      const float *gr = g + r * n, *xr = x + r * n;                                              \
      float *d = dx + r * n;                                                                     \
      const float mu = mean[r], rs = rstd[r];                                                    \
      VF a1 = FN(splat)(0.0f), a2 = FN(splat)(0.0f);                                             \
      for (long i = 0; i < nv; i += VN) {                                                        \
        const VF gv = FN(load)(gr + i);                                                          \
        const VF xh = (FN(load)(xr + i) - mu) * rs;                                              \
        const VF gh = w ? gv * FN(load)(w + i) : gv;                                             \
        a1 = a1 + gh;                                                                            \
        a2 = a2 + gh * xh;                                                                       \
        if (dw) FN(store)(dw + i, FN(load)(dw + i) + gv * xh);                                   \
        if (db) FN(store)(db + i, FN(load)(db + i) + gv);                                        \
      }                                                                                          \
      float s1 = 0, s2 = 0;                                                                      \
      for (int j = 0; j < VN; j++) {                                                             \
        s1 += a1[j];                                                                             \
        s2 += a2[j];                                                                             \
      }                                                                                          \
      for (long i = nv; i < n; i++) {                                                            \
        const float xh = (xr[i] - mu) * rs, gh = w ? gr[i] * w[i] : gr[i];                       \
        s1 += gh;                                                                                \
        s2 += gh * xh;                                                                           \
        if (dw) dw[i] += gr[i] * xh;                                                             \
        if (db) db[i] += gr[i];                                                                  \
      }                                                                                          \
      const float m1 = s1 / (float)n, m2 = s2 / (float)n;                                        \
      for (long i = 0; i < nv; i += VN) {                                                        \
        const VF gv = FN(load)(gr + i);                                                          \
        const VF xh = (FN(load)(xr + i) - mu) * rs;                                              \
        const VF gh = w ? gv * FN(load)(w + i) : gv;                                             \
        FN(store)(d + i, (gh - m1 - xh * m2) * rs);                                              \
      }                                                                                          \
      for (long i = nv; i < n; i++) {                                                            \
        const float xh = (xr[i] - mu) * rs, gh = w ? gr[i] * w[i] : gr[i];                       \
        d[i] = (gh - m1 - xh * m2) * rs;                                                         \
      }                                                                                          \
    }                                                                                            \
  }

#define PATH_BODIES LAYERNORM_BODY
#include "vec_paths.h"

void genai_layernorm_forward(int path, const float *x, float *y, long rows, long n, const float *w, const float *b,
                             float eps, float *mean, float *rstd) {
#if defined(__x86_64__)
  if (path == GENAI_PATH_AVX512) return layernorm_forward_avx512(x, y, rows, n, w, b, eps, mean, rstd);
  if (path == GENAI_PATH_AVX2) return layernorm_forward_avx2(x, y, rows, n, w, b, eps, mean, rstd);
#endif
  (void)path;
  layernorm_forward_portable(x, y, rows, n, w, b, eps, mean, rstd);
}

void genai_layernorm_backward(int path, const float *g, const float *x, long rows, long n, const float *w,
                              const float *mean, const float *rstd, float *dx, float *dw, float *db) {
#if defined(__x86_64__)
  if (path == GENAI_PATH_AVX512) return layernorm_backward_avx512(g, x, rows, n, w, mean, rstd, dx, dw, db);
  if (path == GENAI_PATH_AVX2) return layernorm_backward_avx2(g, x, rows, n, w, mean, rstd, dx, dw, db);
#endif
  (void)path;
  layernorm_backward_portable(g, x, rows, n, w, mean, rstd, dx, dw, db);
}
