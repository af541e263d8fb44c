// The GEMM driver: cache blocking, packing of plain operands, splitting into parts, edge tiles.
//
// Loop nest of one part (columns j_lo..j_hi and rows i_lo..i_hi of C):
//
//   for jc in columns, step nc            B block kc x nc   -> L2
//     for pc in 0..<K, step kc            (K split into equal blocks, so sums never depend on M or N)
//       pack B[pc.., jc..]
//       for ir in rows, step MR           A micro-panel MR x kc -> L1, reused across the jr loop
//         pack A[ir.., pc..]
//         for jr in block, step NR        micro-kernel: MR x NR of C in registers
//
// The micro-kernel vectorises along N (C is row-major) and broadcasts A, so the panel it keeps
// in L1 is A's; B streams from L2. Every element of C is the same sequence of fused
// multiply-adds in the same order for any M, N, split or tile position.
#include "gemm_internal.h"

#include <pthread.h>
#include <stdlib.h>
#include <stdio.h>
#include <string.h>

/// Whether full row panels of a row-major A are read in place (1, the default) or packed like
/// any other (0: `GENAI_GEMM_PACK_A=1` at start, or `genai_gemm_set_in_place_a(0)`). Both give
/// the same bits; the switch is for measuring and for the tests that check that.
static int in_place_a = -1;

int genai_gemm_in_place_a_enabled(void) {
  int v = __atomic_load_n(&in_place_a, __ATOMIC_RELAXED);
  if (v < 0) {
    const char *e = getenv("GENAI_GEMM_PACK_A");
    v = e && e[0] == '1' ? 0 : 1;
    __atomic_store_n(&in_place_a, v, __ATOMIC_RELAXED);
  }
  return v;
}

void genai_gemm_set_in_place_a(int enabled) { __atomic_store_n(&in_place_a, enabled ? 1 : 0, __ATOMIC_RELAXED); }

static genai_ukernel ukernel_for(int path) {
  genai_ukernel u = {0, 0, NULL, 0, NULL};
  switch (path) {
  case GENAI_PATH_AVX512: u = genai_ukernel_avx512(); break;
  case GENAI_PATH_AVX2: u = genai_ukernel_avx2(); break;
  case GENAI_PATH_NEON: u = genai_ukernel_neon(); break;
  default: break;
  }
  if (!u.kernel || !genai_path_supported(path)) u = genai_ukernel_portable();
  return u;
}

static long round_down(long x, long to) { return x / to * to; }
static long min_l(long a, long b) { return a < b ? a : b; }
static long max_l(long a, long b) { return a > b ? a : b; }

genai_gemm_blocking genai_gemm_blocking_for(int path) {
  genai_ukernel u = ukernel_for(path);
  genai_gemm_blocking b;
  b.mr = u.mr;
  b.nr = u.nr;
  // A's micro-panel takes up to half of L1; B's block up to half of L2.
  long l1 = genai_cache_size(1), l2 = genai_cache_size(2);
  b.kc = max_l(64, min_l(512, round_down(l1 / 2 / (u.mr * 4), 16)));
  b.nc = max_l(4L * u.nr, round_down(l2 / 2 / (b.kc * 4), u.nr));
  return b;
}

/// Cached blocking per path (computed once; the cache sizes do not change).
static genai_gemm_blocking blocking_cache[GENAI_PATH_COUNT];
static int blocking_ready[GENAI_PATH_COUNT];

static genai_gemm_blocking blocking(int path) {
  if (!__atomic_load_n(&blocking_ready[path], __ATOMIC_ACQUIRE)) {
    blocking_cache[path] = genai_gemm_blocking_for(path);
    __atomic_store_n(&blocking_ready[path], 1, __ATOMIC_RELEASE);
  }
  return blocking_cache[path];
}

/// The K block for a product of depth `k`: K split into equal blocks of at most `kc_max`,
/// rounded up to 8. Depends only on K and the path.
static long k_block(long k, long kc_max) {
  long blocks = (k + kc_max - 1) / kc_max;
  return min_l(kc_max, round_up((k + blocks - 1) / blocks, 8));
}

// MARK: - Per-thread workspace

