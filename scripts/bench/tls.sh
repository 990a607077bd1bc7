# Section "tls" (issue 4): HTTP "hello" over TLS with wrk (-c100 keep-alive) and full handshakes with
# parallel `openssl s_time -new`, on usockets4j, Netty + the JDK's SSLEngine and Netty + BoringSSL
# (netty-tcnative), all with the same certificate (ECDSA P-256, made by openssl when absent).
TLS_CERT_DIR=${BENCH_CERT_DIR:-target/bench-certs}
TLS_CLIENTS=${BENCH_TLS_CLIENTS:-8}

tls_certs() {
  [[ -s $TLS_CERT_DIR/cert.pem && -s $TLS_CERT_DIR/key.pem ]] && return 0
  mkdir -p "$TLS_CERT_DIR"
  openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -nodes -days 365 \
    -subj /CN=localhost -addext "subjectAltName=DNS:localhost,IP:127.0.0.1" \
    -keyout "$TLS_CERT_DIR/key.pem" -out "$TLS_CERT_DIR/cert.pem" 2>/dev/null
}

section_tls() {
  echo "== tls: $BENCH_ROUNDS rounds x ${BENCH_SECONDS}s after ${BENCH_WARMUP}s warm-up; $TLS_CLIENTS s_time clients; server core $SERVER_CORE, load core $LOAD_CORE =="
  tls_certs
  local tls="--tls $TLS_CERT_DIR/cert.pem $TLS_CERT_DIR/key.pem" r name save=$BENCH_SECONDS
  start_each http "usockets4j-tls UsocketsServer $tls" "netty-boringssl NettyServer $tls --provider openssl" \
    "netty-jdk-ssl NettyServer $tls --provider jdk"
  BENCH_SECONDS=$BENCH_WARMUP
  for name in "${UP[@]}"; do
    measure_wrk warmup - "$name" 0 "https://127.0.0.1:${SRV_PORT[$name]}/"
    measure_stime warmup - "$name" 0 "$TLS_CLIENTS"
  done
  BENCH_SECONDS=$save
  for ((r = 1; r <= BENCH_ROUNDS; r++)); do
    for name in $(rotate "$((r - 1))" "${UP[@]}"); do
      measure_wrk tls "https keep-alive c100" "$name" "$r" "https://127.0.0.1:${SRV_PORT[$name]}/"
    done
    for name in $(rotate "$((r - 1))" "${UP[@]}"); do
      measure_stime tls "handshakes s_time x$TLS_CLIENTS" "$name" "$r" "$TLS_CLIENTS"
    done
  done
  stop_each
  report_rounds tls netty-boringssl netty-jdk-ssl
}
