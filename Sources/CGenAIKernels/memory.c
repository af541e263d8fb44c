// Large buffers on transparent huge pages.
//
// A convolution's packers read a batch of images a channel plane at a time: every kernel row
// of a run is another plane, kilobytes from the last, so a 12 MB activation touches thousands
// of 4 KB pages in a pattern that misses the TLB on every few loads. With 2 MB pages the same
// tensor is six TLB entries. Linux hands them out only on request where
// /sys/kernel/mm/transparent_hugepage/enabled is "madvise" (a common default), hence the
// madvise; elsewhere it is a no-op and the buffer is an ordinary aligned one.
#define _GNU_SOURCE
#include "CGenAIKernels.h"

#include <stdlib.h>
#if defined(__linux__)
#include <sys/mman.h>
#endif

enum { HUGE_PAGE = 2 << 20 };

void *genai_buffer_alloc(size_t bytes) {
  if (bytes < HUGE_PAGE) return aligned_alloc(64, (bytes + 63) / 64 * 64);
  // Whole huge pages: the tail would otherwise share one with unrelated allocations.
  const size_t rounded = (bytes + HUGE_PAGE - 1) / HUGE_PAGE * HUGE_PAGE;
  void *p = aligned_alloc(HUGE_PAGE, rounded);
#if defined(__linux__) && defined(MADV_HUGEPAGE)
  if (p) (void)madvise(p, rounded, MADV_HUGEPAGE);
#endif
  return p;
}

void genai_buffer_free(void *p) { free(p); }