static pthread_key_t workspace_key;
static pthread_once_t workspace_once = PTHREAD_ONCE_INIT;

enum { SCRATCH_SLOTS = 5 };  // slot 4: the driver's panels; 0-3: genai_thread_scratch

typedef struct {
  void *base[SCRATCH_SLOTS];
  size_t bytes[SCRATCH_SLOTS];
  /// The last freed packed-B buffer of this thread, kept for the next product.
  float *spare;
  size_t spare_bytes;
} workspace;

static void free_workspace(void *p) {
  workspace *w = p;
  for (int i = 0; i < SCRATCH_SLOTS; i++) free(w->base[i]);
  free(w->spare);
  free(w);
}

static void make_workspace_key(void) { pthread_key_create(&workspace_key, free_workspace); }

static workspace *this_workspace(void) {
  pthread_once(&workspace_once, make_workspace_key);
  workspace *w = pthread_getspecific(workspace_key);
  if (!w) {
    w = calloc(1, sizeof *w);
    if (!w) abort();
    pthread_setspecific(workspace_key, w);
  }
  return w;
}

static void *scratch(int slot, size_t bytes) {
  workspace *w = this_workspace();
  if (w->bytes[slot] < bytes) {
    free(w->base[slot]);
    size_t rounded = (bytes + 63) / 64 * 64;
    w->base[slot] = aligned_alloc(64, rounded);
    if (!w->base[slot]) abort();
    w->bytes[slot] = rounded;
  }
  return w->base[slot];
}

void *genai_thread_scratch(int slot, size_t bytes) { return scratch(slot, bytes); }

/// At least `floats` floats, 64-byte aligned, owned by this thread and reused across calls.
static float *thread_workspace(size_t floats) { return scratch(SCRATCH_SLOTS - 1, floats * sizeof(float)); }

// MARK: - Splitting

int genai_gemm_split(const genai_gemm_op *op, long parts, int mr, int nr) {
  if (op->split != 0) return op->split;
  const long mt = (op->m + mr - 1) / mr, nt = (op->n + nr - 1) / nr;
  // Each part packs all of the operand along the dimension it does not split: split columns
  // (every part packs all of A) unless A is the larger operand and there are rows enough.
  return (op->m > op->n && mt >= parts) || nt < parts ? 1 : 2;
}

/// Rows `[*i0, *i1)` and columns `[*j0, *j1)` of part `part` of `parts`.
static void part_range(const genai_gemm_op *op, int mr, int nr, long part, long parts, long *i0, long *i1, long *j0,
                       long *j1) {
  const long nt = (op->n + nr - 1) / nr;
  const int split = genai_gemm_split(op, parts, mr, nr);
  *i0 = 0, *i1 = op->m, *j0 = 0, *j1 = op->n;
  if (parts <= 1) return;
  if (split == 2) {
    long per = (nt + parts - 1) / parts * nr;
    *j0 = min_l(op->n, part * per);
    *j1 = min_l(op->n, *j0 + per);
    if (op->col_align > 1) {
      long units = (op->n + op->col_align - 1) / op->col_align;
      per = (units + parts - 1) / parts * op->col_align;
      *j0 = min_l(op->n, part * per);
      *j1 = min_l(op->n, *j0 + per);
    }
  } else {
    long unit = op->row_align > 1 ? op->row_align : mr;
    long units = (op->m + unit - 1) / unit;
    long per = (units + parts - 1) / parts * unit;
    *i0 = min_l(op->m, part * per);
    *i1 = min_l(op->m, *i0 + per);
  }
}

long genai_gemm_parts(const genai_gemm_op *op, long threads, int path) {
  if (path < 0) path = genai_path_active();
  if (threads <= 1) return 1;
  double flops = 2.0 * (double)op->m * (double)op->n * (double)op->k;
  if (flops < 1.5e6) return 1;  // a dispatch costs about as much as this many FLOPs
  genai_gemm_blocking b = blocking(path);
  long mt = (op->m + b.mr - 1) / b.mr, nt = (op->n + b.nr - 1) / b.nr;
  long units = op->split == 1   ? (op->row_align > 1 ? (op->m + op->row_align - 1) / op->row_align : mt)
               : op->split == 2 ? (op->col_align > 1 ? (op->n + op->col_align - 1) / op->col_align : nt)
                                : max_l(mt, nt);
  // Large products get several parts per thread: the pool hands them out as threads come free,
  // so a thread that started late or runs slower (a busy core) does not hold the others up.
  const long per_thread = flops > 2e8 ? 2 : 1;
  long parts = min_l(threads * per_thread, units);
  return parts < 1 ? 1 : parts;
}

