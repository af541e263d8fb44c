// A plain-C check of the CGenAIKernels target against double-precision references, for every
// code path this CPU (and this build) supports: the plain SGEMM (`genai_sgemm_op`), the three
// convolution products, the direct convolution (`genai_conv_direct_*`, forward and stride-1
// transposed) and the channels-last products (`genai_conv_nhwc_*`). Built and run by
// Scripts/check-kernels.sh, natively and, cross-compiled for aarch64, under qemu (the only way to
// run the NEON micro-kernel on an x86-64 machine).
//
//   kernel_check [--seed N] [--path NAME]... [--require NAME[,NAME...]] [--verbose]
//
// --path limits the run to the named paths; --require fails (exit 2) when a named path is not
// supported here, so a build that lost a path cannot pass by skipping it. Exit status: 0 all
// checks passed, 1 a mismatch (each printed with its case), 2 bad usage or a required path missing.
//
// Tolerance. Every output element is a sum of `t` float products (plus a scaled start value or a
// bias); in float arithmetic its error is at most about t·u·Σ|terms| (u = 2^-24) whatever the
// order of the sum. An element passes when
//
//   |got − ref| <= (t + 4) · FLT_EPSILON · Σ|terms|      (FLT_EPSILON = 2u)
//
// with `ref` and `Σ|terms|` computed in double. That is about twice the worst case, far above
// what a correct kernel reaches (about a quarter of it at worst, in the shortest sums), and far below what a lost, doubled or
// misplaced term gives. NaN or infinity where the reference is finite always fails.
//
// Beyond the values: memory around every output (row padding of C, guards before and after) is
// filled with a marker and must come back unchanged; `beta = 0` and the assigning stores run over
// NaN-filled outputs (a kernel that reads them shows NaN); padding of the inputs' leading
// dimensions is NaN (a packer that reads it shows NaN); the plain products must give the same
// bits for any number of parts and for one row alone (the driver's documented promise).
#include "CGenAIKernels.h"

#include <float.h>
#include <math.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

// MARK: - Utilities

static uint64_t rng_state;

static uint64_t next_u64(void) {  // splitmix64
  uint64_t z = (rng_state += 0x9E3779B97F4A7C15ull);
  z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ull;
  z = (z ^ (z >> 27)) * 0x94D049BB133111EBull;
  return z ^ (z >> 31);
}

/// Uniform in `lo ... hi` (inclusive).
static long rand_int(long lo, long hi) { return lo + (long)(next_u64() % (uint64_t)(hi - lo + 1)); }
/// Uniform in [-1, 1).
static float rand_float(void) { return (float)((double)(next_u64() >> 40) / (double)(1ull << 23) - 1.0); }

static void *xmalloc(size_t bytes) {
  void *p = calloc(1, bytes ? bytes : 1);
  if (!p) {
    fprintf(stderr, "kernel_check: out of memory (%zu bytes)\n", bytes);
    exit(2);
  }
  return p;
}

static float quiet_nan(void) { return nanf(""); }

/// The marker in the memory around outputs: a NaN with a payload nothing computes.
static float marker(void) {
  const uint32_t bits = 0x7FC0BEEFu;
  float f;
  memcpy(&f, &bits, sizeof f);
  return f;
}

static int same_bits(float a, float b) { return memcmp(&a, &b, sizeof a) == 0; }

static double now_s(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return (double)ts.tv_sec + 1e-9 * (double)ts.tv_nsec;
}

enum { GUARD = 37, MAX_REPORTS = 6 };

static int verbose;
static long total_checks, total_failures;

/// Per path: cases run and the largest |got − ref| / bound seen.
static long path_cases;
static double path_worst;
static char path_worst_case[400];

/// Prints a failure header (once per case) and counts it.
static void fail(const char *desc, const char *fmt, ...) {
  fprintf(stderr, "FAIL %s\n     ", desc);
  va_list ap;
  va_start(ap, fmt);
  vfprintf(stderr, fmt, ap);
  va_end(ap);
  fputc('\n', stderr);
}

/// A buffer of `count` floats with `GUARD` marker floats on either side.
typedef struct {
  float *base;
  float *p;
  long count;
} guarded;

static guarded guarded_alloc(long count) {
  guarded g;
  g.count = count;
  g.base = xmalloc(sizeof(float) * (size_t)(count + 2 * GUARD));
  g.p = g.base + GUARD;
  const float m = marker();
  for (long i = 0; i < count + 2 * GUARD; i++) g.base[i] = m;
  return g;
}

/// 0 when a guard was overwritten (reported).
static int guards_intact(const guarded *g, const char *desc) {
  const float m = marker();
  for (long i = 0; i < GUARD; i++) {
    if (!same_bits(g->base[i], m)) {
      fail(desc, "wrote %ld floats before the output", GUARD - i);
      return 0;
    }
    if (!same_bits(g->p[g->count + i], m)) {
      fail(desc, "wrote %ld floats past the end of the output", i + 1);
      return 0;
    }
  }
  return 1;
}

/// Compares `got[i]` (at `got[i*stride_row...]` through `index`) against `ref[i]` within
/// `bound[i]`; `dims`/`names` decode a flat index into coordinates for the report.
typedef struct {
  int rank;
  long dims[4];
  const char *names[4];
} layout;

static void decode(const layout *l, long idx, char *buf, size_t n) {
  long coord[4];
  for (int d = l->rank - 1; d >= 0; d--) {
    coord[d] = idx % l->dims[d];
    idx /= l->dims[d];
  }
  size_t at = 0;
  for (int d = 0; d < l->rank && at < n; d++)
    at += (size_t)snprintf(buf + at, n - at, "%s%s=%ld", d ? " " : "", l->names[d], coord[d]);
}

static int check_values(const char *desc, const layout *l, const float *got, const double *ref, const double *bound,
                        long count) {
  int bad = 0;
  double worst = 0;
  for (long i = 0; i < count; i++) {
    const double err = fabs((double)got[i] - ref[i]);
    const int ok = err <= bound[i];  // false for NaN
    if (ok) {
      const double ratio = bound[i] > 0 ? err / bound[i] : 0;
      if (ratio > worst) worst = ratio;
      continue;
    }
    if (bad == 0) fail(desc, "values outside the tolerance:");
    if (bad < MAX_REPORTS) {
      char where[96];
      decode(l, i, where, sizeof where);
      fprintf(stderr, "       [%s] got %.9g, want %.9g (|err| %.3g, bound %.3g)\n", where, (double)got[i], ref[i], err,
              bound[i]);
    }
    bad++;
  }
  if (bad > MAX_REPORTS) fprintf(stderr, "       ... %d of %ld elements wrong\n", bad, count);
  if (worst > path_worst) {
    path_worst = worst;
    snprintf(path_worst_case, sizeof path_worst_case, "%s", desc);
  }
  return bad == 0;
}

/// Records the outcome of one case.
static void record(int ok) {
  total_checks++;
  path_cases++;
  if (!ok) total_failures++;
}

/// 1 when `got` has the bits of `one` (the result in one part) everywhere, else reports the first
/// difference and returns 0.
static int same_as_one_part(const char *desc, const float *got, const float *one, long count) {
  for (long i = 0; i < count; i++)
    if (!same_bits(one[i], got[i])) {
      fail(desc, "differs from the one-part result at flat index %ld: %.9g vs %.9g", i, (double)got[i], (double)one[i]);
      return 0;
    }
  return 1;
}

