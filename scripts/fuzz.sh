#!/usr/bin/env bash
# Builds the libFuzzer targets (tests/fuzz, clang with ASan + UBSan) and runs each for SECONDS
# (default 60) from the committed seed corpus, printing executions and crashes per target.
#   scripts/fuzz.sh 60
# Crash inputs land in $QD_FUZZ_BUILD/run-<target>/crashes (default build-fuzz/); reproduce one with
#   build-fuzz/fuzz_<target> <crash file>
set -euo pipefail
seconds=${1:-60}
root=$(cd "$(dirname "$0")/.." && pwd)
build=${QD_FUZZ_BUILD:-$root/build-fuzz}
command -v clang++ >/dev/null || { echo "fuzz.sh: clang++ is needed (apt-get install clang)" >&2; exit 2; }

CC=clang CXX=clang++ cmake -S "$root/tests/fuzz" -B "$build" -G Ninja -DCMAKE_BUILD_TYPE=RelWithDebInfo >/dev/null
cmake --build "$build" -j2 >/dev/null

failed=0
for spec in safetensors_header:safetensors pickle:pickle zip_directory:zip; do
  target=${spec%%:*}
  kind=${spec##*:}
  work="$build/run-$target"
  rm -rf "$work"
  mkdir -p "$work/corpus" "$work/crashes"
  cp "$root/tests/fuzz/corpus/$kind/"* "$work/corpus/" # the committed seeds stay as they are
  set +e
  dict=()
  [ -f "$root/tests/fuzz/$kind.dict" ] && dict=(-dict="$root/tests/fuzz/$kind.dict")
  "$build/fuzz_$target" "$work/corpus" -max_total_time="$seconds" "${dict[@]}" \
    -artifact_prefix="$work/crashes/" -max_len=65536 -rss_limit_mb=2048 -timeout=10 -print_final_stats=1 \
    >"$work/log.txt" 2>&1
  rc=$?
  set -e
  execs=$(sed -n 's/^stat::number_of_executed_units: *//p' "$work/log.txt" | tail -1)
  crashes=$(find "$work/crashes" -type f | wc -l)
  corpus=$(find "$work/corpus" -type f | wc -l)
  echo "fuzz_$target: ${execs:-?} executions in $seconds s, $crashes crashes, corpus $corpus inputs (exit $rc)"
  if [ "$rc" -ne 0 ] || [ "$crashes" -ne 0 ]; then
    failed=1
    grep -E "ERROR|SUMMARY|==[0-9]+==|#0 |#1 |#2 " "$work/log.txt" | head -20 || true
    find "$work/crashes" -type f | head -5
  fi
done
exit $failed
