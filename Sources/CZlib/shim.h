// The system zlib (libz; Debian/Ubuntu package zlib1g-dev, one of the Swift toolchain's own
// Linux prerequisites). GenAIData's Zlib, Gzip, CRC32 and the PNG and IDX codecs are built on it.
#include <zlib.h>

// inflateInit2 and deflateInit2 are macros (they pass zlib.h's version and sizeof(z_stream) so
// the library can check them), and Swift cannot call macros: these wrappers can.
static inline int genai_inflate_init(z_streamp stream, int windowBits) {
  return inflateInit2(stream, windowBits);
}

static inline int genai_deflate_init(z_streamp stream, int level, int windowBits) {
  return deflateInit2(stream, level, Z_DEFLATED, windowBits, 8, Z_DEFAULT_STRATEGY);
}
