#!/usr/bin/env bash
# The demo: builds the library jar when it is missing (one quiet Maven call, tests skipped), then
# runs examples/TimersAndDefer.java against it with the JDK's source launcher.
set -euo pipefail
cd "$(dirname "$0")/.."

jar=$(ls target/usockets4j-*.jar 2>/dev/null | head -n1 || true)
if [[ -z "$jar" ]]; then
  echo "building target/usockets4j-*.jar (first run only)..." >&2
  mvn -q -Dmaven.test.skip=true package
  jar=$(ls target/usockets4j-*.jar | head -n1)
fi
exec java -cp "$jar" examples/TimersAndDefer.java "$@"
