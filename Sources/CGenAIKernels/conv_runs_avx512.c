// AVX-512 run loops for the convolution packers and store (see conv_runs.h).
#include "gemm_internal.h"
#include "conv_runs.h"

#if defined(__x86_64__)
#include <immintrin.h>

#define TARGET __attribute__((target("avx512f")))

/// Bits `[a, b)` of a 16-bit mask (empty when b <= a).
static inline __mmask16 span16(long a, long b) {
  if (b <= a) return 0;
  const unsigned full = 0xFFFFu;
  return (__mmask16)((full >> (16 - (b - a))) << a);
}

/// The masks of the low and high 16 inputs read by outputs `a <= q < b` at stride 2 (input 2q).
static inline void even_masks(long a, long b, __mmask16 *m0, __mmask16 *m1) {
  const unsigned long long upto = 2 * b >= 64 ? ~0ull : (1ull << (2 * b)) - 1;
  const unsigned long long bits = upto & ~((1ull << (2 * a)) - 1) & 0x5555555555555555ull;
  *m0 = (__mmask16)(bits & 0xFFFF);
  *m1 = (__mmask16)((bits >> 16) & 0xFFFF);
}

TARGET static void copy_run(float *d, const float *src, long lo, long hi, long len, long stride, int spill) {
  if (!src) lo = hi = 0;
  if (stride > 2) {
    for (long q = 0; q < len; q++) d[q] = q >= lo && q < hi ? src[q * stride] : 0;
    return;
  }
  const __m512i evens = _mm512_set_epi32(30, 28, 26, 24, 22, 20, 18, 16, 14, 12, 10, 8, 6, 4, 2, 0);
  for (long q0 = 0; q0 < len; q0 += 16) {
    const long n = len - q0 < 16 ? len - q0 : 16;
    const long a = (lo > q0 ? lo : q0) - q0, b = (hi < q0 + n ? hi : q0 + n) - q0;
    __m512 v;
    if (stride == 1) {
      v = _mm512_maskz_loadu_ps(span16(a, b), src + q0);
    } else {
      __mmask16 m0 = 0, m1 = 0;
      if (b > a) even_masks(a, b, &m0, &m1);
      const __m512 x0 = _mm512_maskz_loadu_ps(m0, src + 2 * q0);
      const __m512 x1 = _mm512_maskz_loadu_ps(m1, src + 2 * q0 + 16);
      v = _mm512_permutex2var_ps(x0, evens, x1);
    }
    // Lanes past the run hold zeros; where the caller allows, they are stored too.
    if (spill) {
      _mm512_storeu_ps(d + q0, v);
    } else {
      _mm512_mask_storeu_ps(d + q0, span16(0, n), v);
    }
  }
}

TARGET static void add_run(float *d, const float *src, long lo, long hi, long stride) {
  if (stride > 2) {
    for (long q = lo; q < hi; q++) d[q * stride] += src[q];
    return;
  }
  // Input lanes 0..15 of the expanded run take outputs 0..7 (even lanes), lanes 16..31 take 8..15.
  const __m512i spread_lo = _mm512_set_epi32(7, 7, 6, 6, 5, 5, 4, 4, 3, 3, 2, 2, 1, 1, 0, 0);
  const __m512i spread_hi = _mm512_set_epi32(15, 15, 14, 14, 13, 13, 12, 12, 11, 11, 10, 10, 9, 9, 8, 8);
  for (long q0 = lo; q0 < hi; q0 += 16) {
    const long n = hi - q0 < 16 ? hi - q0 : 16;
    const __m512 s = _mm512_maskz_loadu_ps(span16(0, n), src + q0);
    if (stride == 1) {
      const __mmask16 m = span16(0, n);
      float *p = d + q0;
      _mm512_mask_storeu_ps(p, m, _mm512_add_ps(_mm512_maskz_loadu_ps(m, p), s));
    } else {
      __mmask16 m0, m1;
      even_masks(0, n, &m0, &m1);
      float *p = d + 2 * q0;
      const __m512 e0 = _mm512_permutexvar_ps(spread_lo, s), e1 = _mm512_permutexvar_ps(spread_hi, s);
      _mm512_mask_storeu_ps(p, m0, _mm512_add_ps(_mm512_maskz_loadu_ps(m0, p), e0));
      _mm512_mask_storeu_ps(p + 16, m1, _mm512_add_ps(_mm512_maskz_loadu_ps(m1, p + 16), e1));
    }
  }
}


