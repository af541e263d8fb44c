// Portable micro-kernel: 4 x 8 tile of C in plain C, which compilers vectorise for whatever
// baseline the build targets (SSE2 on x86-64, NEON on arm64). The fallback for other CPUs and
// the reference the tests hold the other paths to.
#include "gemm_internal.h"

static void kernel_4x8(long kc, const float *restrict a, const float *restrict b, float *restrict c, long ldc,
                       int accumulate) {
  float acc[4][8];
  for (int i = 0; i < 4; i++)
    for (int j = 0; j < 8; j++) acc[i][j] = 0;
  for (long k = 0; k < kc; k++) {
    for (int i = 0; i < 4; i++) {
      const float ai = a[i];
      for (int j = 0; j < 8; j++) acc[i][j] += ai * b[j];
    }
    a += 4;
    b += 8;
  }
  for (int i = 0; i < 4; i++) {
    float *cr = c + i * ldc;
    if (accumulate) {
      for (int j = 0; j < 8; j++) cr[j] += acc[i][j];
    } else {
      for (int j = 0; j < 8; j++) cr[j] = acc[i][j];
    }
  }
}

genai_ukernel genai_ukernel_portable(void) { return (genai_ukernel){4, 8, kernel_4x8, 0, 0}; }
