#!/usr/bin/env bash
# The demo: a TLS echo server and a verifying TLS client, both on usockets4j.
#  1. builds the library jar when it is missing or older than the sources (one quiet Maven call, tests skipped);
#  2. makes a demo CA and a server certificate for localhost/127.0.0.1 under target/demo-certs when absent
#     (scripts/gen-demo-certs.sh, with the openssl command);
#  3. starts examples/TlsEchoServer.java on 127.0.0.1 (the kernel picks the port; read from its first line);
#  4. runs examples/TlsEchoClient.java: 4 worker threads hand 1000 lines each to the loop through
#     LoopHandle.defer, every echo is checked, and a summary is printed;
#  5. stops the server gracefully (a "stop" line on its stdin) and exits 0 only when both exited 0.
# Extra arguments go to the client after the port: [host] [ca.pem] [workers] [lines].
# Needs a JDK 17+, and for the first run Maven, gcc and the OpenSSL 3 headers (see README.md).
set -euo pipefail
cd "$(dirname "$0")/.."

fail() {
  echo "demo: $*" >&2
  exit 1
}

# USOCKETS4J_JAR=<jar or classes folder> runs the demo against another build, USOCKETS4J_DEMO_CERTS=<dir> keeps
# the certificates elsewhere (the tests set both).
jar=${USOCKETS4J_JAR:-$(ls target/usockets4j-*.jar 2>/dev/null | head -n1 || true)}
if [[ -z "${USOCKETS4J_JAR:-}" && -n "$jar" ]] &&
   [[ -n $(find pom.xml src/main native usockets/src usockets/include -newer "$jar" -type f -print -quit 2>/dev/null) ]]; then
  jar= # the sources changed since the jar was built (a git pull): build it again
fi
if [[ -z "$jar" ]]; then
  echo "building target/usockets4j-*.jar (about a minute; log: target/demo-build.log)..." >&2
  mkdir -p target
  if ! mvn -q -B -Dmaven.test.skip=true package >target/demo-build.log 2>&1; then
    tail -n 40 target/demo-build.log >&2
    fail "the build failed (full log: target/demo-build.log)"
  fi
  jar=$(ls target/usockets4j-*.jar 2>/dev/null | head -n1 || true)
  [[ -n "$jar" ]] || fail "the build made no jar"
fi

certs=${USOCKETS4J_DEMO_CERTS:-target/demo-certs}
scripts/gen-demo-certs.sh "$certs"

work=$(mktemp -d "${TMPDIR:-/tmp}/usockets4j-demo.XXXXXX")
server_pid=
cleanup() {
  exec 3>&- 2>/dev/null || true
  if [[ -n "$server_pid" ]] && kill -0 "$server_pid" 2>/dev/null; then
    kill "$server_pid" 2>/dev/null || true
  fi
  rm -rf "$work"
}
trap cleanup EXIT

# The server's stdin is a fifo held open on fd 3: a "stop" line (or this script ending) stops it.
mkfifo "$work/stdin"
java -cp "$jar" examples/TlsEchoServer.java --stdin 0 "$certs/server.pem" "$certs/server.key" \
  <"$work/stdin" >"$work/server.log" 2>&1 &
server_pid=$!
exec 3>"$work/stdin"

# Wait (at most 30 s) for the line naming the port.
port=
for _ in $(seq 300); do
  port=$(sed -n 's/^TLS echo server listening on 127\.0\.0\.1 port \([0-9][0-9]*\).*/\1/p' "$work/server.log")
  [[ -n "$port" ]] && break
  kill -0 "$server_pid" 2>/dev/null || { cat "$work/server.log" >&2; fail "the server exited before listening"; }
  sleep 0.1
done
[[ -n "$port" ]] || { cat "$work/server.log" >&2; fail "the server did not report its port within 30 s"; }
head -n1 "$work/server.log" | sed 's/^/[server] /'

client_args=("$port")
if (($# > 0)); then
  client_args+=("$@")
else
  client_args+=(localhost "$certs/ca.pem")
fi
echo "[client] java -cp $jar examples/TlsEchoClient.java ${client_args[*]}"
set +e
java -cp "$jar" examples/TlsEchoClient.java "${client_args[@]}" 2>&1 | sed 's/^/[client] /'
client_rc=${PIPESTATUS[0]}
set -e

# Stop the server gracefully and wait for it (at most 15 s).
echo stop >&3
exec 3>&-
server_rc=
for _ in $(seq 150); do
  if ! kill -0 "$server_pid" 2>/dev/null; then
    wait "$server_pid" && server_rc=0 || server_rc=$?
    break
  fi
  sleep 0.1
done
tail -n +2 "$work/server.log" | sed 's/^/[server] /'
[[ -n "$server_rc" ]] || fail "the server did not stop within 15 s"

[[ "$client_rc" == 0 ]] || fail "the client failed (exit $client_rc)"
[[ "$server_rc" == 0 ]] || fail "the server failed (exit $server_rc)"
echo "demo: OK (client and server exited 0)"
