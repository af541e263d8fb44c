#!/usr/bin/env bash
# Times the working tree's convolution packers and stores against those of REF (default HEAD) in
# one process (see conv_ab.c for why), on one core.
#
# Usage: Benchmarks/conv_ab/run.sh [REF] [REPETITIONS]    e.g.  Benchmarks/conv_ab/run.sh HEAD~1 40
# Needs clang (or CC=gcc) and git; builds into a temporary folder. GENAI_CPU picks the path.
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
ref="${1:-HEAD}" reps="${2:-30}" cc="${CC:-clang}"
work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT
git -C "$root" archive "$ref" Sources/CGenAIKernels | tar -x -C "$work"
old="$work/Sources/CGenAIKernels" new="$root/Sources/CGenAIKernels"
rename=(-Dgenai_conv_forward_op=old_conv_forward_op -Dgenai_conv_transpose_op=old_conv_transpose_op
  -Dgenai_conv_weight_grad_op=old_conv_weight_grad_op -Dgenai_conv_weight_grad_run=old_conv_weight_grad_run
  -Dgenai_run_ops_for=old_run_ops_for
  -Dgenai_run_ops_avx2=old_run_ops_avx2 -Dgenai_run_ops_avx512=old_run_ops_avx512
  -Dgenai_transpose_pack=old_transpose_pack)
objects=()
# The packers, stores and transposing copies of REF; everything else (GEMM driver, micro-kernels)
# is the working tree's.
for f in conv conv_runs_avx2 conv_runs_avx512 pack_transpose; do
  [ -f "$old/$f.c" ] || continue
  "$cc" -O3 -w -c "${rename[@]}" -I"$old/include" -I"$old" "$old/$f.c" -o "$work/old_$f.o"
  objects+=("$work/old_$f.o")
done
"$cc" -O3 -w -I"$new/include" -I"$new" "$root/Benchmarks/conv_ab/conv_ab.c" "$new"/*.c "${objects[@]}" \
  -o "$work/conv_ab" -lpthread -lm
# One core (the first), so the two versions never share it with each other's threads.
if command -v taskset >/dev/null; then taskset -c 0 "$work/conv_ab" "$reps"; else "$work/conv_ab" "$reps"; fi
