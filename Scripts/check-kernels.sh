#!/usr/bin/env bash
# Checks the C kernels (Sources/CGenAIKernels) with the plain-C harness Tests/CKernelChecks/kernel_check.c
# against double-precision references, on every code path this machine can run:
#
#   native    the harness built with each of clang and gcc found (-O2) and run: portable, plus
#             avx2 / avx512 where the CPU has them (they are then required, not just allowed)
#   sanitize  the same under AddressSanitizer + UndefinedBehaviorSanitizer, and under
#             ThreadSanitizer on the fastest path (parts of an operation run on several threads);
#             skipped, with the reason, where the compiler cannot build them
#   aarch64   the harness cross-compiled with aarch64-linux-gnu-gcc (and with clang
#             --target=aarch64-linux-gnu where clang is there) as a static binary and run under
#             qemu-aarch64: the NEON and portable paths, both required
#
# Usage: Scripts/check-kernels.sh [--native-only] [--quick] [--keep] [--seed N]
#   --native-only  skip the aarch64 stage (no cross tools needed)
#   --quick        skip the sanitizer builds
#   --keep         keep the build folder (printed) instead of deleting it
#   --seed N       passed to the harness (default: its fixed seed)
#
# Exit status: 0 everything that ran passed; 1 a build or a check failed (printed above the
# summary); 3 nothing failed but the aarch64 stage could not run because tools are missing (they
# are named, with the Debian packages that provide them). Builds go to a temporary folder, never
# into the repository.
set -uo pipefail

root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
src="$root/Sources/CGenAIKernels"
harness="$root/Tests/CKernelChecks/kernel_check.c"

native_only=0 quick=0 keep=0
harness_args=()
while [ $# -gt 0 ]; do
  case "$1" in
    --native-only) native_only=1 ;;
    --quick) quick=1 ;;
    --keep) keep=1 ;;
    --seed)
      [ $# -ge 2 ] || { echo "check-kernels: --seed needs a value" >&2; exit 2; }
      harness_args+=(--seed "$2"); shift ;;
    -h|--help) sed -n '2,23p' "$0" | sed 's/^# \{0,1\}//'; exit 0 ;;
    *) echo "check-kernels: unknown argument '$1' (see --help)" >&2; exit 2 ;;
  esac
  shift
done

build="$(mktemp -d "${TMPDIR:-/tmp}/genai-kernel-check.XXXXXX")"
if [ "$keep" = 1 ]; then
  echo "check-kernels: build folder $build (kept)"
else
  trap 'rm -rf "$build"' EXIT
fi

