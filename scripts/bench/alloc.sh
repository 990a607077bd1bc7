# Section "alloc" (issue 3): Java heap allocated on the loop thread per echo round trip, in steady
# state. During a measured echo-load run (100 connections x 64 B) the harness asks the server for
# its loop thread's allocated bytes (ThreadMXBean#getThreadAllocatedBytes) at 1/5 and 4/5 of the
# run; round trips in that window = echo-load's rtt/s x the window's length.
ALLOC_SERVERS=("usockets4j UsocketsServer" "netty-epoll NettyServer" "jdk-nio NioServer")

measure_alloc() {
  local name=$1 round=$2 out=$BENCH_TMP/alloc-load.out pid a b ta tb line margin middle
  margin=$(awk -v s="$BENCH_SECONDS" 'BEGIN {print s / 5}')
  middle=$(awk -v s="$BENCH_SECONDS" 'BEGIN {print s * 3 / 5}')
  taskset -c "$LOAD_CORE" "$ECHO_LOAD" 127.0.0.1 "${SRV_PORT[$name]}" 100 64 "$BENCH_SECONDS" >"$out" 2>>"$BENCH_TMP/echo-load.err" &
  pid=$!
  sleep "$margin"
  ta=$(date +%s.%N)
  a=$(server_ask "$name" ALLOC)
  sleep "$middle"
  tb=$(date +%s.%N)
  b=$(server_ask "$name" ALLOC)
  wait "$pid" || true
  line=$(grep '^echo:' "$out" || true)
  if [[ -z $line ]]; then
    log "  $name: echo-load failed"
    return 0
  fi
  awk -v s="$name" -v r="$round" -v a="$a" -v b="$b" -v ta="$ta" -v tb="$tb" -v rate="$(field "$line" rtt/s)" \
    'BEGIN {rtt = rate * (tb - ta); printf "%s,%s,%d,%.0f,%.4f\n", s, r, b - a, rtt, (rtt > 0 ? (b - a) / rtt : 0)}' \
    >>"$BENCH_OUT/alloc.csv"
}

section_alloc() {
  echo "== alloc: loop-thread heap allocation per echo round trip (100 x 64 B), $BENCH_ROUNDS rounds x ${BENCH_SECONDS}s after ${BENCH_WARMUP}s warm-up =="
  [[ -s $BENCH_OUT/alloc.csv ]] || echo "server,round,bytes,round_trips,bytes_per_round_trip" >"$BENCH_OUT/alloc.csv"
  local r name
  start_each echo "${ALLOC_SERVERS[@]}"
  for name in "${UP[@]}"; do echo_load "${SRV_PORT[$name]}" 100 64 "$BENCH_WARMUP" >/dev/null; done
  for ((r = 1; r <= BENCH_ROUNDS; r++)); do
    for name in $(rotate "$((r - 1))" "${UP[@]}"); do measure_alloc "$name" "$r"; done
  done
  stop_each
  report_alloc
}

report_alloc() {
  results_init
  awk -F, -v csv="$BENCH_OUT/results.csv" "$AWK_STATS"'
  NR == 1 { next }
  {
    k = $1
    if (!(k in n)) order[++ns] = k
    i = ++n[k]; bpr[k, i] = $5; bytes[k, i] = $3; rtt[k, i] = $4
  }
  END {
    printf "%-16s %34s %16s %16s\n", "server", "bytes/round trip median (min-max)", "bytes (median)", "round trips"
    for (s = 1; s <= ns; s++) {
      k = order[s]; m = n[k]
      printf "%-16s %34s %16.0f %16.0f\n", k, sprintf("%.4f (%.4f-%.4f)", med(bpr, k, m), lo(bpr, k, m), hi(bpr, k, m)), med(bytes, k, m), med(rtt, k, m)
      printf "alloc,echo 100x64B,%s,alloc_per_op,%.4f,%.4f,%.4f,B,,\n", k, med(bpr, k, m), lo(bpr, k, m), hi(bpr, k, m) >> csv
    }
  }' "$BENCH_OUT/alloc.csv"
}
