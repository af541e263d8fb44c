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

#endif
