// Instantiates `PATH_BODIES` once per code path: a macro the including file defines, whose
// functions are written with VF (the float vector type), VI (the matching int32 vector), VN (its
// lanes) and FN(name) (the path-suffixed name), on top of vecmath_template.h's vector math.
//
//   portable  4 lanes (SSE2 on x86-64, NEON on arm64)     FN(name) = name##_portable
//   avx2      8 lanes, target("avx2,fma") (x86-64 only)   FN(name) = name##_avx2
//   avx512    16 lanes, target("avx512f,fma")             FN(name) = name##_avx512
//
// Include once per file, after defining PATH_BODIES (or PATH_BODY_FILE, a header of bodies too
// long for a macro, included once per path); the file then dispatches on the path.
typedef float vf4 __attribute__((vector_size(16)));
typedef int vi4 __attribute__((vector_size(16)));
#define VF vf4
#define VI vi4
#define VN 4
#define FN(name) name##_portable
#include "vecmath_template.h"
#ifdef PATH_BODY_FILE
#include PATH_BODY_FILE
#else
PATH_BODIES
#endif
#undef VF
#undef VI
#undef VN
#undef FN

#if defined(__x86_64__)
typedef float vf8 __attribute__((vector_size(32)));
typedef int vi8 __attribute__((vector_size(32)));
typedef float vf16 __attribute__((vector_size(64)));
typedef int vi16 __attribute__((vector_size(64)));

#pragma clang attribute push(__attribute__((target("avx2,fma"))), apply_to = function)
#define VF vf8
#define VI vi8
#define VN 8
#define FN(name) name##_avx2
#include "vecmath_template.h"
#ifdef PATH_BODY_FILE
#include PATH_BODY_FILE
#else
PATH_BODIES
#endif
#undef VF
#undef VI
#undef VN
#undef FN
#pragma clang attribute pop

#pragma clang attribute push(__attribute__((target("avx512f,fma"))), apply_to = function)
#define VF vf16
#define VI vi16
#define VN 16
#define FN(name) name##_avx512
#include "vecmath_template.h"
#ifdef PATH_BODY_FILE
#include PATH_BODY_FILE
#else
PATH_BODIES
#endif
#undef VF
#undef VI
#undef VN
#undef FN
#pragma clang attribute pop
#endif
