# Section "defer": DeferBench, producers deferring no-ops into usockets4j vs Netty's EpollEventLoop.execute.
section_defer() {
  echo "== defer: DeferBench $BENCH_ROUNDS rounds x ${BENCH_SECONDS}s after ${BENCH_WARMUP}s warm-up, ${BENCH_DEFER_PRODUCERS:-2} producers =="
  java -Xms1g -Xmx1g -cp "$BENCH_CP" org.usockets4j.bench.DeferBench "$BENCH_SECONDS" "${BENCH_DEFER_PRODUCERS:-2}" "$BENCH_WARMUP" "$BENCH_ROUNDS"
}
