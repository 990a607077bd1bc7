# Shared helpers of scripts/bench.sh (sourced, not run). A benchmark section uses them as:
#   server_start NAME CLASS MODE [ARGS...]   start bench/ server CLASS pinned to the server core,
#                                            wait for its "PORT n" line; sets SRV_PORT[NAME]
#   server_cpu NAME                          "user_ticks system_ticks" from /proc/<pid>/stat
#   server_rss_kib NAME                      VmRSS from /proc/<pid>/status, in KiB
#   server_ask NAME CMD                      send a control command (ALLOC, CONNS, GC), print the value
#   server_stop NAME                         stop it (every server still running is stopped on exit)
#   load ARGS...                             run a load command pinned to the load core
#   measure_echo / measure_wrk / measure_stime SECTION CONFIG NAME ROUND ...
#                                            one measured run: load + server CPU over the run (and,
#                                            where perf can count them, the server's user and kernel
#                                            instructions: a figure a busy machine does not skew),
#                                            appended as one row to $BENCH_OUT/rounds.csv
# Variables set by scripts/bench.sh: BENCH_CP (classpath), ECHO_LOAD (binary), BENCH_OUT, BENCH_TMP.

SERVER_CORE=${BENCH_SERVER_CORE:-0}
LOAD_CORE=${BENCH_LOAD_CORE:-1}
BENCH_JAVA_OPTS=${BENCH_JAVA_OPTS:--Xms512m -Xmx512m -XX:+AlwaysPreTouch -Dio.netty.leakDetection.level=disabled}
CLK_TCK=$(getconf CLK_TCK)
# BENCH_PERF: auto (count instructions when `perf stat` can), 0 (never)
BENCH_PERF=${BENCH_PERF:-auto}
if [[ $BENCH_PERF == auto ]]; then
  if command -v perf >/dev/null 2>&1 && perf stat -x, -e instructions:u -- true >/dev/null 2>&1; then BENCH_PERF=1; else BENCH_PERF=0; fi
fi

declare -A SRV_PID SRV_PORT SRV_CTL SRV_OUT

log() { printf '%s\n' "$*" >&2; }

# server_start NAME CLASS MODE [ARGS...]: returns non-zero (and logs why) when the server does not
# come up within 60 s, so a section can go on with the other servers.
server_start() {
  local name=$1 cls=$2 mode=$3
  shift 3
  local out=$BENCH_TMP/$name.out err=$BENCH_TMP/$name.err ctl=$BENCH_TMP/$name.ctl
  rm -f "$out" "$err" "$ctl"
  mkfifo "$ctl"
  # shellcheck disable=SC2086 # BENCH_JAVA_OPTS is a list of options
  taskset -c "$SERVER_CORE" java $BENCH_JAVA_OPTS -cp "$BENCH_CP" "org.usockets4j.bench.$cls" 0 "$mode" "$@" \
    <"$ctl" >"$out" 2>"$err" &
  local pid=$! fd
  exec {fd}>"$ctl" # the server's stdin: kept open so it only ends when we close it
  SRV_PID[$name]=$pid SRV_CTL[$name]=$fd SRV_OUT[$name]=$out
  local i
  for ((i = 0; i < 6000; i++)); do
    if [[ -s $out ]] && grep -q '^PORT ' "$out"; then
      SRV_PORT[$name]=$(awk '/^PORT /{print $2; exit}' "$out")
      return 0
    fi
    kill -0 "$pid" 2>/dev/null || break
    sleep 0.01
  done
  log "  $name ($cls $mode $*) did not start:"
  sed 's/^/    /' "$err" | head -n 15 >&2
  server_stop "$name"
  return 1
}

server_stop() {
  local name=$1 pid=${SRV_PID[$1]:-}
  [[ -n $pid ]] || return 0
  kill "$pid" 2>/dev/null || true
  wait "$pid" 2>/dev/null || true
  eval "exec ${SRV_CTL[$name]}>&-" 2>/dev/null || true
  unset "SRV_PID[$name]" "SRV_PORT[$name]" "SRV_CTL[$name]" "SRV_OUT[$name]"
}

server_stop_all() {
  local name
  for name in "${!SRV_PID[@]}"; do server_stop "$name"; done
}

