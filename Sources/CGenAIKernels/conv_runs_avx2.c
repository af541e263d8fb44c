// AVX2 run loops for the convolution packers and store (see conv_runs.h). A run (at most 16
// outputs) is two 8-lane halves; AVX2 has no cheap masked store on AMD cores (vmaskmovps stores
// are microcoded there: the DCGAN step got slower with them on a Zen 3), so loads are masked
// (they never fault on masked-off lanes) and stores are whole vectors wherever the caller allows
// a spill, exact pieces otherwise.
#include "gemm_internal.h"
#include "conv_runs.h"

#if defined(__x86_64__)
#include <immintrin.h>

#define TARGET __attribute__((target("avx2,fma")))

// Plain-C tails must stay scalar: clang would vectorise them with masked loads and stores.
#if defined(__clang__)
#define SCALAR _Pragma("clang loop vectorize(disable) interleave(disable)")
#else
#define SCALAR
#endif

/// Lanes `base + l` (l = 0..7) with `a <= base + l < b`, as a load mask.
TARGET static inline __m256i lanes(long base, long a, long b) {
  const __m256i idx = _mm256_add_epi32(_mm256_setr_epi32(0, 1, 2, 3, 4, 5, 6, 7), _mm256_set1_epi32((int)base));
  const __m256i ge = _mm256_cmpgt_epi32(idx, _mm256_set1_epi32((int)a - 1));
  const __m256i lt = _mm256_cmpgt_epi32(_mm256_set1_epi32((int)b), idx);
  return _mm256_and_si256(ge, lt);
}

/// Outputs `q0 ..< q0+8` of a run: `src[q·stride]` where `lo <= q < hi`, else 0.
TARGET static inline __m256 gather8(const float *src, long q0, long lo, long hi, long stride) {
  if (stride == 1) return _mm256_maskload_ps(src + q0, lanes(q0, lo, hi));
  // Stride 2: inputs 2·q0 ..< 2·q0+16 as two loads (only those from input 2·lo to input
  // 2·(hi−1), so never past the row), then the even lanes picked out.
  const long a = 2 * lo, b = 2 * hi - 1;
  const __m256 x0 = _mm256_maskload_ps(src + 2 * q0, lanes(2 * q0, a, b));
  const __m256 x1 = _mm256_maskload_ps(src + 2 * q0 + 8, lanes(2 * q0 + 8, a, b));
  // [x0₀ x0₂ x1₀ x1₂ | x0₄ x0₆ x1₄ x1₆] → [x0₀ x0₂ x0₄ x0₆ x1₀ x1₂ x1₄ x1₆]
  const __m256 evens = _mm256_shuffle_ps(x0, x1, _MM_SHUFFLE(2, 0, 2, 0));
  return _mm256_castpd_ps(_mm256_permute4x64_pd(_mm256_castps_pd(evens), _MM_SHUFFLE(3, 1, 2, 0)));
}

/// Stride-2 scatter: outputs 0-7 of `v` spread to the even lanes of two vectors,
/// `e0 = [v0 0 v1 0 v2 0 v3 0]` and `e1 = [v4 0 v5 0 v6 0 v7 0]`.
TARGET static inline void spread_evens(__m256 v, __m256 *e0, __m256 *e1) {
  const __m256 zero = _mm256_setzero_ps();
  const __m256 l = _mm256_unpacklo_ps(v, zero), h = _mm256_unpackhi_ps(v, zero);  // [v0 0 v1 0 | v4 0 v5 0], [v2 0 v3 0 | v6 0 v7 0]
  *e0 = _mm256_permute2f128_ps(l, h, 0x20);
  *e1 = _mm256_permute2f128_ps(l, h, 0x31);
}

