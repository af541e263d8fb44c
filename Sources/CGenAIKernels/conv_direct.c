// Direct convolution on a channels-last copy of the input: an indirect GEMM with no im2col.
//
// The implicit GEMM of conv.c keeps NCHW and packs im2col columns for every product, which for
// 32-128 channels costs about as much as the multiply-adds. Here the input is copied once into a
// zero-padded `[N, Hp, Wp, C]` image, so a window tap of a pixel is `C` contiguous floats at a
// fixed offset from the pixel's window origin. The micro-kernel takes MR output pixels (each
// one's input row at every tap as a pointer, `genai_conv_direct_run`) and NR output channels of
// the packed weight, and runs K = taps·C multiply-adds per element straight from the image:
// nothing is packed per product but the weight. The result is written channels-last and
// transposed back to NCHW per image. Channels-last products (conv_nhwc.c) run the same tiles on
// their unpadded input, each tile running only the taps that land inside it (pixels grouped by those).
//
// On a 2-core Sapphire Rapids (AVX-512), one core, conversions included, the DCGAN's 5x5
// products over 64-128 channels ran 1.10-1.82x the implicit GEMM's speed; the VAE's 3x3 ones
// over 32-64 channels ran 0.66-1.10x, so only deep products come here (DirectConvolution.swift).
#include "gemm_internal.h"

#include <string.h>

static long min_l(long a, long b) { return a < b ? a : b; }

/// Rows of the micro-tile per path: 12 x 32 (AVX-512, 24 ZMM accumulators), 6 x 16 (AVX2, 12
/// YMM), 4 x 8 (portable: SSE2 or NEON).
#define DIRECT_MR(vn) ((vn) == 16 ? 12 : (vn) == 8 ? 6 : 4)

// The portable tile, 4 pixels x 8 outputs on 4-lane vectors (SSE2 on x86-64, NEON on arm64):
// `y[r][0 ..< 8] = bias + Σ_t Σ_c rows[t·stride + r][c] · w[t·C + c][·]`. Every element gets its
// sums in the same order (taps, then channels) on every path, whatever the tile, part or thread,
// so the result does not depend on the thread count.
typedef float direct_vf4 __attribute__((vector_size(16)));

static void conv_direct_tile_portable_4x8(const float *const *rows, long stride, long taps, long C,
                                          const float *const *wt, float *restrict y, long ldy, const float *bias) {
  direct_vf4 acc0[4] = {{0}}, acc1[4] = {{0}};
  for (long t = 0; t < taps; t++) {
    const float *const *p = rows + t * stride;
    const float *restrict w = wt[t];
    const float *a[4] = {p[0], p[1], p[2], p[3]};
    for (long c = 0; c < C; c++) {
      const direct_vf4 b0 = *(const direct_vf4 *)w, b1 = *(const direct_vf4 *)(w + 4);
      w += 8;
      for (int r = 0; r < 4; r++) {
        const direct_vf4 ar = (direct_vf4){0} + a[r][c];
        acc0[r] = acc0[r] + ar * b0;
        acc1[r] = acc1[r] + ar * b1;
      }
    }
  }
  direct_vf4 bias0 = {0}, bias1 = {0};
  if (bias) {
    memcpy(&bias0, bias, sizeof bias0);
    memcpy(&bias1, bias + 4, sizeof bias1);
  }
  for (int r = 0; r < 4; r++) {
    const direct_vf4 v0 = acc0[r] + bias0, v1 = acc1[r] + bias1;
    memcpy(y + r * ldy, &v0, sizeof v0);
    memcpy(y + r * ldy + 4, &v1, sizeof v1);
  }
}

/// A tile: `rows[t·stride + r]` is pixel r's input (C floats) at tap t, `wt[t]` the packed
/// weight's C x nr block for that tap.
typedef void (*direct_tile_fn)(const float *const *, long, long, long, const float *const *, float *, long,
                               const float *);

static int direct_lanes(int path) {
#if defined(__x86_64__)
  if (path == GENAI_PATH_AVX512) return 16;
  if (path == GENAI_PATH_AVX2) return 8;
#endif
  (void)path;
  return 4;
}

#if defined(__x86_64__)
#include <immintrin.h>

