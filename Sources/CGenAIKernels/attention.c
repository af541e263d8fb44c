// Multi-head scaled dot-product attention on the packed projections of a transformer block:
// q, k and v are read in place from `qkv` `[B, T, 3C]` (C = heads·hd) and each head's output
// lands in its columns of `y` `[B, T, C]`, so no split, reshape or permute copies are made.
// Per (batch, head) pair it is five small products and one row-wise softmax; pairs are
// independent, so callers split them across threads.
#include "gemm_internal.h"

#include <string.h>

/// `C = alpha·op(A)·op(B) + beta·C` on this thread.
static void gemm(int path, int ta, int tb, long m, long n, long k, float alpha, const float *a, long lda,
                 const float *b, long ldb, float beta, float *c, long ldc) {
  genai_sgemm_args g = {ta, tb, m, n, k, alpha, beta, a, lda, b, ldb, c, ldc, NULL};
  genai_gemm_op op;
  genai_sgemm_op(&op, &g);
  genai_gemm_run(&op, 0, 1, path);
}

void genai_attention_forward(int path, const genai_attention_shape *s, const float *qkv, float *y, float *probs,
                             long pair0, long pair1) {
  const long T = s->t, hd = s->hd, C = s->heads * hd;
  for (long pair = pair0; pair < pair1; pair++) {
    const long b = pair / s->heads, h = pair % s->heads;
    const float *q = qkv + b * T * 3 * C + h * hd, *k = q + C, *v = q + 2 * C;
    float *p = probs + pair * T * T;
    gemm(path, 0, 1, T, T, hd, s->scale, q, 3 * C, k, 3 * C, 0, p, T);  // scores
    for (long t = 0; t < T; t++) {
      float *row = p + t * T;
      const long n = s->causal ? t + 1 : T;
      genai_softmax_rows(path, row, row, 1, n, 0);
      if (n < T) memset(row + n, 0, (size_t)(T - n) * sizeof(float));
    }
    gemm(path, 0, 0, T, hd, T, 1, p, T, v, 3 * C, 0, y + b * T * C + h * hd, C);
  }
}

void genai_attention_backward(int path, const genai_attention_shape *s, const float *qkv, const float *probs,
                              const float *dy, float *dqkv, long pair0, long pair1) {
  const long T = s->t, hd = s->hd, C = s->heads * hd;
  float *ds = genai_thread_scratch(0, (size_t)(T * T) * sizeof(float));
  for (long pair = pair0; pair < pair1; pair++) {
    const long b = pair / s->heads, h = pair % s->heads;
    const float *q = qkv + b * T * 3 * C + h * hd, *k = q + C, *v = q + 2 * C;
    const float *p = probs + pair * T * T, *g = dy + b * T * C + h * hd;
    float *dq = dqkv + b * T * 3 * C + h * hd, *dk = dq + C, *dv = dq + 2 * C;
    gemm(path, 1, 0, T, hd, T, 1, p, T, g, C, 0, dv, 3 * C);    // dV = Pᵀ·dY
    gemm(path, 0, 1, T, T, hd, 1, g, C, v, 3 * C, 0, ds, T);    // dP = dY·Vᵀ
    // dS = P ⊙ (dP − Σ_j dP·P) · scale: the softmax pullback, with the score scale folded in.
    for (long t = 0; t < T; t++) {
      const float *pr = p + t * T;
      float *dr = ds + t * T;
      const long n = s->causal ? t + 1 : T;
      float dot = 0;
      for (long j = 0; j < n; j++) dot += dr[j] * pr[j];
      for (long j = 0; j < n; j++) dr[j] = pr[j] * (dr[j] - dot) * s->scale;
      for (long j = n; j < T; j++) dr[j] = 0;
    }
    gemm(path, 0, 0, T, hd, T, 1, ds, T, k, 3 * C, 0, dq, 3 * C);  // dQ = dS·K
    gemm(path, 1, 0, T, hd, T, 1, ds, T, q, 3 * C, 0, dk, 3 * C);  // dK = dSᵀ·Q
  }
}
