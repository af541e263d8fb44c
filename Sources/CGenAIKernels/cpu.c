// CPU features, cache sizes and the choice of code path.
#include "CGenAIKernels.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#if defined(__linux__)
#include <unistd.h>
#endif
#if defined(__APPLE__)
#include <sys/sysctl.h>
#include <sys/types.h>
#endif

static const char *const path_names[GENAI_PATH_COUNT] = {"portable", "avx2", "avx512", "neon"};

const char *genai_path_name(int path) {
  return path >= 0 && path < GENAI_PATH_COUNT ? path_names[path] : "unknown";
}

int genai_path_supported(int path) {
  switch (path) {
  case GENAI_PATH_PORTABLE:
    return 1;
#if defined(__x86_64__) || defined(__i386__)
  case GENAI_PATH_AVX2:
    return __builtin_cpu_supports("avx2") && __builtin_cpu_supports("fma");
  case GENAI_PATH_AVX512:
    // F for the arithmetic; the OS must also save the ZMM state, which `__builtin_cpu_supports`
    // checks (through XGETBV) on current compilers.
    return __builtin_cpu_supports("avx512f") && __builtin_cpu_supports("fma");
#endif
#if defined(__aarch64__)
  case GENAI_PATH_NEON:
    return 1;
#endif
  default:
    return 0;
  }
}

int genai_path_best(void) {
  for (int p = GENAI_PATH_COUNT - 1; p > 0; p--)
    if (genai_path_supported(p)) return p;
  return GENAI_PATH_PORTABLE;
}

static int default_path = -2;  // -2: not chosen yet

int genai_path_default(void) {
  int p = __atomic_load_n(&default_path, __ATOMIC_ACQUIRE);
  if (p >= 0) return p;
  p = genai_path_best();
  const char *forced = getenv("GENAI_CPU");
  if (forced && *forced) {
    int found = -1;
    for (int i = 0; i < GENAI_PATH_COUNT; i++)
      if (strcmp(forced, path_names[i]) == 0) found = i;
    if (found < 0) {
      fprintf(stderr, "genai: GENAI_CPU=%s is not a path (portable, avx2, avx512, neon); using %s\n", forced,
              path_names[p]);
    } else if (!genai_path_supported(found)) {
      fprintf(stderr, "genai: GENAI_CPU=%s is not supported by this CPU; using %s\n", forced, path_names[p]);
    } else {
      p = found;
    }
  }
  __atomic_store_n(&default_path, p, __ATOMIC_RELEASE);
  return p;
}

static _Thread_local int thread_path = -1;

int genai_thread_path_set(int path) {
  if (path < 0) {
    thread_path = -1;
    return 1;
  }
  if (!genai_path_supported(path)) return 0;
  thread_path = path;
  return 1;
}

int genai_thread_path_get(void) { return thread_path; }

int genai_path_active(void) { return thread_path >= 0 ? thread_path : genai_path_default(); }

// MARK: - Cache sizes

#if defined(__linux__)
/// Size of the data or unified cache of `level` from sysfs (KVM guests often report a host-wide
/// L3 through sysconf; sysfs gives the guest's view).
static long sysfs_cache_size(int level) {
  char path[96], buf[64];
  for (int index = 0; index < 8; index++) {
    snprintf(path, sizeof path, "/sys/devices/system/cpu/cpu0/cache/index%d/level", index);
    FILE *f = fopen(path, "r");
    if (!f) break;
    int lv = 0;
    int ok = fscanf(f, "%d", &lv) == 1;
    fclose(f);
    if (!ok || lv != level) continue;
    snprintf(path, sizeof path, "/sys/devices/system/cpu/cpu0/cache/index%d/type", index);
    f = fopen(path, "r");
    if (!f) continue;
    ok = fgets(buf, sizeof buf, f) != NULL;
    fclose(f);
    if (!ok || strncmp(buf, "Instruction", 11) == 0) continue;
    snprintf(path, sizeof path, "/sys/devices/system/cpu/cpu0/cache/index%d/size", index);
    f = fopen(path, "r");
    if (!f) continue;
    long size = 0;
    char unit = 0;
    int n = fscanf(f, "%ld%c", &size, &unit);
    fclose(f);
    if (n < 1 || size <= 0) continue;
    if (unit == 'K') size <<= 10;
    if (unit == 'M') size <<= 20;
    return size;
  }
  return 0;
}
#endif

static long cache_sizes[4] = {0, 0, 0, 0};

long genai_cache_size(int level) {
  if (level < 1 || level > 3) return 0;
  long cached = __atomic_load_n(&cache_sizes[level], __ATOMIC_RELAXED);
  if (cached > 0) return cached;
  long size = 0;
#if defined(__linux__)
  size = sysfs_cache_size(level);
  if (size <= 0) {
    int name = level == 1 ? _SC_LEVEL1_DCACHE_SIZE : level == 2 ? _SC_LEVEL2_CACHE_SIZE : _SC_LEVEL3_CACHE_SIZE;
    size = sysconf(name);
  }
#elif defined(__APPLE__)
  const char *name = level == 1 ? "hw.l1dcachesize" : level == 2 ? "hw.l2cachesize" : "hw.l3cachesize";
  int64_t v = 0;
  size_t len = sizeof v;
  if (sysctlbyname(name, &v, &len, NULL, 0) == 0) size = (long)v;
#endif
  // Defaults of a modest desktop core where the system does not say.
  if (size <= 0) size = level == 1 ? 32 << 10 : level == 2 ? 512 << 10 : 8 << 20;
  __atomic_store_n(&cache_sizes[level], size, __ATOMIC_RELAXED);
  return size;
}