// The AVX-512 tile, 12 pixels x 32 outputs, written out with a named pointer per row: a generic
// vector-extension body had clang keep the twelve row pointers in an array on the stack and
// reload them every step (77 GFLOP/s against 107-147 for this one on the DCGAN's 5x5 product).
__attribute__((target("avx512f,fma"))) static void conv_direct_tile_avx512_12x32(
    const float *const *rows, long stride, long taps, long C, const float *const *wt, float *restrict y, long ldy,
    const float *bias) {
  __m512 c00 = _mm512_setzero_ps(), c01 = c00, c10 = c00, c11 = c00, c20 = c00, c21 = c00, c30 = c00, c31 = c00;
  __m512 c40 = c00, c41 = c00, c50 = c00, c51 = c00, c60 = c00, c61 = c00, c70 = c00, c71 = c00;
  __m512 c80 = c00, c81 = c00, c90 = c00, c91 = c00, cA0 = c00, cA1 = c00, cB0 = c00, cB1 = c00;
  for (long t = 0; t < taps; t++) {
    const float *const *p = rows + t * stride;
    const float *restrict w = wt[t];
    const float *a0 = p[0], *a1 = p[1], *a2 = p[2], *a3 = p[3], *a4 = p[4], *a5 = p[5];
    const float *a6 = p[6], *a7 = p[7], *a8 = p[8], *a9 = p[9], *aA = p[10], *aB = p[11];
    for (long c = 0; c < C; c++) {
      const __m512 b0 = _mm512_load_ps(w), b1 = _mm512_load_ps(w + 16);
      w += 32;
#define ROW(r, ap)                                   \
  {                                                  \
    const __m512 ar = _mm512_set1_ps(ap[c]);         \
    c##r##0 = _mm512_fmadd_ps(ar, b0, c##r##0);      \
    c##r##1 = _mm512_fmadd_ps(ar, b1, c##r##1);      \
  }
      ROW(0, a0) ROW(1, a1) ROW(2, a2) ROW(3, a3) ROW(4, a4) ROW(5, a5)
      ROW(6, a6) ROW(7, a7) ROW(8, a8) ROW(9, a9) ROW(A, aA) ROW(B, aB)
#undef ROW
    }
  }
  const __m512 b0 = bias ? _mm512_loadu_ps(bias) : _mm512_setzero_ps();
  const __m512 b1 = bias ? _mm512_loadu_ps(bias + 16) : _mm512_setzero_ps();
#define STORE(r, i)                                                     \
  _mm512_storeu_ps(y + (i) * ldy, _mm512_add_ps(c##r##0, b0));          \
  _mm512_storeu_ps(y + (i) * ldy + 16, _mm512_add_ps(c##r##1, b1));
  STORE(0, 0) STORE(1, 1) STORE(2, 2) STORE(3, 3) STORE(4, 4) STORE(5, 5)
  STORE(6, 6) STORE(7, 7) STORE(8, 8) STORE(9, 9) STORE(A, 10) STORE(B, 11)
#undef STORE
}

// The AVX2 tile, 6 pixels x 16 outputs, written out for the same reason.
__attribute__((target("avx2,fma"))) static void conv_direct_tile_avx2_6x16(
    const float *const *rows, long stride, long taps, long C, const float *const *wt, float *restrict y, long ldy,
    const float *bias) {
  __m256 c00 = _mm256_setzero_ps(), c01 = c00, c10 = c00, c11 = c00, c20 = c00, c21 = c00;
  __m256 c30 = c00, c31 = c00, c40 = c00, c41 = c00, c50 = c00, c51 = c00;
  for (long t = 0; t < taps; t++) {
    const float *const *p = rows + t * stride;
    const float *restrict w = wt[t];
    const float *a0 = p[0], *a1 = p[1], *a2 = p[2], *a3 = p[3], *a4 = p[4], *a5 = p[5];
    for (long c = 0; c < C; c++) {
      const __m256 b0 = _mm256_load_ps(w), b1 = _mm256_load_ps(w + 8);
      w += 16;
#define ROW(r, ap)                                   \
  {                                                  \
    const __m256 ar = _mm256_broadcast_ss(ap + c);   \
    c##r##0 = _mm256_fmadd_ps(ar, b0, c##r##0);      \
    c##r##1 = _mm256_fmadd_ps(ar, b1, c##r##1);      \
  }
      ROW(0, a0) ROW(1, a1) ROW(2, a2) ROW(3, a3) ROW(4, a4) ROW(5, a5)
#undef ROW
    }
  }
  const __m256 b0 = bias ? _mm256_loadu_ps(bias) : _mm256_setzero_ps();
  const __m256 b1 = bias ? _mm256_loadu_ps(bias + 8) : _mm256_setzero_ps();
#define STORE(r)                                                   \
  _mm256_storeu_ps(y + (r) * ldy, _mm256_add_ps(c##r##0, b0));      \
  _mm256_storeu_ps(y + (r) * ldy + 8, _mm256_add_ps(c##r##1, b1));
  STORE(0) STORE(1) STORE(2) STORE(3) STORE(4) STORE(5)
#undef STORE
}
#endif

static direct_tile_fn direct_tile(int path) {
#if defined(__x86_64__)
  if (path == GENAI_PATH_AVX512) return conv_direct_tile_avx512_12x32;
  if (path == GENAI_PATH_AVX2) return conv_direct_tile_avx2_6x16;
#endif
  (void)path;
  return conv_direct_tile_portable_4x8;
}

long genai_conv_direct_nr(int path) { return 2 * direct_lanes(genai_path_usable(path)); }

long genai_conv_direct_padded_height(const genai_conv_shape *s) { return (s->oh - 1) * s->sh + s->kh; }
long genai_conv_direct_padded_width(const genai_conv_shape *s) { return (s->ow - 1) * s->sw + s->kw; }

void genai_conv_direct_pack_weights(int path, const genai_conv_shape *s, const float *w, int flipped, long panel0,
                                    long panel1, float *dst) {
  const long nr = genai_conv_direct_nr(path), taps = s->kh * s->kw, k = taps * s->c;
  // Panel q holds w[o][c][t] for its nr outputs at [(t·C + c)·nr + j]; o outer and c inner keep
  // both the reads and the writes at short strides.
  for (long q = panel0; q < panel1; q++) {
    float *d = dst + q * k * nr;
    for (long j = 0; j < nr; j++) {
      const long o = q * nr + j;
      for (long t = 0; t < taps; t++)
        for (long c = 0; c < s->c; c++) {
          float v = 0;
          if (o < s->o) {
            v = flipped ? w[(c * s->o + o) * taps + (taps - 1 - t)]  // w [C, O, KH, KW], both axes reversed
                        : w[(o * s->c + c) * taps + t];              // w [O, C, KH, KW]
          }
          d[(t * s->c + c) * nr + j] = v;
        }
    }
  }
}

void genai_conv_direct_pad_input(int path, const genai_conv_shape *s, const float *x, long n0, long n1, float *xp) {
  path = genai_path_usable(path);
  const long hp = genai_conv_direct_padded_height(s), wp = genai_conv_direct_padded_width(s);
  const long plane = s->h * s->w;
  // Columns of the padded row that hold image values: xx = ix + pl for ix in [ix0, ix1).
  const long ix0 = s->pl < 0 ? -s->pl : 0, ix1 = min_l(s->w, wp - s->pl);
  // Each image is transposed whole into scratch ([H·W, C]: a few long transposes rather than one
  // per row of 7-28 columns), then its rows are copied into place.
  float *image = genai_thread_scratch(0, (size_t)(plane * s->c) * sizeof(float));
  for (long n = n0; n < n1; n++) {
    genai_transpose_pack(path, x + n * s->c * plane, plane, s->c, plane, image, s->c);
    for (long yy = 0; yy < hp; yy++) {
      float *row = xp + (n * hp + yy) * wp * s->c;
      const long iy = yy - s->pt;
      if (iy < 0 || iy >= s->h || ix1 <= ix0) {
        memset(row, 0, (size_t)(wp * s->c) * sizeof(float));
        continue;
      }
      const long lo = ix0 + s->pl, hi = ix1 + s->pl;
      if (lo > 0) memset(row, 0, (size_t)(lo * s->c) * sizeof(float));
      if (hi < wp) memset(row + hi * s->c, 0, (size_t)((wp - hi) * s->c) * sizeof(float));
      memcpy(row + lo * s->c, image + (iy * s->w + ix0) * s->c, (size_t)((ix1 - ix0) * s->c) * sizeof(float));
    }
  }
}

/// The grid's positions grouped by the taps that land inside the input: group g has `ntaps[g]`
/// taps `tap[g·taps ...]` (ascending) and `count[g]` positions `pos[first[g] ...]` (ascending).
/// A 5x5 kernel over a 7x7 grid with "same" padding gives 25 groups; a padded input, one.
typedef struct {
  long groups;
  long *first, *count, *ntaps, *pos, *tap;
} direct_groups;

static direct_groups direct_group_positions(const genai_direct_map *m, long taps, long *mem) {
  const long grid = m->gh * m->gw;
  direct_groups g = {0, mem, mem + grid, mem + 2 * grid, mem + 3 * grid, mem + 4 * grid};
  long *group_of = g.tap + (grid + 1) * taps, *cursor = group_of + grid;
  for (long p = 0; p < grid; p++) {
    const long y0 = p / m->gw * m->sy, x0 = p % m->gw * m->sx;
    // The candidate tap list goes where a new group's would.
    long *list = g.tap + g.groups * taps, count = 0;
    for (long t = 0; t < taps; t++) {
      const long iy = y0 + m->dy[t], ix = x0 + m->dx[t];
      if (iy >= 0 && iy < m->h && ix >= 0 && ix < m->w) list[count++] = t;
    }
    long k = 0;
    while (k < g.groups && !(g.ntaps[k] == count && memcmp(g.tap + k * taps, list, (size_t)count * sizeof(long)) == 0)) k++;
    if (k == g.groups) {
      g.ntaps[k] = count;
      g.count[k] = 0;
      g.groups++;
    }
    group_of[p] = k;
    g.count[k]++;
  }
  for (long k = 0; k < g.groups; k++) cursor[k] = g.first[k] = k == 0 ? 0 : g.first[k - 1] + g.count[k - 1];
  for (long p = 0; p < grid; p++) g.pos[cursor[group_of[p]]++] = p;
  return g;
}

void genai_conv_direct_run(int path, const genai_direct_map *m, long taps, long C, long O, const float *wp,
                           const float *bias, long p0, long p1) {
  path = genai_path_usable(path);
  const int vn = direct_lanes(path), mr = DIRECT_MR(vn), nr = 2 * vn;
  const direct_tile_fn tile = direct_tile(path);
  const long k = taps * C, grid = m->gh * m->gw;
  // Pixels run group by group (`direct_group_positions`), image by image inside a group (group
  // g holds pixels N·first[g] ..< N·(first[g] + count[g])), and `p0 ..< p1` count them in that
  // order. A tile's pixels share their taps, so it runs only those that land inside the input
  // rather than multiplying a row of zeros for the others (31% of the multiply-adds of a 5x5
  // "same" product over 7x7). Each pixel adds the same products in the same order, less the
  // zeros, so the result does not depend on the grouping, the tile or the part.
  // Slot 0: the taps' offsets, then the groups (the map's own arrays may be in slot 1).
  long *offsets = genai_thread_scratch(
      0, (size_t)((taps > 0 ? taps : 1) + 6 * grid + (grid + 1) * taps + 1) * sizeof(long));
  const genai_direct_taps tp = genai_direct_taps_of(m, taps, C, offsets);
  const direct_groups g = direct_group_positions(m, taps, offsets + (taps > 0 ? taps : 1));
  // Blocks of tiles outer, weight panels inner: a block's windows are read once from memory and
  // then from cache for every panel, and a panel (up to KH·KW·C·nr floats) stays in L2.
  enum { TILES = 8 };
  const long block = TILES * mr;
  // Per-thread scratch rather than the stack: a kernel of any size fits. Each tile's input rows
  // at its taps, and each tap's weight block.
  const float **rows = genai_thread_scratch(2, (size_t)((taps > 0 ? taps : 1) * block) * sizeof(float *));
  const float **wt = genai_thread_scratch(3, (size_t)(taps > 0 ? taps : 1) * sizeof(float *));
  float *out[TILES * 12];
  long tile_group[TILES], tile_count[TILES];
  float spill[12 * 32] __attribute__((aligned(64)));
  float bpad[32] __attribute__((aligned(64)));
  const long panels = (O + nr - 1) / nr;
  long at = p0, group = 0;
  while (at < p1) {
    long tiles = 0;
    while (tiles < TILES && at < p1) {
      // The group holding pixel `at`: group k spans [N·first[k], N·(first[k] + count[k])).
      while (group < g.groups && at >= m->n * (g.first[group] + g.count[group])) group++;
      const long end = min_l(p1, m->n * (g.first[group] + g.count[group]));
      const long count = min_l(mr, end - at), nt = g.ntaps[group];
      const long *list = g.tap + group * taps;
      // A short tile repeats its last pixel; those rows land in `spill`.
      for (long r = 0; r < mr; r++) {
        const long local = min_l(at + r, at + count - 1) - m->n * g.first[group];
        const long n = local / g.count[group], position = g.pos[g.first[group] + local % g.count[group]];
        const long p = n * grid + position;
        const float *origin = m->x + ((n * m->h + position / m->gw * m->sy) * m->w + position % m->gw * m->sx) * C;
        for (long t = 0; t < nt; t++) rows[t * block + tiles * mr + r] = origin + tp.offsets[list[t]];
        out[tiles * mr + r] = genai_direct_pixel_out(m, p);
      }
      tile_group[tiles] = group;
      tile_count[tiles++] = count;
      at += count;
    }
    for (long q = 0; q < panels; q++) {
      const float *w = wp + q * k * nr;
      const long cols = min_l(nr, O - q * nr);
      const float *b = NULL;
      if (bias) {
        for (long j = 0; j < nr; j++) bpad[j] = j < cols ? bias[q * nr + j] : 0;
        b = bpad;
      }
      for (long i = 0; i < tiles; i++) {
        const long r0 = i * mr, count = tile_count[i], nt = g.ntaps[tile_group[i]];
        const long *list = g.tap + tile_group[i] * taps;
        for (long t = 0; t < nt; t++) wt[t] = w + list[t] * C * nr;
        // Rows land in place where the tile's pixels are a full tile of evenly spaced rows.
        int in_place = count == mr && cols == nr;
        for (long r = 1; in_place && r < mr; r++) in_place = out[r0 + r] - out[r0] == r * m->ldy;
        if (in_place) {
          tile(rows + r0, block, nt, C, wt, out[r0] + q * nr, m->ldy, b);
        } else {
          tile(rows + r0, block, nt, C, wt, spill, nr, b);
          for (long r = 0; r < count; r++) memcpy(out[r0 + r] + q * nr, spill + r * nr, (size_t)cols * sizeof(float));
        }
      }
    }
  }
}

void genai_conv_direct_tiles(int path, const genai_conv_shape *s, const float *xp, const float *wp,
                             const float *bias, long p0, long p1, float *y, long ldy) {
  const long taps = s->kh * s->kw;
  long *offsets = genai_thread_scratch(1, (size_t)(2 * (taps > 0 ? taps : 1)) * sizeof(long));
  for (long t = 0; t < taps; t++) offsets[t] = t / s->kw, offsets[taps + t] = t % s->kw;
  // The padded image holds every window whole, so no tap falls outside it.
  const genai_direct_map m = {xp, genai_conv_direct_padded_height(s), genai_conv_direct_padded_width(s),
                              s->oh, s->ow, s->sh, s->sw, offsets, offsets + taps,
                              y, s->oh, s->ow, 1, 1, 0, 0, ldy, s->n};
  genai_conv_direct_run(path, &m, taps, s->c, s->o, wp, bias, p0, p1);
}

void genai_conv_direct_to_nchw(int path, const genai_conv_shape *s, const float *y, long ldy, long n0, long n1,
                               float *out) {
  path = genai_path_usable(path);
  const long pix = s->oh * s->ow;
  for (long n = n0; n < n1; n++)
    genai_transpose_pack(path, y + n * pix * ldy, ldy, pix, s->o, out + n * s->o * pix, pix);
}

