# Section "memory" (issue 3): resident memory added per idle connection. Each server runs in idle
# mode alone; after a small warm-up (a few hundred connections opened and closed) and a full GC the
# harness reads VmRSS and the live heap, opens BENCH_IDLE_CONNS idle connections (echo-load with
# message size 0), waits until the server holds them all, collects again and reads both again.
# The heap is pre-touched (-Xms = -Xmx, AlwaysPreTouch), so the VmRSS delta is what lives outside
# the Java heap (native and direct memory) and the live-heap delta is added to it: total = both.
MEMORY_SERVERS=("usockets4j UsocketsServer" "netty-epoll NettyServer" "jdk-nio NioServer")
MEMORY_BASELINE=netty-epoll

# heap_settled NAME: live heap after three full collections, the least of three readings (a first
# reading can still hold what only a later collection frees).
heap_settled() {
  local i h least=
  for i in 1 2 3; do
    h=$(server_ask "$1" GC)
    [[ -z $least ]] || ((h < least)) && least=$h
  done
  echo "$least"
}

# measure_memory NAME ROUND: one server already started in idle mode; one row of memory.csv.
measure_memory() {
  local name=$1 round=$2 port=${SRV_PORT[$1]} n=$BENCH_IDLE_CONNS i
  echo_load "$port" 300 0 1 >/dev/null
  echo_load "$port" 300 0 1 >/dev/null
  for ((i = 0; i < 500; i++)); do (($(server_ask "$name" CONNS) == 0)) && break; sleep 0.02; done
  local heap0 rss0 heap1 rss1 held=0 pid
  heap0=$(heap_settled "$name")
  rss0=$(server_rss_kib "$name")
  taskset -c "$LOAD_CORE" "$ECHO_LOAD" 127.0.0.1 "$port" "$n" 0 600 >/dev/null 2>>"$BENCH_TMP/echo-load.err" &
  pid=$!
  for ((i = 0; i < 1200; i++)); do
    held=$(server_ask "$name" CONNS)
    ((held >= n)) && break
    kill -0 "$pid" 2>/dev/null || break
    sleep 0.05
  done
  if ((held < n)); then
    log "  $name: holds $held of $n connections; no memory figure ($(tail -n 1 "$BENCH_TMP/echo-load.err" 2>/dev/null))"
  else
    heap1=$(heap_settled "$name")
    rss1=$(server_rss_kib "$name")
    echo "$name,$round,$n,$rss0,$rss1,$heap0,$heap1" >>"$BENCH_OUT/memory.csv"
  fi
  kill "$pid" 2>/dev/null || true
  wait "$pid" 2>/dev/null || true
}

section_memory() {
  local limit
  limit=$(ulimit -n)
  if [[ $limit != unlimited ]] && ((limit < BENCH_IDLE_CONNS + 200)); then
    BENCH_IDLE_CONNS=$((limit - 200))
    log "  ulimit -n is $limit: measuring with $BENCH_IDLE_CONNS connections"
  fi
  echo "== memory: $BENCH_IDLE_CONNS idle connections, $BENCH_ROUNDS rounds; server core $SERVER_CORE, load core $LOAD_CORE =="
  [[ -s $BENCH_OUT/memory.csv ]] || echo "server,round,conns,rss0_kib,rss1_kib,heap0_b,heap1_b" >"$BENCH_OUT/memory.csv"
  local r spec
  for ((r = 1; r <= BENCH_ROUNDS; r++)); do
    while read -r spec; do
      start_each idle "$spec"
      ((${#UP[@]})) && measure_memory "${UP[0]}" "$r"
      stop_each
    done < <(rotate "$((r - 1))" "${MEMORY_SERVERS[@]}")
  done
  report_memory "$MEMORY_BASELINE"
}

report_memory() {
  results_init
  awk -F, -v baseline="$1" -v csv="$BENCH_OUT/results.csv" "$AWK_STATS"'
  NR == 1 { next }
  {
    k = $1
    if (!(k in n)) order[++ns] = k
    i = ++n[k]
    rss[k, i] = ($5 - $4) / $3
    heap[k, i] = ($7 - $6) / 1024 / $3
    tot[k, i] = rss[k, i] + heap[k, i]
  }
  function row(s, metric, v, k, m, vs, r) {
    printf "memory,idle %d conns,%s,%s,%.3f,%.3f,%.3f,KiB,%s,%s\n", conns, s, metric, med(v, k, m), lo(v, k, m), hi(v, k, m), vs, r >> csv
  }
  END {
    conns = $3
    printf "%-16s %26s %26s %26s %12s\n", "server", "RSS KiB/conn (min-max)", "live heap KiB/conn", "total KiB/conn", "x " baseline
    for (s = 1; s <= ns; s++) {
      k = order[s]; m = n[k]
      r = (baseline in n) && med(tot, baseline, n[baseline]) > 0 ? sprintf("%.2f", med(tot, k, m) / med(tot, baseline, n[baseline])) : "-"
      printf "%-16s %26s %26s %26s %12s\n", k,
        sprintf("%.3f (%.3f-%.3f)", med(rss, k, m), lo(rss, k, m), hi(rss, k, m)),
        sprintf("%.3f (%.3f-%.3f)", med(heap, k, m), lo(heap, k, m), hi(heap, k, m)),
        sprintf("%.3f (%.3f-%.3f)", med(tot, k, m), lo(tot, k, m), hi(tot, k, m)), r
      row(k, "rss_per_conn", rss, k, m, "", "")
      row(k, "heap_per_conn", heap, k, m, "", "")
      row(k, "total_per_conn", tot, k, m, baseline, r)
    }
  }' "$BENCH_OUT/memory.csv"
}
