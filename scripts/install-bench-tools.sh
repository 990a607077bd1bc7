#!/usr/bin/env bash
# Installs what scripts/bench.sh drives from outside the JVM: wrk (HTTP load), gnuplot-nox (the
# chart), and checks for openssl (certificates, s_time) and gcc (echo-load). Debian/Ubuntu: apt-get.
# Idempotent: does nothing when every tool is already there.
set -euo pipefail

need=()
command -v wrk >/dev/null 2>&1 || need+=(wrk)
command -v gnuplot >/dev/null 2>&1 || need+=(gnuplot-nox)
command -v openssl >/dev/null 2>&1 || need+=(openssl)
command -v gcc >/dev/null 2>&1 || need+=(gcc)
command -v taskset >/dev/null 2>&1 || need+=(util-linux)

if ((${#need[@]} == 0)); then
  exit 0
fi
if ! command -v apt-get >/dev/null 2>&1; then
  echo "install-bench-tools: missing ${need[*]} and no apt-get here; install them by hand" >&2
  exit 1
fi
sudo=()
if [[ $(id -u) -ne 0 ]]; then
  command -v sudo >/dev/null 2>&1 || { echo "install-bench-tools: need root (or sudo) to install ${need[*]}" >&2; exit 1; }
  sudo=(sudo)
fi
echo "install-bench-tools: installing ${need[*]}" >&2
"${sudo[@]}" env DEBIAN_FRONTEND=noninteractive apt-get update -qq
"${sudo[@]}" env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${need[@]}" >/dev/null
