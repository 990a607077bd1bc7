#!/usr/bin/env bash
# Installs what the linux-aarch64 cross build and its tests need on Debian/Ubuntu (amd64 host):
# the cross compiler (gcc-aarch64-linux-gnu), OpenSSL's arm64 headers and libraries (libssl-dev:arm64,
# through dpkg multiarch) and qemu-user to run the aarch64 C tests. Idempotent: does nothing (and needs
# no root) when everything is there. Installing needs root, or sudo.
set -euo pipefail

have_all() {
  command -v aarch64-linux-gnu-gcc >/dev/null 2>&1 &&
    command -v aarch64-linux-gnu-nm >/dev/null 2>&1 &&
    { command -v qemu-aarch64 >/dev/null 2>&1 || command -v qemu-aarch64-static >/dev/null 2>&1; } &&
    [[ -f /usr/include/aarch64-linux-gnu/openssl/configuration.h && -e /usr/lib/aarch64-linux-gnu/libssl.so ]] &&
    [[ -e /lib/ld-linux-aarch64.so.1 ]] # libc6:arm64: qemu-aarch64 -L / runs the tests with this loader
}
if have_all; then
  exit 0
fi
if ! command -v apt-get >/dev/null 2>&1 || ! command -v dpkg >/dev/null 2>&1; then
  echo "install-cross-aarch64: needs Debian/Ubuntu (apt-get, dpkg); install by hand an aarch64-linux-gnu" \
    "cross gcc, OpenSSL 3 built for arm64 and qemu-user" >&2
  exit 1
fi
sudo=()
if [[ $(id -u) -ne 0 ]]; then
  if ! command -v sudo >/dev/null 2>&1; then
    echo "install-cross-aarch64: must run as root (or with sudo) to install gcc-aarch64-linux-gnu," \
      "libssl-dev:arm64 and qemu-user; run: sudo $0" >&2
    exit 1
  fi
  sudo=(sudo)
fi
apt=("${sudo[@]}" env DEBIAN_FRONTEND=noninteractive apt-get)
echo "install-cross-aarch64: installing gcc-aarch64-linux-gnu libssl-dev:arm64 qemu-user" >&2
if ! dpkg --print-foreign-architectures | grep -qx arm64; then
  "${sudo[@]}" dpkg --add-architecture arm64
fi
"${apt[@]}" update -qq
# libssl-dev:arm64 must be the same version as the host's libssl-dev (multiarch): upgrade both together.
pkgs=(gcc-aarch64-linux-gnu binutils-aarch64-linux-gnu libc6-dev-arm64-cross libc6:arm64 libssl-dev:arm64 qemu-user)
if dpkg-query -W -f='${Status}' libssl-dev 2>/dev/null | grep -q 'install ok installed'; then
  pkgs+=(libssl-dev)
fi
"${apt[@]}" install -y -qq --no-install-recommends "${pkgs[@]}" >/dev/null
have_all || { echo "install-cross-aarch64: installed, yet the toolchain is incomplete" >&2; exit 1; }
