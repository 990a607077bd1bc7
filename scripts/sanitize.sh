#!/usr/bin/env bash
# Builds usockets/ with AddressSanitizer + UndefinedBehaviorSanitizer into usockets/build-sanitize and runs
# every C test under them. TLS is built as by default (on); pass extra CMake options as arguments,
# e.g. scripts/sanitize.sh -DLIBUS_WITH_SSL=OFF
#
#   scripts/sanitize.sh --ci   the bounded version CI runs (scripts/test.sh calls it): builds and runs only the
#                              randomized hammers (test_hammer_mixed for HAMMER_SECONDS, default 20 s, then its
#                              drain; test_tcp_hammer and tls_hammer, bounded by their connection counts), each
#                              printing the seed that replays it (HAMMER_SEED=...)
set -euo pipefail

root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
build="$root/usockets/build-sanitize"

ci=0
if [[ "${1:-}" == "--ci" ]]; then
  ci=1
  shift
fi

# Leaks are errors too; abort on the first report so ctest sees a failure.
export ASAN_OPTIONS="${ASAN_OPTIONS:-detect_leaks=1:abort_on_error=1:strict_string_checks=1:detect_stack_use_after_return=1}"
export UBSAN_OPTIONS="${UBSAN_OPTIONS:-print_stacktrace=1:halt_on_error=1}"

cmake -S "$root/usockets" -B "$build" -DLIBUS_SANITIZE=ON -DLIBUS_WITH_SSL=ON -DCMAKE_BUILD_TYPE=Debug "$@"
if ((ci)); then
  hammers=(test_hammer_mixed test_tcp_hammer tls_hammer)
  cmake --build "$build" -j"$(nproc 2>/dev/null || echo 2)" --target "${hammers[@]}"
  export HAMMER_SECONDS="${HAMMER_SECONDS:-20}"
  log="$build/hammers.log"
  regex="^($(IFS='|'; echo "${hammers[*]}"))\$"
  if ctest --test-dir "$build" -V -R "$regex" >"$log" 2>&1; then
    grep -E "seed|Test +#" "$log" | sed 's/^[0-9]*: //'
    echo "sanitize.sh --ci: the hammers passed under ASan+UBSan"
  else
    tail -n 120 "$log"
    echo "sanitize.sh --ci: a hammer failed (whole log: $log; replay with the seed printed above)" >&2
    exit 1
  fi
  exit 0
fi
cmake --build "$build" -j"$(nproc 2>/dev/null || echo 2)"
ctest --test-dir "$build" --output-on-failure
