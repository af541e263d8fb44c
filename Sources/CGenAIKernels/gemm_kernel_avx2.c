// AVX2 + FMA micro-kernel: 6 x 16 tile of C (12 YMM accumulators), A broadcast from memory.
#include "gemm_internal.h"

#if defined(__x86_64__)
#include <immintrin.h>

#define TARGET __attribute__((target("avx2,fma")))

// `AT(r)` is where A's value for row r at this k lives: `a[r]` in a packed panel, `a[r * lda]`
// in place.
#define ROW(r)                                        \
  do {                                                \
    const __m256 ar = _mm256_broadcast_ss(&AT(r));    \
    c##r##0 = _mm256_fmadd_ps(ar, b0, c##r##0);       \
    c##r##1 = _mm256_fmadd_ps(ar, b1, c##r##1);       \
  } while (0)

#define STORE(r)                                                  \
  do {                                                            \
    float *cr = c + (r) * ldc;                                    \
    if (accumulate) {                                             \
      c##r##0 = _mm256_add_ps(c##r##0, _mm256_loadu_ps(cr));      \
      c##r##1 = _mm256_add_ps(c##r##1, _mm256_loadu_ps(cr + 8));  \
    }                                                             \
    _mm256_storeu_ps(cr, c##r##0);                                \
    _mm256_storeu_ps(cr + 8, c##r##1);                            \
  } while (0)

#define KERNEL_6x16_BODY(A_STEP)                                                        \
  __m256 c00 = _mm256_setzero_ps(), c01 = c00, c10 = c00, c11 = c00, c20 = c00, c21 = c00; \
  __m256 c30 = c00, c31 = c00, c40 = c00, c41 = c00, c50 = c00, c51 = c00;              \
  for (int r = 0; r < 6; r++) _mm_prefetch((const char *)(c + r * ldc), _MM_HINT_T0);  \
  for (long k = 0; k < kc; k++) {                                                       \
    const __m256 b0 = _mm256_load_ps(b), b1 = _mm256_load_ps(b + 8);                    \
    ROW(0); ROW(1); ROW(2); ROW(3); ROW(4); ROW(5);                                     \
    a += A_STEP;                                                                        \
    b += 16;                                                                            \
  }                                                                                     \
  STORE(0); STORE(1); STORE(2); STORE(3); STORE(4); STORE(5);

#define AT(r) a[r]
TARGET static void kernel_6x16(long kc, const float *restrict a, const float *restrict b, float *restrict c, long ldc,
                               int accumulate) {
  KERNEL_6x16_BODY(6)
}
#undef AT

// A read in place: the rows are `lda` apart, each row's values contiguous.
#define AT(r) a[(r) * lda]
TARGET static void kernel_6x16_rows(long kc, const float *restrict a, long lda, const float *restrict b,
                                    float *restrict c, long ldc, int accumulate) {
  KERNEL_6x16_BODY(1)
}
#undef AT

genai_ukernel genai_ukernel_avx2(void) { return (genai_ukernel){6, 16, kernel_6x16, 0, 0, kernel_6x16_rows, 0}; }

#else
genai_ukernel genai_ukernel_avx2(void) { return (genai_ukernel){0, 0, 0, 0, 0}; }
#endif