static double tol_for(long terms, double mag) { return (double)(terms + 4) * FLT_EPSILON * mag; }

// MARK: - Running an operation in parts

enum { RUN_IN_ORDER = 0, RUN_REVERSED = 1, RUN_THREADS = 2 };
static const char *const mode_names[] = {"in-order", "reversed", "threads"};

typedef struct {
  const genai_gemm_op *op;
  long parts, first, step;
  int path;
} worker_arg;

static void *worker(void *p) {
  const worker_arg *w = p;
  for (long part = w->first; part < w->parts; part += w->step) genai_gemm_run(w->op, part, w->parts, w->path);
  return NULL;
}

/// Runs all `parts` of `op` on `path`: in order, in reverse order, or on up to 3 threads at once.
static void run_op(const genai_gemm_op *op, long parts, int path, int mode) {
  if (mode == RUN_THREADS && parts > 1) {
    enum { T = 3 };
    pthread_t th[T];
    worker_arg args[T];
    const long threads = parts < T ? parts : T;
    for (long t = 0; t < threads; t++) {
      args[t] = (worker_arg){op, parts, t, threads, path};
      if (pthread_create(&th[t], NULL, worker, &args[t]) != 0) {
        fprintf(stderr, "kernel_check: pthread_create failed\n");
        exit(2);
      }
    }
    for (long t = 0; t < threads; t++) pthread_join(th[t], NULL);
  } else if (mode == RUN_REVERSED) {
    for (long part = parts - 1; part >= 0; part--) genai_gemm_run(op, part, parts, path);
  } else {
    for (long part = 0; part < parts; part++) genai_gemm_run(op, part, parts, path);
  }
}

static long random_parts(void) {
  static const long choices[] = {1, 1, 2, 3, 4, 7, 16};
  return choices[rand_int(0, (long)(sizeof choices / sizeof choices[0]) - 1)];
}

/// Runs `worker` on each of the `parts` items (`size` bytes apart from `items`, at most 16): in
/// order, reversed, or each on its own thread (as the pool runs the parts of a product).
static void run_parts(void *(*worker)(void *), void *items, size_t size, long parts, int mode) {
  pthread_t th[16];
  for (long i = 0; i < parts; i++) {
    const long at = mode == RUN_REVERSED ? parts - 1 - i : i;
    void *item = (char *)items + (size_t)at * size;
    if (mode == RUN_THREADS) {
      if (pthread_create(&th[at], NULL, worker, item) != 0) exit(2);
    } else {
      worker(item);
    }
  }
  if (mode == RUN_THREADS)
    for (long i = 0; i < parts; i++) pthread_join(th[i], NULL);
}

// MARK: - SGEMM

typedef struct {
  int trans_a, trans_b;
  long m, n, k;
  float alpha, beta;
  long pad_a, pad_b, pad_c;
  long parts;
  int split;  // op->split: 0 chooses, 1 rows, 2 columns
  int mode;
} sgemm_case;

static void sgemm_describe(const sgemm_case *t, int path, char *buf, size_t n) {
  snprintf(buf, n,
           "sgemm path=%s trans_a=%d trans_b=%d m=%ld n=%ld k=%ld alpha=%g beta=%g pad_a=%ld pad_b=%ld pad_c=%ld "
           "parts=%ld split=%d %s",
           genai_path_name(path), t->trans_a, t->trans_b, t->m, t->n, t->k, (double)t->alpha, (double)t->beta, t->pad_a,
           t->pad_b, t->pad_c, t->parts, t->split, mode_names[t->mode]);
}

/// Fills a `rows x cols` matrix with leading dimension `ld`: values in [-1, 1), padding NaN.
static float *random_matrix(long rows, long cols, long ld) {
  float *m = xmalloc(sizeof(float) * (size_t)(rows * ld));
  for (long r = 0; r < rows; r++)
    for (long c = 0; c < ld; c++) m[r * ld + c] = c < cols ? rand_float() : quiet_nan();
  return m;
}

static void run_sgemm(const genai_sgemm_args *g, long parts, int split, int path, int mode) {
  genai_gemm_op op;
  genai_sgemm_op(&op, g);
  op.split = split;
  run_op(&op, parts, path, mode);
}

static void sgemm_check(const sgemm_case *t, int path) {
  char desc[400];
  sgemm_describe(t, path, desc, sizeof desc);
  if (verbose) printf("  %s\n", desc);
  const long m = t->m, n = t->n, k = t->k;
  // Stored shapes: A [m, k] or [k, m]; B [k, n] or [n, k]; C [m, n].
  const long a_rows = t->trans_a ? k : m, a_cols = t->trans_a ? m : k;
  const long b_rows = t->trans_b ? n : k, b_cols = t->trans_b ? k : n;
  const long lda = (a_cols > 0 ? a_cols : 1) + t->pad_a, ldb = (b_cols > 0 ? b_cols : 1) + t->pad_b;
  const long ldc = (n > 0 ? n : 1) + t->pad_c;
  float *a = random_matrix(a_rows, a_cols, lda);
  float *b = random_matrix(b_rows, b_cols, ldb);
  guarded c = guarded_alloc(m * ldc);
  float *c0 = xmalloc(sizeof(float) * (size_t)(m * n + 1));
  for (long i = 0; i < m * n; i++) c0[i] = t->beta == 0 ? quiet_nan() : rand_float();
  for (long i = 0; i < m; i++) memcpy(c.p + i * ldc, c0 + i * n, sizeof(float) * (size_t)n);

  genai_sgemm_args g = {t->trans_a, t->trans_b, m, n, k, t->alpha, t->beta, a, lda, b, ldb, c.p, ldc};
  run_sgemm(&g, t->parts, t->split, path, t->mode);

  int ok = guards_intact(&c, desc);
  // Row padding of C: untouched.
  const float mk = marker();
  for (long i = 0; i < m && ok; i++)
    for (long j = n; j < ldc; j++)
      if (!same_bits(c.p[i * ldc + j], mk)) {
        fail(desc, "wrote C's row padding at row %ld column %ld", i, j);
        ok = 0;
        break;
      }

  // Reference.
  double *ref = xmalloc(sizeof(double) * (size_t)(m * n + 1));
  double *bound = xmalloc(sizeof(double) * (size_t)(m * n + 1));
  float *got = xmalloc(sizeof(float) * (size_t)(m * n + 1));
  for (long i = 0; i < m; i++)
    for (long j = 0; j < n; j++) {
      double s = 0, mag = 0;
      for (long p = 0; p < k; p++) {
        const double av = t->trans_a ? a[p * lda + i] : a[i * lda + p];
        const double bv = t->trans_b ? b[j * ldb + p] : b[p * ldb + j];
        s += av * bv;
        mag += fabs(av * bv);
      }
      double r = (double)t->alpha * s;
      mag *= fabs((double)t->alpha);
      if (t->beta != 0) {
        r += (double)t->beta * c0[i * n + j];
        mag += fabs((double)t->beta * c0[i * n + j]);
      }
      ref[i * n + j] = r;
      bound[i * n + j] = tol_for(k, mag);
      got[i * n + j] = c.p[i * ldc + j];
    }
  layout l = {2, {m, n}, {"i", "j"}};
  if (ok) ok = check_values(desc, &l, got, ref, bound, m * n);

  // Same bits in one part, and for one row alone.
  if (ok && m > 0 && n > 0) {
    float *c1 = xmalloc(sizeof(float) * (size_t)(m * n));
    memcpy(c1, c0, sizeof(float) * (size_t)(m * n));
    genai_sgemm_args g1 = g;
    g1.c = c1;
    g1.ldc = n;
    if (t->parts > 1) {
      run_sgemm(&g1, 1, 0, path, RUN_IN_ORDER);
      for (long i = 0; i < m * n && ok; i++)
        if (!same_bits(c1[i], got[i])) {
          fail(desc, "differs from the one-part result at i=%ld j=%ld: %.9g vs %.9g", i / n, i % n, (double)got[i],
               (double)c1[i]);
          ok = 0;
        }
    }
    const long row = rand_int(0, m - 1);
    memcpy(c1, c0 + row * n, sizeof(float) * (size_t)n);
    g1.m = 1;
    g1.a = t->trans_a ? a + row : a + row * lda;
    run_sgemm(&g1, 1, 0, path, RUN_IN_ORDER);
    for (long j = 0; j < n && ok; j++)
      if (!same_bits(c1[j], got[row * n + j])) {
        fail(desc, "row %ld alone differs from the batch at j=%ld: %.9g vs %.9g", row, j, (double)c1[j],
             (double)got[row * n + j]);
        ok = 0;
      }
    free(c1);
  }
  record(ok);
  free(a);
  free(b);
  free(c.base);
  free(c0);
  free(ref);
  free(bound);
  free(got);
}

