// Convolution products whose x side has one channel: an image model's first layer and a
// generator's or decoder's last (VAE enc1 and dec3, DCGAN D.conv1 and G.convT3).
//
// With C = 1 the implicit GEMM of conv.c has a K of only KH·KW (9 or 25) for the forward product
// and a tile height of KH·KW for the transposed one: each tile is loaded, stored and re-added
// after a handful of multiply-adds, and the VAE's 28x28x32 products ran at 20-26 GFLOP/s on a
// core that does 150. Here each image's im2col columns (`[KH·KW, pixels]`, a few KB) are built
// once, and register blocks keep whole sums before writing each element once:
//
//   forward      y[n][o][p]  = bias[o] + Σ_t w[o][t] · cols_n[t][p]     (4 outputs x pixels)
//   transposed   g[t][p]     = Σ_o w[o][t] · y[n][o][p], then x'[n] = bias + col2im(g)
//   wgrad        dW[o][t]    = Σ_n Σ_p y[n][o][p] · cols_n[t][p]          (lane-wise, then summed)
//
// The forward and transposed products run image by image (the caller spreads images over
// threads); the weight gradient runs over its batch on the calling thread, like
// `genai_conv_weight_grad_run`, which sends it here.
#include "gemm_internal.h"

#include <string.h>

/// Pixel vectors per register block for `vn` lanes: 4 x 4 ZMM accumulators on AVX-512 (32
/// registers), 4 x 2 on 16-register AVX2 and SSE2.
#define SINGLE_PV_FOR(vn) ((vn) == 16 ? 4 : 2)
/// Output channels per weight-gradient block for `vn` lanes (times 3 taps, one vector each).
#define SINGLE_WO_FOR(vn) ((vn) == 16 ? 4 : 2)

#define PATH_BODY_FILE "conv_single_paths.h"
#include "vec_paths.h"

static long min_l(long a, long b) { return a < b ? a : b; }

// Only kernels of up to 16 taps: on a 2-core Sapphire Rapids (AVX-512), one core, the VAE's 3x3
// products ran 1.0-1.2x (forward), 1.0-2.0x (transposed) and 1.5-2.9x (weight gradient) the
// implicit GEMM's speed, but the DCGAN's 5x5 ones 0.68-0.89x: at 25 taps the GEMM's K is long
// enough for its micro-kernel, and stride 2 makes the columns here a scalar gather.
int genai_conv_single_applies(const genai_conv_shape *s) { return s->c == 1 && s->kh * s->kw <= 16; }

static long single_lanes(int path) {
  return path == GENAI_PATH_AVX512 ? 16 : path == GENAI_PATH_AVX2 ? 8 : 4;
}

/// Pixels of a register block on `path`.
static long single_block(int path) { return SINGLE_PV_FOR(single_lanes(path)) * single_lanes(path); }

/// Pixels whose columns are built at a time: a whole image up to 2048 (the columns then stay in
/// L2: 27 x 2048 floats at most), else 1024.
static long single_chunk(long pixels) { return pixels <= 2048 ? pixels : 1024; }

/// Runs the statement after `np` once per run of output pixels `p0 ..< p0 + np` along one output
/// row, with `oy`, `ox` (the run's first pixel), `len` and `q` (its offset from p0) in scope.
#define FOR_EACH_ROW_RUN(s, p0, np, ...)                       \
  for (long p = (p0); p < (p0) + (np);) {                      \
    const long oy = p / (s)->ow, ox = p % (s)->ow;             \
    const long len = min_l((s)->ow - ox, (p0) + (np) - p);     \
    const long q = p - (p0);                                   \
    __VA_ARGS__;                                               \
    p += len;                                                  \
  }