/// Runs outer: what is fixed for a run (its image, destination) is worked out once, and each
/// im2col row is then one or two masked loads and one masked store. Row `k` of run `r` goes to
/// `dst + place(r.at) + k·k_stride`, where `place(at)` is `(at / panel)·panel_size + at % panel`
/// with panels (`panel` > 0), or `at`.
///
/// Inside a run, rows go in order (kernel offsets inner) or, where a stride-2 block goes through
/// several channels per offset, kernel offsets outer and channels inner, so the input column and
/// load masks of an offset are worked out once per run. Measured with Benchmarks/conv_ab on a
/// Sapphire Rapids: VAE enc2/dec1/dec2 forward 1.08-1.16x; with stride 1 (one load a row) or few
/// channels the plain order was faster (the other order 0.78-0.98x).
TARGET static int im2col_block(const genai_conv_shape *s, const run_plan *pl, const float *x, long k0,
                                long count, float *dst, long k_stride, long panel, long panel_size) {
  if (s->sw > 2) return 0;
  const long KK = s->kh * s->kw, HW = s->h * s->w, KW = s->kw, KH = s->kh;
  const int by_offsets = s->sw == 2 && count >= 4 * KK;
  // Rows k0 ..< k0+count: channel c0 from offset t0 = (ky0, kx0), the last channel c1 up to t1.
  const long c0 = k0 / KK, t0 = k0 % KK, ky0 = t0 / KW, kx0 = t0 % KW;
  const long c1 = (k0 + count - 1) / KK, t1 = (k0 + count - 1) % KK;
  const __m512i evens = _mm512_set_epi32(30, 28, 26, 24, 22, 20, 18, 16, 14, 12, 10, 8, 6, 4, 2, 0);
  for (long r = 0; r < pl->nruns; r++) {
    const col_run *run = &pl->runs[r];
    const __mmask16 out_mask = span16(0, run->len);
    float *d0 = dst + (panel > 0 ? (run->at / panel) * panel_size + run->at % panel : run->at);
    const float *xn = x + run->n * s->c * HW;
    const long *iy = pl->iy + r * KH, *ix0 = pl->ix0 + r * KW, *lo = pl->lo + r * KW, *hi = pl->hi + r * KW;
    if (by_offsets) {
      for (long t = 0, ky = 0, kx = 0; t < KK; t++) {
        // The channels whose row `c·KK + t` lies in [k0, k0+count).
        const long c_first = t >= t0 ? c0 : c0 + 1, c_end = t <= t1 ? c1 + 1 : c1, d_step = KK * k_stride;
        float *d = d0 + (c_first * KK + t - k0) * k_stride;
        if (c_first < c_end) {
          if (iy[ky] < 0 || hi[kx] <= lo[kx]) {
            for (long c = c_first; c < c_end; c++, d += d_step) _mm512_mask_storeu_ps(d, out_mask, _mm512_setzero_ps());
          } else {
            const float *src = xn + c_first * HW + iy[ky] * s->w + ix0[kx];
            __mmask16 m0, m1;
            even_masks(lo[kx], hi[kx], &m0, &m1);
            for (long c = c_first; c < c_end; c++, d += d_step, src += HW)
              _mm512_mask_storeu_ps(d, out_mask, _mm512_permutex2var_ps(_mm512_maskz_loadu_ps(m0, src), evens,
                                                                        _mm512_maskz_loadu_ps(m1, src + 16)));
          }
        }
        if (++kx == KW) kx = 0, ky++;
      }
      continue;
    }
    // The load masks of each kernel column, made once for the run instead of once per row: the
    // weight gradients' packers (32 rows a call, too few for the order above) ran 1.02-1.11x on
    // the VAE's shapes (Benchmarks/conv_ab, Sapphire Rapids), the other products unchanged.
    __mmask16 m0s[16], m1s[16];
    const int tables = KW <= 16;
    if (tables)
      for (long x = 0; x < KW; x++) {
        if (s->sw == 1) {
          m0s[x] = span16(lo[x], hi[x]);
        } else {
          m0s[x] = m1s[x] = 0;
          if (hi[x] > lo[x]) even_masks(lo[x], hi[x], &m0s[x], &m1s[x]);
        }
      }
    float *d = d0;
    long c = c0, ky = ky0, kx = kx0;
    for (long k = 0; k < count; k++, d += k_stride) {
      __m512 v = _mm512_setzero_ps();
      if (iy[ky] >= 0) {
        const float *src = xn + c * HW + iy[ky] * s->w + ix0[kx];
        if (s->sw == 1) {
          v = _mm512_maskz_loadu_ps(tables ? m0s[kx] : span16(lo[kx], hi[kx]), src);
        } else {
          __mmask16 m0, m1;
          if (tables) {
            m0 = m0s[kx], m1 = m1s[kx];
          } else {
            even_masks(lo[kx], hi[kx], &m0, &m1);
          }
          v = _mm512_permutex2var_ps(_mm512_maskz_loadu_ps(m0, src), evens, _mm512_maskz_loadu_ps(m1, src + 16));
        }
      }
      _mm512_mask_storeu_ps(d, out_mask, v);
      if (++kx == KW) {
        kx = 0;
        if (++ky == KH) ky = 0, c++;
      }
    }
  }
  return 1;
}

