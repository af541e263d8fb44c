// Convolution products on channels-last tensors: x side `[N, H, W, C]`, y side `[N, OH, OW, O]`,
// weight in PyTorch's `[O, C, KH, KW]`.
//
// Channels-last, a window tap of a pixel is C contiguous floats, so the products need neither
// im2col nor a scatter:
//
//   forward      y = conv(x, w) + bias   the direct tiles of conv_direct.c reading x in place
//                                        (a row of zeros stands in for taps in the padding)
//   transposed   x = convᵀ(y, w) + bias  one direct product per output phase (a, b): the x-side
//                                        pixels (sh·i + a, sw·j + b) take only the taps whose
//                                        stride lands there, so each sum is whole when stored
//   wgrad        dW = Σ y ⊗ window(x)    a GEMM over pixels whose packers copy contiguous rows
//
// Products with fewer than 8 outputs (a decoder's last layer: 32 channels in, 1 out) take a
// dot-product loop instead of tiles 32 outputs wide.
#include "gemm_internal.h"

#include <string.h>

static long min_l(long a, long b) { return a < b ? a : b; }

int genai_conv_nhwc_narrow(long outputs) { return outputs < 8; }

long genai_conv_nhwc_packed_size(int path, long outputs, long depth) {
  if (genai_conv_nhwc_narrow(outputs)) return outputs * depth;
  const long nr = genai_conv_direct_nr(path);
  return (outputs + nr - 1) / nr * nr * depth;
}

// One pixel of a narrow product: `out[o] = bias[o] + Σ_t Σ_c rows[t][c] · wn[o][t·C + c]`,
// a vector of partial sums per output, its lanes added in order at the end.
#define PATH_BODIES                                                                                 \
  static void FN(narrow_pixel)(const float *const *rows, long taps, long C, long O,                 \
                               const float *wn, const float *bias, float *out) {                   \
    for (long o = 0; o < O; o++) {                                                                \
      VF acc = {0};                                                                               \
      float tail = 0;                                                                             \
      const float *w = wn + o * taps * C;                                                         \
      for (long t = 0; t < taps; t++) {                                                           \
        const float *row = rows[t], *wt = w + t * C;                                              \
        long c = 0;                                                                               \
        for (; c + VN <= C; c += VN) {                                                            \
          VF a, b;                                                                                \
          memcpy(&a, row + c, sizeof a);                                                          \
          memcpy(&b, wt + c, sizeof b);                                                           \
          acc += a * b;                                                                           \
        }                                                                                         \
        for (; c < C; c++) tail += row[c] * wt[c];                                                \
      }                                                                                           \
      /* The lanes added in halves: log2(VN) dependent steps rather than VN. */                 \
      float lanes[VN];                                                                            \
      memcpy(lanes, &acc, sizeof lanes);                                                          \
      for (int half = VN / 2; half >= 1; half /= 2)                                               \
        for (int l = 0; l < half; l++) lanes[l] += lanes[l + half];                               \
      const float sum = lanes[0];                                                                 \
      out[o] = (bias ? bias[o] : 0.0f) + sum + tail;                                              \
    }                                                                                             \
  }
#include "vec_paths.h"

typedef void (*narrow_pixel_fn)(const float *const *, long, long, long, const float *, const float *, float *);

static narrow_pixel_fn narrow_pixel(int path) {
#if defined(__x86_64__)
  if (path == GENAI_PATH_AVX512) return narrow_pixel_avx512;
  if (path == GENAI_PATH_AVX2) return narrow_pixel_avx2;
#endif
  (void)path;
  return narrow_pixel_portable;
}

/// The narrow products' loop over pixels `p0 ..< p1` (the same sums for any split).
static void narrow_run(int path, const genai_direct_map *m, long taps, long C, long O, const float *wn,
                       const float *bias, long p0, long p1) {
  const narrow_pixel_fn pixel = narrow_pixel(path);
  const float **rows = genai_thread_scratch(2, (size_t)(taps > 0 ? taps : 1) * sizeof(float *));
  float *zeros = genai_thread_scratch(3, (size_t)(C > 0 ? C : 1) * sizeof(float));
  memset(zeros, 0, (size_t)(C > 0 ? C : 1) * sizeof(float));
  long *offsets = genai_thread_scratch(0, (size_t)(taps > 0 ? taps : 1) * sizeof(long));
  const genai_direct_taps tp = genai_direct_taps_of(m, taps, C, offsets);
  for (long p = p0; p < p1; p++) {
    genai_direct_pixel_rows(m, &tp, C, p, rows, 1, zeros);
    pixel(rows, taps, C, O, wn, bias, genai_direct_pixel_out(m, p));
  }
}