static float random_alpha(void) {
  static const float v[] = {1, 1, -1.5f, 0.37f, 2, 0};
  return v[rand_int(0, 5)];
}

static float random_beta(void) {
  static const float v[] = {0, 0, 1, -0.5f, 2.25f};
  return v[rand_int(0, 4)];
}

static sgemm_case random_sgemm(long m, long n, long k) {
  sgemm_case t;
  t.trans_a = (int)rand_int(0, 1);
  t.trans_b = (int)rand_int(0, 1);
  t.m = m, t.n = n, t.k = k;
  t.alpha = random_alpha();
  t.beta = random_beta();
  t.pad_a = rand_int(0, 2) ? 0 : rand_int(1, 9);
  t.pad_b = rand_int(0, 2) ? 0 : rand_int(1, 9);
  t.pad_c = rand_int(0, 2) ? 0 : rand_int(1, 9);
  t.parts = random_parts();
  t.split = (int)rand_int(0, 2);
  t.mode = (int)rand_int(0, 2);
  return t;
}

static void sgemm_suite(int path) {
  const genai_gemm_blocking bl = genai_gemm_blocking_for(path);
  const long MR = bl.mr, NR = bl.nr;
  // Sizes around the tile edges, every transpose pair.
  const long ms[] = {1, 2, MR - 1, MR, MR + 1, 2 * MR + 3};
  const long ns[] = {1, 3, NR - 1, NR, NR + 1, 2 * NR + 5};
  const long ks[] = {0, 1, 2, 7, 17};
  for (int ta = 0; ta < 2; ta++)
    for (int tb = 0; tb < 2; tb++)
      for (size_t im = 0; im < sizeof ms / sizeof ms[0]; im++)
        for (size_t in = 0; in < sizeof ns / sizeof ns[0]; in++)
          for (size_t ik = 0; ik < sizeof ks / sizeof ks[0]; ik++) {
            if (ms[im] < 1 || ns[in] < 1) continue;
            sgemm_case t = random_sgemm(ms[im], ns[in], ks[ik]);
            t.trans_a = ta, t.trans_b = tb;
            sgemm_check(&t, path);
          }
  // Empty products: nothing written.
  static const long empty[][3] = {{0, 6, 4}, {5, 0, 4}, {0, 0, 0}};
  for (int e = 0; e < 3; e++) {
    sgemm_case t = random_sgemm(empty[e][0], empty[e][1], empty[e][2]);
    sgemm_check(&t, path);
  }
  // Random odd and prime sizes.
  static const long primes[] = {1, 2, 3, 5, 7, 11, 13, 17, 19, 23, 29, 31, 37, 41, 43, 47, 53, 59, 61, 67, 71, 97};
  const long np = (long)(sizeof primes / sizeof primes[0]);
  for (int r = 0; r < 120; r++) {
    const long m = rand_int(0, 1) ? primes[rand_int(0, np - 1)] : rand_int(1, 70);
    const long n = rand_int(0, 1) ? primes[rand_int(0, np - 1)] : rand_int(1, 90);
    const long k = rand_int(0, 1) ? primes[rand_int(0, np - 1)] : rand_int(1, 120);
    sgemm_case t = random_sgemm(m, n, k);
    sgemm_check(&t, path);
  }
  // Several K blocks (first / later blocks) and several column blocks of the cache blocking.
  const long big_k[] = {bl.kc + 1, 2 * bl.kc + 3};
  for (int ta = 0; ta < 2; ta++)
    for (int tb = 0; tb < 2; tb++)
      for (int bk = 0; bk < 2; bk++) {
        sgemm_case t = random_sgemm(rand_int(1, 2 * MR + 1), bl.nc + rand_int(1, 2 * NR), big_k[bk]);
        t.trans_a = ta, t.trans_b = tb;
        if (ta == 0 && tb == 0) t.beta = 0;
        if (ta == 1 && tb == 1) t.beta = 1;
        sgemm_check(&t, path);
      }
}

// MARK: - Convolutions

typedef struct {
  genai_conv_shape s;
  long pb, pr;  // bottom and right padding (only the output size shows them)
  int bias;
  long parts;
  int mode;
} conv_case;

static void conv_describe(const conv_case *t, int path, const char *op, char *buf, size_t n) {
  const genai_conv_shape *s = &t->s;
  snprintf(buf, n,
           "%s path=%s n=%ld c=%ld h=%ld w=%ld o=%ld oh=%ld ow=%ld kh=%ld kw=%ld stride=%ldx%ld dilation=%ldx%ld "
           "pad(t,b,l,r)=%ld,%ld,%ld,%ld bias=%d parts=%ld %s",
           op, genai_path_name(path), s->n, s->c, s->h, s->w, s->o, s->oh, s->ow, s->kh, s->kw, s->sh, s->sw, s->dh,
           s->dw, s->pt, t->pb, s->pl, t->pr, t->bias, t->parts, mode_names[t->mode]);
}

static long conv_out(long in, long k, long stride, long dil, long p0, long p1) {
  const long span = in + p0 + p1 - dil * (k - 1) - 1;
  return span < 0 ? 0 : span / stride + 1;
}

/// Fills `t->s.oh/ow` from the input size and pads; 0 when the output would be empty.
static int conv_finish(conv_case *t) {
  genai_conv_shape *s = &t->s;
  s->oh = conv_out(s->h, s->kh, s->sh, s->dh, s->pt, t->pb);
  s->ow = conv_out(s->w, s->kw, s->sw, s->dw, s->pl, t->pr);
  return s->oh > 0 && s->ow > 0;
}

static float *random_vector(long count) {
  float *v = xmalloc(sizeof(float) * (size_t)(count + 1));
  for (long i = 0; i < count; i++) v[i] = rand_float();
  return v;
}

/// Input pixel of output `(oy, ox)` and kernel tap `(ky, kx)`, or 0 when it lies in the padding.
static int tap(const genai_conv_shape *s, long oy, long ox, long ky, long kx, long *iy, long *ix) {
  *iy = oy * s->sh - s->pt + ky * s->dh;
  *ix = ox * s->sw - s->pl + kx * s->dw;
  return *iy >= 0 && *iy < s->h && *ix >= 0 && *ix < s->w;
}

