#!/usr/bin/env bash
# Runs the benchmarks: usockets4j against its peers (Netty over epoll, JDK NIO, Netty + JDK SSL or
# BoringSSL) in the same run, and prints tables of ratios.
#
# Usage: scripts/bench.sh [defer|tcp|memory|alloc|tls|udp|all|profile]...   (default: all)
#   profile (not in all): perf samples of the servers' user-space instructions under echo load
#
# Environment (defaults in brackets):
#   BENCH_SECONDS [10]  measured seconds per run       BENCH_ROUNDS [3]   rounds (servers alternate)
#   BENCH_WARMUP [5]    warm-up seconds per load       BENCH_IDLE_CONNS [10000] memory section
#   BENCH_SERVER_CORE [0] / BENCH_LOAD_CORE [1]        BENCH_JAVA_OPTS    server JVM options
#   BENCH_PERF [auto]  count instructions and cycles with perf    BENCH_OUT [target/bench]
#   BENCH_JAR [target/usockets4j-0.1.0-SNAPSHOT.jar]    BENCH_REBUILD=1
# Quick smoke run: BENCH_SECONDS=2 BENCH_ROUNDS=1 BENCH_WARMUP=1 BENCH_IDLE_CONNS=2000 scripts/bench.sh
#
# Output: the tables on stdout; $BENCH_OUT/results.csv (every figure, long form), rounds.csv (every
# measured run), memory.csv, alloc.csv, and the chart $BENCH_OUT/bench.svg.
# A section is a function section_<name> in scripts/bench/<name>.sh; the helpers are in
# scripts/bench/lib.sh (servers, CPU and memory sampling, loads), servers.sh and report.sh.
set -euo pipefail
cd "$(dirname "$0")/.."

BENCH_SECONDS=${BENCH_SECONDS:-10}
BENCH_ROUNDS=${BENCH_ROUNDS:-3}
BENCH_WARMUP=${BENCH_WARMUP:-5}
BENCH_IDLE_CONNS=${BENCH_IDLE_CONNS:-10000}
BENCH_OUT=${BENCH_OUT:-target/bench}

for f in scripts/bench/*.sh; do
  # shellcheck source=/dev/null
  source "$f"
done

sections=("$@")
((${#sections[@]})) || sections=(all)
if [[ " ${sections[*]} " == *" all "* ]]; then
  sections=()
  for s in defer tcp memory alloc tls udp; do
    declare -F "section_$s" >/dev/null && sections+=("$s")
  done
fi
for s in "${sections[@]}"; do
  declare -F "section_$s" >/dev/null || { echo "unknown section: $s (sections: defer tcp memory alloc tls udp all profile)" >&2; exit 2; }
done

# --- build: the library jar when missing (BENCH_REBUILD=1: also when older than its sources), the
# bench module, the load generator, the tools ---
jar=${BENCH_JAR:-target/usockets4j-0.1.0-SNAPSHOT.jar}
mkdir -p target/bench-tools "$BENCH_OUT"
if [[ ! -s $jar || -n ${BENCH_REBUILD:-} ]]; then
  echo "building the library jar (mvn -q package, tests skipped; log in target/bench-tools/build.log)..." >&2
  mvn -q -Dmaven.test.skip=true package >target/bench-tools/build.log 2>&1 || { tail -n 30 target/bench-tools/build.log >&2; exit 1; }
elif [[ -n $(find pom.xml src/main native usockets/src usockets/include -newer "$jar" -print -quit 2>/dev/null) ]]; then
  echo "note: $jar is older than its sources; BENCH_REBUILD=1 rebuilds it" >&2
fi
mvn -q -f bench/pom.xml -Dusockets4j.jar="$(realpath "$jar")" package
BENCH_CP="$PWD/bench/target/classes:$(cat bench/target/classpath.txt)"
ECHO_LOAD=$PWD/target/bench-tools/echo-load
if [[ ! -x $ECHO_LOAD || ../shared/tools/echo-load.c -nt $ECHO_LOAD ]]; then
  gcc -O2 -Wall -o "$ECHO_LOAD" ../shared/tools/echo-load.c
fi
scripts/install-bench-tools.sh

ulimit -n 65536 2>/dev/null || ulimit -n "$(ulimit -Hn)" 2>/dev/null || true
BENCH_TMP=$(mktemp -d "${TMPDIR:-/tmp}/usockets4j-bench.XXXXXX")
cleanup() {
  server_stop_all
  rm -rf "$BENCH_TMP"
}
trap cleanup EXIT
trap 'exit 130' INT TERM
rm -f "$BENCH_OUT"/{rounds,results,memory,alloc}.csv "$BENCH_OUT"/chart.tsv "$BENCH_OUT"/bench.svg
echo "section,config,server,round,ops,seconds,p50_us,p99_us,cpu_ticks,user_ticks,errors,instr_user,instr_kernel,cycles_user,cycles_kernel" >"$BENCH_OUT/rounds.csv"

echo "usockets4j benchmarks on $(nproc) cores ($(uname -r)), $(java -version 2>&1 | head -n 1); load average $(cut -d' ' -f1-3 /proc/loadavg)"
for s in "${sections[@]}"; do
  "section_$s"
  echo
done
report_chart
echo "results: $BENCH_OUT/results.csv"
