// Counter-based random fills, one copy per path (16 lanes on AVX-512, 8 on AVX2, 4 portable).
//
// Element i of a fill is a hash of (key, i): murmur3's 32-bit finaliser applied twice, keyed by
// the two halves of a 64-bit key. Unlike a generator's stream, any element can be made without
// the ones before it, so a fill is split across threads and vectorised, and every path and
// every split gives the same bits (integer arithmetic only). A DCGAN step draws 3.6M dropout
// mask elements; one xoshiro stream on one thread took 2% of a one-thread step there.
#include "gemm_internal.h"

#include <stdint.h>

static inline uint32_t fmix32(uint32_t h) {
  h ^= h >> 16;
  h *= 0x85EBCA6Bu;
  h ^= h >> 13;
  h *= 0xC2B2AE35u;
  return h ^ (h >> 16);
}

/// The 32 random bits of element `i` under `key`.
static inline uint32_t counter_hash(uint64_t key, uint32_t i) {
  return fmix32(fmix32(i * 0x9E3779B9u ^ (uint32_t)key) ^ (uint32_t)(key >> 32));
}

/// `y[j] = value` where the top 24 bits of element `i0 + j`'s hash are below `threshold`, else 0.
#define RANDOM_BODY                                                                             \
  typedef uint32_t FN(vu) __attribute__((vector_size(VN * 4)));                                 \
  static inline FN(vu) FN(vfmix32)(FN(vu) h) {                                                  \
    h ^= h >> 16;                                                                               \
    h *= 0x85EBCA6Bu;                                                                           \
    h ^= h >> 13;                                                                               \
    h *= 0xC2B2AE35u;                                                                           \
    return h ^ (h >> 16);                                                                       \
  }                                                                                             \
  static void FN(bernoulli)(uint64_t key, uint64_t i0, uint32_t threshold, float value, float *y, long n) { \
    FN(vu) lane;                                                                                \
    for (int j = 0; j < VN; j++) lane[j] = (uint32_t)j;                                         \
    const FN(vu) k0 = (FN(vu)){0} + (uint32_t)key, k1 = (FN(vu)){0} + (uint32_t)(key >> 32);    \
    const VI bits = (VI)FN(splat)(value);                                                      \
    const long nv = n / VN * VN;                                                                \
    for (long i = 0; i < nv; i += VN) {                                                         \
      const FN(vu) idx = lane + (uint32_t)(i0 + (uint64_t)i);                                   \
      const FN(vu) h = FN(vfmix32)(FN(vfmix32)(idx * 0x9E3779B9u ^ k0) ^ k1);                    \
      const VI keep = (VI)((h >> 8) < threshold);                                               \
      FN(store)(y + i, (VF)(bits & keep));                                                      \
    }                                                                                           \
    for (long i = nv; i < n; i++)                                                               \
      y[i] = (counter_hash(key, (uint32_t)(i0 + (uint64_t)i)) >> 8) < threshold ? value : 0.0f; \
  }

#define PATH_BODIES RANDOM_BODY
#include "vec_paths.h"

void genai_bernoulli(int path, unsigned long long key, unsigned long long i0, unsigned threshold, float value, float *y,
                     long n) {
#if defined(__x86_64__)
  if (path == GENAI_PATH_AVX512) return bernoulli_avx512(key, i0, threshold, value, y, n);
  if (path == GENAI_PATH_AVX2) return bernoulli_avx2(key, i0, threshold, value, y, n);
#endif
  (void)path;
  bernoulli_portable(key, i0, threshold, value, y, n);
}
