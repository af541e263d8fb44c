// Convolutions as implicit GEMMs: the packers read the image through im2col and the stores
// write NCHW planes (or add back into windows), so no column matrix and no layout copy is ever
// materialised.
//
// Columns of the three products are output pixels `j = (n, oy, ox)` of the y side, `P = OH·OW`
// per image. The packers walk them in runs: stretches of consecutive columns in one output row
// (and one packed panel), inside which the input columns advance by the stride.
#include "gemm_internal.h"
#include "conv_runs.h"

#include <string.h>

static long min_l(long a, long b) { return a < b ? a : b; }


/// Splits columns `j0 ..< j0+count` into runs of at most 16 that end at output-row ends and,
/// when `panel` > 0, at multiples of `panel` columns from `j0` (packed panel boundaries).
/// Returns how many.
static long column_runs(const genai_conv_shape *s, long j0, long count, long panel, col_run *runs) {
  const long P = s->oh * s->ow;
  long r = 0, at = 0;
  while (at < count) {
    const long j = j0 + at;
    const long n = j / P, p = j % P, oy = p / s->ow, ox = p % s->ow;
    // At most 16 long, so a run is one vector on every path.
    long len = min_l(min_l(s->ow - ox, count - at), 16);
    if (panel > 0) len = min_l(len, panel - at % panel);
    runs[r++] = (col_run){n, oy, ox, len, at};
    at += len;
  }
  return r;
}

static run_plan make_plan(const genai_conv_shape *s, const col_run *runs, long nruns, int slot) {
  long *mem = genai_thread_scratch(slot, (size_t)nruns * (size_t)(s->kh + 3 * s->kw) * sizeof(long) + 64);
  long *iy = mem, *ix0 = iy + nruns * s->kh, *lo = ix0 + nruns * s->kw, *hi = lo + nruns * s->kw;
  for (long r = 0; r < nruns; r++) {
    for (long ky = 0; ky < s->kh; ky++) {
      const long y = runs[r].oy * s->sh - s->pt + ky * s->dh;
      iy[r * s->kh + ky] = y >= 0 && y < s->h ? y : -1;
    }
    for (long kx = 0; kx < s->kw; kx++) {
      const long x0 = runs[r].ox * s->sw - s->pl + kx * s->dw;
      ix0[r * s->kw + kx] = x0;
      genai_valid_span(x0, s->sw, s->w, runs[r].len, &lo[r * s->kw + kx], &hi[r * s->kw + kx]);
    }
  }
  return (run_plan){nruns, runs, iy, ix0, lo, hi};
}

/// Writes run `r` of im2col row `(c, ky, kx)` to `d[q]`, `q < len`: image values where the
/// window is inside x, zeros where it hangs over the padding.
static inline void plan_im2col(const genai_conv_shape *s, const run_plan *pl, genai_run_copy_fn copy,
                               const float *x, long c, long ky, long kx, long r, float *restrict d, int spill) {
  const col_run *run = &pl->runs[r];
  const long iy = pl->iy[r * s->kh + ky];
  if (iy < 0) {
    copy(d, NULL, 0, 0, run->len, s->sw, spill);
    return;
  }
  const long ix0 = pl->ix0[r * s->kw + kx];
  const float *src = x + ((run->n * s->c + c) * s->h + iy) * s->w + ix0;
  copy(d, src, pl->lo[r * s->kw + kx], pl->hi[r * s->kw + kx], run->len, s->sw, spill);
}

// MARK: - Run loops, portable

static void copy_run_portable(float *d, const float *src, long lo, long hi, long len, long stride, int spill) {
  (void)spill;
  if (!src) lo = hi = 0;
  for (long q = 0; q < lo; q++) d[q] = 0;
  if (stride == 1) {
    for (long q = lo; q < hi; q++) d[q] = src[q];
  } else {
    for (long q = lo; q < hi; q++) d[q] = src[q * stride];
  }
  for (long q = hi > lo ? hi : lo; q < len; q++) d[q] = 0;
}

static void add_run_portable(float *d, const float *src, long lo, long hi, long stride) {
  if (stride == 1) {
    for (long q = lo; q < hi; q++) d[q] += src[q];
  } else {
    for (long q = lo; q < hi; q++) d[q * stride] += src[q];
  }
}

genai_run_ops genai_run_ops_for(int path) {
  if (path == GENAI_PATH_AVX512) {
    genai_run_ops o = genai_run_ops_avx512();
    if (o.copy) return o;
  }
  if (path == GENAI_PATH_AVX2) {
    genai_run_ops o = genai_run_ops_avx2();
    if (o.copy) return o;
  }
  return (genai_run_ops){copy_run_portable, add_run_portable, NULL, NULL, 0, 0, 0};
}