static int conv_check(const conv_case *t, int path) {
  const genai_conv_shape *s = &t->s;
  const long N = s->n, C = s->c, H = s->h, W = s->w, O = s->o, OH = s->oh, OW = s->ow, KH = s->kh, KW = s->kw;
  const long xs = N * C * H * W, ys = N * O * OH * OW, ws = O * C * KH * KW;
  float *x = random_vector(xs), *y = random_vector(ys), *w = random_vector(ws);
  float *bias_o = random_vector(O);
  int all_ok = 1;
  char desc[400];

  // Forward: y = conv(x, w) + bias, over a NaN-filled output.
  {
    conv_describe(t, path, "conv_forward", desc, sizeof desc);
    if (verbose) printf("  %s\n", desc);
    guarded out = guarded_alloc(ys);
    for (long i = 0; i < ys; i++) out.p[i] = quiet_nan();
    genai_conv_ctx ctx = {*s, x, NULL, w, t->bias ? bias_o : NULL, out.p};
    genai_gemm_op op;
    genai_conv_forward_op(&op, &ctx);
    run_op(&op, t->parts, path, t->mode);
    double *ref = xmalloc(sizeof(double) * (size_t)ys), *bound = xmalloc(sizeof(double) * (size_t)ys);
    for (long n = 0; n < N; n++)
      for (long o = 0; o < O; o++)
        for (long oy = 0; oy < OH; oy++)
          for (long ox = 0; ox < OW; ox++) {
            double sum = t->bias ? bias_o[o] : 0, mag = fabs(sum);
            for (long c = 0; c < C; c++)
              for (long ky = 0; ky < KH; ky++)
                for (long kx = 0; kx < KW; kx++) {
                  long iy, ix;
                  if (!tap(s, oy, ox, ky, kx, &iy, &ix)) continue;
                  const double v = (double)w[((o * C + c) * KH + ky) * KW + kx] * x[((n * C + c) * H + iy) * W + ix];
                  sum += v;
                  mag += fabs(v);
                }
            const long at = ((n * O + o) * OH + oy) * OW + ox;
            ref[at] = sum;
            bound[at] = tol_for(C * KH * KW, mag);
          }
    layout l = {4, {N, O, OH, OW}, {"n", "o", "oy", "ox"}};
    int ok = guards_intact(&out, desc) && check_values(desc, &l, out.p, ref, bound, ys);
    if (ok && t->parts > 1) {  // the same bits in one part
      guarded one = guarded_alloc(ys);
      ctx.out = one.p;
      genai_conv_forward_op(&op, &ctx);
      run_op(&op, 1, path, RUN_IN_ORDER);
      ok = same_as_one_part(desc, out.p, one.p, ys);
      free(one.base);
    }
    record(ok);
    all_ok &= ok;
    free(out.base);
    free(ref);
    free(bound);
  }

  // Transposed: x_out = x0 + convᵀ(y, w), the output holding x0 beforehand.
  {
    conv_describe(t, path, "conv_transpose", desc, sizeof desc);
    if (verbose) printf("  %s\n", desc);
    guarded out = guarded_alloc(xs);
    float *x0 = random_vector(xs);
    memcpy(out.p, x0, sizeof(float) * (size_t)xs);
    genai_conv_ctx ctx = {*s, NULL, y, w, NULL, out.p};
    genai_gemm_op op;
    genai_conv_transpose_op(&op, &ctx);
    run_op(&op, t->parts, path, t->mode);
    double *ref = xmalloc(sizeof(double) * (size_t)xs), *mag = xmalloc(sizeof(double) * (size_t)xs);
    long *terms = xmalloc(sizeof(long) * (size_t)(xs + 1));
    for (long i = 0; i < xs; i++) ref[i] = x0[i], mag[i] = fabs((double)x0[i]), terms[i] = 0;
    for (long n = 0; n < N; n++)
      for (long o = 0; o < O; o++)
        for (long oy = 0; oy < OH; oy++)
          for (long ox = 0; ox < OW; ox++) {
            const double yv = y[((n * O + o) * OH + oy) * OW + ox];
            for (long c = 0; c < C; c++)
              for (long ky = 0; ky < KH; ky++)
                for (long kx = 0; kx < KW; kx++) {
                  long iy, ix;
                  if (!tap(s, oy, ox, ky, kx, &iy, &ix)) continue;
                  const long at = ((n * C + c) * H + iy) * W + ix;
                  const double v = (double)w[((o * C + c) * KH + ky) * KW + kx] * yv;
                  ref[at] += v;
                  mag[at] += fabs(v);
                  terms[at]++;
                }
          }
    for (long i = 0; i < xs; i++) mag[i] = tol_for(terms[i], mag[i]);
    layout l = {4, {N, C, H, W}, {"n", "c", "iy", "ix"}};
    const int ok = guards_intact(&out, desc) && check_values(desc, &l, out.p, ref, mag, xs);
    record(ok);
    all_ok &= ok;
    free(out.base);
    free(x0);
    free(ref);
    free(mag);
    free(terms);
  }

  // Weight gradient: dW = Σ y ⊗ im2col(x), over a NaN-filled output.
  {
    conv_describe(t, path, "conv_weight_grad", desc, sizeof desc);
    if (verbose) printf("  %s\n", desc);
    guarded out = guarded_alloc(ws);
    for (long i = 0; i < ws; i++) out.p[i] = quiet_nan();
    genai_conv_ctx ctx = {*s, x, y, NULL, NULL, out.p};
    genai_gemm_op op;
    genai_conv_weight_grad_op(&op, &ctx);
    run_op(&op, t->parts, path, t->mode);
    double *ref = xmalloc(sizeof(double) * (size_t)ws), *bound = xmalloc(sizeof(double) * (size_t)ws);
    for (long o = 0; o < O; o++)
      for (long c = 0; c < C; c++)
        for (long ky = 0; ky < KH; ky++)
          for (long kx = 0; kx < KW; kx++) {
            double sum = 0, mag = 0;
            for (long n = 0; n < N; n++)
              for (long oy = 0; oy < OH; oy++)
                for (long ox = 0; ox < OW; ox++) {
                  long iy, ix;
                  if (!tap(s, oy, ox, ky, kx, &iy, &ix)) continue;
                  const double v = (double)y[((n * O + o) * OH + oy) * OW + ox] * x[((n * C + c) * H + iy) * W + ix];
                  sum += v;
                  mag += fabs(v);
                }
            const long at = ((o * C + c) * KH + ky) * KW + kx;
            ref[at] = sum;
            bound[at] = tol_for(N * OH * OW, mag);
          }
    layout l = {4, {O, C, KH, KW}, {"o", "c", "ky", "kx"}};
    int ok = guards_intact(&out, desc) && check_values(desc, &l, out.p, ref, bound, ws);
    if (ok && t->parts > 1) {
      guarded one = guarded_alloc(ws);
      ctx.out = one.p;
      genai_conv_weight_grad_op(&op, &ctx);
      run_op(&op, 1, path, RUN_IN_ORDER);
      ok = same_as_one_part(desc, out.p, one.p, ws);
      free(one.base);
    }
    record(ok);
    all_ok &= ok;
    free(out.base);
    free(ref);
    free(bound);
  }

  free(x);
  free(y);
  free(w);
  free(bias_o);
  return all_ok;
}