/// The transposed product's store for one run (see `genai_run_rows_add_fn`). A kernel row's
/// tile rows (at most 16 outputs each) are moved into place across a span of 32 lanes from
/// `base` with a lane permute each and summed in two registers; the image row is then loaded,
/// added to and stored once. Consecutive kernel columns overlap by all but one pixel, so one
/// load-add-store per column would stall on store forwarding every time. The permutes and masks
/// of each kernel column, and the row's load and store masks, are the same for every kernel row
/// of the run and are made once (per kernel row they cost as much as the adds).
TARGET static void add_run_rows(const genai_conv_shape *s, const long *iy, float *outn, long base, const float *src,
                                long ldt, long len, long c0, long ky0, long kx0, long mr) {
  const long KW = s->kw, KH = s->kh, HW = s->h * s->w, w = s->w, stride = s->sw;
  const __m512i iota = _mm512_set_epi32(15, 14, 13, 12, 11, 10, 9, 8, 7, 6, 5, 4, 3, 2, 1, 0);
  // Lanes of the 32 that output q of kernel column kx lands on: q·stride + kx.
  const unsigned long long outs =
      stride == 1 ? (1ull << len) - 1 : (((1ull << (2 * len)) - 1) & 0x5555555555555555ull);
  __m512i idx_lo[32], idx_hi[32];
  __mmask16 m_lo[32], m_hi[32];
  for (long kx = 0; kx < KW; kx++) {
    const unsigned long long m = outs << kx;
    idx_lo[kx] = _mm512_sub_epi32(iota, _mm512_set1_epi32((int)kx));
    idx_hi[kx] = _mm512_add_epi32(idx_lo[kx], _mm512_set1_epi32(16));
    if (stride == 2) {
      idx_lo[kx] = _mm512_srai_epi32(idx_lo[kx], 1);
      idx_hi[kx] = _mm512_srai_epi32(idx_hi[kx], 1);
    }
    m_lo[kx] = (__mmask16)(m & 0xFFFF);
    m_hi[kx] = (__mmask16)((m >> 16) & 0xFFFF);
  }
  const __mmask16 load = span16(0, len);
  // Only the pixels inside the row are read and written.
  const long a = base < 0 ? -base : 0, b = w - base;
  const __mmask16 store_lo = span16(a < 16 ? a : 16, b < 16 ? b : 16);
  const __mmask16 store_hi = span16(a > 16 ? a - 16 : 0, b > 32 ? 16 : (b > 16 ? b - 16 : 0));
  long i = 0, c = c0, ky = ky0, kx0_row = kx0;
  while (i < mr) {
    const long count = KW - kx0_row < mr - i ? KW - kx0_row : mr - i;
    if (iy[ky] >= 0) {
      __m512 lo = _mm512_setzero_ps(), hi = _mm512_setzero_ps();
      for (long j = 0; j < count; j++) {
        const long kx = kx0_row + j;
        const __m512 v = _mm512_maskz_loadu_ps(load, src + (i + j) * ldt);
        lo = _mm512_add_ps(lo, _mm512_maskz_permutexvar_ps(m_lo[kx], idx_lo[kx], v));
        hi = _mm512_add_ps(hi, _mm512_maskz_permutexvar_ps(m_hi[kx], idx_hi[kx], v));
      }
      float *d = outn + c * HW + iy[ky] * w + base;
      _mm512_mask_storeu_ps(d, store_lo, _mm512_add_ps(_mm512_maskz_loadu_ps(store_lo, d), lo));
      _mm512_mask_storeu_ps(d + 16, store_hi, _mm512_add_ps(_mm512_maskz_loadu_ps(store_hi, d + 16), hi));
    }
    i += count;
    kx0_row = 0;
    if (++ky == KH) ky = 0, c++;
  }
}


/// Spans up to 32 lanes: two registers of 16.
genai_run_ops genai_run_ops_avx512(void) { return (genai_run_ops){copy_run, add_run, im2col_block, add_run_rows, 16, 32, 32}; }

#else
genai_run_ops genai_run_ops_avx512(void) { return (genai_run_ops){0}; }
#endif