/// Room for the runs of `count` columns (at most one per column).
static col_run *run_buffer(long count) { return genai_thread_scratch(0, (size_t)(count + 1) * sizeof(col_run)); }

/// Zero-fills the padding columns `nc ..< round_up(nc, NR)` of the last panel.
static void zero_panel_tail(long kc, long nc, int NR, float *dst) {
  const long tail = nc % NR;
  if (tail == 0) return;
  float *last = dst + (nc - tail) * kc;
  for (long k = 0; k < kc; k++)
    for (long j = tail; j < NR; j++) last[k * NR + j] = 0;
}

// MARK: - Forward: y = conv(x, w) + bias

/// A = w `[O, C·KH·KW]`, row-major.
static void forward_pack_a(const genai_gemm_op *op, long i0, long mr, long k0, long kc, int MR, float *dst) {
  const genai_conv_ctx *ctx = op->ctx;
  const long K = op->k;
  genai_transpose_pack(op->path, ctx->w + i0 * K + k0, K, mr, kc, dst, MR);
  if (mr < MR)
    for (long k = 0; k < kc; k++)
      for (long i = mr; i < MR; i++) dst[k * MR + i] = 0;
}

/// B = im2col(x) `[C·KH·KW, N·OH·OW]`, gathered straight into the panels.
static void forward_pack_b(const genai_gemm_op *op, long k0, long kc, long j0, long nc, int NR, float *dst) {
  const genai_conv_ctx *ctx = op->ctx;
  const genai_conv_shape *s = &ctx->s;
  col_run *runs = run_buffer(nc);
  const run_plan pl = make_plan(s, runs, column_runs(s, j0, nc, NR, runs), 2);
  const genai_run_ops ops = genai_run_ops_for(op->path);
  if (ops.im2col_block && ops.im2col_block(s, &pl, ctx->x, k0, kc, dst, NR, NR, kc * NR)) {
    zero_panel_tail(kc, nc, NR, dst);
    return;
  }
  const genai_run_copy_fn copy = ops.copy;
  const long KK = s->kh * s->kw;
  long c = k0 / KK, t = k0 % KK, ky = t / s->kw, kx = t % s->kw;
  for (long k = 0; k < kc; k++) {
    float *dk = dst + k * NR;
    // A run's spill lands in the next step's row of its panel, written after it; the last
    // step's would land in the next panel's first row, so that one stores exactly.
    const int spill = k + 1 < kc;
    for (long r = 0; r < pl.nruns; r++) {
      const long at = runs[r].at;
      plan_im2col(s, &pl, copy, ctx->x, c, ky, kx, r, dk + (at / NR) * kc * NR + at % NR, spill);
    }
    if (++kx == s->kw) {
      kx = 0;
      if (++ky == s->kh) ky = 0, c++;
    }
  }
  zero_panel_tail(kc, nc, NR, dst);
}

/// C `[O, N·P]` into y `[N, O, P]`; the first K block assigns (adding the bias), later ones add.
static void forward_store(const genai_gemm_op *op, long i0, long mr, long j0, long nr, const float *tile, long ldt,
                          int first) {
  const genai_conv_ctx *ctx = op->ctx;
  const genai_conv_shape *s = &ctx->s;
  const long P = s->oh * s->ow;
  long at = 0;
  while (at < nr) {
    const long j = j0 + at, n = j / P, p = j % P, len = min_l(P - p, nr - at);
    for (long i = 0; i < mr; i++) {
      const long o = i0 + i;
      float *d = ctx->out + (n * s->o + o) * P + p;
      const float *t = tile + i * ldt + at;
      if (!first) {
        for (long q = 0; q < len; q++) d[q] += t[q];
      } else if (ctx->bias) {
        const float b = ctx->bias[o];
        for (long q = 0; q < len; q++) d[q] = t[q] + b;
      } else {
        for (long q = 0; q < len; q++) d[q] = t[q];
      }
    }
    at += len;
  }
}

void genai_conv_forward_op(genai_gemm_op *op, const genai_conv_ctx *ctx) {
  memset(op, 0, sizeof *op);
  const genai_conv_shape *s = &ctx->s;
  op->m = s->o;
  op->k = s->c * s->kh * s->kw;
  op->n = s->n * s->oh * s->ow;
  op->pack_a = forward_pack_a;
  op->pack_b = forward_pack_b;
  op->store = forward_store;
  op->ctx = ctx;
}