static conv_case random_conv(void) {
  for (;;) {
    conv_case t;
    memset(&t, 0, sizeof t);
    genai_conv_shape *s = &t.s;
    s->n = rand_int(1, 3);
    s->c = rand_int(1, 6);
    s->o = rand_int(1, 14);
    s->h = rand_int(1, 12);
    s->w = rand_int(1, 12);
    s->kh = rand_int(1, 4);
    s->kw = rand_int(1, 4);
    s->sh = rand_int(1, 3);
    s->sw = rand_int(1, 3);
    s->dh = rand_int(0, 2) ? 1 : rand_int(2, 3);
    s->dw = rand_int(0, 2) ? 1 : rand_int(2, 3);
    s->pt = rand_int(0, 3);
    t.pb = rand_int(0, 3);
    s->pl = rand_int(0, 3);
    t.pr = rand_int(0, 3);
    t.bias = (int)rand_int(0, 1);
    t.parts = random_parts();
    t.mode = (int)rand_int(0, 2);
    if (conv_finish(&t)) return t;
  }
}

static void conv_suite(int path) {
  const genai_gemm_blocking bl = genai_gemm_blocking_for(path);
  // Smallest shapes: 1x1 everything, and a kernel as large as the padded image.
  {
    conv_case t;
    memset(&t, 0, sizeof t);
    t.s = (genai_conv_shape){1, 1, 1, 1, 1, 0, 0, 1, 1, 1, 1, 1, 1, 0, 0};
    t.parts = 1;
    conv_finish(&t);
    conv_check(&t, path);
    t.s = (genai_conv_shape){2, 3, 3, 4, 5, 0, 0, 5, 6, 1, 1, 1, 1, 1, 1};
    t.pb = 1, t.pr = 1, t.bias = 1, t.parts = 3, t.mode = RUN_THREADS;
    conv_finish(&t);
    conv_check(&t, path);
  }
  for (int r = 0; r < 150; r++) {
    conv_case t = random_conv();
    conv_check(&t, path);
  }
  // Several K blocks and column blocks: forward K = C·KH·KW > kc and N·OH·OW > nc; transposed
  // K = O > kc; weight gradient K = N·OH·OW > kc and N = C·KH·KW > nc.
  {
    conv_case t;
    memset(&t, 0, sizeof t);
    long side = 4;
    while (2 * side * side <= bl.nc + bl.nr) side++;
    const long c = (bl.nc > bl.kc ? bl.nc : bl.kc) / 9 + 2;
    t.s = (genai_conv_shape){2, c, side + 1, side, bl.mr + 3, 0, 0, 3, 3, 1, 1, 1, 1, 1, 1};
    t.pb = 0, t.pr = 1, t.bias = 1, t.parts = 4, t.mode = RUN_THREADS;
    conv_finish(&t);
    conv_check(&t, path);
    t.s = (genai_conv_shape){2, c, 2 * side, 2 * side + 1, 5, 0, 0, 3, 2, 2, 2, 2, 1, 2, 0};
    t.pb = 1, t.pr = 3, t.bias = 0, t.parts = 3, t.mode = RUN_REVERSED;
    conv_finish(&t);
    conv_check(&t, path);
    t.s = (genai_conv_shape){2, 2, 7, 6, bl.kc + 5, 0, 0, 3, 3, 2, 1, 1, 2, 1, 2};
    t.pb = 0, t.pr = 1, t.bias = 1, t.parts = 2, t.mode = RUN_THREADS;
    conv_finish(&t);
    conv_check(&t, path);
    t.s = (genai_conv_shape){1, 1, 9, 8, bl.kc + 9, 0, 0, 2, 3, 1, 2, 2, 1, 0, 1};
    t.pb = 2, t.pr = 0, t.bias = 0, t.parts = 7, t.mode = RUN_IN_ORDER;
    conv_finish(&t);
    conv_check(&t, path);
  }
}

// MARK: - Direct convolutions

typedef struct {
  const genai_conv_shape *s;
  const float *xp, *wp, *bias;
  float *y;
  long p0, p1;
  int path;
} direct_part;

static void *direct_worker(void *p) {
  const direct_part *d = p;
  genai_conv_direct_tiles(d->path, d->s, d->xp, d->wp, d->bias, d->p0, d->p1, d->y, d->s->o);
  return NULL;
}

static long round_up64(long bytes) { return (bytes + 63) / 64 * 64; }

/// `out` `[N, O, OH, OW]` = the direct product of `s` on `path`: the pixels split into `parts`
/// ranges run in order, reversed, or each on its own thread (as the pool runs them). Returns 0
/// when it wrote outside its buffers (reported).
static int run_direct(const genai_conv_shape *s, const float *x, const float *w, int flipped, const float *bias,
                      long parts, int mode, int path, float *out) {
  const long nr = genai_conv_direct_nr(path), panels = (s->o + nr - 1) / nr, k = s->kh * s->kw * s->c;
  const long hp = genai_conv_direct_padded_height(s), wp = genai_conv_direct_padded_width(s);
  const long pixels = s->n * s->oh * s->ow;
  float *packed = aligned_alloc(64, (size_t)round_up64(panels * k * nr * (long)sizeof(float)));
  guarded padded = guarded_alloc(s->n * hp * wp * s->c);
  guarded nhwc = guarded_alloc(pixels * s->o);
  if (!packed) exit(2);
  for (long q = panels - 1; q >= 0; q--) genai_conv_direct_pack_weights(path, s, w, flipped, q, q + 1, packed);
  genai_conv_direct_pad_input(path, s, x, 0, s->n, padded.p);
  if (parts > pixels) parts = pixels;
  direct_part d[16];
  for (long i = 0; i < parts; i++)
    d[i] = (direct_part){s, padded.p, packed, bias, nhwc.p, pixels * i / parts, pixels * (i + 1) / parts, path};
  run_parts(direct_worker, d, sizeof d[0], parts, mode);
  const int ok = guards_intact(&padded, "direct: padded input") && guards_intact(&nhwc, "direct: channels-last output");
  genai_conv_direct_to_nchw(path, s, nhwc.p, s->o, 0, s->n, out);
  free(packed);
  free(padded.base);
  free(nhwc.base);
  return ok;
}

