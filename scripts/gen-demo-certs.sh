#!/usr/bin/env bash
# Generates the demo's certificates with the openssl command, when they are absent:
#   <dir>/ca.pem, ca.key          a demo certificate authority ("usockets4j demo CA")
#   <dir>/server.pem, server.key  a server certificate for localhost, 127.0.0.1 and ::1, signed by that CA
#   <dir>/client.pem, client.key  a client certificate signed by that CA (for trying mutual TLS by hand)
# Usage: scripts/gen-demo-certs.sh [dir]   (default: target/demo-certs). EC P-256 keys, unencrypted: demo only.
set -euo pipefail
cd "$(dirname "$0")/.."
dir=${1:-target/demo-certs}

if [[ -s "$dir/ca.pem" && -s "$dir/server.pem" && -s "$dir/server.key" && -s "$dir/client.pem" && -s "$dir/client.key" ]]; then
  exit 0
fi
command -v openssl >/dev/null || { echo "gen-demo-certs.sh: the openssl command is needed (apt-get install openssl)" >&2; exit 1; }
mkdir -p "$dir"
tmp=$(mktemp -d "$dir/.gen.XXXXXX")
trap 'rm -rf "$tmp"' EXIT

ec=(-newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -nodes)

openssl req -x509 "${ec[@]}" -keyout "$tmp/ca.key" -out "$tmp/ca.pem" -days 3650 \
  -subj "/O=usockets4j/CN=usockets4j demo CA" \
  -addext "basicConstraints=critical,CA:TRUE" -addext "keyUsage=critical,keyCertSign,cRLSign" 2>/dev/null

# issue <name> <subject> <extensions>: a key, and a certificate for it signed by the demo CA
issue() {
  openssl req -new "${ec[@]}" -keyout "$tmp/$1.key" -out "$tmp/$1.csr" -subj "$2" 2>/dev/null
  printf '%s\n' "$3" > "$tmp/$1.ext"
  openssl x509 -req -in "$tmp/$1.csr" -CA "$tmp/ca.pem" -CAkey "$tmp/ca.key" -set_serial "0x$(openssl rand -hex 16)" \
    -days 825 -sha256 -extfile "$tmp/$1.ext" -out "$tmp/$1.pem" 2>/dev/null
}
issue server "/O=usockets4j/CN=localhost" \
  "basicConstraints=CA:FALSE
keyUsage=critical,digitalSignature
extendedKeyUsage=serverAuth
subjectAltName=DNS:localhost,IP:127.0.0.1,IP:::1"
issue client "/O=usockets4j/CN=demo client" \
  "basicConstraints=CA:FALSE
keyUsage=critical,digitalSignature
extendedKeyUsage=clientAuth"

chmod 600 "$tmp"/*.key
for f in ca.pem ca.key server.pem server.key client.pem client.key; do
  mv -f "$tmp/$f" "$dir/$f"
done
echo "demo certificates in $dir (CA: $dir/ca.pem)" >&2