// MARK: - Transposed: x += convᵀ(y, w)

/// A = wᵀ `[C·KH·KW, O]`: w is stored `[O, C·KH·KW]`, so each step is a contiguous copy.
static void transpose_pack_a(const genai_gemm_op *op, long i0, long mr, long k0, long kc, int MR, float *dst) {
  const genai_conv_ctx *ctx = op->ctx;
  const long M = op->m;
  for (long k = 0; k < kc; k++) {
    const float *src = ctx->w + (k0 + k) * M + i0;
    float *d = dst + k * MR;
    memcpy(d, src, (size_t)mr * sizeof(float));
    for (long i = mr; i < MR; i++) d[i] = 0;
  }
}

/// B = y `[O, N·P]` (y stored `[N, O, P]`): contiguous runs within each image. The runs (split
/// at image ends and panel edges) are the same for every row, so they are worked out once and
/// each row is then a few short copies: per row and run, two divisions and a `memcpy` call cost
/// more than copying the up to 32 floats. Transposed products 1.01-1.26x on AVX-512 (VAE dec1
/// and dec2 1.04-1.05x, DCGAN G.convT3 1.17x) and 1.01-1.43x on AVX2 (Benchmarks/conv_ab).
static void transpose_pack_b(const genai_gemm_op *op, long k0, long kc, long j0, long nc, int NR, float *dst) {
  const genai_conv_ctx *ctx = op->ctx;
  const genai_conv_shape *s = &ctx->s;
  const long P = s->oh * s->ow;
  // Run r copies `len` floats from y + src + o·P to dst + at + k·NR.
  typedef struct { long src, at, len; } piece;
  piece *pieces = genai_thread_scratch(0, (size_t)(nc + 1) * sizeof(piece));
  long count = 0;
  for (long at = 0; at < nc;) {
    const long j = j0 + at, n = j / P, p = j % P;
    const long len = min_l(min_l(P - p, nc - at), NR - at % NR);
    pieces[count++] = (piece){n * s->o * P + p, (at / NR) * kc * NR + at % NR, len};
    at += len;
  }
  for (long k = 0; k < kc; k++) {
    const float *y = ctx->y + (k0 + k) * P;
    float *d = dst + k * NR;
    for (long r = 0; r < count; r++) {
      const float *from = y + pieces[r].src;
      float *to = d + pieces[r].at;
      for (long q = 0; q < pieces[r].len; q++) to[q] = from[q];
    }
  }
  zero_panel_tail(kc, nc, NR, dst);
}

/// Adds C `[C·KH·KW, N·P]` back into the windows of x (col2im).
/// The current column block's plan, per thread (made by `transpose_columns`).
static _Thread_local struct {
  run_plan plan;
  long j0, NR;
  /// The first run of each NR-column tile of the block, and `nruns` after the last.
  const long *tile_first;
} store_block;

static void transpose_columns(const genai_gemm_op *op, long j0, long nc, int NR) {
  const genai_conv_ctx *ctx = op->ctx;
  const long tiles = (nc + NR - 1) / NR;
  col_run *runs = genai_thread_scratch(3, (size_t)(nc + 1) * sizeof(col_run) + (size_t)(tiles + 1) * sizeof(long));
  long *tile_first = (long *)(runs + nc + 1);
  // Runs split at multiples of NR from j0 too, so every tile starts on a run boundary.
  const long nruns = column_runs(&ctx->s, j0, nc, NR, runs);
  for (long r = 0, t = 0; t <= tiles; t++) {
    while (r < nruns && runs[r].at < t * NR) r++;
    tile_first[t] = r;
  }
  store_block.plan = make_plan(&ctx->s, runs, nruns, 2);
  store_block.j0 = j0;
  store_block.NR = NR;
  store_block.tile_first = tile_first;
}

/// The store a run at a time (`ops.add_run_rows`): tile rows `i0 ..< i0+mr` (`(c, ky, kx)`
/// each) of runs `r0 ..< r1` (tile column = run.at − start) added back into their windows of
/// `out`. Returns 0, adding nothing, where the path has no such loop or a run does not fit it.
static int col2im_by_kernel_rows(const genai_run_ops *ops, const genai_conv_shape *s, const run_plan *pl, long r0,
                                 long r1, const float *tile, long ldt, long start, long i0, long mr, float *out) {
  if (!ops->add_run_rows || s->sw > 2 || s->dw != 1 || s->kw > ops->row_kw) return 0;
  const long KK = s->kh * s->kw, HW = s->h * s->w, KW = s->kw;
  for (long r = r0; r < r1; r++) {
    const long len = pl->runs[r].len;
    if (len > ops->row_len || (len - 1) * s->sw + KW > ops->row_span) return 0;
  }
  const long c0 = i0 / KK, t0 = i0 % KK, ky0 = t0 / KW, kx0 = t0 % KW;
  for (long r = r0; r < r1; r++) {
    const col_run *run = &pl->runs[r];
    ops->add_run_rows(s, pl->iy + r * s->kh, out + run->n * s->c * HW, run->ox * s->sw - s->pl,
                      tile + run->at - start, ldt, run->len, c0, ky0, kx0, mr);
  }
  return 1;
}

