// In-process A/B timing of the three convolution products: the working tree's packers and
// stores (Sources/CGenAIKernels) against those of an older commit, compiled into the same binary
// with their symbols renamed `old_*` (Benchmarks/conv_ab/run.sh does that).
//
// Why in one process: on a shared 2-core VM, two runs of the same binary a minute apart differ by
// 10-50% (other tenants, page placement), far more than a packer change is worth. Here both
// versions run alternately on the same buffers, one thread, and each keeps its fastest time, so
// what is left is the difference between them. Unchanged products read 0.98-1.02: that is the
// noise floor.
//
// Shapes: the convolutions of the `vae` and `dcgan` reference workloads (../shared/bench), as
// "x side -> y side" geometries; `fwd` is the forward product (im2col packer), `convT` the
// transposed one (col2im store), `wgrad` the weight gradient (a quarter of the batch, times 4).
#include "CGenAIKernels.h"

#include <stdio.h>
#include <stdlib.h>
#include <time.h>

void old_conv_forward_op(genai_gemm_op *op, const genai_conv_ctx *ctx);
void old_conv_transpose_op(genai_gemm_op *op, const genai_conv_ctx *ctx);
void old_conv_weight_grad_op(genai_gemm_op *op, const genai_conv_ctx *ctx);

typedef void (*make_op)(genai_gemm_op *, const genai_conv_ctx *);

static double now(void) {
  struct timespec t;
  clock_gettime(CLOCK_MONOTONIC, &t);
  return (double)t.tv_sec + (double)t.tv_nsec * 1e-9;
}

static float *random_floats(long n) {
  float *p = aligned_alloc(64, (size_t)((n * 4 + 63) / 64 * 64));
  if (!p) abort();
  for (long i = 0; i < n; i++) p[i] = (float)(rand() % 1000) / 1000.0f - 0.5f;
  return p;
}

static double seconds(make_op make, const genai_conv_ctx *ctx) {
  // Zeroed first: an older version's `make` may not know (and so not clear) the newest fields.
  genai_gemm_op op = {0};
  make(&op, ctx);
  const double t = now();
  genai_gemm_run(&op, 0, 1, -1);
  return now() - t;
}

static double max_difference(const float *a, const float *b, long n) {
  double m = 0;
  for (long i = 0; i < n; i++) {
    const double d = a[i] > b[i] ? a[i] - b[i] : b[i] - a[i];
    if (d > m) m = d;
  }
  return m;
}

/// Times both versions of the three products of a `same`-padded k x k convolution of stride `s`
/// from `[n, c, h, w]` to `[n, o, ceil(h/s), ceil(w/s)]`, `reps` times each, alternating.
static void compare(const char *name, long n, long c, long h, long w, long o, long k, long s, int reps) {
  genai_conv_shape sh = {0};
  sh.n = n, sh.c = c, sh.h = h, sh.w = w, sh.o = o, sh.kh = k, sh.kw = k, sh.sh = s, sh.sw = s, sh.dh = 1, sh.dw = 1;
  sh.oh = (h + s - 1) / s, sh.ow = (w + s - 1) / s;
  const long pad = (sh.oh - 1) * s + k - h;
  sh.pt = pad > 0 ? pad / 2 : 0, sh.pl = sh.pt;
  const long xs = n * c * h * w, ys = n * o * sh.oh * sh.ow, ws = o * c * k * k;
  float *x = random_floats(xs), *y = random_floats(ys), *wt = random_floats(ws), *bias = random_floats(o);
  float *out[2][3];
  for (int v = 0; v < 2; v++) {
    out[v][0] = random_floats(ys);
    out[v][1] = calloc((size_t)xs, sizeof(float));
    out[v][2] = random_floats(ws);
  }
  genai_conv_shape quarter = sh;
  quarter.n = n / 4 > 0 ? n / 4 : 1;
  genai_conv_ctx ctx[2][3];
  const make_op makes[2][3] = {{genai_conv_forward_op, genai_conv_transpose_op, genai_conv_weight_grad_op},
                               {old_conv_forward_op, old_conv_transpose_op, old_conv_weight_grad_op}};
  for (int v = 0; v < 2; v++) {
    ctx[v][0] = (genai_conv_ctx){sh, x, NULL, wt, bias, out[v][0]};
    ctx[v][1] = (genai_conv_ctx){sh, NULL, y, wt, NULL, out[v][1]};
    ctx[v][2] = (genai_conv_ctx){quarter, x, y, NULL, NULL, out[v][2]};
  }
  double best[2][3];
  for (int v = 0; v < 2; v++)
    for (int p = 0; p < 3; p++) best[v][p] = 1e30;
  for (int r = 0; r < reps; r++)
    for (int z = 0; z < 2; z++) {
      const int v = z ^ (r & 1);  // which version goes first alternates
      for (int p = 0; p < 3; p++) {
        const double t = seconds(makes[v][p], &ctx[v][p]);
        if (t < best[v][p]) best[v][p] = t;
      }
    }
  const char *labels[3] = {"fwd", "convT", "wgrad"};
  const double scale[3] = {1e3, 1e3, 4e3};
  printf("%-8s", name);
  for (int p = 0; p < 3; p++)
    printf(" | %s %7.2f ms, old %7.2f (old/new %.3f)", labels[p], best[0][p] * scale[p], best[1][p] * scale[p],
           best[1][p] / best[0][p]);
  // The forward product and the weight gradient overwrite their output, so both versions must
  // agree up to rounding; the transposed product accumulates over the repetitions.
  printf(" | max diff %.1e\n", max_difference(out[0][0], out[1][0], ys) + max_difference(out[0][2], out[1][2], ws));
}

int main(int argc, char **argv) {
  const int reps = argc > 1 ? atoi(argv[1]) : 30;
  printf("path %s, %d repetitions, one thread; times are the fastest of each\n", genai_path_name(genai_path_active()),
         reps);
  compare("vae.enc1", 128, 1, 28, 28, 32, 3, 2, reps);
  compare("vae.enc2", 128, 32, 14, 14, 64, 3, 2, reps);
  compare("vae.dec1", 128, 64, 14, 14, 64, 3, 2, reps);
  compare("vae.dec2", 128, 32, 28, 28, 64, 3, 2, reps);
  compare("vae.dec3", 128, 1, 28, 28, 32, 3, 1, reps);
  compare("D.conv1", 64, 1, 28, 28, 64, 5, 2, reps);
  compare("D.conv2", 64, 64, 14, 14, 128, 5, 2, (reps + 1) / 2);
  compare("G.convT1", 64, 128, 7, 7, 128, 5, 1, (reps + 1) / 2);
  compare("G.convT3", 64, 1, 28, 28, 64, 5, 2, reps);
  return 0;
}
