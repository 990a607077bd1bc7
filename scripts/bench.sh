#!/usr/bin/env bash
# Runs the benchmarks against their peers (Netty over epoll) in one go.
# Usage: scripts/bench.sh [seconds=5] [producers=2] [warmup=3]
set -euo pipefail
cd "$(dirname "$0")/.."

jar=$(ls target/usockets4j-*.jar 2>/dev/null | grep -v -- '-sources' | head -n1 || true)
if [[ -z "$jar" ]]; then
  echo "building the library jar (mvn -q package, tests skipped)..." >&2
  mvn -q -Dmaven.test.skip=true package
  jar=$(ls target/usockets4j-*.jar | grep -v -- '-sources' | head -n1)
fi
mvn -q -f bench/pom.xml -Dusockets4j.jar="$PWD/$jar" compile
cp="bench/target/classes:$(cat bench/target/classpath.txt)"

echo "== DeferBench =="
java -Xms1g -Xmx1g -cp "$cp" org.usockets4j.bench.DeferBench "$@"
