#!/usr/bin/env bash
# Runs every test: the C tests of usockets/ (CTest), the JUnit tests, the integration tests over the
# packaged jar (fresh JVMs, -Xcheck:jni), the C hammers under sanitizers and C tests under valgrind; on
# x86_64 also the linux-aarch64 cross build and its C tests under qemu-user. Installs missing build tools
# first (Debian/Ubuntu). Ends with one line: tests: N passed, N failed, N skipped.
# Extra arguments go to Maven, e.g. scripts/test.sh -Dusockets4j.buildDir=$PWD/target-x
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/ensure-tools.sh
# On x86_64 the jar also carries linux-aarch64: install the cross compiler, arm64 OpenSSL and qemu-user, and
# name the profile so a missing toolchain fails the run (the aarch64 C tests run under qemu-user).
cross=()
if [[ $(uname -m) == x86_64 ]]; then
  scripts/install-cross-aarch64.sh
  cross=(-Plinux-aarch64)
fi
build=target
for arg in "$@"; do
  case $arg in -Dusockets4j.buildDir=*) build=${arg#*=} ;; esac
done
# Reports of an earlier run must not be counted as this run's.
rm -rf "$build"/surefire-reports "$build"/failsafe-reports
mvn -q -B verify "${cross[@]}" "$@"
# Reliability, bounded: the C hammers under ASan+UBSan (test_hammer_mixed for 20 s, its seed printed) and a
# selection of the C tests under valgrind memcheck; each fails the run on any finding.
scripts/sanitize.sh --ci
scripts/valgrind.sh --ci
scripts/test-summary.sh "$build"