sources=("$harness" "$src"/*.c)
cflags=(-O2 -Wall -Wextra -pthread -I"$src/include")
summary=()
failed=0
missing=()

have() { command -v "$1" >/dev/null 2>&1; }
now() {
  local t
  t="$(date +%s.%N)"
  case "$t" in *N) date +%s ;; *) echo "$t" ;; esac  # no %N (macOS): whole seconds
}
since() { awk -v a="$1" -v b="$(now)" 'BEGIN { printf "%.1fs", b - a }'; }

ok() { summary+=("ok       $1"); }
bad() { summary+=("FAILED   $1"); failed=1; echo "check-kernels: FAILED: $1" >&2; }
skip() { summary+=("skipped  $1"); echo "check-kernels: skipped: $1"; }

# build NAME COMPILER... : compiles the harness and the kernels into $build/NAME; output shown on failure.
build_with() {
  local name="$1"; shift
  local log="$build/$name.log"
  if "$@" "${sources[@]}" -lm -o "$build/$name" >"$log" 2>&1; then
    # Warnings are worth seeing even when the build succeeds.
    if [ -s "$log" ]; then echo "--- $name: compiler output"; cat "$log"; fi
    return 0
  fi
  echo "--- $name: build failed: $*" >&2
  cat "$log" >&2
  return 1
}

# run LABEL COMMAND... : runs a harness, streaming its output; records ok / FAILED with the time.
run_check() {
  local label="$1"; shift
  local t0 rc
  t0="$(now)"
  echo "--- $label: $*"
  "$@"
  rc=$?
  if [ "$rc" = 0 ]; then ok "$label ($(since "$t0"))"; else bad "$label (exit $rc, $(since "$t0"))"; fi
}

# MARK: - Native

required=(portable)
if [ "$(uname -m)" = x86_64 ] && [ -r /proc/cpuinfo ]; then
  flags="$(grep -m1 '^flags' /proc/cpuinfo)"
  if [[ " $flags " == *" avx2 "* && " $flags " == *" fma "* ]]; then required+=(avx2); fi
  if [[ " $flags " == *" avx512f "* && " $flags " == *" fma "* ]]; then required+=(avx512); fi
fi
if [ "$(uname -m)" = aarch64 ] || [ "$(uname -m)" = arm64 ]; then required+=(neon); fi
require_native="$(IFS=,; echo "${required[*]}")"

native_ccs=()
for cc in clang gcc; do have "$cc" && native_ccs+=("$cc"); done
if [ ${#native_ccs[@]} = 0 ]; then
  have cc && native_ccs+=(cc)
fi
if [ ${#native_ccs[@]} = 0 ]; then
  bad "native: no C compiler (clang, gcc or cc) on PATH"
  missing+=("a C compiler (apt-get install gcc or clang)")
fi

built_ccs=()  # the compilers that built the harness: the sanitizer builds use them
for cc in ${native_ccs[@]+"${native_ccs[@]}"}; do
  t0="$(now)"
  if build_with "native-$cc" "$cc" "${cflags[@]}"; then
    echo "--- native-$cc built in $(since "$t0")"
    run_check "native $cc ($(uname -m): $require_native)" "$build/native-$cc" --require "$require_native" ${harness_args[@]+"${harness_args[@]}"}
    built_ccs+=("$cc")
  else
    bad "native $cc: build failed"
  fi
done

# MARK: - Sanitizers

# sanitizer LABEL SANITIZER-FLAGS HARNESS-ARGS : tries clang then gcc; skips when neither can link it.
sanitizer() {
  local label="$1" sflags="$2" hargs="$3" cc built=""
  for cc in "${built_ccs[@]}"; do
    local ld=()
    [ "$cc" = clang ] && have ld.lld && ld=(-fuse-ld=lld)
    # shellcheck disable=SC2086
    if "$cc" -O1 -g -fno-omit-frame-pointer $sflags ${ld[@]+"${ld[@]}"} -pthread -I"$src/include" "${sources[@]}" -lm \
      -o "$build/$label-$cc" >"$build/$label-$cc.log" 2>&1; then
      built="$cc"
      break
    fi
  done
  if [ -z "$built" ]; then
    skip "$label: no compiler here could build with $sflags (last error: $(grep -m1 -i error "$build/$label-$cc.log" 2>/dev/null | cut -c1-160))"
    return
  fi
  # shellcheck disable=SC2086
  ASAN_OPTIONS=detect_leaks=0 UBSAN_OPTIONS=print_stacktrace=1 TSAN_OPTIONS=halt_on_error=1 \
    run_check "$label $built" "$build/$label-$built" $hargs ${harness_args[@]+"${harness_args[@]}"}
}

if [ "$quick" = 1 ]; then
  skip "sanitizers (--quick)"
elif [ ${#built_ccs[@]} = 0 ]; then
  skip "sanitizers: no native build succeeded"
else
  sanitizer "asan+ubsan" "-fsanitize=address,undefined -fno-sanitize-recover=all" "--require $require_native"
  # Data races between the parts of one operation do not depend on the micro-kernel, so one path.
  sanitizer "tsan" "-fsanitize=thread" "--path ${required[${#required[@]}-1]}"
fi

# MARK: - aarch64 under qemu

qemu=""
for q in qemu-aarch64-static qemu-aarch64; do
  if have "$q"; then qemu="$q"; break; fi
done

cross_missing=0
if [ "$native_only" = 1 ]; then
  skip "aarch64 (--native-only)"
else
  if ! have aarch64-linux-gnu-gcc; then
    missing+=("aarch64-linux-gnu-gcc (Debian: apt-get install gcc-aarch64-linux-gnu libc6-dev-arm64-cross)")
    cross_missing=1
  fi
  if [ -z "$qemu" ]; then
    missing+=("qemu-aarch64 or qemu-aarch64-static (Debian: apt-get install qemu-user, or qemu-user-static)")
    cross_missing=1
  fi
  if [ "$cross_missing" = 1 ]; then
    skip "aarch64: tools missing (see below)"
  else
    t0="$(now)"
    if build_with "aarch64-gcc" aarch64-linux-gnu-gcc "${cflags[@]}" -static; then
      echo "--- aarch64-gcc built in $(since "$t0")"
      run_check "aarch64 gcc under $qemu (neon,portable)" "$qemu" "$build/aarch64-gcc" --require neon,portable ${harness_args[@]+"${harness_args[@]}"}
    else
      bad "aarch64 gcc: build failed"
    fi
    # clang must accept the code for arm64 too (SwiftPM builds the target with clang). Compiling
    # needs only the cross headers; linking needs a linker that knows aarch64 (ld.lld, or the
    # cross binutils through the gcc-cross installation), so a link failure skips the run.
    if have clang; then
      t0="$(now)"
      clang_ok=1
      for f in "${sources[@]}"; do
        if ! clang --target=aarch64-linux-gnu "${cflags[@]}" -c "$f" -o "$build/aarch64-clang-$(basename "$f" .c).o" \
          >"$build/aarch64-clang-compile.log" 2>&1; then
          echo "--- clang --target=aarch64-linux-gnu: $f does not compile" >&2
          cat "$build/aarch64-clang-compile.log" >&2
          clang_ok=0
        elif [ -s "$build/aarch64-clang-compile.log" ]; then
          echo "--- clang --target=aarch64-linux-gnu: $f"; cat "$build/aarch64-clang-compile.log"
        fi
      done
      if [ "$clang_ok" = 0 ]; then
        bad "aarch64 clang: compile failed"
      else
        linked=0
        for ld in -fuse-ld=lld ""; do
          # shellcheck disable=SC2086
          if clang --target=aarch64-linux-gnu $ld -static -pthread "$build"/aarch64-clang-*.o -lm -o "$build/aarch64-clang" \
            >"$build/aarch64-clang-link.log" 2>&1; then
            linked=1
            break
          fi
        done
        if [ "$linked" = 1 ]; then
          echo "--- aarch64-clang built in $(since "$t0")"
          run_check "aarch64 clang under $qemu (neon,portable)" "$qemu" "$build/aarch64-clang" --require neon,portable ${harness_args[@]+"${harness_args[@]}"}
        else
          skip "aarch64 clang run: compiled, but clang could not link for aarch64 ($(grep -m1 -i error "$build/aarch64-clang-link.log" | cut -c1-160))"
        fi
      fi
    else
      skip "aarch64 clang: clang not on PATH"
    fi
  fi
fi

# MARK: - Summary

echo
echo "check-kernels summary:"
for line in "${summary[@]}"; do echo "  $line"; done
if [ ${#missing[@]} -gt 0 ]; then
  echo "check-kernels: MISSING TOOLS, so these checks did not run:" >&2
  for m in "${missing[@]}"; do echo "  - $m" >&2; done
fi
if [ "$failed" = 1 ]; then
  echo "check-kernels: FAILED" >&2
  exit 1
fi
if [ ${#missing[@]} -gt 0 ]; then
  exit 3
fi
echo "check-kernels: all passed"
