# Section "udp" (issue 5): UDP echo of 64-byte datagrams on usockets4j (recvmmsg/sendmmsg batches through
# UdpSocket) and Netty's EpollDatagramChannel on one event-loop thread (recvmmsg and sendmmsg enabled), each
# on the server core; bench/udp-load.c on the load core keeps a fixed window of datagrams in flight.
# Operations are echoed datagrams; CPU per operation is the server process's user+system time per datagram.
# netty-recvmsg (Netty's defaults: one recvmsg per datagram) shows what receive batching buys; the
# baseline is the batching netty-epoll.
UDP_SERVERS=("usockets4j UdpEchoBenchUsockets" "netty-epoll UdpEchoBenchNetty" "netty-recvmsg UdpEchoBenchNetty --recvmsg")
UDP_BASELINE=netty-epoll
UDP_WINDOWS=${BENCH_UDP_WINDOWS:-64 128}
UDP_SIZE=64

# udp_load PORT WINDOW SIZE SECONDS: prints udp-load's result line (empty on failure).
udp_load() {
  load "$UDP_LOAD" 127.0.0.1 "$1" "$2" "$3" "$4" 2>>"$BENCH_TMP/udp-load.err" | grep '^udp:' || true
}

# measure_udp SECTION CONFIG NAME ROUND WINDOW SIZE: one measured run, a row of rounds.csv; datagrams
# written off as lost go to the errors column.
measure_udp() {
  local section=$1 config=$2 name=$3 round=$4 window=$5 size=$6 c0 c1 line
  counters_start "$name"
  c0=$(server_cpu "$name")
  line=$(udp_load "${SRV_PORT[$name]}" "$window" "$size" "$BENCH_SECONDS")
  c1=$(server_cpu "$name")
  counters_stop
  if [[ -z $line ]]; then
    log "  $name: udp-load failed ($(tail -n 1 "$BENCH_TMP/udp-load.err" 2>/dev/null))"
    return 0
  fi
  local -a cpu=($(cpu_delta "$c0" "$c1"))
  record "$section" "$config" "$name" "$round" "$(field "$line" rtt)" "$(field "$line" secs)" \
    "$(field "$line" p50_us)" "$(field "$line" p99_us)" "${cpu[0]}" "${cpu[1]}" \
    "$(($(field "$line" lost) + $(field "$line" errors)))" "$COUNTERS"
}

section_udp() {
  UDP_LOAD=$PWD/target/bench-tools/udp-load
  if [[ ! -x $UDP_LOAD || bench/udp-load.c -nt $UDP_LOAD ]]; then
    gcc -O2 -Wall -Wextra -o "$UDP_LOAD" bench/udp-load.c
  fi
  echo "== udp: echo of ${UDP_SIZE}-byte datagrams, windows of $UDP_WINDOWS in flight; $BENCH_ROUNDS rounds x ${BENCH_SECONDS}s after ${BENCH_WARMUP}s warm-up; server core $SERVER_CORE, load core $LOAD_CORE =="
  echo "   (errors column: datagrams lost, i.e. written off after 20 ms of silence; CPU per op = server CPU per echoed datagram)"
  local r name w
  start_each udp "${UDP_SERVERS[@]}"
  for name in "${UP[@]}"; do
    for w in $UDP_WINDOWS; do udp_load "${SRV_PORT[$name]}" "$w" "$UDP_SIZE" "$BENCH_WARMUP" >/dev/null; done
  done
  for ((r = 1; r <= BENCH_ROUNDS; r++)); do
    for w in $UDP_WINDOWS; do
      for name in $(rotate "$((r - 1))" "${UP[@]}"); do
        measure_udp udp "echo ${UDP_SIZE}B window $w" "$name" "$r" "$w" "$UDP_SIZE"
      done
    done
  done
  stop_each
  report_rounds udp "$UDP_BASELINE" netty-recvmsg
}
