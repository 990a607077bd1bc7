# Section "profile" (not part of "all"): where the servers' user-space instructions go under the
# echo load (100 x 64 B). perf samples user instructions with call graphs (instructions, not time:
# a busy machine does not skew it); the JVM writes /tmp/perf-<pid>.map at exit so JIT frames have
# names. Prints the top symbols per server and keeps $BENCH_OUT/profile-<server>.data for
# `perf report -i ...`. BENCH_PROFILE_SERVERS picks the servers (default: usockets4j and Netty).
PROFILE_SERVERS=("usockets4j UsocketsServer" "netty-epoll NettyServer" "jdk-nio NioServer")

section_profile() {
  if ! ((BENCH_PERF)); then
    echo "== profile: perf cannot count here; skipped =="
    return 0
  fi
  local want=${BENCH_PROFILE_SERVERS:-usockets4j netty-epoll} spec name port pid load_pid secs
  secs=$((BENCH_SECONDS > 2 ? BENCH_SECONDS - 1 : 1))
  echo "== profile: user-space instructions per symbol, echo 100 x 64 B, ${secs}s sampled after ${BENCH_WARMUP}s warm-up =="
  local opts=$BENCH_JAVA_OPTS
  BENCH_JAVA_OPTS="$opts -XX:+UnlockDiagnosticVMOptions -XX:+DumpPerfMapAtExit -XX:+PreserveFramePointer"
  for spec in "${PROFILE_SERVERS[@]}"; do
    name=${spec%% *}
    [[ " $want " == *" $name "* ]] || continue
    start_each echo "$spec"
    ((${#UP[@]})) || continue
    port=${SRV_PORT[$name]} pid=${SRV_PID[$name]}
    echo_load "$port" 100 64 "$BENCH_WARMUP" >/dev/null
    taskset -c "$LOAD_CORE" "$ECHO_LOAD" 127.0.0.1 "$port" 100 64 "$BENCH_SECONDS" >"$BENCH_TMP/profile-load.out" 2>&1 &
    load_pid=$!
    sleep 0.5
    perf record -q -e instructions:u -c 20011 -g -p "$pid" -o "$BENCH_OUT/profile-$name.data" -- sleep "$secs" >/dev/null 2>&1 || true
    wait "$load_pid" || true
    stop_each # the JVM writes its perf map as it exits
    echo "-- $name: $(grep '^echo:' "$BENCH_TMP/profile-load.out" | sed 's/.* rtt\/s=\([^ ]*\).*/\1 round trips\/s/')"
    perf report -i "$BENCH_OUT/profile-$name.data" --no-children --sort dso,sym -g none --stdio 2>/dev/null |
      grep "%" | head -n "${BENCH_PROFILE_TOP:-20}" | cut -c1-150 || true
  done
  BENCH_JAVA_OPTS=$opts
}