static void transpose_store(const genai_gemm_op *op, long i0, long mr, long j0, long nr, const float *tile, long ldt,
                            int first) {
  (void)first;
  const genai_conv_ctx *ctx = op->ctx;
  const genai_conv_shape *s = &ctx->s;
  const run_plan *pl = &store_block.plan;
  // The runs of this tile: those whose `at` lies in [j0, j0 + nr) relative to the block (tiles
  // start at multiples of NR and end there or at the block's end).
  const long start = j0 - store_block.j0, tile_index = start / store_block.NR;
  const long r0 = store_block.tile_first[tile_index], r1 = store_block.tile_first[tile_index + 1];
  const genai_run_ops ops = genai_run_ops_for(op->path);
  if (col2im_by_kernel_rows(&ops, s, pl, r0, r1, tile, ldt, start, i0, mr, ctx->out)) return;
  const genai_run_add_fn add = ops.add;
  const long KK = s->kh * s->kw;
  long c = i0 / KK, t = i0 % KK, ky = t / s->kw, kx = t % s->kw;
  for (long i = 0; i < mr; i++) {
    const float *ti = tile + i * ldt - start;
    for (long r = r0; r < r1; r++) {
      const long iy = pl->iy[r * s->kh + ky];
      if (iy < 0) continue;
      const col_run *run = &pl->runs[r];
      const long ix0 = pl->ix0[r * s->kw + kx];
      add(ctx->out + ((run->n * s->c + c) * s->h + iy) * s->w + ix0, ti + run->at, pl->lo[r * s->kw + kx],
          pl->hi[r * s->kw + kx], s->sw);
    }
    if (++kx == s->kw) {
      kx = 0;
      if (++ky == s->kh) ky = 0, c++;
    }
  }
}

void genai_conv_transpose_op(genai_gemm_op *op, const genai_conv_ctx *ctx) {
  memset(op, 0, sizeof *op);
  const genai_conv_shape *s = &ctx->s;
  op->m = s->c * s->kh * s->kw;
  op->k = s->o;
  op->n = s->n * s->oh * s->ow;
  op->pack_a = transpose_pack_a;
  op->pack_b = transpose_pack_b;
  op->store = transpose_store;
  op->columns = transpose_columns;
  op->ctx = ctx;
  // Tiles of different channels, or of different images, never add into the same place.
  if (s->c >= 2) {
    op->split = 1;
    op->row_align = s->kh * s->kw;
  } else {
    op->split = 2;
    op->col_align = s->oh * s->ow;
  }
}

// MARK: - Weight gradient: dW = y · im2col(x)ᵀ

/// A = y `[O, N·P]` (stored `[N, O, P]`): per image, a transposing copy of `mr` planes.
static void wgrad_pack_a(const genai_gemm_op *op, long i0, long mr, long k0, long kc, int MR, float *dst) {
  const genai_conv_ctx *ctx = op->ctx;
  const genai_conv_shape *s = &ctx->s;
  const long P = s->oh * s->ow;
  long at = 0;
  while (at < kc) {
    const long j = k0 + at, n = j / P, p = j % P, len = min_l(P - p, kc - at);
    genai_transpose_pack(op->path, ctx->y + (n * s->o + i0) * P + p, P, mr, len, dst + at * MR, MR);
    at += len;
  }
  if (mr < MR)
    for (long k = 0; k < kc; k++)
      for (long i = mr; i < MR; i++) dst[k * MR + i] = 0;
}