TARGET static void copy_run(float *d, const float *src, long lo, long hi, long len, long stride, int spill) {
  if (!src) lo = hi = 0;
  if (stride > 2) {
    for (long q = 0; q < len; q++) d[q] = q >= lo && q < hi ? src[q * stride] : 0;
    return;
  }
  for (long q0 = 0; q0 < len; q0 += 8) {
    const __m256 v = hi > lo ? gather8(src, q0, lo, hi, stride) : _mm256_setzero_ps();
    if (spill || q0 + 8 <= len) {
      _mm256_storeu_ps(d + q0, v);
    } else {
      float tmp[8];
      _mm256_storeu_ps(tmp, v);
      SCALAR for (long q = q0; q < len; q++) d[q] = tmp[q - q0];
    }
  }
}

TARGET static void add_run(float *d, const float *src, long lo, long hi, long stride) {
  // Whole chunks of 8 outputs only, the rest in plain C: masked stores (vmaskmovps) are
  // microcoded on AMD cores and made the DCGAN step slower (measured on a Zen 3), and a whole
  // vector past the run may reach another thread's plane or past the array.
  long q = lo;
  if (stride == 1) {
    for (; q + 8 <= hi; q += 8) _mm256_storeu_ps(d + q, _mm256_add_ps(_mm256_loadu_ps(d + q), _mm256_loadu_ps(src + q)));
  } else if (stride == 2) {
    // Outputs q ..< q+8 add into d[2q], d[2q+2], ...: 16 floats read and written, the odd ones
    // plus zero. The last odd one, d[2q+15], must lie before d[2(hi−1)] (inside the row, and this
    // thread's to write), hence q + 8 < hi.
    for (; q + 8 < hi; q += 8) {
      __m256 e0, e1;
      spread_evens(_mm256_loadu_ps(src + q), &e0, &e1);
      float *p = d + 2 * q;
      _mm256_storeu_ps(p, _mm256_add_ps(_mm256_loadu_ps(p), e0));
      _mm256_storeu_ps(p + 8, _mm256_add_ps(_mm256_loadu_ps(p + 8), e1));
    }
  }
  SCALAR for (; q < hi; q++) d[q * stride] += src[q];
}


/// Stores the first `n` (< 8) lanes of `v` at `d` and nothing else, without a masked store.
TARGET static inline void store_first(float *d, __m256 v, long n) {
  __m128 part = _mm256_castps256_ps128(v);
  if (n >= 4) {
    _mm_storeu_ps(d, part);
    part = _mm256_extractf128_ps(v, 1);
    d += 4, n -= 4;
  }
  if (n >= 2) {
    _mm_storel_pi((__m64 *)d, part);
    part = _mm_movehl_ps(part, part);
    d += 2, n -= 2;
  }
  if (n) _mm_store_ss(d, part);
}

/// The loads of one kernel column of a run, worked out once per run: for each half of the run
/// (outputs 0-7 and 8-15), the masks of the one (stride 1) or two (stride 2) input vectors it
/// reads, and whether it reads anything at all.
typedef struct {
  __m256i mask[2][2];
  int any[2], full[2][2];
} column_loads;

enum { MAX_KW = 16 };

TARGET static inline column_loads loads_for(long lo, long hi, long stride, int halves) {
  column_loads l;
  l.any[1] = 0;
  for (int h = 0; h < halves; h++) {
    const long q0 = 8L * h;
    l.any[h] = hi > lo && lo < q0 + 8 && hi > q0;
    if (stride == 1) {
      l.mask[h][0] = lanes(q0, lo, hi);
      l.mask[h][1] = l.mask[h][0];
      l.full[h][0] = l.full[h][1] = lo <= q0 && q0 + 8 <= hi;
    } else {
      // Inputs 2·q0 ..< 2·q0+16, only those from input 2·lo to input 2·(hi−1) (never past the row).
      l.mask[h][0] = lanes(2 * q0, 2 * lo, 2 * hi - 1);
      l.mask[h][1] = lanes(2 * q0 + 8, 2 * lo, 2 * hi - 1);
      l.full[h][0] = 2 * lo <= 2 * q0 && 2 * q0 + 8 <= 2 * hi - 1;
      l.full[h][1] = 2 * lo <= 2 * q0 + 8 && 2 * q0 + 16 <= 2 * hi - 1;
    }
  }
  return l;
}

