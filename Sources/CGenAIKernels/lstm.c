// The LSTM cell's element-wise work, fused: one pass per time step forward (gate activations,
// new cell and hidden state) and one backward (all four gate gradients and the cell-state
// gradient). The matrix products around them are plain GEMMs.
//
// Gates are PyTorch's order i, f, g, o, each H wide, in rows of 4H:
//   i = σ(a_i)  f = σ(a_f)  g = tanh(a_g)  o = σ(a_o)
//   c' = f·c + i·g          h' = o·tanh(c')
#include "gemm_internal.h"

// One copy of the element loops per path, each compiled for its instruction set.
#define LSTM_BODY                                                                                          \
  static void FN(lstm_forward)(long rows, long H, float *gates, long ldg, const float *addend, long ldx,      \
                               const float *c_prev, long ldcp, float *c_out, float *h_out, long ldo) {     \
    for (long b = 0; b < rows; b++) {                                                                      \
      float *gi = gates + b * ldg, *gf = gi + H, *gg = gi + 2 * H, *go = gi + 3 * H;                       \
      const float *xi = addend ? addend + b * ldx : NULL;                                                  \
      const float *cp = c_prev + b * ldcp;                                                                 \
      float *co = c_out + b * ldo, *ho = h_out + b * ldo;                                                  \
      for (long j = 0; j < H; j += VN) {                                                                   \
        const long n = H - j < VN ? H - j : VN;                                                            \
        const int full = n == VN;                                                                          \
        /* Gate q's pre-activation: gates[q·H + j], plus addend[q·H + j] where there is one. */           \
        VF a[4];                                                                                           \
        for (int q = 0; q < 4; q++) {                                                                      \
          const long at = q * H + j;                                                                       \
          a[q] = full ? FN(load)(gi + at) : FN(load_partial)(gi + at, n);                                  \
          if (xi) a[q] = a[q] + (full ? FN(load)(xi + at) : FN(load_partial)(xi + at, n));                 \
        }                                                                                                  \
        VF i = FN(vsigmoid)(a[0]);                                                                         \
        VF f = FN(vsigmoid)(a[1]);                                                                         \
        VF g = FN(vtanh)(a[2]);                                                                            \
        VF o = FN(vsigmoid)(a[3]);                                                                         \
        VF c = full ? FN(load)(cp + j) : FN(load_partial)(cp + j, n);                                      \
        c = f * c + i * g;                                                                                 \
        VF h = o * FN(vtanh)(c);                                                                           \
        if (full) {                                                                                        \
          FN(store)(gi + j, i), FN(store)(gf + j, f), FN(store)(gg + j, g), FN(store)(go + j, o);          \
          FN(store)(co + j, c), FN(store)(ho + j, h);                                                      \
        } else {                                                                                           \
          FN(store_partial)(gi + j, i, n), FN(store_partial)(gf + j, f, n);                                \
          FN(store_partial)(gg + j, g, n), FN(store_partial)(go + j, o, n);                                \
          FN(store_partial)(co + j, c, n), FN(store_partial)(ho + j, h, n);                                \
        }                                                                                                  \
      }                                                                                                    \
    }                                                                                                      \
  }                                                                                                        \
  static void FN(lstm_backward)(long rows, long H, const float *acts, long lda, const float *c, const float *c_prev, \
                                long ldc, const float *dh, float *dc, long ldd, float *dgates, long ldg) {  \
    for (long b = 0; b < rows; b++) {                                                                      \
      const float *ai = acts + b * lda, *af = ai + H, *ag = ai + 2 * H, *ao = ai + 3 * H;                  \
      const float *cb = c + b * ldc, *cpb = c_prev + b * ldc, *dhb = dh + b * ldd;                         \
      float *dcb = dc + b * ldd;                                                                           \
      float *di = dgates + b * ldg, *df = di + H, *dg = di + 2 * H, *dout = di + 3 * H;                    \
      for (long j = 0; j < H; j += VN) {                                                                   \
        const long n = H - j < VN ? H - j : VN;                                                            \
        const int full = n == VN;                                                                          \
        const VF i = full ? FN(load)(ai + j) : FN(load_partial)(ai + j, n);                                \
        const VF f = full ? FN(load)(af + j) : FN(load_partial)(af + j, n);                                \
        const VF g = full ? FN(load)(ag + j) : FN(load_partial)(ag + j, n);                                \
        const VF o = full ? FN(load)(ao + j) : FN(load_partial)(ao + j, n);                                \
        const VF ct = full ? FN(load)(cb + j) : FN(load_partial)(cb + j, n);                               \
        const VF cp = full ? FN(load)(cpb + j) : FN(load_partial)(cpb + j, n);                             \
        const VF dhv = full ? FN(load)(dhb + j) : FN(load_partial)(dhb + j, n);                            \
        VF dcv = full ? FN(load)(dcb + j) : FN(load_partial)(dcb + j, n);                                  \
        const VF tc = FN(vtanh)(ct);                                                                       \
        dcv = dcv + dhv * o * (1.0f - tc * tc);                                                            \
        const VF vi = dcv * g * i * (1.0f - i);                                                            \
        const VF vf = dcv * cp * f * (1.0f - f);                                                           \
        const VF vg = dcv * i * (1.0f - g * g);                                                            \
        const VF vo = dhv * tc * o * (1.0f - o);                                                           \
        const VF dnext = dcv * f;                                                                          \
        if (full) {                                                                                        \
          FN(store)(di + j, vi), FN(store)(df + j, vf), FN(store)(dg + j, vg), FN(store)(dout + j, vo);    \
          FN(store)(dcb + j, dnext);                                                                       \
        } else {                                                                                           \
          FN(store_partial)(di + j, vi, n), FN(store_partial)(df + j, vf, n);                              \
          FN(store_partial)(dg + j, vg, n), FN(store_partial)(dout + j, vo, n);                            \
          FN(store_partial)(dcb + j, dnext, n);                                                            \
        }                                                                                                  \
      }                                                                                                    \
    }                                                                                                      \
  }

#define PATH_BODIES LSTM_BODY
#include "vec_paths.h"

void genai_lstm_cell_forward(int path, long rows, long H, float *gates, long ldg, const float *addend, long ldx,
                             const float *c_prev, long ldcp, float *c_out, float *h_out, long ldo) {
#if defined(__x86_64__)
  if (path == GENAI_PATH_AVX512)
    return lstm_forward_avx512(rows, H, gates, ldg, addend, ldx, c_prev, ldcp, c_out, h_out, ldo);
  if (path == GENAI_PATH_AVX2) return lstm_forward_avx2(rows, H, gates, ldg, addend, ldx, c_prev, ldcp, c_out, h_out, ldo);
#endif
  (void)path;
  lstm_forward_portable(rows, H, gates, ldg, addend, ldx, c_prev, ldcp, c_out, h_out, ldo);
}

void genai_lstm_cell_backward(int path, long rows, long H, const float *acts, long lda, const float *c,
                              const float *c_prev, long ldc, const float *dh, float *dc, long ldd, float *dgates,
                              long ldg) {
#if defined(__x86_64__)
  if (path == GENAI_PATH_AVX512)
    return lstm_backward_avx512(rows, H, acts, lda, c, c_prev, ldc, dh, dc, ldd, dgates, ldg);
  if (path == GENAI_PATH_AVX2) return lstm_backward_avx2(rows, H, acts, lda, c, c_prev, ldc, dh, dc, ldd, dgates, ldg);
#endif
  (void)path;
  lstm_backward_portable(rows, H, acts, lda, c, c_prev, ldc, dh, dc, ldd, dgates, ldg);
}