/// `cols[t][q]` = x at tap `t` of output pixel `p0 + q` (zero in the padding) for `q < np`, zeros
/// from `np` to `ld` and in the rows from `kk` to `rows`.
static void single_columns(const genai_conv_shape *s, const float *x, long p0, long np, float *cols, long ld,
                           long rows) {
  const long kk = s->kh * s->kw;
  for (long t = 0; t < kk; t++) {
    const long ky = t / s->kw, kx = t % s->kw;
    float *d = cols + t * ld;
    FOR_EACH_ROW_RUN(s, p0, np, {
      const long iy = oy * s->sh - s->pt + ky * s->dh;
      float *dr = d + q;
      if (iy < 0 || iy >= s->h) {
        memset(dr, 0, (size_t)len * sizeof(float));
      } else {
        long lo, hi;
        const long ix0 = ox * s->sw - s->pl + kx * s->dw;
        genai_valid_span(ix0, s->sw, s->w, len, &lo, &hi);
        const float *row = x + iy * s->w + ix0;
        for (long i = 0; i < lo; i++) dr[i] = 0;
        if (s->sw == 1) {
          memcpy(dr + lo, row + lo, (size_t)(hi - lo) * sizeof(float));
        } else {
          for (long i = lo; i < hi; i++) dr[i] = row[i * s->sw];
        }
        for (long i = hi; i < len; i++) dr[i] = 0;
      }
    });
    memset(d + np, 0, (size_t)(ld - np) * sizeof(float));
  }
  for (long t = kk; t < rows; t++) memset(cols + t * ld, 0, (size_t)ld * sizeof(float));
}

/// Adds `g[t][q]` into `plane` (one x-side image) at tap `t` of output pixel `p0 + q`, taps in
/// order: the transposed product's scatter.
static void single_col2im(const genai_conv_shape *s, const float *g, long ld, long p0, long np, float *plane) {
  const long kk = s->kh * s->kw;
  for (long t = 0; t < kk; t++) {
    const long ky = t / s->kw, kx = t % s->kw;
    const float *gt = g + t * ld;
    FOR_EACH_ROW_RUN(s, p0, np, {
      const long iy = oy * s->sh - s->pt + ky * s->dh;
      if (iy >= 0 && iy < s->h) {
        long lo, hi;
        const long ix0 = ox * s->sw - s->pl + kx * s->dw;
        genai_valid_span(ix0, s->sw, s->w, len, &lo, &hi);
        float *row = plane + iy * s->w + ix0;
        const float *src = gt + q;
        if (s->sw == 1) {
          for (long i = lo; i < hi; i++) row[i] += src[i];
        } else {
          for (long i = lo; i < hi; i++) row[i * s->sw] += src[i];
        }
      }
    });
  }
}

typedef void (*single_forward_fn)(long, long, const float *, long, long, const float *, const float *, float *, long);
typedef void (*single_transpose_fn)(long, long, const float *, long, long, const float *, float *, long);
typedef void (*single_wgrad_fn)(long, long, const float *, long, long, const float *, long, float *);

/// The register blocks of one path.
typedef struct {
  single_forward_fn forward;
  single_transpose_fn transpose;
  single_wgrad_fn wgrad;
} single_blocks;

static single_blocks blocks_for(int path) {
#if defined(__x86_64__)
  if (path == GENAI_PATH_AVX512)
    return (single_blocks){single_forward_block_avx512, single_transpose_block_avx512, single_wgrad_block_avx512};
  if (path == GENAI_PATH_AVX2)
    return (single_blocks){single_forward_block_avx2, single_transpose_block_avx2, single_wgrad_block_avx2};
#endif
  (void)path;
  return (single_blocks){single_forward_block_portable, single_transpose_block_portable, single_wgrad_block_portable};
}

