// How fast would the VAE's 3x3 forward products be if its activations were already channels-last?
// Times, on one core, the implicit GEMM forward (NCHW in and out, conv.c) against the direct tiles
// alone (a zero-padded NHWC input, NHWC output: what a channels-last network would run, weight
// packing included) and against the direct product with its two conversions (what
// DirectConvolution runs today for deep products). The fastest of `reps` runs of each.
//
//   K=Sources/CGenAIKernels
//   clang -O3 -I$K/include -I$K Benchmarks/conv_ab/channels_last.c $K/*.c -o /tmp/channels_last -lpthread -lm
//   taskset -c 0 /tmp/channels_last 15          # the AVX-512 path (the CPU must have it)
//
// On a 2-core Sapphire Rapids (2026-12-07, five runs): channels-last direct tiles 1.53-1.58x
// (enc2), 1.52-1.58x (dec1's input gradient), 1.20-1.23x (dec2's input gradient) the implicit
// GEMM's speed (130-156 against 95-115 GFLOP/s); with the conversions 1.16-1.19x, 1.13-1.18x and
// 0.78-0.87x (dec2's 12 MB input transposed through memory). A channels-last VAE would keep the
// first figures without paying the second.
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

/// One forward geometry `[n, c, h, w]` → `[n, o, oh, ow]`, a k x k kernel of stride `stride`,
/// `pad` before on both axes.
static void compare(const char *name, long n, long c, long h, long w, long o, long k, long stride, long pad, long oh,
                    long ow, int reps) {
  const genai_conv_shape s = {n, c, h, w, o, oh, ow, k, k, stride, stride, 1, 1, pad, pad};
  const int path = GENAI_PATH_AVX512;
  const long nr = genai_conv_direct_nr(path), panels = (o + nr - 1) / nr, depth = k * k * c;
  const long hp = genai_conv_direct_padded_height(&s), wp = genai_conv_direct_padded_width(&s);
  const long pixels = n * oh * ow;
  float *x = random_floats(n * c * h * w), *wt = random_floats(o * c * k * k), *bias = random_floats(o);
  float *y = random_floats(n * o * oh * ow), *packed = random_floats(panels * depth * nr);
  float *padded = random_floats(n * hp * wp * c), *nhwc = random_floats(pixels * o);
  const genai_conv_ctx ctx = {s, x, NULL, wt, bias, y};
  double gemm = 1e9, channels_last = 1e9, converted = 1e9;
  for (int r = 0; r < reps; r++) {
    genai_gemm_op op;
    double t = now();
    genai_conv_forward_op(&op, &ctx);
    genai_gemm_run(&op, 0, 1, path);
    keep_fastest(&gemm, now() - t);

    t = now();
    genai_conv_direct_pack_weights(path, &s, wt, 0, 0, panels, packed);
    genai_conv_direct_tiles(path, &s, padded, packed, bias, 0, pixels, nhwc, o);
    keep_fastest(&channels_last, now() - t);

    t = now();
    genai_conv_direct_pack_weights(path, &s, wt, 0, 0, panels, packed);
    genai_conv_direct_pad_input(path, &s, x, 0, n, padded);
    genai_conv_direct_tiles(path, &s, padded, packed, bias, 0, pixels, nhwc, o);
    genai_conv_direct_to_nchw(path, &s, nhwc, o, 0, n, y);
    keep_fastest(&converted, now() - t);
  }
  const double gflop = 2.0 * (double)pixels * (double)o * (double)depth / 1e9;
  printf("%-9s implicit GEMM %.2f ms (%.0f GFLOP/s) | direct, channels-last in and out %.2f ms (%.0f GFLOP/s, %.2fx)"
         " | direct with conversions %.2f ms (%.2fx)\n",
         name, gemm * 1e3, gflop / gemm, channels_last * 1e3, gflop / channels_last, gemm / channels_last,
         converted * 1e3, gemm / converted);
  free(x), free(wt), free(bias), free(y), free(packed), free(padded), free(nhwc);
}

int main(int argc, char **argv) {
  const int reps = argc > 1 ? atoi(argv[1]) : 10;
  if (!genai_path_supported(GENAI_PATH_AVX512)) {
    fprintf(stderr, "channels_last: this CPU has no AVX-512 path\n");
    return 2;
  }
  // The VAE's forward products of the reference workload (../shared/bench/vae.py), batch 128:
  // enc2, and the input gradients of dec1 and dec2 (forward convolutions of their output gradients).
  compare("enc2", 128, 32, 14, 14, 64, 3, 2, 0, 7, 7, reps);
  compare("dec1 dx", 128, 64, 14, 14, 64, 3, 2, 0, 7, 7, reps);
  compare("dec2 dx", 128, 32, 28, 28, 64, 3, 2, 0, 14, 14, reps);
  return 0;
}
