#!/usr/bin/env bash
# Builds usockets/ with AddressSanitizer + UndefinedBehaviorSanitizer into usockets/build-sanitize and runs
# every C test under them. TLS is built as by default (on); pass extra CMake options as arguments,
# e.g. scripts/sanitize.sh -DLIBUS_WITH_SSL=OFF
set -euo pipefail

root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
build="$root/usockets/build-sanitize"

# Leaks are errors too; abort on the first report so ctest sees a failure.
export ASAN_OPTIONS="${ASAN_OPTIONS:-detect_leaks=1:abort_on_error=1:strict_string_checks=1:detect_stack_use_after_return=1}"
export UBSAN_OPTIONS="${UBSAN_OPTIONS:-print_stacktrace=1:halt_on_error=1}"

cmake -S "$root/usockets" -B "$build" -DLIBUS_SANITIZE=ON -DLIBUS_WITH_SSL=ON -DCMAKE_BUILD_TYPE=Debug "$@"
cmake --build "$build" -j"$(nproc 2>/dev/null || echo 2)"
ctest --test-dir "$build" --output-on-failure
