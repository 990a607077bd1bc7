#!/usr/bin/env bash
# Runs every test: the C tests of usockets/ (CTest), the JUnit tests, and the integration tests
# over the packaged jar (fresh JVMs, -Xcheck:jni). Installs missing build tools first (Debian/Ubuntu).
# Extra arguments go to Maven, e.g. scripts/test.sh -Dusockets4j.buildDir=$PWD/target-x
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/ensure-tools.sh
mvn -q -B verify "$@"
echo "all tests passed"