/// The direct tiles, or the narrow loop for fewer than 8 outputs.
static void run_map(int path, const genai_direct_map *m, long taps, long C, long O, const float *wp, const float *bias,
                    long p0, long p1) {
  if (genai_conv_nhwc_narrow(O)) {
    narrow_run(path, m, taps, C, O, wp, bias, p0, p1);
  } else {
    genai_conv_direct_run(path, m, taps, C, O, wp, bias, p0, p1);
  }
}

/// Packs the weight of a product with `outputs` outputs, `inputs` input channels and `taps` taps
/// (tap t is kernel offset `kernel_index[t]` of `kk`): panels `panel0 ..< panel1` of the direct
/// tiles' layout, `[(t·inputs + c)·nr + j]` per panel, or all of `[O][taps·inputs]` for a narrow
/// product (which only panel 0 writes). `w` is `[outputs, inputs, kk]`, or with `swapped`
/// `[inputs, outputs, kk]` (a transposed product's outputs are the weight's second axis).
static void pack_weights(int path, long outputs, long inputs, long taps, const long *kernel_index, long kk,
                         int swapped, const float *w, long panel0, long panel1, float *dst) {
  #define WEIGHT(o, c, t) \
    w[(swapped ? (c) * outputs + (o) : (o) * inputs + (c)) * kk + (kernel_index ? kernel_index[t] : (t))]
  if (genai_conv_nhwc_narrow(outputs)) {
    if (panel0 > 0) return;
    for (long o = 0; o < outputs; o++)
      for (long t = 0; t < taps; t++)
        for (long c = 0; c < inputs; c++) dst[(o * taps + t) * inputs + c] = WEIGHT(o, c, t);
    return;
  }
  // Each panel's outputs gathered tap-major into rows `[nr][depth]` (one output's weights stay in
  // L1 while it is gathered), then transposed into the panel `[depth][nr]`. Storing straight
  // into the panel wrote one float per 128-byte stride, ~1 GB/s.
  const long nr = genai_conv_direct_nr(path), depth = taps * inputs;
  float *rows = genai_thread_scratch(3, (size_t)(nr * depth) * sizeof(float));
  for (long q = panel0; q < panel1; q++) {
    for (long j = 0; j < nr; j++) {
      const long o = q * nr + j;
      float *r = rows + j * depth;
      if (o >= outputs) {
        memset(r, 0, (size_t)depth * sizeof(float));
        continue;
      }
      for (long t = 0; t < taps; t++)
        for (long c = 0; c < inputs; c++) r[t * inputs + c] = WEIGHT(o, c, t);
    }
    genai_transpose(path, rows, depth, nr, depth, dst + q * depth * nr, nr);
  }
  #undef WEIGHT
}

// MARK: - Forward

void genai_conv_nhwc_pack_weights(int path, const genai_conv_shape *s, const float *w, long panel0, long panel1,
                                  float *dst) {
  path = genai_path_usable(path);
  const long taps = s->kh * s->kw;
  pack_weights(path, s->o, s->c, taps, NULL, taps, 0, w, panel0, panel1, dst);
}

void genai_conv_nhwc_forward(int path, const genai_conv_shape *s, const float *x, const float *wp, const float *bias,
                             long p0, long p1, float *y) {
  path = genai_path_usable(path);
  const long taps = s->kh * s->kw;
  long *off = genai_thread_scratch(1, (size_t)(2 * (taps > 0 ? taps : 1)) * sizeof(long));
  for (long t = 0; t < taps; t++) {
    off[t] = t / s->kw * s->dh - s->pt;
    off[taps + t] = t % s->kw * s->dw - s->pl;
  }
  const genai_direct_map m = {x, s->h, s->w, s->oh, s->ow, s->sh, s->sw, off, off + taps,
                              y, s->oh, s->ow, 1, 1, 0, 0, s->o, s->n};
  run_map(path, &m, taps, s->c, s->o, wp, bias, p0, p1);
}

// MARK: - Transposed, by output phases

/// The taps of one axis that land on x-side pixels `stride·i + a`, and their y offsets: x pixel
/// `stride·i + a` takes tap k from y pixel `i + (a + pad − k·dilation) / stride` where that
/// divides. Returns how many (at most `kernel`).
static long phase_axis(long a, long pad, long stride, long dilation, long kernel, long *taps, long *offsets) {
  long count = 0;
  for (long k = 0; k < kernel; k++) {
    const long d = a + pad - k * dilation;
    if (((d % stride) + stride) % stride != 0) continue;
    taps[count] = k;
    // Exact division of a multiple of `stride`, negative ones included.
    offsets[count++] = d >= 0 ? d / stride : -((-d) / stride);
  }
  return count;
}