/// B = im2col(x)ᵀ `[N·P, C·KH·KW]`: each panel column is an im2col row over this K block,
/// gathered contiguously and then transposed into place.
static void wgrad_pack_b(const genai_gemm_op *op, long k0, long kc, long j0, long nc, int NR, float *dst) {
  const genai_conv_ctx *ctx = op->ctx;
  const genai_conv_shape *s = &ctx->s;
  col_run *runs = run_buffer(kc);
  const run_plan pl = make_plan(s, runs, column_runs(s, k0, kc, 0, runs), 2);
  float *rows = genai_thread_scratch(1, ((size_t)NR * (size_t)kc + 16) * sizeof(float));
  const genai_run_ops ops = genai_run_ops_for(op->path);
  const genai_run_copy_fn copy = ops.copy;
  const long KK = s->kh * s->kw;
  for (long p = 0; p < nc; p += NR) {
    const long nr = min_l(NR, nc - p);
    if (ops.im2col_block && ops.im2col_block(s, &pl, ctx->x, j0 + p, nr, rows, kc, 0, 0)) {
      // rows filled
    } else
    for (long jj = 0; jj < nr; jj++) {
      const long col = j0 + p + jj, c = col / KK, t = col % KK, ky = t / s->kw, kx = t % s->kw;
      float *row = rows + jj * kc;
      // Runs are written in order and the rows follow each other; 16 floats of slack after the
      // last row take the final spill.
      for (long r = 0; r < pl.nruns; r++) plan_im2col(s, &pl, copy, ctx->x, c, ky, kx, r, row + runs[r].at, 1);
    }
    float *panel = dst + p * kc;
    genai_transpose_pack(op->path, rows, kc, nr, kc, panel, NR);
    if (nr < NR)
      for (long k = 0; k < kc; k++)
        for (long j = nr; j < NR; j++) panel[k * NR + j] = 0;
  }
}

void genai_conv_weight_grad_op(genai_gemm_op *op, const genai_conv_ctx *ctx) {
  memset(op, 0, sizeof *op);
  const genai_conv_shape *s = &ctx->s;
  op->m = s->o;
  op->n = s->c * s->kh * s->kw;
  op->k = s->n * s->oh * s->ow;
  op->pack_a = wgrad_pack_a;
  op->pack_b = wgrad_pack_b;
  op->store = NULL;
  op->c = ctx->out;
  op->ldc = op->n;
  op->beta = 0;
  op->ctx = ctx;
}

// MARK: - Weight gradient, operands swapped: dWᵀ = im2col(x) · yᵀ

/// A = im2col(x) `[C·KH·KW, N·P]`: the same gather-and-transpose as `wgrad_pack_b`, `MR` wide.
static void wgrad_t_pack_a(const genai_gemm_op *op, long i0, long mr, long k0, long kc, int MR, float *dst) {
  wgrad_pack_b(op, k0, kc, i0, mr, MR, dst);
}

/// B = yᵀ `[N·P, O]`: `wgrad_pack_a`'s transposing copy, one panel of `NR` outputs at a time.
static void wgrad_t_pack_b(const genai_gemm_op *op, long k0, long kc, long j0, long nc, int NR, float *dst) {
  for (long p = 0; p < nc; p += NR) wgrad_pack_a(op, j0 + p, min_l(NR, nc - p), k0, kc, NR, dst + p * kc);
}

void genai_conv_weight_grad_run(const genai_conv_ctx *ctx, int path) {
  if (path < 0) path = genai_path_active();
  const genai_conv_shape *s = &ctx->s;
  if (genai_conv_single_applies(s)) {
    genai_conv_single_weight_grad(path, s, ctx->x, ctx->y, ctx->out);
    return;
  }
  const long ckk = s->c * s->kh * s->kw, o = s->o;
  // The tile area each orientation computes; swapped where that is a fifth smaller or more
  // (VAE enc1 and its last layer, C·KH·KW = 9 and O = 32: a third of the area).
  const genai_gemm_blocking b = genai_gemm_blocking_for(path);
  const long plain = round_up(o, b.mr) * round_up(ckk, b.nr), swapped = round_up(ckk, b.mr) * round_up(o, b.nr);
  genai_gemm_op op;
  if (swapped * 5 > plain * 4) {
    genai_conv_weight_grad_op(&op, ctx);
    genai_gemm_run(&op, 0, 1, path);
    return;
  }
  // dWᵀ lands in this thread's scratch slot 3, which only the transposed product's store uses.
  float *t = genai_thread_scratch(3, (size_t)(ckk * o) * sizeof(float));
  memset(&op, 0, sizeof op);
  op.m = ckk;
  op.n = o;
  op.k = s->n * s->oh * s->ow;
  op.pack_a = wgrad_t_pack_a;
  op.pack_b = wgrad_t_pack_b;
  op.c = t;
  op.ldc = o;
  op.beta = 0;
  op.ctx = ctx;
  genai_gemm_run(&op, 0, 1, path);
  for (long i = 0; i < o; i++)
    for (long j = 0; j < ckk; j++) ctx->out[i * ckk + j] = t[j * o + i];
}
