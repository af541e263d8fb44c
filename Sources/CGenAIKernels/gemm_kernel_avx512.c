// AVX-512 micro-kernel: 12 x 32 tile of C (24 ZMM accumulators), A broadcast from memory.
#include "gemm_internal.h"

#if defined(__x86_64__)
#include <immintrin.h>

#define TARGET __attribute__((target("avx512f,fma")))

// One row of the tile: broadcast A[r] and multiply it into both halves of the row. `AT(r)` is
// where A's value for row r at this k lives: `a[r]` in a packed panel, `a[r * lda]` in place.
#define ROW(r)                                        \
  do {                                                \
    const __m512 ar = _mm512_set1_ps(AT(r));          \
    c##r##0 = _mm512_fmadd_ps(ar, b0, c##r##0);       \
    c##r##1 = _mm512_fmadd_ps(ar, b1, c##r##1);       \
  } while (0)

#define STORE(r)                                                                   \
  do {                                                                             \
    float *cr = c + (r) * ldc;                                                     \
    if (accumulate) {                                                              \
      c##r##0 = _mm512_add_ps(c##r##0, _mm512_loadu_ps(cr));                       \
      c##r##1 = _mm512_add_ps(c##r##1, _mm512_loadu_ps(cr + 16));                  \
    }                                                                              \
    _mm512_storeu_ps(cr, c##r##0);                                                 \
    _mm512_storeu_ps(cr + 16, c##r##1);                                            \
  } while (0)

// The 12-row tile's body, for a packed panel (A_STEP 12, AT(r) a[r]) or rows in place (A_STEP 1,
// AT(r) a[r * lda]).
#define KERNEL_12x32_BODY(A_STEP)                                                                                \
  __m512 c00 = _mm512_setzero_ps(), c01 = c00, c10 = c00, c11 = c00, c20 = c00, c21 = c00, c30 = c00, c31 = c00; \
  __m512 c40 = c00, c41 = c00, c50 = c00, c51 = c00, c60 = c00, c61 = c00, c70 = c00, c71 = c00;                 \
  __m512 c80 = c00, c81 = c00, c90 = c00, c91 = c00;                                                             \
  /* Rows 10 and 11 need two-digit names. */                                                                     \
  __m512 cA0 = c00, cA1 = c00, cB0 = c00, cB1 = c00;                                                             \
  for (int r = 0; r < 12; r++) _mm_prefetch((const char *)(c + r * ldc), _MM_HINT_T0);                          \
  for (long k = 0; k < kc; k++) {                                                                                \
    const __m512 b0 = _mm512_load_ps(b), b1 = _mm512_load_ps(b + 16);                                           \
    ROW(0); ROW(1); ROW(2); ROW(3); ROW(4); ROW(5);                                                              \
    ROW(6); ROW(7); ROW(8); ROW(9);                                                                              \
    {                                                                                                            \
      const __m512 ar = _mm512_set1_ps(AT(10));                                                                  \
      cA0 = _mm512_fmadd_ps(ar, b0, cA0);                                                                        \
      cA1 = _mm512_fmadd_ps(ar, b1, cA1);                                                                        \
    }                                                                                                            \
    {                                                                                                            \
      const __m512 ar = _mm512_set1_ps(AT(11));                                                                  \
      cB0 = _mm512_fmadd_ps(ar, b0, cB0);                                                                        \
      cB1 = _mm512_fmadd_ps(ar, b1, cB1);                                                                        \
    }                                                                                                            \
    a += A_STEP;                                                                                                 \
    b += 32;                                                                                                     \
  }                                                                                                              \
  STORE(0); STORE(1); STORE(2); STORE(3); STORE(4); STORE(5);                                                    \
  STORE(6); STORE(7); STORE(8); STORE(9);                                                                        \
  {                                                                                                              \
    float *cr = c + 10 * ldc;                                                                                    \
    if (accumulate) {                                                                                            \
      cA0 = _mm512_add_ps(cA0, _mm512_loadu_ps(cr));                                                             \
      cA1 = _mm512_add_ps(cA1, _mm512_loadu_ps(cr + 16));                                                        \
    }                                                                                                            \
    _mm512_storeu_ps(cr, cA0);                                                                                   \
    _mm512_storeu_ps(cr + 16, cA1);                                                                              \
  }                                                                                                              \
  {                                                                                                              \
    float *cr = c + 11 * ldc;                                                                                    \
    if (accumulate) {                                                                                            \
      cB0 = _mm512_add_ps(cB0, _mm512_loadu_ps(cr));                                                             \
      cB1 = _mm512_add_ps(cB1, _mm512_loadu_ps(cr + 16));                                                        \
    }                                                                                                            \
    _mm512_storeu_ps(cr, cB0);                                                                                   \
    _mm512_storeu_ps(cr + 16, cB1);                                                                              \
  }

#define KERNEL_8x32_BODY(A_STEP)                                                                                 \
  __m512 c00 = _mm512_setzero_ps(), c01 = c00, c10 = c00, c11 = c00, c20 = c00, c21 = c00, c30 = c00, c31 = c00; \
  __m512 c40 = c00, c41 = c00, c50 = c00, c51 = c00, c60 = c00, c61 = c00, c70 = c00, c71 = c00;                 \
  for (int r = 0; r < 8; r++) _mm_prefetch((const char *)(c + r * ldc), _MM_HINT_T0);                           \
  for (long k = 0; k < kc; k++) {                                                                                \
    const __m512 b0 = _mm512_load_ps(b), b1 = _mm512_load_ps(b + 16);                                           \
    ROW(0); ROW(1); ROW(2); ROW(3); ROW(4); ROW(5); ROW(6); ROW(7);                                              \
    a += A_STEP;                                                                                                 \
    b += 32;                                                                                                     \
  }                                                                                                              \
  STORE(0); STORE(1); STORE(2); STORE(3); STORE(4); STORE(5); STORE(6); STORE(7);

#define AT(r) a[r]
TARGET static void kernel_12x32(long kc, const float *restrict a, const float *restrict b, float *restrict c, long ldc,
                                int accumulate) {
  KERNEL_12x32_BODY(12)
}

/// 8 x 32 (16 accumulators), for row counts that 12 would pad badly (32, 64, 25, ...). Each
/// element of C gets the same sequence of fused multiply-adds as in the 12-row kernel.
TARGET static void kernel_8x32(long kc, const float *restrict a, const float *restrict b, float *restrict c, long ldc,
                               int accumulate) {
  KERNEL_8x32_BODY(8)
}
#undef AT

// A read in place: the rows are `lda` apart, each row's values contiguous.
#define AT(r) a[(r) * lda]
TARGET static void kernel_12x32_rows(long kc, const float *restrict a, long lda, const float *restrict b,
                                     float *restrict c, long ldc, int accumulate) {
  KERNEL_12x32_BODY(1)
}

TARGET static void kernel_8x32_rows(long kc, const float *restrict a, long lda, const float *restrict b,
                                    float *restrict c, long ldc, int accumulate) {
  KERNEL_8x32_BODY(1)
}
#undef AT

genai_ukernel genai_ukernel_avx512(void) {
  return (genai_ukernel){12, 32, kernel_12x32, 8, kernel_8x32, kernel_12x32_rows, kernel_8x32_rows};
}

#else
genai_ukernel genai_ukernel_avx512(void) { return (genai_ukernel){0, 0, 0, 0, 0}; }
#endif