// MARK: - Plain operands

static void plain_pack_a(const genai_gemm_op *op, long i0, long mr, long k0, long kc, int MR, float *dst) {
  const genai_sgemm_args *g = op->ctx;
  const float alpha = g->alpha;
  if (!g->trans_a) {
    // A[i][k] = a[i*lda + k]: a transposing copy.
    genai_transpose_pack(op->path, g->a + i0 * g->lda + k0, g->lda, mr, kc, dst, MR);
    if (alpha != 1)
      for (long k = 0; k < kc; k++)
        for (long i = 0; i < mr; i++) dst[k * MR + i] *= alpha;
  } else {
    // A stored [K, M]: op(A)[i][k] = a[k*lda + i], MR contiguous values per step.
    for (long k = 0; k < kc; k++) {
      const float *src = g->a + (k0 + k) * g->lda + i0;
      float *d = dst + k * MR;
      if (alpha == 1) {
        for (long i = 0; i < mr; i++) d[i] = src[i];
      } else {
        for (long i = 0; i < mr; i++) d[i] = alpha * src[i];
      }
    }
  }
  if (mr < MR)
    for (long k = 0; k < kc; k++)
      for (long i = mr; i < MR; i++) dst[k * MR + i] = 0;
}

/// A stored `[K, M]` (trans_a only), several row panels at once: k outer in groups of 8 rows, so each
/// row of A is read once, front to back, for all panels. Panel by panel, the same rows are read
/// `MR` floats at a time with a stride of `lda`; when that is a multiple of 1024 floats (LSTM
/// gates, 4·512) they share a few cache sets and are evicted before the next panel reads them.
static void plain_pack_a_block(const genai_gemm_op *op, long i0, long rows, long k0, long kc, int MR, float *dst) {
  const genai_sgemm_args *g = op->ctx;
  const long panels = (rows + MR - 1) / MR;
  const float alpha = g->alpha;
  for (long k = 0; k < kc; k += 8) {
    const long kk = min_l(8, kc - k);
    for (long q = 0; q < panels; q++) {
      const long mr = min_l(MR, rows - q * MR);
      float *d = dst + q * MR * kc + k * MR;
      const float *src = g->a + (k0 + k) * g->lda + i0 + q * MR;
      for (long t = 0; t < kk; t++, d += MR, src += g->lda) {
        // A full panel's step at a constant width is a few register moves, not a loop.
        if (alpha == 1 && mr == MR) {
          switch (MR) {
            case 12: memcpy(d, src, 12 * sizeof(float)); continue;
            case 8: memcpy(d, src, 8 * sizeof(float)); continue;
            case 6: memcpy(d, src, 6 * sizeof(float)); continue;
            case 4: memcpy(d, src, 4 * sizeof(float)); continue;
            default: break;
          }
        }
        if (alpha == 1) {
          for (long i = 0; i < mr; i++) d[i] = src[i];
        } else {
          for (long i = 0; i < mr; i++) d[i] = alpha * src[i];
        }
        for (long i = mr; i < MR; i++) d[i] = 0;
      }
    }
  }
}

static void plain_pack_b(const genai_gemm_op *op, long k0, long kc, long j0, long nc, int NR, float *dst) {
  const genai_sgemm_args *g = op->ctx;
  for (long p = 0; p < nc; p += NR) {
    long nr = min_l(NR, nc - p);
    float *d = dst + p * kc;
    if (!g->trans_b) {
      for (long k = 0; k < kc; k++) {
        const float *src = g->b + (k0 + k) * g->ldb + j0 + p;
        float *dk = d + k * NR;
        memcpy(dk, src, (size_t)nr * sizeof(float));
        for (long j = nr; j < NR; j++) dk[j] = 0;
      }
    } else {
      // B stored [N, K]: op(B)[k][j] = b[j*ldb + k], a transposing copy.
      genai_transpose_pack(op->path, g->b + (j0 + p) * g->ldb + k0, g->ldb, nr, kc, d, NR);
      for (long k = 0; k < kc; k++)
        for (long j = nr; j < NR; j++) d[k * NR + j] = 0;
    }
  }
}