/// Outputs `8·h ..< 8·h+8` of a run from `src` (output 0's input) with the masks of `l`.
TARGET static inline __m256 load_half(const float *src, const column_loads *l, int h, long stride) {
  if (!l->any[h]) return _mm256_setzero_ps();
  // Plain loads where every lane is inside the row: cheaper than masked ones on Zen 3.
  if (stride == 1)
    return l->full[h][0] ? _mm256_loadu_ps(src + 8 * h) : _mm256_maskload_ps(src + 8 * h, l->mask[h][0]);
  const __m256 x0 = l->full[h][0] ? _mm256_loadu_ps(src + 16 * h) : _mm256_maskload_ps(src + 16 * h, l->mask[h][0]);
  const __m256 x1 =
    l->full[h][1] ? _mm256_loadu_ps(src + 16 * h + 8) : _mm256_maskload_ps(src + 16 * h + 8, l->mask[h][1]);
  const __m256 evens = _mm256_shuffle_ps(x0, x1, _MM_SHUFFLE(2, 0, 2, 0));
  return _mm256_castpd_ps(_mm256_permute4x64_pd(_mm256_castps_pd(evens), _MM_SHUFFLE(3, 1, 2, 0)));
}

/// Runs outer, kernel rows inner, as on AVX-512 (conv_runs.h): what is fixed for a run (the
/// load masks of each kernel column, the input rows) is worked out once and each row is two
/// masked loads and two stores, with no call per run. A half is stored whole when its 8 cells
/// stay inside the run's panel row (the excess lands in cells of later runs, written after it);
/// one that would cross the row's end is stored exactly.
TARGET static int im2col_block(const genai_conv_shape *s, const run_plan *pl, const float *x, long k0, long count,
                               float *dst, long k_stride, long panel, long panel_size) {
  if (s->sw > 2 || s->kw > MAX_KW || pl->nruns == 0) return 0;
  const long KK = s->kh * s->kw, HW = s->h * s->w, KW = s->kw, KH = s->kh, sw = s->sw;
  const long c0 = k0 / KK, t0 = k0 % KK, ky0 = t0 / KW, kx0 = t0 % KW;
  const col_run *last = &pl->runs[pl->nruns - 1];
  const long total = last->at + last->len;
  // The table pays where a stride-2 run goes through many channels (forward products of 32
  // channels and more: +6-20% on the VAE's stride-2 shapes, Zen 3). With stride 1 (two fewer
  // loads a row to save) or few rows per kernel column (one channel, or a weight-gradient panel
  // of NR rows) working the masks out per row was 1-10% faster (measured).
  const int table = sw == 2 && count >= 8 * KW;
  // Kernel offsets outer and channels inner where a stride-2 block goes through several
  // channels per offset (as on AVX-512): the input column and masks of an offset once per run.
  // Forced onto this path on a Sapphire Rapids (Benchmarks/conv_ab): VAE enc2/dec1 forward
  // 1.09-1.12x, dec2 and the DCGAN's D.conv2 1.03-1.04x, the rest unchanged; not measured on an
  // AMD core.
  const int by_offsets = table && count >= 4 * KK;
  const long c1 = (k0 + count - 1) / KK, t1 = (k0 + count - 1) % KK;
  column_loads loads[MAX_KW];
  for (long r = 0; r < pl->nruns; r++) {
    const col_run *run = &pl->runs[r];
    const long row_end = panel > 0 ? (run->at / panel + 1) * panel : total;
    const int halves = run->len > 8 ? 2 : 1;
    const int whole0 = run->at + 8 <= row_end, whole1 = run->at + 16 <= row_end;
    float *d = dst + (panel > 0 ? (run->at / panel) * panel_size + run->at % panel : run->at);
    const float *xn = x + run->n * s->c * HW;
    const long *iy = pl->iy + r * KH, *ix0 = pl->ix0 + r * KW, *lo = pl->lo + r * KW, *hi = pl->hi + r * KW;
    if (table)
      for (long kx = 0; kx < KW; kx++) loads[kx] = loads_for(lo[kx], hi[kx], sw, halves);
    if (by_offsets) {
      for (long t = 0, ky = 0, kx = 0; t < KK; t++) {
        // The channels whose row `c·KK + t` lies in [k0, k0+count).
        const long c_first = t >= t0 ? c0 : c0 + 1, c_end = t <= t1 ? c1 + 1 : c1, d_step = KK * k_stride;
        float *dt = d + (c_first * KK + t - k0) * k_stride;
        const int inside = iy[ky] >= 0;
        const float *src = xn + c_first * HW + (inside ? iy[ky] * s->w + ix0[kx] : 0);
        for (long c = c_first; c < c_end; c++, dt += d_step, src += HW) {
          const __m256 v0 = inside ? load_half(src, &loads[kx], 0, sw) : _mm256_setzero_ps();
          if (whole0) _mm256_storeu_ps(dt, v0); else store_first(dt, v0, run->len < 8 ? run->len : 8);
          if (halves == 2) {
            const __m256 v1 = inside ? load_half(src, &loads[kx], 1, sw) : _mm256_setzero_ps();
            if (whole1) _mm256_storeu_ps(dt + 8, v1); else store_first(dt + 8, v1, run->len - 8);
          }
        }
        if (++kx == KW) kx = 0, ky++;
      }
      continue;
    }
    long c = c0, ky = ky0, kx = kx0;
    for (long k = 0; k < count; k++, d += k_stride) {
      __m256 v0 = _mm256_setzero_ps(), v1 = v0;
      if (iy[ky] >= 0 && (table || hi[kx] > lo[kx])) {
        const float *src = xn + c * HW + iy[ky] * s->w + ix0[kx];
        if (table) {
          v0 = load_half(src, &loads[kx], 0, sw);
          if (halves == 2) v1 = load_half(src, &loads[kx], 1, sw);
        } else {
          v0 = gather8(src, 0, lo[kx], hi[kx], sw);
          if (halves == 2) v1 = gather8(src, 8, lo[kx], hi[kx], sw);
        }
      }
      if (whole0) _mm256_storeu_ps(d, v0); else store_first(d, v0, run->len < 8 ? run->len : 8);
      if (halves == 2) {
        if (whole1) _mm256_storeu_ps(d + 8, v1); else store_first(d + 8, v1, run->len - 8);
      }
      if (++kx == KW) {
        kx = 0;
        if (++ky == KH) ky = 0, c++;
      }
    }
  }
  return 1;
}