/// Phase `(a, b)`'s taps (row-major over its kernel rows and columns) with their kernel index
/// `ky·KW + kx` in `kernel_index` and y offsets in `dy`, `dx`; its pixels per image in `*rows`
/// x `*cols`. Returns the tap count. The arrays hold KH·KW entries.
static long phase_taps(const genai_conv_shape *s, long a, long b, long *kernel_index, long *dy, long *dx, long *rows,
                       long *cols) {
  // Each axis's taps and offsets sit after the three tap arrays (see `phase_scratch`).
  long *ky = dx + s->kh * s->kw, *oy = ky + s->kh, *kx = oy + s->kh, *ox = kx + s->kw;
  const long th = phase_axis(a, s->pt, s->sh, s->dh, s->kh, ky, oy);
  const long tw = phase_axis(b, s->pl, s->sw, s->dw, s->kw, kx, ox);
  *rows = a < s->h ? (s->h - 1 - a) / s->sh + 1 : 0;
  *cols = b < s->w ? (s->w - 1 - b) / s->sw + 1 : 0;
  for (long u = 0; u < th; u++)
    for (long v = 0; v < tw; v++) {
      const long t = u * tw + v;
      kernel_index[t] = ky[u] * s->kw + kx[v];
      dy[t] = oy[u];
      dx[t] = ox[v];
    }
  return th * tw;
}

/// Scratch for a phase's taps: kernel indices, then y offsets by rows and by columns (KH·KW
/// each), then each axis's taps and offsets (2·KH + 2·KW).
static long *phase_scratch(const genai_conv_shape *s) {
  const long kk = s->kh * s->kw > 0 ? s->kh * s->kw : 1;
  return genai_thread_scratch(1, (size_t)(3 * kk + 2 * (s->kh + s->kw) + 1) * sizeof(long));
}

long genai_conv_nhwc_phase_taps(const genai_conv_shape *s, long a, long b) {
  long *k = phase_scratch(s), kk = s->kh * s->kw, rows, cols;
  return phase_taps(s, a, b, k, k + kk, k + 2 * kk, &rows, &cols);
}

long genai_conv_nhwc_phase_pixels(const genai_conv_shape *s, long a, long b) {
  const long rows = a < s->h ? (s->h - 1 - a) / s->sh + 1 : 0, cols = b < s->w ? (s->w - 1 - b) / s->sw + 1 : 0;
  return s->n * rows * cols;
}

void genai_conv_nhwc_pack_phase_weights(int path, const genai_conv_shape *s, long a, long b, const float *w,
                                        long panel0, long panel1, float *dst) {
  path = genai_path_usable(path);
  long *k = phase_scratch(s), kk = s->kh * s->kw, rows, cols;
  const long taps = phase_taps(s, a, b, k, k + kk, k + 2 * kk, &rows, &cols);
  // Outputs are the x side's C channels, inputs the y side's O: the weight [O, C, KH, KW] read
  // with its first two axes swapped.
  pack_weights(path, s->c, s->o, taps, k, kk, 1, w, panel0, panel1, dst);
}

void genai_conv_nhwc_transpose_phase(int path, const genai_conv_shape *s, long a, long b, const float *y,
                                     const float *wp, const float *bias, long p0, long p1, float *x) {
  path = genai_path_usable(path);
  long *k = phase_scratch(s), kk = s->kh * s->kw, rows, cols;
  const long taps = phase_taps(s, a, b, k, k + kk, k + 2 * kk, &rows, &cols);
  const genai_direct_map m = {y, s->oh, s->ow, rows, cols, 1, 1, k + kk, k + 2 * kk,
                              x, s->h, s->w, s->sh, s->sw, a, b, s->c, s->n};
  if (taps == 0) {
    // No tap lands here: the bias alone.
    for (long p = p0; p < p1; p++) {
      const long n = p / (rows * cols), i = p % (rows * cols) / cols, j = p % cols;
      float *d = x + ((n * s->h + i * s->sh + a) * s->w + j * s->sw + b) * s->c;
      for (long c = 0; c < s->c; c++) d[c] = bias ? bias[c] : 0.0f;
    }
    return;
  }
  run_map(path, &m, taps, s->o, s->c, wp, bias, p0, p1);
}

// MARK: - Weight gradient: dW[o][t·C + c] = Σ_p y[p][o] · x[window_t(p)][c]

typedef struct {
  const genai_conv_ctx *ctx;
  const long *dy, *dx;  // per tap, as in the forward product
} wgrad_ctx;

