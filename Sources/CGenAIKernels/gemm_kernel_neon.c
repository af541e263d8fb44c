// NEON micro-kernel (arm64): 8 x 12 tile of C (24 Q-register accumulators); A's eight values of
// a step sit in two registers and are multiplied in by lane.
#include "gemm_internal.h"

#if defined(__aarch64__)
#include <arm_neon.h>

#define ROW(r, av, lane)                                   \
  do {                                                     \
    c##r##0 = vfmaq_laneq_f32(c##r##0, b0, av, lane);      \
    c##r##1 = vfmaq_laneq_f32(c##r##1, b1, av, lane);      \
    c##r##2 = vfmaq_laneq_f32(c##r##2, b2, av, lane);      \
  } while (0)

#define STORE(r)                                           \
  do {                                                     \
    float *cr = c + (r) * ldc;                             \
    if (accumulate) {                                      \
      c##r##0 = vaddq_f32(c##r##0, vld1q_f32(cr));         \
      c##r##1 = vaddq_f32(c##r##1, vld1q_f32(cr + 4));     \
      c##r##2 = vaddq_f32(c##r##2, vld1q_f32(cr + 8));     \
    }                                                      \
    vst1q_f32(cr, c##r##0);                                \
    vst1q_f32(cr + 4, c##r##1);                            \
    vst1q_f32(cr + 8, c##r##2);                            \
  } while (0)

static void kernel_8x12(long kc, const float *restrict a, const float *restrict b, float *restrict c, long ldc,
                        int accumulate) {
  float32x4_t c00 = vdupq_n_f32(0), c01 = c00, c02 = c00, c10 = c00, c11 = c00, c12 = c00;
  float32x4_t c20 = c00, c21 = c00, c22 = c00, c30 = c00, c31 = c00, c32 = c00;
  float32x4_t c40 = c00, c41 = c00, c42 = c00, c50 = c00, c51 = c00, c52 = c00;
  float32x4_t c60 = c00, c61 = c00, c62 = c00, c70 = c00, c71 = c00, c72 = c00;
  for (long k = 0; k < kc; k++) {
    const float32x4_t a0 = vld1q_f32(a), a1 = vld1q_f32(a + 4);
    const float32x4_t b0 = vld1q_f32(b), b1 = vld1q_f32(b + 4), b2 = vld1q_f32(b + 8);
    ROW(0, a0, 0); ROW(1, a0, 1); ROW(2, a0, 2); ROW(3, a0, 3);
    ROW(4, a1, 0); ROW(5, a1, 1); ROW(6, a1, 2); ROW(7, a1, 3);
    a += 8;
    b += 12;
  }
  STORE(0); STORE(1); STORE(2); STORE(3); STORE(4); STORE(5); STORE(6); STORE(7);
}

genai_ukernel genai_ukernel_neon(void) { return (genai_ukernel){8, 12, kernel_8x12, 0, 0}; }

#else
genai_ukernel genai_ukernel_neon(void) { return (genai_ukernel){0, 0, 0, 0, 0}; }
#endif
