// Transposing copies for the packers: `dst[c*dst_stride + r] = src[r*ld + c]` for a block of
// `rows x cols`. Packing A from row-major storage and B from transposed storage are both this
// shape, and a scalar loop costs several cycles an element (every store lands in a different
// line); 8 x 8 register transposes (AVX) and 4 x 4 ones (SSE, baseline on x86-64) do it in well
// under one.
#include "gemm_internal.h"

static void transpose_scalar(const float *src, long ld, long rows, long cols, float *dst, long dst_stride) {
  // Blocks of 16 columns keep the destination lines in L1 while every row visits them.
  for (long c0 = 0; c0 < cols; c0 += 16) {
    const long cn = cols - c0 < 16 ? cols - c0 : 16;
    for (long r = 0; r < rows; r++) {
      const float *s = src + r * ld + c0;
      float *d = dst + c0 * dst_stride + r;
      for (long c = 0; c < cn; c++) d[c * dst_stride] = s[c];
    }
  }
}

#if defined(__x86_64__)
#include <immintrin.h>

/// 4 x 4 blocks with SSE (x86-64 baseline); the leftover rows and columns go scalar.
static void transpose_sse(const float *src, long ld, long rows, long cols, float *dst, long dst_stride) {
  const long r4 = rows & ~3L, c4 = cols & ~3L;
  for (long r = 0; r < r4; r += 4) {
    const float *s = src + r * ld;
    for (long c = 0; c < c4; c += 4) {
      __m128 a = _mm_loadu_ps(s + c), b = _mm_loadu_ps(s + ld + c);
      __m128 e = _mm_loadu_ps(s + 2 * ld + c), f = _mm_loadu_ps(s + 3 * ld + c);
      _MM_TRANSPOSE4_PS(a, b, e, f);
      float *d = dst + c * dst_stride + r;
      _mm_storeu_ps(d, a);
      _mm_storeu_ps(d + dst_stride, b);
      _mm_storeu_ps(d + 2 * dst_stride, e);
      _mm_storeu_ps(d + 3 * dst_stride, f);
    }
  }
  if (c4 < cols) transpose_scalar(src + c4, ld, r4, cols - c4, dst + c4 * dst_stride, dst_stride);
  if (r4 < rows) transpose_scalar(src + r4 * ld, ld, rows - r4, cols, dst + r4, dst_stride);
}

/// One 8 x 8 block with AVX: `d[c*ds + r] = s[r*ld + c]` for r, c < 8.
__attribute__((target("avx2"), always_inline)) static inline void transpose_8x8(const float *s, long ld, float *d,
                                                                               long ds) {
  __m256 x0 = _mm256_loadu_ps(s), x1 = _mm256_loadu_ps(s + ld);
  __m256 x2 = _mm256_loadu_ps(s + 2 * ld), x3 = _mm256_loadu_ps(s + 3 * ld);
  __m256 x4 = _mm256_loadu_ps(s + 4 * ld), x5 = _mm256_loadu_ps(s + 5 * ld);
  __m256 x6 = _mm256_loadu_ps(s + 6 * ld), x7 = _mm256_loadu_ps(s + 7 * ld);
  __m256 t0 = _mm256_unpacklo_ps(x0, x1), t1 = _mm256_unpackhi_ps(x0, x1);
  __m256 t2 = _mm256_unpacklo_ps(x2, x3), t3 = _mm256_unpackhi_ps(x2, x3);
  __m256 t4 = _mm256_unpacklo_ps(x4, x5), t5 = _mm256_unpackhi_ps(x4, x5);
  __m256 t6 = _mm256_unpacklo_ps(x6, x7), t7 = _mm256_unpackhi_ps(x6, x7);
  __m256 u0 = _mm256_shuffle_ps(t0, t2, 0x44), u1 = _mm256_shuffle_ps(t0, t2, 0xEE);
  __m256 u2 = _mm256_shuffle_ps(t1, t3, 0x44), u3 = _mm256_shuffle_ps(t1, t3, 0xEE);
  __m256 u4 = _mm256_shuffle_ps(t4, t6, 0x44), u5 = _mm256_shuffle_ps(t4, t6, 0xEE);
  __m256 u6 = _mm256_shuffle_ps(t5, t7, 0x44), u7 = _mm256_shuffle_ps(t5, t7, 0xEE);
  _mm256_storeu_ps(d, _mm256_permute2f128_ps(u0, u4, 0x20));
  _mm256_storeu_ps(d + ds, _mm256_permute2f128_ps(u1, u5, 0x20));
  _mm256_storeu_ps(d + 2 * ds, _mm256_permute2f128_ps(u2, u6, 0x20));
  _mm256_storeu_ps(d + 3 * ds, _mm256_permute2f128_ps(u3, u7, 0x20));
  _mm256_storeu_ps(d + 4 * ds, _mm256_permute2f128_ps(u0, u4, 0x31));
  _mm256_storeu_ps(d + 5 * ds, _mm256_permute2f128_ps(u1, u5, 0x31));
  _mm256_storeu_ps(d + 6 * ds, _mm256_permute2f128_ps(u2, u6, 0x31));
  _mm256_storeu_ps(d + 7 * ds, _mm256_permute2f128_ps(u3, u7, 0x31));
}

/// 8 x 8 blocks with AVX, then 4 x 4 blocks for what is left. With few rows (the packers' 8-32,
/// a channels-last copy's 32-64 channels) the column blocks go outer, so each destination row is
/// written whole at once rather than in 32-byte pieces by every block of rows: on a Sapphire
/// Rapids core 1.35-1.63x for 32-64 rows; with hundreds of rows the row blocks outer stay faster
/// (784 rows: the other order 0.74x).
__attribute__((target("avx2"))) static void transpose_avx(const float *src, long ld, long rows, long cols, float *dst,
                                                          long dst_stride) {
  const long r8 = rows & ~7L, c8 = cols & ~7L;
  if (rows <= 64) {
    for (long c = 0; c < c8; c += 8)
      for (long r = 0; r < r8; r += 8) transpose_8x8(src + r * ld + c, ld, dst + c * dst_stride + r, dst_stride);
  } else {
    for (long r = 0; r < r8; r += 8)
      for (long c = 0; c < c8; c += 8) transpose_8x8(src + r * ld + c, ld, dst + c * dst_stride + r, dst_stride);
  }
  if (c8 < cols) transpose_sse(src + c8, ld, r8, cols - c8, dst + c8 * dst_stride, dst_stride);
  if (r8 < rows) transpose_sse(src + r8 * ld, ld, rows - r8, cols, dst + r8, dst_stride);
}
#endif

void genai_transpose_pack(int path, const float *src, long ld, long rows, long cols, float *dst, long dst_stride) {
#if defined(__x86_64__)
  if (path == GENAI_PATH_AVX2 || path == GENAI_PATH_AVX512) {
    transpose_avx(src, ld, rows, cols, dst, dst_stride);
  } else {
    transpose_sse(src, ld, rows, cols, dst, dst_stride);
  }
#else
  (void)path;
  transpose_scalar(src, ld, rows, cols, dst, dst_stride);
#endif
}

void genai_transpose(int path, const float *src, long ld, long rows, long cols, float *dst, long dst_stride) {
  genai_transpose_pack(genai_path_usable(path), src, ld, rows, cols, dst, dst_stride);
}