/// Adds one kernel row's worth of tile rows (kernel columns `kx0 ..< kx0+count` of one channel
/// and kernel row) of a run of `len` <= 8 outputs into the image row `row` (width `w`): output
/// q of kernel column kx lands `q·stride + kx` past `base`, so each tile row is moved into place
/// in registers (one lane permute per 8 lanes, AVX2's `vpermps` rotates within 8) and summed
/// over the kernel row; the row is then read and written once, not once per kernel column.
TARGET __attribute__((noinline)) static void add_kernel_row(float *row, long base, long w, long before, long after,
                                                            const float *src, long ldt, long len, long stride,
                                                            long kx0, long count) {
  const __m256i iota = _mm256_setr_epi32(0, 1, 2, 3, 4, 5, 6, 7);
  const __m256 keep = _mm256_castsi256_ps(lanes(0, 0, len));
  const __m256 zero = _mm256_setzero_ps();
  __m256 acc0 = zero, acc1 = zero, acc2 = zero;
  for (long i = 0; i < count; i++) {
    const long kx = kx0 + i;
    const __m256 v = _mm256_and_ps(_mm256_loadu_ps(src + i * ldt), keep);
    const __m256i rot = _mm256_and_si256(_mm256_sub_epi32(iota, _mm256_set1_epi32((int)kx)), _mm256_set1_epi32(7));
    // Lanes at or past kx stay in this register; the ones before it wrapped round from the next.
    const __m256 here = _mm256_castsi256_ps(_mm256_cmpgt_epi32(iota, _mm256_set1_epi32((int)kx - 1)));
    if (stride == 1) {
      const __m256 p = _mm256_permutevar8x32_ps(v, rot);
      acc0 = _mm256_add_ps(acc0, _mm256_and_ps(p, here));
      acc1 = _mm256_add_ps(acc1, _mm256_andnot_ps(here, p));
    } else {
      __m256 e0, e1;
      spread_evens(v, &e0, &e1);
      const __m256 p0 = _mm256_permutevar8x32_ps(e0, rot), p1 = _mm256_permutevar8x32_ps(e1, rot);
      acc0 = _mm256_add_ps(acc0, _mm256_and_ps(p0, here));
      acc1 = _mm256_add_ps(acc1, _mm256_add_ps(_mm256_andnot_ps(here, p0), _mm256_and_ps(p1, here)));
      acc2 = _mm256_add_ps(acc2, _mm256_andnot_ps(here, p1));
    }
  }
  // Only the pixels inside the row change: whole vectors where all 8 are; a vector that hangs
  // over the row's ends but stays in this thread's plane writes the pixels outside back as they
  // were; else one by one (no masked stores, see above).
  const long a = base < 0 ? -base : 0, b = w - base < 24 ? w - base : 24;
  const __m256 acc[3] = {acc0, acc1, acc2};
  for (int j = 0; j < 3; j++) {
    const long l0 = 8L * j;
    if (l0 >= b) break;
    float *d = row + base + l0;
    if (a <= l0 && l0 + 8 <= b) {
      _mm256_storeu_ps(d, _mm256_add_ps(_mm256_loadu_ps(d), acc[j]));
    } else if (base + l0 >= -before && base + l0 + 8 <= w + after) {
      // A blend, not an add of zeros, so the pixels outside keep their very bits (−0 stays −0).
      const __m256 inside = _mm256_castsi256_ps(lanes(l0, a, b)), old = _mm256_loadu_ps(d);
      _mm256_storeu_ps(d, _mm256_blendv_ps(old, _mm256_add_ps(old, acc[j]), inside));
    } else {
      float part[8];
      _mm256_storeu_ps(part, acc[j]);
      SCALAR for (long l = a > l0 ? a - l0 : 0; l < 8 && l0 + l < b; l++) d[l] += part[l];
    }
  }
}


