// The innermost loops of the convolution packers and of the transposed product's store: copy a
// run of im2col values out of one input row, or add a run of values back into one. Runs are
// short (an output row: 7-28 values), so the per-run cost decides the packers' speed; the
// AVX-512 versions do a run of up to 16 outputs with one masked load and store (a permute picks
// every second input for stride 2), the AVX2 ones with two halves of 8.
#ifndef CGENAI_CONV_RUNS_H
#define CGENAI_CONV_RUNS_H

#include "CGenAIKernels.h"

/// `d[q] = src[q·stride]` for `lo <= q < hi`, `d[q] = 0` for the other `q < len` (all of them
/// when `src` is NULL: the window row lies in the padding). `src` points at output 0's input,
/// which may lie outside the row (the outputs before `lo` are never read). With `spill` set the
/// loop may also write up to 16 floats past `d + len` (cells the caller writes later), which
/// lets it use full-width stores.
typedef void (*genai_run_copy_fn)(float *d, const float *src, long lo, long hi, long len, long stride, int spill);
/// `d[q·stride] += src[q]` for `lo <= q < hi`.
typedef void (*genai_run_add_fn)(float *d, const float *src, long lo, long hi, long stride);

/// Consecutive columns in one output row, landing at `at` in the packed block or tile.
typedef struct {
  long n, oy, ox, len, at;
} col_run;

/// The runs of a block of columns with everything that does not depend on the channel worked
/// out once: for each run and kernel row the input row (or -1 outside the image), and for each
/// run and kernel column the first input column and the span of outputs that read inside it.
typedef struct {
  long nruns;
  const col_run *runs;
  const long *iy;   // [nruns][KH]
  const long *ix0;  // [nruns][KW]
  const long *lo;   // [nruns][KW]
  const long *hi;   // [nruns][KW]
} run_plan;

/// Adds tile rows `0 ..< mr` of one run of `len` outputs back into their windows of the image
/// `outn` `[C, H, W]`: tile row `i` (at `src + i·ldt`) is kernel offset `(c, ky, kx)`, counted on
/// from `(c0, ky0, kx0)`, and its output q lands in channel c, input row `iy[ky]` (skipped where
/// that is −1, the padding), column `base + q·stride + kx` (only columns inside the row change).
/// The rows of a kernel row are summed in registers, so each image row is read and written once
/// per kernel row, not once per kernel column; what depends only on `kx` is worked out once.
typedef void (*genai_run_rows_add_fn)(const genai_conv_shape *s, const long *iy, float *outn, long base,
                                      const float *src, long ldt, long len, long c0, long ky0, long kx0, long mr);

/// im2col rows `k0 ..< k0+count` of the plan's runs, a block at a time: row `k` of run `r` goes
/// to `dst + place(r.at) + k·k_stride`, `place(at) = (at / panel)·panel_size + at % panel` with
/// panels (`panel` > 0), else `at`. Returns 0 (writing nothing) where the stride is above 2.
typedef int (*genai_im2col_block_fn)(const genai_conv_shape *s, const run_plan *pl, const float *x, long k0,
                                     long count, float *dst, long k_stride, long panel, long panel_size);

typedef struct {
  genai_run_copy_fn copy;
  genai_run_add_fn add;
  /// Optional: the forward and weight-gradient packers' im2col, runs outer and kernel rows inner.
  genai_im2col_block_fn im2col_block;
  /// Optional: the transposed product's store a kernel row at a time, for runs of at most
  /// `row_len` outputs whose span in a kernel row, `(len−1)·stride + KW`, is at most `row_span`
  /// lanes, stride 1 or 2, kernel width at most `row_kw`, no dilation.
  genai_run_rows_add_fn add_run_rows;
  long row_len, row_span, row_kw;
} genai_run_ops;

/// The run loops for `path` (AVX-512 or AVX2 where it has them, else portable C).
genai_run_ops genai_run_ops_for(int path);
/// The AVX-512 run loops, or NULL members where this build has none.
genai_run_ops genai_run_ops_avx512(void);
/// The AVX2 run loops, or NULL members where this build has none.
genai_run_ops genai_run_ops_avx2(void);



#endif