// MARK: - Packed B

struct genai_packed_b {
  int path, nr;
  long k, n, kc;
  size_t bytes;
  float *data;  // per K block: ceil(N/NR) panels of kc x NR; block at k0 starts at k0 * round_up(N, NR)
};

genai_packed_b *genai_packed_b_alloc(int path, long k, long n) {
  if (!genai_path_supported(path)) path = GENAI_PATH_PORTABLE;
  const genai_gemm_blocking bl = blocking(path);
  genai_packed_b *p = calloc(1, sizeof *p);
  if (!p) abort();
  p->path = path;
  p->nr = bl.nr;
  p->k = k;
  p->n = n;
  p->kc = k_block(k > 0 ? k : 1, bl.kc);
  const long npad = round_up(n, bl.nr);
  const size_t bytes = (size_t)round_up(max_l(1, k * npad) * (long)sizeof(float), 64);
  // Products on the same thread reuse one buffer (freshly mapped pages cost a fault each).
  workspace *w = this_workspace();
  if (w->spare && w->spare_bytes >= bytes) {
    p->data = w->spare;
    p->bytes = w->spare_bytes;
    w->spare = NULL;
    w->spare_bytes = 0;
  } else {
    p->data = aligned_alloc(64, bytes);
    if (!p->data) abort();
    p->bytes = bytes;
  }
  return p;
}

void genai_packed_b_fill(genai_packed_b *p, int trans_b, const float *b, long ldb, long part, long parts) {
  const long panels = (p->n + p->nr - 1) / p->nr, per = (panels + parts - 1) / parts;
  const long j0 = min_l(p->n, part * per * p->nr), j1 = min_l(p->n, (part + 1) * per * p->nr);
  if (j0 >= j1) return;
  genai_sgemm_args g = {0};
  g.trans_b = trans_b;
  g.k = p->k;
  g.n = p->n;
  g.b = b;
  g.ldb = ldb;
  genai_gemm_op op = {0};
  op.ctx = &g;
  op.path = p->path;
  const long npad = round_up(p->n, p->nr);
  for (long k0 = 0; k0 < p->k; k0 += p->kc) {
    const long kc = min_l(p->kc, p->k - k0);
    plain_pack_b(&op, k0, kc, j0, j1 - j0, p->nr, p->data + k0 * npad + j0 * kc);
  }
}

genai_packed_b *genai_pack_b(int path, int trans_b, long k, long n, const float *b, long ldb) {
  genai_packed_b *p = genai_packed_b_alloc(path, k, n);
  genai_packed_b_fill(p, trans_b, b, ldb, 0, 1);
  return p;
}

void genai_packed_b_free(genai_packed_b *packed) {
  if (!packed) return;
  // Keep the larger of the two buffers for the next product; up to 16 MiB.
  workspace *w = this_workspace();
  if (packed->bytes <= (16u << 20) && packed->bytes > w->spare_bytes) {
    free(w->spare);
    w->spare = packed->data;
    w->spare_bytes = packed->bytes;
  } else {
    free(packed->data);
  }
  free(packed);
}

/// The packed block of `packed_b` for columns `j0 ..< j0+nc` (j0 a multiple of NR).
static const float *plain_packed_block(const genai_gemm_op *op, long k0, long kc, long j0, long nc, int NR) {
  (void)nc;
  const genai_packed_b *p = ((const genai_sgemm_args *)op->ctx)->packed_b;
  if (p->path != op->path || p->nr != NR) {
    fprintf(stderr, "genai: a matrix packed for the %s path was used on the %s path\n", genai_path_name(p->path),
            genai_path_name(op->path));
    abort();
  }
  return p->data + k0 * round_up(p->n, NR) + j0 * kc;
}

