#!/usr/bin/env bash
# Makes sure the build's tools are here: a JDK 17+ (java and javac), Maven 3.8+, a C compiler and
# the OpenSSL headers. On Debian/Ubuntu it installs what is missing with apt-get (as root, or via
# sudo); elsewhere it names what is missing. CMake is not needed: the Maven build brings its own.
# Idempotent: does nothing when everything is there.
set -euo pipefail

need=()
java_major() {
  java -XshowSettings:properties -version 2>&1 | sed -n 's/^ *java.specification.version = //p' | head -n1
}
if ! command -v javac >/dev/null 2>&1 || ! command -v java >/dev/null 2>&1; then
  need+=(openjdk-17-jdk-headless)
elif [[ $(java_major) -lt 17 ]]; then
  need+=(openjdk-17-jdk-headless)
fi
command -v mvn >/dev/null 2>&1 || need+=(maven)
command -v gcc >/dev/null 2>&1 || need+=(gcc)
command -v make >/dev/null 2>&1 || need+=(make)
command -v openssl >/dev/null 2>&1 || need+=(openssl) # the demo's and the TLS tests' certificates
if [[ ! -f /usr/include/openssl/ssl.h ]]; then
  need+=(libssl-dev)
fi

if ((${#need[@]} == 0)); then
  exit 0
fi
if ! command -v apt-get >/dev/null 2>&1; then
  echo "ensure-tools: missing ${need[*]} and no apt-get here; install them by hand" >&2
  exit 1
fi
sudo=()
if [[ $(id -u) -ne 0 ]]; then
  command -v sudo >/dev/null 2>&1 || { echo "ensure-tools: need root (or sudo) to install ${need[*]}" >&2; exit 1; }
  sudo=(sudo)
fi
echo "ensure-tools: installing ${need[*]}" >&2
"${sudo[@]}" env DEBIAN_FRONTEND=noninteractive apt-get update -qq
"${sudo[@]}" env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${need[@]}" >/dev/null
