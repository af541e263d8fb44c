#!/usr/bin/env bash
# Fuzzes the readers with libFuzzer (and AddressSanitizer), one target after another, each for a
# bounded time, and prints executions, executions per second and crashes per target.
#
# Usage:
#   Scripts/fuzz.sh [SECONDS_PER_TARGET] [TARGET...]     # default: 60 s, every target
#   Scripts/fuzz.sh 120 png wav                           # two targets, two minutes each
#   .build-fuzz/release/genai-fuzz png -runs=1000 Fuzz/corpus/png   # libFuzzer by hand
#   swift run genai-fuzz png Fuzz/crashes/png/crash-…     # replay an input in a plain debug build
#
# Targets: png wav idx gzip safetensors config text (the cases of FuzzTarget in
# Fuzz/Sources/FuzzTarget.swift; each feeds the bytes to one reader's in-memory entry point).
#
# What it does: builds the `genai-fuzz` product in release with `-sanitize=fuzzer,address` into
# .build-fuzz (its own scratch folder, so the usual .build is untouched; the first build takes a
# few minutes), then runs each target on a scratch corpus in .build-fuzz/corpus/<target> (kept
# between runs, so later runs start where earlier ones stopped) seeded from Fuzz/corpus/<target>
# (read only; the fuzzer never writes there). libFuzzer stops a target at its first crash, hang
# (over 10 s on one input) or allocation over FUZZ_MALLOC_LIMIT_MB; the input is kept in
# Fuzz/crashes/<target>/ (git-ignored) and the script exits 1 once every target has run.
#
# Environment: FUZZ_SANITIZERS (default "fuzzer,address"; "fuzzer" alone runs about twice as
# fast), FUZZ_MALLOC_LIMIT_MB (default 512), FUZZ_MAX_LEN (largest input in bytes, default 8192).
#
# Adding a target: add a case to FuzzTarget with its branch in `run(_:)` (call the reader's
# in-memory entry point and check what it returns), put a few small valid seeds (and `bad-*`
# invalid ones) in Fuzz/corpus/<case> (Scripts/gen_fuzz_corpus.py writes the generated ones),
# and FuzzCorpusTests replays them in every `swift test`. A crash found becomes a regression test
# beside the reader's other tests, with the input's bytes inline.
set -uo pipefail
cd "$(dirname "$0")/.."

seconds="${1:-60}"
shift || true
targets=("$@")
[ ${#targets[@]} -eq 0 ] && targets=(png wav idx gzip safetensors config text)
sanitizers="${FUZZ_SANITIZERS:-fuzzer,address}"

echo "building genai-fuzz (release, -sanitize=$sanitizers) in .build-fuzz ..."
# lld: gold fails with an internal error on the fuzzer runtime's debug information.
swift build -c release --scratch-path .build-fuzz --product genai-fuzz \
  -Xswiftc "-sanitize=$sanitizers" -Xswiftc -parse-as-library -Xswiftc -DGENAI_LIBFUZZER -Xswiftc -use-ld=lld \
  2>&1 | grep -v "Cannot export local symbol" | grep -E "error|warning: .*Fuzz/|Compiling GenAIFuzz|Build" || true
binary=.build-fuzz/release/genai-fuzz
[ -x "$binary" ] || { echo "error: the build did not produce $binary"; exit 2; }

mkdir -p .build-fuzz/logs
status=0
summary=()
for target in "${targets[@]}"; do
  [ -d "Fuzz/corpus/$target" ] || { echo "error: no seed corpus Fuzz/corpus/$target (unknown target?)"; exit 2; }
  mkdir -p ".build-fuzz/corpus/$target" "Fuzz/crashes/$target"
  log=".build-fuzz/logs/$target.log"
  before=$(ls "Fuzz/crashes/$target" | wc -l)
  echo "fuzzing $target for ${seconds}s ..."
  "$binary" "$target" -max_total_time="$seconds" -timeout=10 -rss_limit_mb=2048 \
    -malloc_limit_mb="${FUZZ_MALLOC_LIMIT_MB:-512}" -max_len="${FUZZ_MAX_LEN:-8192}" -print_final_stats=1 \
    -artifact_prefix="Fuzz/crashes/$target/" ".build-fuzz/corpus/$target" "Fuzz/corpus/$target" >"$log" 2>&1
  code=$?
  runs=$(sed -n 's/^stat::number_of_executed_units: *//p' "$log" | tail -1)
  rate=$(sed -n 's/^stat::average_exec_per_sec: *//p' "$log" | tail -1)
  crashes=$(($(ls "Fuzz/crashes/$target" | wc -l) - before))
  if [ "$code" -ne 0 ] || [ "$crashes" -gt 0 ]; then
    status=1
    echo "  CRASH (exit $code): kept in Fuzz/crashes/$target/, log in $log:"
    grep -E "ERROR|Fatal error|fatal error|==[0-9]+==|SUMMARY|Test unit written" "$log" | head -8 | sed 's/^/    /'
  fi
  summary+=("$(printf '%-12s %12s %10s %8s' "$target" "${runs:-?}" "${rate:-?}" "$crashes")")
done

echo
printf '%-12s %12s %10s %8s\n' target executions exec/s crashes
printf '%s\n' "${summary[@]}"
exit $status