/// The transposed product's store for one run (see `genai_run_rows_add_fn`): `add_kernel_row`
/// for each kernel row of the tile rows. Unlike AVX-512's, the kernel-row loop stays a call of
/// its own: inlined here (or with its rotations made once per run) the VAE's and DCGAN's
/// transposed products ran 0.84-0.91x (forced AVX2 on a Sapphire Rapids, Benchmarks/conv_ab).
TARGET static void add_run_rows(const genai_conv_shape *s, const long *iy, float *outn, long base, const float *src,
                                long ldt, long len, long c0, long ky0, long kx0, long mr) {
  const long KW = s->kw, KH = s->kh, HW = s->h * s->w, w = s->w;
  long i = 0, c = c0, ky = ky0, kx = kx0;
  while (i < mr) {
    const long count = KW - kx < mr - i ? KW - kx : mr - i;
    if (iy[ky] >= 0)
      add_kernel_row(outn + c * HW + iy[ky] * w, base, w, iy[ky] * w, (s->h - 1 - iy[ky]) * w, src + i * ldt, ldt, len,
                     s->sw, kx, count);
    i += count;
    kx = 0;
    if (++ky == KH) ky = 0, c++;
  }
}


/// Runs of up to 8 outputs spanning up to 24 lanes (three registers; kernel columns rotate within 8).
genai_run_ops genai_run_ops_avx2(void) { return (genai_run_ops){copy_run, add_run, im2col_block, add_run_rows, 8, 24, 8}; }

#else
genai_run_ops genai_run_ops_avx2(void) { return (genai_run_ops){0}; }
#endif