/// The direct product against the Double reference: forward (`flipped` 0), or a stride-1
/// transposed product run as a forward one (`flipped` 1; `t->s` is then the transposed product's
/// own geometry, x side out).
static void direct_check(const conv_case *t, int flipped, int path) {
  const genai_conv_shape *g = &t->s;
  // The product run: for a transposed one, y side in (O channels), x side out (C channels).
  genai_conv_shape s = *g;
  if (flipped)
    s = (genai_conv_shape){g->n, g->o, g->oh, g->ow, g->c, g->h, g->w, g->kh, g->kw, 1, 1, 1, 1,
                           g->kh - 1 - g->pt, g->kw - 1 - g->pl};
  const long ins = s.n * s.c * s.h * s.w, outs = s.n * s.o * s.oh * s.ow;
  const long ws = g->o * g->c * g->kh * g->kw;
  float *in = random_vector(ins), *w = random_vector(ws), *bias = random_vector(s.o);
  char desc[400];
  conv_describe(t, path, flipped ? "direct_transpose" : "direct_forward", desc, sizeof desc);
  if (verbose) printf("  %s\n", desc);
  guarded out = guarded_alloc(outs);
  for (long i = 0; i < outs; i++) out.p[i] = quiet_nan();
  const int wrote_inside = run_direct(&s, in, w, flipped, t->bias ? bias : NULL, t->parts, t->mode, path, out.p);
  double *ref = xmalloc(sizeof(double) * (size_t)outs), *bound = xmalloc(sizeof(double) * (size_t)outs);
  const long C = g->c, O = g->o, KH = g->kh, KW = g->kw;
  for (long n = 0; n < s.n; n++)
    for (long j = 0; j < s.o; j++)
      for (long a = 0; a < s.oh; a++)
        for (long b = 0; b < s.ow; b++) {
          double sum = t->bias ? bias[j] : 0, mag = fabs(sum);
          long terms = 0;
          for (long i = 0; i < s.c; i++)
            for (long ky = 0; ky < KH; ky++)
              for (long kx = 0; kx < KW; kx++) {
                double v;
                if (!flipped) {  // y[n,j,a,b] += w[j,i,ky,kx] · x[n, i, a·sh − pt + ky, b·sw − pl + kx]
                  long iy, ix;
                  if (!tap(g, a, b, ky, kx, &iy, &ix)) continue;
                  v = (double)w[((j * C + i) * KH + ky) * KW + kx] * in[((n * C + i) * g->h + iy) * g->w + ix];
                } else {  // x'[n,j,a,b] += w[i,j,ky,kx] · y[n, i, oy, ox] where a = oy − pt + ky
                  const long oy = a + g->pt - ky, ox = b + g->pl - kx;
                  if (oy < 0 || oy >= g->oh || ox < 0 || ox >= g->ow) continue;
                  v = (double)w[((i * C + j) * KH + ky) * KW + kx] * in[((n * O + i) * g->oh + oy) * g->ow + ox];
                }
                sum += v;
                mag += fabs(v);
                terms++;
              }
          const long at = ((n * s.o + j) * s.oh + a) * s.ow + b;
          ref[at] = sum;
          bound[at] = tol_for(terms, mag);
        }
  layout l = {4, {s.n, s.o, s.oh, s.ow}, {"n", "c", "y", "x"}};
  int ok = wrote_inside && guards_intact(&out, desc) && check_values(desc, &l, out.p, ref, bound, outs);
  if (ok && t->parts > 1) {  // the same bits in one part
    guarded one = guarded_alloc(outs);
    ok = run_direct(&s, in, w, flipped, t->bias ? bias : NULL, 1, RUN_IN_ORDER, path, one.p) &&
         same_as_one_part(desc, out.p, one.p, outs);
    free(one.base);
  }
  record(ok);
  free(out.base);
  free(ref);
  free(bound);
  free(in);
  free(w);
  free(bias);
}

/// Random geometries with dilation 1: channels up to 40 (partial weight panels and tiles on
/// every path), kernels up to 5, pads that may exceed the kernel (negative direct pads when
/// transposed), trailing pads down to −2.
static void direct_suite(int path) {
  for (int r = 0; r < 60; r++) {
    conv_case t;
    for (;;) {
      memset(&t, 0, sizeof t);
      genai_conv_shape *s = &t.s;
      s->n = rand_int(1, 3);
      s->c = rand_int(1, 40);
      s->o = rand_int(1, 40);
      s->h = rand_int(1, 10);
      s->w = rand_int(1, 10);
      s->kh = rand_int(1, 5);
      s->kw = rand_int(1, 5);
      const int transposed = r % 2;
      s->sh = transposed ? 1 : rand_int(1, 3);
      s->sw = transposed ? 1 : rand_int(1, 3);
      s->dh = s->dw = 1;
      s->pt = rand_int(0, 6);
      s->pl = rand_int(0, 6);
      t.pb = rand_int(-2, 3);
      t.pr = rand_int(-2, 3);
      t.bias = (int)rand_int(0, 1);
      t.parts = random_parts();
      t.mode = (int)rand_int(0, 2);
      if (s->h + s->pt + t.pb >= s->kh && s->w + s->pl + t.pr >= s->kw && conv_finish(&t)) break;
    }
    direct_check(&t, r % 2, path);
  }
}

// MARK: - One input channel

typedef struct {
  const genai_conv_shape *s;
  const float *in, *w, *bias;
  float *out;
  long n0, n1;
  int path, transposed;
} single_part;

static void *single_worker(void *p) {
  const single_part *d = p;
  if (d->transposed) {
    genai_conv_single_transpose(d->path, d->s, d->in, d->w, d->bias, d->n0, d->n1, d->out);
  } else {
    genai_conv_single_forward(d->path, d->s, d->in, d->w, d->bias, d->n0, d->n1, d->out);
  }
  return NULL;
}

/// The forward (`in` = x) or transposed (`in` = y) single-channel product of `s` into `out`, its
/// images split into `parts` ranges run in order, reversed, or each on its own thread.
static void run_single(const genai_conv_shape *s, int transposed, const float *in, const float *w, const float *bias,
                       long parts, int mode, int path, float *out) {
  if (parts > s->n) parts = s->n;
  single_part d[16];
  for (long i = 0; i < parts; i++)
    d[i] = (single_part){s, in, w, bias, out, s->n * i / parts, s->n * (i + 1) / parts, path, transposed};
  run_parts(single_worker, d, sizeof d[0], parts, mode);
}

/// The three single-channel products (conv_single.c) of `t` against Double references, over
/// NaN-filled guarded outputs; split products must give the bits of one part.
static void single_check(const conv_case *t, int path) {
  const genai_conv_shape *s = &t->s;
  const long N = s->n, H = s->h, W = s->w, O = s->o, OH = s->oh, OW = s->ow, KK = s->kh * s->kw;
  const long xs = N * H * W, ys = N * O * OH * OW, ws = O * KK;
  float *x = random_vector(xs), *y = random_vector(ys), *w = random_vector(ws), *bias = random_vector(O);
  static const char *ops[3] = {"single_forward", "single_transpose", "single_weight_grad"};
  for (int op = 0; op < 3; op++) {
    char desc[400];
    conv_describe(t, path, ops[op], desc, sizeof desc);
    if (verbose) printf("  %s\n", desc);
    const long outs = op == 0 ? ys : op == 1 ? xs : ws;
    const float *b = t->bias ? bias : NULL;
    guarded out = guarded_alloc(outs);
    for (long i = 0; i < outs; i++) out.p[i] = quiet_nan();
    if (op == 2) {
      genai_conv_single_weight_grad(path, s, x, y, out.p);
    } else {
      run_single(s, op, op == 0 ? x : y, w, b, t->parts, t->mode, path, out.p);
    }
    double *ref = xmalloc(sizeof(double) * (size_t)outs), *mag = xmalloc(sizeof(double) * (size_t)outs);
    long *terms = xmalloc(sizeof(long) * (size_t)outs);
    for (long i = 0; i < outs; i++) {
      const double b0 = op == 0 && b ? b[(i / (OH * OW)) % O] : op == 1 && b ? b[0] : 0;
      ref[i] = b0, mag[i] = fabs(b0), terms[i] = 0;
    }
    // Every term w[o,t] · x[n, tap t of (oy, ox)] · y[n, o, oy, ox] lands in one element of each.
    for (long n = 0; n < N; n++)
      for (long o = 0; o < O; o++)
        for (long oy = 0; oy < OH; oy++)
          for (long ox = 0; ox < OW; ox++)
            for (long ky = 0; ky < s->kh; ky++)
              for (long kx = 0; kx < s->kw; kx++) {
                long iy, ix;
                if (!tap(s, oy, ox, ky, kx, &iy, &ix)) continue;
                const long xi = (n * H + iy) * W + ix, yi = ((n * O + o) * OH + oy) * OW + ox, wi = o * KK + ky * s->kw + kx;
                const long at = op == 0 ? yi : op == 1 ? xi : wi;
                const double v = op == 0 ? (double)w[wi] * x[xi] : op == 1 ? (double)w[wi] * y[yi] : (double)y[yi] * x[xi];
                ref[at] += v, mag[at] += fabs(v), terms[at]++;
              }
    double *bound = xmalloc(sizeof(double) * (size_t)outs);
    for (long i = 0; i < outs; i++) bound[i] = tol_for(terms[i] + 1, mag[i]);
    layout l = op == 0   ? (layout){4, {N, O, OH, OW}, {"n", "o", "oy", "ox"}}
               : op == 1 ? (layout){3, {N, H, W}, {"n", "y", "x"}}
                         : (layout){2, {O, KK}, {"o", "tap"}};
    int ok = guards_intact(&out, desc) && check_values(desc, &l, out.p, ref, bound, outs);
    if (ok && op < 2 && t->parts > 1) {
      guarded one = guarded_alloc(outs);
      run_single(s, op, op == 0 ? x : y, w, b, 1, RUN_IN_ORDER, path, one.p);
      ok = same_as_one_part(desc, out.p, one.p, outs);
      free(one.base);
    }
    record(ok);
    free(out.base);
    free(ref);
    free(mag);
    free(terms);
    free(bound);
  }
  free(x);
  free(y);
  free(w);
  free(bias);
}

