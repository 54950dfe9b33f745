#!/usr/bin/env bash
# Builds the whole project and its test suite with AddressSanitizer + UndefinedBehaviorSanitizer
# (-DQD_SANITIZE=ON, gcc) in build-asan/ and runs the suite there. A report fails the test that
# made it. LibTorch, Qt and OpenCV are not instrumented; leaks they own are suppressed by
# tests/sanitize/lsan.supp (third-party frames only, never ours).
#   scripts/sanitize.sh [ctest arguments, e.g. -R tst_history]
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
build=${QD_SANITIZE_BUILD:-$root/build-asan}
jobs=${QD_JOBS:-$(nproc)}

cmake -S "$root" -B "$build" -G Ninja -DCMAKE_BUILD_TYPE=RelWithDebInfo -DQD_SANITIZE=ON \
  -DCMAKE_CXX_FLAGS_RELWITHDEBINFO="-O1 -g1" >/dev/null
cmake --build "$build" -j"$jobs"

export QT_QPA_PLATFORM=offscreen
# halt_on_error: the first report ends the test (so it fails); container-overflow is off because
# std containers cross into the uninstrumented LibTorch/Qt; ODR checks are off for the same reason
# (the libraries' inline statics are seen twice).
export ASAN_OPTIONS=halt_on_error=1:abort_on_error=0:detect_leaks=1:detect_container_overflow=0:detect_odr_violation=0:strict_string_checks=1:check_initialization_order=1
export UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1
# Generation runs several times slower instrumented: tests that wait for an answer wait longer.
export QD_TEST_TIMEOUT_SCALE=5
export LSAN_OPTIONS=suppressions=$root/tests/sanitize/lsan.supp:print_suppressions=0
# The package test builds a .deb of these instrumented binaries; it runs in the normal build.
start=$(date +%s)
ctest --test-dir "$build" --output-on-failure -j"$jobs" -E '^package_deb$' --timeout 1800 "$@"
echo "sanitize.sh: the suite ran clean under ASan + UBSan in $(($(date +%s) - start)) s"