void genai_sgemm_op(genai_gemm_op *op, const genai_sgemm_args *args) {
  memset(op, 0, sizeof *op);
  op->m = args->m;
  op->n = args->n;
  op->k = args->k;
  op->pack_a = plain_pack_a;
  // Only a transposed A gains from packing panels in groups (a row-major A's panel is one
  // transposing copy, best packed just before use while it fits in L1).
  op->pack_a_block = args->trans_a ? plain_pack_a_block : NULL;
  op->pack_b = plain_pack_b;
  if (args->packed_b) op->packed_b_block = plain_packed_block;
  op->store = NULL;
  op->c = args->c;
  op->ldc = args->ldc;
  op->beta = args->beta;
  op->ctx = args;
  if (!args->trans_a && args->alpha == 1) {
    op->a_rows = args->a;
    op->lda_rows = args->lda;
  }
}

// MARK: - Driver

static void scale_rows(float *c, long ldc, long i0, long i1, long j0, long j1, float beta) {
  for (long i = i0; i < i1; i++) {
    float *row = c + i * ldc;
    if (beta == 0) {
      memset(row + j0, 0, (size_t)(j1 - j0) * sizeof(float));
    } else {
      for (long j = j0; j < j1; j++) row[j] *= beta;
    }
  }
}

void genai_gemm_run(const genai_gemm_op *op_in, long part, long parts, int path) {
  path = genai_path_usable(path);
  // The packers see the path through their copy of the operation.
  genai_gemm_op local = *op_in;
  local.path = path;
  const genai_gemm_op *op = &local;
  genai_ukernel uk = ukernel_for(path);
  const genai_gemm_blocking bl = blocking(path);
  // Fewer rows per tile when the usual height would pad more than 8% of M (e.g. 32 rows in
  // tiles of 12); every element still gets the same sums, so results do not change.
  if (uk.kernel_alt) {
    const long waste = round_up(op->m, uk.mr) - op->m, waste_alt = round_up(op->m, uk.mr_alt) - op->m;
    if (waste * 100 > op->m * 8 && waste_alt < waste) {
      uk.mr = uk.mr_alt;
      uk.kernel = uk.kernel_alt;
      uk.kernel_rows = uk.kernel_alt_rows;
    }
  }
  // Narrow products read a row-major A in place (full row panels; partial ones are still
  // packed): packing transposes every value of A, which costs as much as the products when N is
  // small, while the strided reads slow the micro-kernel by about an eighth. On a 2-core
  // Sapphire Rapids (AVX-512) char-gpt's step took 5% less CPU time with N ≤ 128 in place and no
  // less with every N; on the AVX2 path of the same machine it made no measurable difference.
  const float *a_rows = uk.kernel_rows && op->n <= 128 && genai_gemm_in_place_a_enabled() ? op->a_rows : NULL;
  const int MR = uk.mr, NR = uk.nr;
  long i_lo, i_hi, j_lo, j_hi;
  part_range(op, MR, NR, part, parts, &i_lo, &i_hi, &j_lo, &j_hi);
  if (i_lo >= i_hi || j_lo >= j_hi) return;

  const int plain = op->store == NULL;
  float beta = op->beta;
  if (op->k == 0) {
    if (plain && beta != 1) scale_rows(op->c, op->ldc, i_lo, i_hi, j_lo, j_hi, beta);
    return;
  }
  if (plain && beta != 0 && beta != 1) {
    scale_rows(op->c, op->ldc, i_lo, i_hi, j_lo, j_hi, beta);
    beta = 1;
  }

  const long kc_max = k_block(op->k, bl.kc);
  const long nc_max = min_l(bl.nc, round_up(j_hi - j_lo, NR));
  // When there are several column blocks, this part's rows of A are packed once for all of
  // them instead of once per block (up to 8 MB of panels): reading packed panels back from L3
  // or memory costs less than packing again (a transposed A is read with a stride). Measured
  // on a 2-core Zen 3 (AVX2): weight-gradient shapes 512x2048x3200 +20%, 3200x2048x512 +18%.
  const long rows = i_hi - i_lo, row_panels = (rows + MR - 1) / MR;
  const int whole_a = !a_rows && (j_hi - j_lo) > nc_max && row_panels * MR * op->k <= (2L << 20);
  // Otherwise panels are packed just before use, a group of `group` at a time where the
  // operation packs blocks (`pack_a_block`: a transposed A reads each of its rows once per
  // group instead of once per panel).
  const long group = op->pack_a_block && !a_rows ? 8 : 1;
  const long a_floats = whole_a ? row_panels * MR * op->k : group * MR * kc_max;
  float *ws = thread_workspace((size_t)(a_floats + kc_max * nc_max + MR * NR + 16 * 3));
  float *ap_all = ws;
  float *bp = ap_all + round_up(a_floats, 16);
  float *tile = bp + round_up(kc_max * nc_max, 16);
  if (whole_a) {
    // Panel (pc block, row panel) at pc·panels·MR + panel·MR·kc: the layout the loop reads.
    for (long pc = 0; pc < op->k; pc += kc_max) {
      const long kc = min_l(kc_max, op->k - pc);
      float *block = ap_all + pc * row_panels * MR;
      if (op->pack_a_block) {
        op->pack_a_block(op, i_lo, rows, pc, kc, MR, block);
      } else {
        for (long ir = i_lo, q = 0; ir < i_hi; ir += MR, q++)
          op->pack_a(op, ir, min_l(MR, i_hi - ir), pc, kc, MR, block + q * MR * kc);
      }
    }
  }

  for (long jc = j_lo; jc < j_hi; jc += nc_max) {
    const long nc = min_l(nc_max, j_hi - jc);
    if (op->columns) op->columns(op, jc, nc, NR);
    for (long pc = 0; pc < op->k; pc += kc_max) {
      const long kc = min_l(kc_max, op->k - pc);
      const int first = pc == 0;
      const float *bblock = bp;
      if (op->packed_b_block) {
        bblock = op->packed_b_block(op, pc, kc, jc, nc, NR);
      } else {
        op->pack_b(op, pc, kc, jc, nc, NR, bp);
      }
      for (long ir = i_lo, q = 0; ir < i_hi; ir += MR, q++) {
        const long mr = min_l(MR, i_hi - ir);
        const float *ap = ap_all;
        // In place: this panel's rows of A, from column pc.
        const float *ar = a_rows && mr == MR ? a_rows + ir * op->lda_rows + pc : NULL;
        if (ar) {
          ap = NULL;
        } else if (whole_a) {
          ap = ap_all + pc * row_panels * MR + q * MR * kc;
        } else if (group > 1) {
          if (q % group == 0) op->pack_a_block(op, ir, min_l(group * MR, i_hi - ir), pc, kc, MR, ap_all);
          ap = ap_all + (q % group) * MR * kc;
        } else {
          op->pack_a(op, ir, mr, pc, kc, MR, ap_all);
        }
#define MICRO_KERNEL(cc, ldcc, acc) \
  (ar ? uk.kernel_rows(kc, ar, op->lda_rows, b, cc, ldcc, acc) : uk.kernel(kc, ap, b, cc, ldcc, acc))
        for (long jr = 0; jr < nc; jr += NR) {
          const long nr = min_l(NR, nc - jr);
          const float *b = bblock + jr * kc;
          if (plain) {
            float *c = op->c + ir * op->ldc + jc + jr;
            const int assign = first && beta == 0;
            if (mr == MR && nr == NR) {
              MICRO_KERNEL(c, op->ldc, !assign);
            } else {
              MICRO_KERNEL(tile, NR, 0);
              for (long i = 0; i < mr; i++) {
                float *crow = c + i * op->ldc;
                const float *t = tile + i * NR;
                if (assign) {
                  for (long j = 0; j < nr; j++) crow[j] = t[j];
                } else {
                  for (long j = 0; j < nr; j++) crow[j] += t[j];
                }
              }
            }
          } else {
            MICRO_KERNEL(tile, NR, 0);
            op->store(op, ir, mr, jc + jr, nr, tile, NR, first);
          }
        }
#undef MICRO_KERNEL
      }
    }
  }
}
