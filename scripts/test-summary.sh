#!/usr/bin/env bash
# Prints one closing line for a test run: the JUnit results (surefire and failsafe XML reports) and the C
# tests (CTest logs of the host build and, when it ran, the linux-aarch64 build under qemu-user), as
#   tests: N passed, N failed, N skipped
# Usage: scripts/test-summary.sh [build-directory]   (default: target)
set -euo pipefail
build=${1:-target}
passed=0 failed=0 skipped=0

for report in "$build"/surefire-reports/TEST-*.xml "$build"/failsafe-reports/TEST-*.xml; do
  [[ -f $report ]] || continue
  suite=$(grep -o -m1 '<testsuite [^>]*>' "$report")
  attr() { local v; v=$(grep -o " $1=\"[0-9]*\"" <<<"$suite" | grep -o '[0-9]*'); echo "${v:-0}"; }
  t=$(attr tests) f=$(attr failures) e=$(attr errors) s=$(attr skipped)
  passed=$((passed + t - f - e - s)) failed=$((failed + f + e)) skipped=$((skipped + s))
done

for dir in "$build"/cmake "$build"/cmake-linux-aarch64; do
  log=$(ls -t "$dir"/Testing/Temporary/LastTest*.log 2>/dev/null | head -1 || true)
  [[ -n $log ]] || continue
  passed=$((passed + $(grep -c '^Test Passed\.' "$log" || true)))
  failed=$((failed + $(grep -c '^Test Failed' "$log" || true)))
done

echo "tests: $passed passed, $failed failed, $skipped skipped"
[[ $failed -eq 0 && $passed -gt 0 ]]