/// Random one-channel geometries within `genai_conv_single_applies` (up to 16 taps): strides
/// 1-3, dilations 1-2, outputs 1-40 (partial blocks of 4 and 2), planes up to 60x60 (columns in
/// chunks past 2048 pixels), trailing pads down to −2.
static void single_suite(int path) {
  for (int r = 0; r < 40; r++) {
    conv_case t;
    for (;;) {
      memset(&t, 0, sizeof t);
      genai_conv_shape *s = &t.s;
      s->n = rand_int(1, 4);
      s->c = 1;
      s->o = rand_int(1, 40);
      s->h = r % 8 == 0 ? rand_int(46, 60) : rand_int(1, 20);
      s->w = r % 8 == 0 ? rand_int(46, 60) : rand_int(1, 20);
      s->kh = rand_int(1, 4);
      s->kw = rand_int(1, 4);
      s->sh = r % 8 == 0 ? 1 : rand_int(1, 3);
      s->sw = r % 8 == 0 ? 1 : rand_int(1, 3);
      s->dh = rand_int(1, 2);
      s->dw = rand_int(1, 2);
      s->pt = rand_int(0, 3);
      s->pl = rand_int(0, 3);
      t.pb = rand_int(-2, 3);
      t.pr = rand_int(-2, 3);
      t.bias = (int)rand_int(0, 1);
      t.parts = random_parts();
      t.mode = (int)rand_int(0, 2);
      if (conv_finish(&t) && genai_conv_single_applies(s)) break;
    }
    single_check(&t, path);
  }
}

// MARK: - Channels last

typedef struct {
  const genai_conv_shape *s;
  const float *in, *wp, *bias;
  float *out;
  long a, b, p0, p1;  // phase (transposed only) and pixel range
  int path, transposed;
} nhwc_part;

static void *nhwc_worker(void *p) {
  const nhwc_part *d = p;
  if (d->transposed) {
    genai_conv_nhwc_transpose_phase(d->path, d->s, d->a, d->b, d->in, d->wp, d->bias, d->p0, d->p1, d->out);
  } else {
    genai_conv_nhwc_forward(d->path, d->s, d->in, d->wp, d->bias, d->p0, d->p1, d->out);
  }
  return NULL;
}

/// The forward (`in` = x `[N, H, W, C]`) or transposed (`in` = y `[N, OH, OW, O]`, phase by
/// phase) channels-last product of `s` into `out`, each product's pixels split into `parts`
/// ranges run in order, reversed, or each on its own thread.
static void run_nhwc(const genai_conv_shape *s, int transposed, const float *in, const float *w, const float *bias,
                     long parts, int mode, int path, float *out) {
  const long nr = genai_conv_direct_nr(path);
  const long outputs = transposed ? s->c : s->o, inputs = transposed ? s->o : s->c;
  // The tiles load packed weights aligned, as the direct product's are.
  float *wp = aligned_alloc(
      64, (size_t)round_up64((genai_conv_nhwc_packed_size(path, outputs, s->kh * s->kw * inputs) + 1) * (long)sizeof(float)));
  if (!wp) exit(2);
  const long phases_h = transposed ? s->sh : 1, phases_w = transposed ? s->sw : 1;
  for (long a = 0; a < phases_h; a++)
    for (long b = 0; b < phases_w; b++) {
      const long pixels = transposed ? genai_conv_nhwc_phase_pixels(s, a, b) : s->n * s->oh * s->ow;
      if (pixels == 0) continue;
      // Panels packed last to first, as the pool may pack them.
      for (long q = (outputs + nr - 1) / nr - 1; q >= 0; q--) {
        if (transposed) {
          genai_conv_nhwc_pack_phase_weights(path, s, a, b, w, q, q + 1, wp);
        } else {
          genai_conv_nhwc_pack_weights(path, s, w, q, q + 1, wp);
        }
      }
      const long n = parts < pixels ? parts : pixels;
      nhwc_part d[16];
      for (long i = 0; i < n; i++)
        d[i] = (nhwc_part){s, in, wp, bias, out, a, b, pixels * i / n, pixels * (i + 1) / n, path, transposed};
      run_parts(nhwc_worker, d, sizeof d[0], n, mode);
    }
  free(wp);
}

