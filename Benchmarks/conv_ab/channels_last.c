// The VAE's convolution products channels-first (the implicit GEMM of conv.c, NCHW in and out)
// against channels-last (conv_nhwc.c, NHWC in and out), one core, the fastest of `reps` runs
// of each, alternating. What each side pays is what a network in that layout pays per product:
//
//   forward      conv.c: im2col packing + GEMM          conv_nhwc.c: weight packing + direct tiles
//   transposed   conv.c: bias fill + GEMM + scatter     conv_nhwc.c: per output phase, weight
//                                                       packing + direct tiles
//   wgrad        conv.c: im2col/transposing packers     conv_nhwc.c: row-copy packers (a quarter of
//                                                       the batch, times 4, as the pool runs it)
//
//   K=Sources/CGenAIKernels
//   clang -O3 -I$K/include -I$K Benchmarks/conv_ab/channels_last.c $K/*.c -o /tmp/channels_last -lpthread -lm
//   taskset -c 0 /tmp/channels_last 10          # GENAI_CPU=avx2 (or portable) picks another path
//
// On a 2-core Sapphire Rapids (2026-12-07, two runs, old/new time): AVX-512 forward 1.12-1.51x,
// transposed 1.21-1.59x, weight gradient 1.22-1.38x; the AVX2 path forced on the same CPU
// 1.20-1.40x, 1.45-1.64x and 1.20-1.27x. The deepest shape (dec2, 12 MB per product) gains least.
//
// Shapes are "x side -> y side" geometries of the `vae` workload: enc2 (32x14x14 -> 64x7x7), dec1
// (64x14x14 -> 64x7x7, the decoder's first transposed layer read backwards), dec2 (32x28x28 ->
// 64x14x14). The one-channel layers (enc1, dec3) keep their channels-first one-channel products
// in a channels-last network (`conv2d` routes them), so they are not timed here.
#include "CGenAIKernels.h"

#include <stdio.h>
#include <stdlib.h>
#include <time.h>

static double now(void) {
  struct timespec t;
  clock_gettime(CLOCK_MONOTONIC, &t);
  return (double)t.tv_sec + (double)t.tv_nsec * 1e-9;
}

static float *random_floats(long n) {
  float *p = aligned_alloc(64, (size_t)((n * 4 + 63) / 64 * 64 + 64));
  if (!p) abort();
  for (long i = 0; i < n; i++) p[i] = (float)(rand() % 1000) / 1000.0f - 0.5f;
  return p;
}

static void keep_fastest(double *best, double t) {
  if (t < *best) *best = t;
}

/// The channels-last forward product: weight panels, then the direct tiles over every pixel.
static void nhwc_forward(const genai_conv_shape *s, const float *x, const float *w, const float *bias, float *wp,
                         float *y) {
  const long nr = genai_conv_direct_nr(-1);
  genai_conv_nhwc_pack_weights(-1, s, w, 0, (s->o + nr - 1) / nr, wp);
  genai_conv_nhwc_forward(-1, s, x, wp, bias, 0, s->n * s->oh * s->ow, y);
}

/// The channels-last transposed product, one output phase at a time.
static void nhwc_transpose(const genai_conv_shape *s, const float *y, const float *w, const float *bias, float *wp,
                           float *x) {
  const long nr = genai_conv_direct_nr(-1);
  for (long a = 0; a < s->sh; a++)
    for (long b = 0; b < s->sw; b++) {
      const long pixels = genai_conv_nhwc_phase_pixels(s, a, b);
      if (pixels == 0) continue;
      genai_conv_nhwc_pack_phase_weights(-1, s, a, b, w, 0, (s->c + nr - 1) / nr, wp);
      genai_conv_nhwc_transpose_phase(-1, s, a, b, y, wp, bias, 0, pixels, x);
    }
}

/// A `same`-padded k x k convolution of stride `stride` from `[n, c, h, w]` to `[n, o, ceil(h/s), ceil(w/s)]`.
static void compare(const char *name, long n, long c, long h, long w, long o, long k, long stride, int reps) {
  genai_conv_shape s = {n, c, h, w, o, (h + stride - 1) / stride, (w + stride - 1) / stride, k, k, stride, stride, 1, 1, 0, 0};
  const long pad = (s.oh - 1) * stride + k - h;
  s.pt = s.pl = pad > 0 ? pad / 2 : 0;
  const long xs = n * c * h * w, ys = n * o * s.oh * s.ow, ws = o * c * k * k;
  float *x = random_floats(xs), *y = random_floats(ys), *wt = random_floats(ws), *bo = random_floats(o);
  float *bc = random_floats(c), *yout = random_floats(ys), *xout = random_floats(xs), *dw = random_floats(ws);
  float *wp = random_floats((o > c ? o : c) * k * k * (o > c ? o : c) + 64);
  genai_conv_shape quarter = s;
  quarter.n = n / 4 > 0 ? n / 4 : 1;
  double t[6] = {1e9, 1e9, 1e9, 1e9, 1e9, 1e9};
  for (int r = 0; r < reps; r++) {
    genai_gemm_op op;
    const genai_conv_ctx fwd = {s, x, NULL, wt, bo, yout}, tr = {s, NULL, y, wt, NULL, xout};
    const genai_conv_ctx wg = {quarter, x, y, NULL, NULL, dw};
    double t0 = now();
    genai_conv_forward_op(&op, &fwd);
    genai_gemm_run(&op, 0, 1, -1);
    keep_fastest(&t[0], now() - t0);
    t0 = now();
    nhwc_forward(&s, x, wt, bo, wp, yout);
    keep_fastest(&t[1], now() - t0);
    t0 = now();
    // The channels-first transposed product adds into its output, which starts as the bias.
    for (long i = 0; i < n * c; i++)
      for (long p = 0; p < h * w; p++) xout[i * h * w + p] = bc[i % c];
    genai_conv_transpose_op(&op, &tr);
    genai_gemm_run(&op, 0, 1, -1);
    keep_fastest(&t[2], now() - t0);
    t0 = now();
    nhwc_transpose(&s, y, wt, bc, wp, xout);
    keep_fastest(&t[3], now() - t0);
    t0 = now();
    genai_conv_weight_grad_run(&wg, -1);
    keep_fastest(&t[4], 4 * (now() - t0));
    t0 = now();
    genai_conv_nhwc_weight_grad_run(&wg, -1);
    keep_fastest(&t[5], 4 * (now() - t0));
  }
  printf("%-9s fwd %6.2f -> %6.2f ms (%.2fx) | transposed %6.2f -> %6.2f (%.2fx) | wgrad %6.2f -> %6.2f (%.2fx)\n",
         name, t[0] * 1e3, t[1] * 1e3, t[0] / t[1], t[2] * 1e3, t[3] * 1e3, t[2] / t[3], t[4] * 1e3, t[5] * 1e3,
         t[4] / t[5]);
}

int main(int argc, char **argv) {
  const int reps = argc > 1 ? atoi(argv[1]) : 10;
  printf("path %s, one thread, channels-first -> channels-last, fastest of %d\n", genai_path_name(genai_path_active()),
         reps);
  compare("vae.enc2", 128, 32, 14, 14, 64, 3, 2, reps);
  compare("vae.dec1", 128, 64, 14, 14, 64, 3, 2, reps);
  compare("vae.dec2", 128, 32, 28, 28, 64, 3, 2, reps);
  return 0;
}