/// A = yᵀ `[O, P]`: pixel k's O outputs are contiguous, so each step copies MR of them.
static void wgrad_pack_a(const genai_gemm_op *op, long i0, long mr, long k0, long kc, int MR, float *dst) {
  const wgrad_ctx *w = op->ctx;
  const long O = w->ctx->s.o;
  const float *y = w->ctx->y + k0 * O + i0;
  for (long k = 0; k < kc; k++, y += O, dst += MR) {
    for (long i = 0; i < mr; i++) dst[i] = y[i];
    for (long i = mr; i < MR; i++) dst[i] = 0;
  }
}

/// B `[P, taps·C]`: pixel k's columns of tap t are the C floats of its window row (zeros in the
/// padding), copied in pieces split at tap ends and panel edges.
static void wgrad_pack_b(const genai_gemm_op *op, long k0, long kc, long j0, long nc, int NR, float *dst) {
  const wgrad_ctx *w = op->ctx;
  const genai_conv_shape *s = &w->ctx->s;
  const long C = s->c;
  typedef struct { long t, c, len, at; } piece;
  const long taps_room = s->kh * s->kw + 1;
  piece *pieces = genai_thread_scratch(
      0, (size_t)(nc + 1) * sizeof(piece) + (size_t)taps_room * sizeof(long) + (size_t)C * sizeof(float));
  long count = 0;
  for (long at = 0; at < nc;) {
    const long j = j0 + at, t = j / C, c = j % C;
    const long len = min_l(min_l(C - c, nc - at), NR - at % NR);
    pieces[count++] = (piece){t, c, len, (at / NR) * kc * NR + at % NR};
    at += len;
  }
  // Each pixel's window rows as the direct products find them (zeros in the padding). The
  // pieces sit in slot 0 above, then the taps' offsets and a row of zeros (slot 3 holds the
  // product's result).
  const long taps = s->kh * s->kw;
  const genai_direct_map m = {w->ctx->x, s->h, s->w, s->oh, s->ow, s->sh, s->sw, w->dy, w->dx,
                              NULL, 0, 0, 0, 0, 0, 0, 0, s->n};
  const float **rows = genai_thread_scratch(2, (size_t)(taps > 0 ? taps : 1) * sizeof(float *));
  long *offsets = (long *)(pieces + count + 1);
  float *zeros = (float *)(offsets + taps_room);
  memset(zeros, 0, (size_t)C * sizeof(float));
  const genai_direct_taps tp = genai_direct_taps_of(&m, taps, C, offsets);
  for (long k = 0; k < kc; k++) {
    genai_direct_pixel_rows(&m, &tp, C, k0 + k, rows, 1, zeros);
    float *d = dst + k * NR;
    for (long r = 0; r < count; r++) {
      const piece *pc = &pieces[r];
      const float *from = rows[pc->t] + pc->c;
      float *to = d + pc->at;
      for (long q = 0; q < pc->len; q++) to[q] = from[q];
    }
  }
  const long tail = nc % NR;
  if (tail)
    for (long k = 0; k < kc; k++)
      for (long j = tail; j < NR; j++) dst[(nc - tail) * kc + k * NR + j] = 0;
}

void genai_conv_nhwc_weight_grad_run(const genai_conv_ctx *ctx, int path) {
  path = genai_path_usable(path);
  const genai_conv_shape *s = &ctx->s;
  const long taps = s->kh * s->kw, cols = taps * s->c;
  long *off = genai_thread_scratch(1, (size_t)(2 * (taps > 0 ? taps : 1)) * sizeof(long));
  for (long t = 0; t < taps; t++) {
    off[t] = t / s->kw * s->dh - s->pt;
    off[taps + t] = t % s->kw * s->dw - s->pl;
  }
  const wgrad_ctx w = {ctx, off, off + taps};
  // dW as [O, taps·C] in scratch slot 3 (the packers use 0, the offsets 1), then into
  // [O, C, KH, KW].
  float *t = genai_thread_scratch(3, (size_t)(s->o * cols > 0 ? s->o * cols : 1) * sizeof(float));
  genai_gemm_op op;
  memset(&op, 0, sizeof op);
  op.m = s->o;
  op.n = cols;
  op.k = s->n * s->oh * s->ow;
  op.pack_a = wgrad_pack_a;
  op.pack_b = wgrad_pack_b;
  op.c = t;
  op.ldc = cols;
  op.beta = 0;
  op.ctx = &w;
  genai_gemm_run(&op, 0, 1, path);
  // Each output's [taps, C] block transposed to [C, taps] (a scalar loop here wrote one float
  // per `taps` stride: ~1% of a DCGAN step).
  for (long o = 0; o < s->o; o++) genai_transpose(path, t + o * cols, s->c, taps, s->c, ctx->out + o * cols, taps);
}