/// The three channels-last products (conv_nhwc.c) of `t` against Double references, over
/// NaN-filled guarded outputs (every output element must be written); split products must give
/// the bits of one part.
static void nhwc_check(const conv_case *t, int path) {
  const genai_conv_shape *s = &t->s;
  const long N = s->n, C = s->c, H = s->h, W = s->w, O = s->o, OH = s->oh, OW = s->ow, KH = s->kh, KW = s->kw;
  const long xs = N * H * W * C, ys = N * OH * OW * O, ws = O * C * KH * KW;
  float *x = random_vector(xs), *y = random_vector(ys), *w = random_vector(ws);
  float *bias_o = random_vector(O), *bias_c = random_vector(C);
  static const char *ops[3] = {"nhwc_forward", "nhwc_transpose", "nhwc_weight_grad"};
  for (int op = 0; op < 3; op++) {
    char desc[400];
    conv_describe(t, path, ops[op], desc, sizeof desc);
    if (verbose) printf("  %s\n", desc);
    const long outs = op == 0 ? ys : op == 1 ? xs : ws;
    const float *b = !t->bias ? NULL : op == 0 ? bias_o : bias_c;
    guarded out = guarded_alloc(outs);
    for (long i = 0; i < outs; i++) out.p[i] = quiet_nan();
    if (op == 2) {
      const genai_conv_ctx ctx = {*s, x, y, NULL, NULL, out.p};
      genai_conv_nhwc_weight_grad_run(&ctx, path);
    } else {
      run_nhwc(s, op, op == 0 ? x : y, w, b, t->parts, t->mode, path, out.p);
    }
    double *ref = xmalloc(sizeof(double) * (size_t)outs), *mag = xmalloc(sizeof(double) * (size_t)outs);
    long *terms = xmalloc(sizeof(long) * (size_t)outs);
    for (long i = 0; i < outs; i++) {
      const double b0 = op == 0 && b ? b[i % O] : op == 1 && b ? b[i % C] : 0;
      ref[i] = b0, mag[i] = fabs(b0), terms[i] = 0;
    }
    for (long n = 0; n < N; n++)
      for (long oy = 0; oy < OH; oy++)
        for (long ox = 0; ox < OW; ox++)
          for (long ky = 0; ky < KH; ky++)
            for (long kx = 0; kx < KW; kx++) {
              long iy, ix;
              if (!tap(s, oy, ox, ky, kx, &iy, &ix)) continue;
              for (long o = 0; o < O; o++)
                for (long c = 0; c < C; c++) {
                  const long xi = ((n * H + iy) * W + ix) * C + c, yi = ((n * OH + oy) * OW + ox) * O + o;
                  const long wi = ((o * C + c) * KH + ky) * KW + kx;
                  const long at = op == 0 ? yi : op == 1 ? xi : wi;
                  const double v =
                      op == 0 ? (double)w[wi] * x[xi] : op == 1 ? (double)w[wi] * y[yi] : (double)y[yi] * x[xi];
                  ref[at] += v, mag[at] += fabs(v), terms[at]++;
                }
            }
    double *bound = xmalloc(sizeof(double) * (size_t)outs);
    for (long i = 0; i < outs; i++) bound[i] = tol_for(terms[i] + 1, mag[i]);
    layout l = op == 0   ? (layout){4, {N, OH, OW, O}, {"n", "oy", "ox", "o"}}
               : op == 1 ? (layout){4, {N, H, W, C}, {"n", "y", "x", "c"}}
                         : (layout){4, {O, C, KH, KW}, {"o", "c", "ky", "kx"}};
    int ok = guards_intact(&out, desc) && check_values(desc, &l, out.p, ref, bound, outs);
    if (ok && op < 2 && t->parts > 1) {
      guarded one = guarded_alloc(outs);
      run_nhwc(s, op, op == 0 ? x : y, w, b, 1, RUN_IN_ORDER, path, one.p);
      ok = same_as_one_part(desc, out.p, one.p, outs);
      free(one.base);
    }
    record(ok);
    free(out.base);
    free(ref);
    free(mag);
    free(terms);
    free(bound);
  }
  free(x);
  free(y);
  free(w);
  free(bias_o);
  free(bias_c);
}

/// Random channels-last geometries: channels 1-40 on each side (the narrow loop below 8
/// outputs, the direct tiles with partial panels above), strides 1-3 (up to 9 output phases,
/// some with no tap), dilations 1-2, pads that may exceed the kernel, trailing pads down to −2.
static void nhwc_suite(int path) {
  for (int r = 0; r < 50; r++) {
    conv_case t;
    for (;;) {
      memset(&t, 0, sizeof t);
      genai_conv_shape *s = &t.s;
      s->n = rand_int(1, 3);
      s->c = rand_int(1, 40);
      s->o = rand_int(1, 40);
      s->h = rand_int(1, 10);
      s->w = rand_int(1, 10);
      s->kh = rand_int(1, 4);
      s->kw = rand_int(1, 4);
      s->sh = rand_int(1, 3);
      s->sw = rand_int(1, 3);
      s->dh = rand_int(1, 2);
      s->dw = rand_int(1, 2);
      s->pt = rand_int(0, 4);
      s->pl = rand_int(0, 4);
      t.pb = rand_int(-2, 3);
      t.pr = rand_int(-2, 3);
      t.bias = (int)rand_int(0, 1);
      t.parts = random_parts();
      t.mode = (int)rand_int(0, 2);
      if (conv_finish(&t)) break;
    }
    nhwc_check(&t, path);
  }
}

// MARK: - Main

static int usage(void) {
  fprintf(stderr, "usage: kernel_check [--seed N] [--path NAME]... [--require NAME[,NAME...]] [--verbose]\n");
  return 2;
}

static int path_by_name(const char *name) {
  for (int p = 0; p < GENAI_PATH_COUNT; p++)
    if (strcmp(name, genai_path_name(p)) == 0) return p;
  return -1;
}

int main(int argc, char **argv) {
  uint64_t seed = 20250101;
  int only[GENAI_PATH_COUNT] = {0}, any_only = 0;
  for (int i = 1; i < argc; i++) {
    if (strcmp(argv[i], "--seed") == 0 && i + 1 < argc) {
      seed = strtoull(argv[++i], NULL, 0);
    } else if (strcmp(argv[i], "--verbose") == 0) {
      verbose = 1;
    } else if ((strcmp(argv[i], "--path") == 0 || strcmp(argv[i], "--require") == 0) && i + 1 < argc) {
      const int require = strcmp(argv[i], "--require") == 0;
      char *list = argv[++i];
      for (char *name = strtok(list, ","); name; name = strtok(NULL, ",")) {
        const int p = path_by_name(name);
        if (p < 0) {
          fprintf(stderr, "kernel_check: unknown path '%s' (portable, avx2, avx512, neon)\n", name);
          return 2;
        }
        if (require && !genai_path_supported(p)) {
          fprintf(stderr, "kernel_check: required path '%s' is not supported by this CPU or build\n", name);
          return 2;
        }
        if (!require) only[p] = 1, any_only = 1;
      }
    } else {
      return usage();
    }
  }

#if defined(__aarch64__)
  const char *arch = "aarch64";
#elif defined(__x86_64__)
  const char *arch = "x86_64";
#else
  const char *arch = "other";
#endif
  printf("kernel_check: %s, seed %llu, caches L1 %ldK L2 %ldK\n", arch, (unsigned long long)seed,
         genai_cache_size(1) >> 10, genai_cache_size(2) >> 10);
  const double t_start = now_s();
  int ran = 0;
  for (int p = 0; p < GENAI_PATH_COUNT; p++) {
    if (any_only && !only[p]) continue;
    if (!genai_path_supported(p)) {
      printf("  %-8s not supported here, skipped\n", genai_path_name(p));
      continue;
    }
    ran++;
    rng_state = seed;  // every path sees the same cases
    path_cases = 0;
    path_worst = 0;
    path_worst_case[0] = 0;
    const long failures_before = total_failures;
    const double t0 = now_s();
    const genai_gemm_blocking bl = genai_gemm_blocking_for(p);
    sgemm_suite(p);
    conv_suite(p);
    direct_suite(p);
    single_suite(p);
    nhwc_suite(p);
    printf("  %-8s %s: %ld cases, %ld failed, tile %dx%d kc %ld nc %ld, worst |err|/bound %.2e, %.2fs\n",
           genai_path_name(p), total_failures == failures_before ? "ok" : "FAILED", path_cases,
           total_failures - failures_before, bl.mr, bl.nr, bl.kc, bl.nc, path_worst, now_s() - t0);
    if (verbose && path_worst_case[0]) printf("           worst case: %s\n", path_worst_case);
    fflush(stdout);
  }
  if (ran == 0) {
    fprintf(stderr, "kernel_check: no path selected\n");
    return 2;
  }
  printf("kernel_check: %s: %ld cases, %ld failed (%.2fs)\n", total_failures ? "FAILED" : "passed", total_checks,
         total_failures, now_s() - t_start);
  return total_failures ? 1 : 0;
}
