#!/usr/bin/env bash
# Builds with tests and runs every test; exits non-zero on any failure.
#   build/      RelWithDebInfo (g++): unit, end-to-end
#   build-san/  clang with AddressSanitizer + UndefinedBehaviorSanitizer: unit tests, and the
#               libFuzzer targets, which share VIRTNET_FUZZ_BUDGET_SECONDS (default 240) evenly
#   build-tsan/ clang with ThreadSanitizer: the scraper, collector worker and background helper
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/deps.sh --test
jobs=$(nproc)

cmake -S . -B build -DVIRTNET_TESTS=ON >/dev/null
cmake --build build -j"$jobs"
(cd build && ctest --output-on-failure -j1 -LE bench)  # bench is opt-in: ctest -L bench

CC=clang CXX=clang++ cmake -S . -B build-san -DVIRTNET_TESTS=ON -DVIRTNET_SANITIZE=ON \
  -DVIRTNET_FUZZ=ON -DVIRTNET_FUZZ_BUDGET_SECONDS="${VIRTNET_FUZZ_BUDGET_SECONDS:-240}" >/dev/null
cmake --build build-san -j"$jobs" --target unit_tests fuzz_targets
(cd build-san && ASAN_OPTIONS=detect_leaks=1:abort_on_error=1 UBSAN_OPTIONS=print_stacktrace=1 \
  ctest --output-on-failure -L 'unit|fuzz' -j1)

CC=clang CXX=clang++ cmake -S . -B build-tsan -DVIRTNET_TESTS=ON -DVIRTNET_TSAN=ON >/dev/null
cmake --build build-tsan -j"$jobs" --target tsan_tests
(cd build-tsan && ctest --output-on-failure -L threads -j1)