void genai_conv_single_forward(int path, const genai_conv_shape *s, const float *x, const float *w, const float *bias,
                               long n0, long n1, float *out) {
  path = genai_path_usable(path);
  const long kk = s->kh * s->kw, pixels = s->oh * s->ow, o4 = round_up(s->o, 4);
  const long chunk = single_chunk(pixels), ld = round_up(chunk, single_block(path));
  // The weight as [ceil(O/4)][kk][4], zeros past O: one broadcast per output and tap.
  float *wp = genai_thread_scratch(1, (size_t)(o4 * kk) * sizeof(float));
  for (long o = 0; o < o4; o++)
    for (long t = 0; t < kk; t++) wp[(o / 4) * kk * 4 + t * 4 + o % 4] = o < s->o ? w[o * kk + t] : 0;
  float *cols = genai_thread_scratch(0, (size_t)(kk * ld) * sizeof(float));
  const single_forward_fn block = blocks_for(path).forward;
  for (long n = n0; n < n1; n++) {
    for (long p0 = 0; p0 < pixels; p0 += chunk) {
      const long np = min_l(chunk, pixels - p0);
      single_columns(s, x + n * s->h * s->w, p0, np, cols, ld, kk);
      block(s->o, kk, cols, ld, np, wp, bias, out + n * s->o * pixels + p0, pixels);
    }
  }
}

void genai_conv_single_transpose(int path, const genai_conv_shape *s, const float *y, const float *w,
                                 const float *bias, long n0, long n1, float *out) {
  path = genai_path_usable(path);
  const long kk = s->kh * s->kw, k3 = round_up(kk, 3), pixels = s->oh * s->ow, plane = s->h * s->w;
  const long chunk = single_chunk(pixels), ld = round_up(chunk, single_block(path));
  // The weight as [ceil(kk/3)][O][3], zeros past kk.
  float *wt = genai_thread_scratch(1, (size_t)(k3 * s->o) * sizeof(float));
  for (long t = 0; t < k3; t++)
    for (long o = 0; o < s->o; o++) wt[(t / 3) * s->o * 3 + o * 3 + t % 3] = t < kk ? w[o * kk + t] : 0;
  float *g = genai_thread_scratch(0, (size_t)(k3 * ld) * sizeof(float));
  const single_transpose_fn block = blocks_for(path).transpose;
  for (long n = n0; n < n1; n++) {
    float *xn = out + n * plane;
    const float b = bias ? bias[0] : 0.0f;
    for (long i = 0; i < plane; i++) xn[i] = b;
    for (long p0 = 0; p0 < pixels; p0 += chunk) {
      const long np = min_l(chunk, pixels - p0);
      block(s->o, kk, y + n * s->o * pixels + p0, pixels, np, wt, g, ld);
      single_col2im(s, g, ld, p0, np, xn);
    }
  }
}

void genai_conv_single_weight_grad(int path, const genai_conv_shape *s, const float *x, const float *y, float *out) {
  path = genai_path_usable(path);
  const long vn = single_lanes(path), wo = SINGLE_WO_FOR(vn);
  const long kk = s->kh * s->kw, k3 = round_up(kk, 3), pixels = s->oh * s->ow;
  const long chunk = single_chunk(pixels), ld = round_up(chunk, single_block(path));
  // Lane-wise sums per (output block, tap block, output, tap), summed across lanes at the end.
  const long entries = round_up(s->o, wo) * k3;
  float *acc = genai_thread_scratch(1, (size_t)(entries * vn) * sizeof(float));
  memset(acc, 0, (size_t)(entries * vn) * sizeof(float));
  float *cols = genai_thread_scratch(0, (size_t)(k3 * ld) * sizeof(float));
  const single_wgrad_fn block = blocks_for(path).wgrad;
  for (long n = 0; n < s->n; n++) {
    for (long p0 = 0; p0 < pixels; p0 += chunk) {
      const long np = min_l(chunk, pixels - p0);
      single_columns(s, x + n * s->h * s->w, p0, np, cols, ld, k3);
      block(s->o, kk, y + n * s->o * pixels + p0, pixels, np, cols, ld, acc);
    }
  }
  for (long o = 0; o < s->o; o++)
    for (long t = 0; t < kk; t++) {
      const float *a = acc + (((o / wo) * (k3 / 3) + t / 3) * wo * 3 + (o % wo) * 3 + t % 3) * vn;
      float sum = 0;
      for (long l = 0; l < vn; l++) sum += a[l];
      out[o * kk + t] = sum;
    }
}
