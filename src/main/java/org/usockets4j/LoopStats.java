package org.usockets4j;

import java.lang.invoke.MethodHandles;
import java.lang.invoke.VarHandle;

/**
 * The counters behind {@link Loop#metrics()}. One writer, the loop's thread: it updates each counter with a plain
 * read and a release store (on x86 and on aarch64 no more than a plain store: no lock, no atomic read-modify-write,
 * no contention with readers). Any thread reads them with acquire loads, so a snapshot never sees a counter go
 * back, never sees a torn long, and never sees a socket closed before it was counted open. Nothing here allocates.
 */
final class LoopStats {
    private static final VarHandle ACCEPTED;
    private static final VarHandle CONNECTED;
    private static final VarHandle CLOSED;
    private static final VarHandle OPEN;
    private static final VarHandle BYTES_IN;
    private static final VarHandle BYTES_OUT;
    private static final VarHandle DATAGRAMS_IN;
    private static final VarHandle DATAGRAMS_OUT;
    private static final VarHandle ITERATIONS;
    private static final VarHandle BUSY_TOTAL;
    private static final VarHandle BUSY_LAST;
    private static final VarHandle BUSY_MAX;
    private static final VarHandle WOKE_AT;

    static {
        try {
            MethodHandles.Lookup l = MethodHandles.lookup();
            ACCEPTED = l.findVarHandle(LoopStats.class, "accepted", long.class);
            CONNECTED = l.findVarHandle(LoopStats.class, "connected", long.class);
            CLOSED = l.findVarHandle(LoopStats.class, "closed", long.class);
            OPEN = l.findVarHandle(LoopStats.class, "open", long.class);
            BYTES_IN = l.findVarHandle(LoopStats.class, "bytesIn", long.class);
            BYTES_OUT = l.findVarHandle(LoopStats.class, "bytesOut", long.class);
            DATAGRAMS_IN = l.findVarHandle(LoopStats.class, "datagramsIn", long.class);
            DATAGRAMS_OUT = l.findVarHandle(LoopStats.class, "datagramsOut", long.class);
            ITERATIONS = l.findVarHandle(LoopStats.class, "iterations", long.class);
            BUSY_TOTAL = l.findVarHandle(LoopStats.class, "busyTotal", long.class);
            BUSY_LAST = l.findVarHandle(LoopStats.class, "busyLast", long.class);
            BUSY_MAX = l.findVarHandle(LoopStats.class, "busyMax", long.class);
            WOKE_AT = l.findVarHandle(LoopStats.class, "wokeAt", long.class);
        } catch (ReflectiveOperationException e) {
            throw new ExceptionInInitializerError(e);
        }
    }

    private long accepted;
    private long connected;
    private long closed;
    private long open;
    private long bytesIn;
    private long bytesOut;
    private long datagramsIn;
    private long datagramsOut;
    private long iterations;
    private long busyTotal;
    private long busyLast;
    private long busyMax;
    /** System.nanoTime() when the loop thread left its wait (never 0 then), or 0 while it waits or is not running. */
    private long wokeAt;
    /** True while the loop thread is inside run() (written and read on that thread only). */
    private boolean running;

    // ---------------------------------------------------------------- sockets (loop thread)

    /** A socket opened: accepted by a listener (client false) or connected by us (client true). */
    void opened(boolean client) {
        if (client) {
            CONNECTED.setRelease(this, connected + 1);
        } else {
            ACCEPTED.setRelease(this, accepted + 1);
        }
        OPEN.setRelease(this, open + 1);
    }

    /** A socket counted by {@link #opened} closed. */
    void closed() {
        OPEN.setRelease(this, open - 1);
        CLOSED.setRelease(this, closed + 1);
    }

    /** n bytes were handed to onData. */
    void in(int n) {
        BYTES_IN.setRelease(this, bytesIn + n);
    }

    /** n bytes were taken by a write (the count a write returned). */
    void out(int n) {
        if (n > 0) {
            BYTES_OUT.setRelease(this, bytesOut + n);
        }
    }

    /** A UDP batch of count datagrams was handed to onData. */
    void datagramsIn(int count) {
        DATAGRAMS_IN.setRelease(this, datagramsIn + count);
    }

    /** A UDP send put count datagrams out. */
    void datagramsOut(int count) {
        DATAGRAMS_OUT.setRelease(this, datagramsOut + count);
    }

    // ---------------------------------------------------------------- iterations (loop thread)

    /** run() starts on this thread: the loop is busy from here until its first wait. */
    void enterRun() {
        running = true;
        WOKE_AT.setRelease(this, stamp());
    }

    /** run() returns: the loop no longer waits nor works; what it did since its last wait counts as an iteration's. */
    void leaveRun() {
        if (wokeAt != 0) {
            endBusy(System.nanoTime());
        }
        running = false;
    }

    /** An upcall arrived: if the loop was waiting, its busy stretch starts now. */
    void wake() {
        if (wokeAt == 0 && running) {
            WOKE_AT.setRelease(this, stamp());
        }
    }

    /** As {@link #wake()}, for a stretch that began at {@code since} (System.nanoTime), before this upcall. */
    void wake(long since) {
        if (wokeAt == 0 && running) {
            WOKE_AT.setRelease(this, since == 0 ? 1 : since);
        }
    }

    /** The loop is about to wait for events (the end of onPre): its busy stretch ends. */
    void waiting() {
        ITERATIONS.setRelease(this, iterations + 1);
        if (wokeAt != 0) {
            endBusy(System.nanoTime());
        }
    }

    private void endBusy(long now) {
        long busy = Math.max(0, now - wokeAt);
        WOKE_AT.setRelease(this, 0L);
        BUSY_LAST.setRelease(this, busy);
        BUSY_TOTAL.setRelease(this, busyTotal + busy);
        if (busy > busyMax) {
            BUSY_MAX.setRelease(this, busy);
        }
    }

    private static long stamp() {
        long t = System.nanoTime();
        return t == 0 ? 1 : t;
    }

    // ---------------------------------------------------------------- any thread

    /** A consistent-enough snapshot: each value is one the loop thread published; closed never exceeds opened. */
    LoopMetrics snapshot() {
        long now = System.nanoTime();
        long woke = (long) WOKE_AT.getAcquire(this);
        long closedNow = (long) CLOSED.getAcquire(this); // before the opened counts: they only grow
        long openNow = (long) OPEN.getAcquire(this);
        long acceptedNow = (long) ACCEPTED.getAcquire(this);
        long connectedNow = (long) CONNECTED.getAcquire(this);
        return new LoopMetrics(Math.max(0, openNow), acceptedNow, connectedNow, closedNow,
                (long) BYTES_IN.getAcquire(this), (long) BYTES_OUT.getAcquire(this),
                (long) DATAGRAMS_IN.getAcquire(this), (long) DATAGRAMS_OUT.getAcquire(this),
                (long) ITERATIONS.getAcquire(this), woke == 0 ? 0 : Math.max(0, now - woke),
                (long) BUSY_LAST.getAcquire(this), (long) BUSY_MAX.getAcquire(this),
                (long) BUSY_TOTAL.getAcquire(this));
    }
}
