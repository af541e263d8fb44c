// Shared between the GEMM driver and the micro-kernel files.
#ifndef CGENAI_GEMM_INTERNAL_H
#define CGENAI_GEMM_INTERNAL_H

#include "CGenAIKernels.h"

/// `C[MR x NR] (+)= A_panel · B_panel` over `kc` steps: `a` is k-major `MR` per step, `b` k-major
/// `NR` per step, both 64-byte aligned. `accumulate` 0 overwrites C without reading it (it may
/// hold garbage), 1 adds to it. C is row-major with row stride `ldc`.
typedef void (*genai_ukernel_fn)(long kc, const float *a, const float *b, float *c, long ldc, int accumulate);

/// The same product with A read in place: row `r` of the panel is `a + r*lda`, its `kc` values
/// contiguous. Every element of C gets the same fused multiply-adds in the same order as from
/// the packed panel, so the two give the same bits.
typedef void (*genai_ukernel_rows_fn)(long kc, const float *a, long lda, const float *b, float *c, long ldc,
                                      int accumulate);

typedef struct {
  int mr, nr;
  genai_ukernel_fn kernel;
  /// Optional second kernel with fewer rows (same `nr`), for row counts `mr` pads badly.
  int mr_alt;
  genai_ukernel_fn kernel_alt;
  /// Optional in-place variants of `kernel` and `kernel_alt` (NULL: A is always packed).
  genai_ukernel_rows_fn kernel_rows, kernel_alt_rows;
} genai_ukernel;

/// The micro-kernel of each path, or `kernel == NULL` where this build has none.
genai_ukernel genai_ukernel_portable(void);
genai_ukernel genai_ukernel_avx2(void);
genai_ukernel genai_ukernel_avx512(void);
genai_ukernel genai_ukernel_neon(void);

/// `x` rounded up to a multiple of `to`.
static inline long round_up(long x, long to) { return (x + to - 1) / to * to; }

/// `path`, or the active one where it is −1, or the portable one where this CPU lacks it.
static inline int genai_path_usable(int path) {
  if (path < 0) path = genai_path_active();
  return genai_path_supported(path) ? path : GENAI_PATH_PORTABLE;
}

/// The output columns `[*lo, *hi)` of a run of `len` whose input column `ix0 + q·stride` lies in
/// `0 ..< width`.
static inline void genai_valid_span(long ix0, long stride, long width, long len, long *lo, long *hi) {
  const long a = ix0 >= 0 ? 0 : (len < (-ix0 + stride - 1) / stride ? len : (-ix0 + stride - 1) / stride);
  const long last = width - 1 - ix0;
  const long b = last < 0 ? 0 : (len < last / stride + 1 ? len : last / stride + 1);
  *lo = a;
  *hi = b > a ? b : a;
}

/// Per-thread scratch memory: `slot` (0..3) holds at least `bytes`, 64-byte aligned, reused.
void *genai_thread_scratch(int slot, size_t bytes);

/// `dst[c*dst_stride + r] = src[r*ld + c]` for `r < rows`, `c < cols`, vectorised for `path`.
void genai_transpose_pack(int path, const float *src, long ld, long rows, long cols, float *dst, long dst_stride);

/// Where a direct product (conv_direct.c) reads and writes: output pixel `(n, i, j)` of a
/// `gh x gw` grid per image reads, at tap t, the input row of pixel `(n, i·sy + dy[t],
/// j·sx + dx[t])` of `x` `[N, h, w, C]` (zeros outside it), and writes its O outputs at
/// `y + ((n·oh + i·osy + oa)·ow + j·osx + ob)·ldy`.
typedef struct {
  const float *x;
  long h, w;
  long gh, gw, sy, sx;
  const long *dy, *dx;
  float *y;
  long oh, ow, osy, osx, oa, ob, ldy;
  long n;  // images: the product has N·gh·gw output pixels
} genai_direct_map;

/// What `genai_direct_pixel_rows` needs of a map's taps, worked out once per call: each tap's
/// offset in floats from the pixel's window origin, and the span of the taps' offsets.
typedef struct {
  const long *offsets;
  long taps, dy_min, dy_max, dx_min, dx_max;
} genai_direct_taps;

/// The taps of `m`, their offsets written to `offsets` (`taps` entries).
static inline genai_direct_taps genai_direct_taps_of(const genai_direct_map *m, long taps, long C, long *offsets) {
  genai_direct_taps t = {offsets, taps, 0, 0, 0, 0};
  for (long i = 0; i < taps; i++) {
    offsets[i] = (m->dy[i] * m->w + m->dx[i]) * C;
    if (i == 0 || m->dy[i] < t.dy_min) t.dy_min = m->dy[i];
    if (i == 0 || m->dy[i] > t.dy_max) t.dy_max = m->dy[i];
    if (i == 0 || m->dx[i] < t.dx_min) t.dx_min = m->dx[i];
    if (i == 0 || m->dx[i] > t.dx_max) t.dx_max = m->dx[i];
  }
  return t;
}

/// Output pixel `p`'s input row at each tap into `rows[t·stride]` (`zeros` where the tap falls
/// outside the input). A pixel whose every tap is inside (most of them) takes one add per tap.
static inline void genai_direct_pixel_rows(const genai_direct_map *m, const genai_direct_taps *tp, long C, long p,
                                           const float **rows, long stride, const float *zeros) {
  const long grid = m->gh * m->gw, n = p / grid, y0 = p % grid / m->gw * m->sy, x0 = p % m->gw * m->sx;
  if (y0 + tp->dy_min >= 0 && y0 + tp->dy_max < m->h && x0 + tp->dx_min >= 0 && x0 + tp->dx_max < m->w) {
    const float *origin = m->x + ((n * m->h + y0) * m->w + x0) * C;
    for (long t = 0; t < tp->taps; t++) rows[t * stride] = origin + tp->offsets[t];
  } else {
    for (long t = 0; t < tp->taps; t++) {
      const long iy = y0 + m->dy[t], ix = x0 + m->dx[t];
      rows[t * stride] = iy >= 0 && iy < m->h && ix >= 0 && ix < m->w ? m->x + ((n * m->h + iy) * m->w + ix) * C : zeros;
    }
  }
}

/// Output pixel `p`'s output row in `m->y`.
static inline float *genai_direct_pixel_out(const genai_direct_map *m, long p) {
  const long grid = m->gh * m->gw, n = p / grid, gi = p % grid / m->gw, gj = p % m->gw;
  return m->y + ((n * m->oh + gi * m->osy + m->oa) * m->ow + gj * m->osx + m->ob) * m->ldy;
}

/// Output pixels `p0 ..< p1` (of N·gh·gw) of a direct product with `taps` taps of C channels
/// and weight panels `wp` (`genai_conv_direct_pack_weights`' layout, O outputs): `bias[o] +
/// Σ_t Σ_c row_t[c] · w[(t·C + c)][o]`, each element's sum in that order on every path.
void genai_conv_direct_run(int path, const genai_direct_map *m, long taps, long C, long O, const float *wp,
                           const float *bias, long p0, long p1);

#endif