server_running() { [[ -n ${SRV_PID[$1]:-} ]]; }

# "utime stime" in clock ticks (fields 14 and 15 of /proc/<pid>/stat; the name in field 2 may hold spaces).
server_cpu() {
  sed 's/^.*) //' "/proc/${SRV_PID[$1]}/stat" | awk '{print $12, $13}'
}

server_rss_kib() {
  awk '/^VmRSS:/{print $2}' "/proc/${SRV_PID[$1]}/status"
}

# server_ask NAME CMD: sends CMD on the server's stdin and prints the value of its reply line.
server_ask() {
  local name=$1 cmd=$2 key out=${SRV_OUT[$1]} before i
  case $cmd in GC) key=HEAP ;; *) key=$cmd ;; esac
  before=$(grep -c "^$key " "$out" || true)
  printf '%s\n' "$cmd" >&"${SRV_CTL[$name]}"
  for ((i = 0; i < 3000; i++)); do
    if (($(grep -c "^$key " "$out" || true) > before)); then
      awk -v k="$key" '$1 == k {v = $2} END {print v}' "$out"
      return 0
    fi
    sleep 0.01
  done
  log "  $name did not answer $cmd"
  return 1
}

load() { taskset -c "$LOAD_CORE" "$@"; }

# counters_start NAME / counters_stop: the server's user and kernel instructions and cycles in between,
# left in COUNTERS as "user_instr,kernel_instr,user_cycles,kernel_cycles" (empty fields when perf is off
# or could not count). Cycles are the CPU's own count of the time spent in each mode (at its clock);
# /proc's user/system split is sampled at timer ticks. Not in $(...): wait only works in the shell
# that started perf.
COUNTERS_PID= COUNTERS=
counters_start() {
  COUNTERS_PID=
  ((BENCH_PERF)) || return 0
  rm -f "$BENCH_TMP/perf.out"
  perf stat -x, -o "$BENCH_TMP/perf.out" -e instructions:u,instructions:k,cycles:u,cycles:k -p "${SRV_PID[$1]}" >/dev/null 2>&1 &
  COUNTERS_PID=$!
  local i # perf writes its header once it counts
  for ((i = 0; i < 100; i++)); do [[ -s $BENCH_TMP/perf.out ]] && break; sleep 0.01; done
}
counters_stop() {
  COUNTERS=,,,
  [[ -n $COUNTERS_PID ]] || return 0
  kill -INT "$COUNTERS_PID" 2>/dev/null || true
  wait "$COUNTERS_PID" 2>/dev/null || true
  COUNTERS=$(awk -F, '$3 ~ /^instructions:u/ {u = $1} $3 ~ /^instructions:k/ {k = $1}
    $3 ~ /^cycles:u/ {cu = $1} $3 ~ /^cycles:k/ {ck = $1}
    function n(x) { return x ~ /^[0-9]+$/ ? x : "" }
    END {print n(u) "," n(k) "," n(cu) "," n(ck)}' "$BENCH_TMP/perf.out" 2>/dev/null || echo ,,,)
  rm -f "$BENCH_TMP/perf.out"
}

# record SECTION CONFIG NAME ROUND OPS SECONDS P50_US P99_US CPU_TICKS USER_TICKS ERRORS COUNTERS (4 fields)
record() {
  local IFS=,
  printf '%s\n' "$*" >>"$BENCH_OUT/rounds.csv"
}

# cpu_delta "u0 s0" "u1 s1" -> "total_ticks user_ticks"
cpu_delta() {
  local -a a=($1) b=($2)
  echo "$((b[0] + b[1] - a[0] - a[1])) $((b[0] - a[0]))"
}

# echo_load PORT CONNS SIZE SECONDS: prints echo-load's result line (empty on failure).
echo_load() {
  load "$ECHO_LOAD" 127.0.0.1 "$1" "$2" "$3" "$4" 2>>"$BENCH_TMP/echo-load.err" | grep '^echo:' || true
}

# field LINE KEY: the value of key=value in an echo-load result line.
field() { sed -n "s|.* $2=\([^ ]*\).*|\1|p" <<<" $1"; }

# measure_echo SECTION CONFIG NAME ROUND CONNS SIZE [SECONDS]
measure_echo() {
  local section=$1 config=$2 name=$3 round=$4 conns=$5 size=$6 secs=${7:-$BENCH_SECONDS} c0 c1 line
  counters_start "$name"
  c0=$(server_cpu "$name")
  line=$(echo_load "${SRV_PORT[$name]}" "$conns" "$size" "$secs")
  c1=$(server_cpu "$name")
  counters_stop
  if [[ -z $line ]]; then
    log "  $name: echo-load failed ($(tail -n 1 "$BENCH_TMP/echo-load.err" 2>/dev/null))"
    return 0
  fi
  local -a cpu=($(cpu_delta "$c0" "$c1"))
  record "$section" "$config" "$name" "$round" "$(field "$line" rtt)" "$(field "$line" secs)" \
    "$(field "$line" p50_us)" "$(field "$line" p99_us)" "${cpu[0]}" "${cpu[1]}" "$(field "$line" errors)" "$COUNTERS"
}

# wrk_us VALUE: a wrk latency ("274.00us", "1.20ms", "1.02s") in microseconds.
wrk_us() {
  awk -v v="$1" 'BEGIN {
    n = v + 0
    if (v ~ /us$/) print n; else if (v ~ /ms$/) print n * 1000; else if (v ~ /m$/) print n * 60e6; else print n * 1e6 }'
}

