#!/usr/bin/env bash
# Runs the C tests of usockets/ under valgrind (memcheck): any definite or indirect leak and any invalid
# access (read, write, free, uninitialised jump) fails the run. Builds a Debug usockets/ without sanitizers
# (valgrind and ASan do not mix) into usockets/build-valgrind.
#
#   scripts/valgrind.sh          every C test but four (see below; ~10 minutes on 2 busy cores: valgrind runs
#                                code 20-50x slower)
#   scripts/valgrind.sh --ci     the bounded selection CI runs (see CI_TESTS below)
#   scripts/valgrind.sh -R tls_  a CTest regex of your own (any other arguments go to ctest)
#
# "Still reachable" memory is not an error: OpenSSL 3 keeps its library-wide tables (providers, error strings,
# the default library context) until exit on purpose, and the tests do not call OPENSSL_cleanup(). Nothing is
# suppressed; the leak kinds that count are definite and indirect.
set -euo pipefail

root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
build="$root/usockets/build-valgrind"

# CI's selection: one of each family, chosen to cover the allocation paths (loop, timers, sockets parked and
# freed, adoption/resize, refused connects, TLS contexts, handshakes, SNI, verification, chains built once, a
# TLS failure after errors left on the queue, UDP close), with
# the hammers reduced by HAMMER_SECONDS so the whole selection stays under ~2 minutes under valgrind.
CI_TESTS='^(test_loop|test_timer|test_wakeup|test_tcp_echo|test_tcp_close|test_tcp_adopt|test_tcp_shutdown|test_udp_close|tls_echo|tls_garbage|tls_sni|tls_verify|tls_shutdown|tls_chain|tls_error_queue|test_hammer_mixed)$'

ctest_args=()
ci_targets=()
if [[ "${1:-}" == "--ci" ]]; then
  shift
  ctest_args=(-R "$CI_TESTS")
  IFS='|' read -r -a ci_targets <<<"$(sed 's/^\^(//; s/)\$$//' <<<"$CI_TESTS")"
  export HAMMER_SECONDS="${HAMMER_SECONDS:-5}"
fi
ctest_args+=("$@")
# Not under valgrind: test_tcp_connect_errors asserts that a name lookup leaves the loop free within 100 ms,
# a timing valgrind's slowdown breaks; its memory paths (failed connects, resolver thread) also run in
# test_hammer_mixed (connects to a closed port) and in the full sanitizer run.
# tls_low_memory measures the heap with mallinfo2(), which valgrind's allocator does not feed (it reads 0).
# test_tcp_emfile lowers its descriptor limit to 64 and does not finish under valgrind (killed by its guard after
# 200 s); test_udp_echo echoes 100 000 datagrams and needs more than 10 minutes under valgrind. Their paths run
# under ASan+UBSan (scripts/sanitize.sh), and the UDP ones also here in test_udp_close/drain/errors/sizes/ipv6.
ctest_args+=(-E '^(test_tcp_connect_errors|tls_low_memory|test_tcp_emfile|test_udp_echo)$')
# The tests' own time guards (alarm) stretch by this factor under valgrind.
export US_TEST_TIME_SCALE="${US_TEST_TIME_SCALE:-10}"

if ! command -v valgrind >/dev/null 2>&1; then
  # like scripts/ensure-tools.sh: install it on Debian/Ubuntu, name it elsewhere
  if command -v apt-get >/dev/null 2>&1 && { [[ $(id -u) -eq 0 ]] || command -v sudo >/dev/null 2>&1; }; then
    sudo=()
    [[ $(id -u) -eq 0 ]] || sudo=(sudo)
    echo "valgrind.sh: installing valgrind" >&2
    "${sudo[@]}" env DEBIAN_FRONTEND=noninteractive apt-get update -qq
    "${sudo[@]}" env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq valgrind >/dev/null
  else
    echo "valgrind.sh: valgrind is not installed (apt-get install valgrind)" >&2
    exit 1
  fi
fi

cmake -S "$root/usockets" -B "$build" -DLIBUS_SANITIZE=OFF -DLIBUS_WITH_SSL=ON -DCMAKE_BUILD_TYPE=Debug >/dev/null
targets=()
if ((${#ci_targets[@]})); then
  targets=(--target "${ci_targets[@]}") # CI builds only what it runs
fi
cmake --build "$build" -j"$(nproc 2>/dev/null || echo 2)" "${targets[@]}" >/dev/null

# CTest's memcheck mode would need a CDash-style setup; running each test under valgrind directly is simpler.
export VALGRIND_OPTS="--leak-check=full --error-exitcode=1 --errors-for-leak-kinds=definite,indirect --show-leak-kinds=definite,indirect --track-origins=no --num-callers=30 --trace-children=no"
mapfile -t tests < <(ctest --test-dir "$build" -N "${ctest_args[@]}" | sed -n 's/^ *Test *#[0-9]*: *//p')
if ((${#tests[@]} == 0)); then
  echo "valgrind.sh: no test matched" >&2
  exit 1
fi
failed=()
start=$SECONDS
for t in "${tests[@]}"; do
  t0=$SECONDS
  if (cd "$build" && timeout 900 valgrind -q "./$t" >"$build/$t.valgrind.log" 2>&1); then
    echo "valgrind: $t ok ($((SECONDS - t0)) s)"
  else
    echo "valgrind: $t FAILED ($((SECONDS - t0)) s), log: $build/$t.valgrind.log"
    tail -n 60 "$build/$t.valgrind.log"
    failed+=("$t")
  fi
done
echo "valgrind: ${#tests[@]} tests, ${#failed[@]} failed, $((SECONDS - start)) s"
((${#failed[@]} == 0))
