# Section "tcp" (issue 3): echo and HTTP "hello" on usockets4j, Netty epoll and JDK NIO, each on the
# server core, the load on the load core, servers alternating within every round.
TCP_SERVERS=("usockets4j UsocketsServer" "netty-epoll NettyServer" "jdk-nio NioServer")
TCP_BASELINE=netty-epoll

section_tcp() {
  echo "== tcp: $BENCH_ROUNDS rounds x ${BENCH_SECONDS}s after ${BENCH_WARMUP}s warm-up per server and load; server core $SERVER_CORE, load core $LOAD_CORE =="
  local r name
  start_each echo "${TCP_SERVERS[@]}"
  for name in "${UP[@]}"; do
    echo_load "${SRV_PORT[$name]}" 100 64 "$BENCH_WARMUP" >/dev/null
    echo_load "${SRV_PORT[$name]}" 10 16384 "$BENCH_WARMUP" >/dev/null
  done
  for ((r = 1; r <= BENCH_ROUNDS; r++)); do
    for name in $(rotate "$((r - 1))" "${UP[@]}"); do measure_echo tcp "echo 100x64B" "$name" "$r" 100 64; done
    for name in $(rotate "$((r - 1))" "${UP[@]}"); do measure_echo tcp "echo 10x16KiB" "$name" "$r" 10 16384; done
  done
  stop_each

  start_each http "${TCP_SERVERS[@]}"
  local save=$BENCH_SECONDS
  BENCH_SECONDS=$BENCH_WARMUP
  for name in "${UP[@]}"; do
    measure_wrk warmup - "$name" 0 "http://127.0.0.1:${SRV_PORT[$name]}/"
    measure_wrk warmup - "$name" 0 "http://127.0.0.1:${SRV_PORT[$name]}/" -s bench/wrk/pipeline.lua
  done
  BENCH_SECONDS=$save
  for ((r = 1; r <= BENCH_ROUNDS; r++)); do
    for name in $(rotate "$((r - 1))" "${UP[@]}"); do
      measure_wrk tcp "http keep-alive c100" "$name" "$r" "http://127.0.0.1:${SRV_PORT[$name]}/"
    done
    for name in $(rotate "$((r - 1))" "${UP[@]}"); do
      measure_wrk tcp "http pipelined16 c100" "$name" "$r" "http://127.0.0.1:${SRV_PORT[$name]}/" -s bench/wrk/pipeline.lua
    done
  done
  stop_each
  report_rounds tcp "$TCP_BASELINE"
}