# measure_wrk SECTION CONFIG NAME ROUND URL [WRK_ARGS...] (-t1 -c100 --latency -d$BENCH_SECONDS added)
measure_wrk() {
  local section=$1 config=$2 name=$3 round=$4 url=$5 c0 c1 out
  shift 5
  out=$BENCH_TMP/wrk.out
  counters_start "$name"
  c0=$(server_cpu "$name")
  load wrk -t1 -c100 -d"${BENCH_SECONDS}s" --latency "$@" "$url" >"$out" 2>&1 || true
  c1=$(server_cpu "$name")
  counters_stop
  local ops secs p50 p99 errors
  read -r ops secs < <(awk '/ requests in /{sub(/s,$/, "", $4); print $1, $4}' "$out")
  if [[ -z ${ops:-} ]]; then
    log "  $name: wrk failed: $(tail -n 3 "$out")"
    return 0
  fi
  p50=$(wrk_us "$(awk '$1 == "50%" {print $2}' "$out")")
  p99=$(wrk_us "$(awk '$1 == "99%" {print $2}' "$out")")
  errors=$(awk '/Socket errors:/ {gsub(/,/, ""); e += $4 + $6 + $8 + $10} /Non-2xx/ {e += $NF} END {print e + 0}' "$out")
  local -a cpu=($(cpu_delta "$c0" "$c1"))
  record "$section" "$config" "$name" "$round" "$ops" "$secs" "$p50" "$p99" "${cpu[0]}" "${cpu[1]}" "$errors" "$COUNTERS"
}

# measure_stime SECTION CONFIG NAME ROUND CLIENTS: CLIENTS parallel `openssl s_time -new` for
# $BENCH_SECONDS; operations = full handshakes completed (summed over the clients' reports).
measure_stime() {
  local section=$1 config=$2 name=$3 round=$4 clients=$5 c0 c1 i
  local -a pids=()
  counters_start "$name"
  c0=$(server_cpu "$name")
  for ((i = 0; i < clients; i++)); do
    load openssl s_time -connect "127.0.0.1:${SRV_PORT[$name]}" -new -time "$BENCH_SECONDS" \
      >"$BENCH_TMP/stime.$i" 2>&1 </dev/null &
    pids+=($!)
  done
  for i in "${pids[@]}"; do wait "$i" || true; done
  c1=$(server_cpu "$name")
  local ops
  counters_stop
  ops=$(cat "$BENCH_TMP"/stime.* | awk '/connections in .* real seconds/ {n += $1} END {print n + 0}')
  rm -f "$BENCH_TMP"/stime.*
  if ((ops == 0)); then
    log "  $name: s_time completed no handshake"
    return 0
  fi
  local -a cpu=($(cpu_delta "$c0" "$c1"))
  record "$section" "$config" "$name" "$round" "$ops" "$BENCH_SECONDS" "" "" "${cpu[0]}" "${cpu[1]}" 0 "$COUNTERS"
}
