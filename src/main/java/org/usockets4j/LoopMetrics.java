package org.usockets4j;

import java.util.concurrent.TimeUnit;

/**
 * A snapshot of one loop's counters, from {@link Loop#metrics()}: cheap enough to leave on (the loop thread keeps
 * them with plain stores, no locks), and taken from any thread without touching the loop thread. Counters start
 * at 0 when the loop is created and only grow, except {@link #openSockets()} and the iteration times.
 *
 * <p>Sockets and bytes are those of TCP and TLS sockets ({@link SocketContext}); UDP sockets count datagrams, in
 * {@link #datagramsIn()} and {@link #datagramsOut()}. A socket
 * counts once it opened ({@code onOpen}): a connect that failed or was cancelled before it opened is in no
 * counter. Bytes are application bytes: what {@code onData} was given and what the kernel (TLS: the TLS layer)
 * took from {@code write}, {@code write2} and {@code send}; TLS records and handshakes are not counted.
 *
 * <p><b>Iteration lag.</b> An iteration of the loop is busy from the moment its wait for events returns until it
 * waits again: dispatching what became ready, the user's callbacks, deferred callbacks and the pre/post hooks. An
 * event that becomes ready while the loop is busy waits at most that long before the loop even sees it, so the
 * busy time of an iteration is the loop's lag, the latency it adds. {@link #currentBusyNanos()} is how long the
 * loop has been busy right now (0 while it waits: a growing value here is a blocked loop), {@link
 * #lastIterationNanos()} and {@link #maxIterationNanos()} are the busy time of the last finished iteration and
 * of the longest since the loop was created, and {@link #busyNanos()} the total, so that the share of a period
 * the loop spent working is the difference of two snapshots' {@code busyNanos} over the time between them.
 * The busy stretch is measured on the Java side: it starts at the first call into Java after the wait returned
 * (a callback, or the end-of-iteration hook), so work the C core does before that without calling Java, such as a
 * TLS handshake step, is not in it. Socket data and writability events reach Java in one batch per iteration; the
 * stretch of such an iteration starts when the core queued the first of them, so the core's reads are in it.
 */
public final class LoopMetrics {
    private final long openSockets;
    private final long acceptedTotal;
    private final long connectedTotal;
    private final long closedTotal;
    private final long bytesIn;
    private final long bytesOut;
    private final long datagramsIn;
    private final long datagramsOut;
    private final long iterations;
    private final long currentBusyNanos;
    private final long lastIterationNanos;
    private final long maxIterationNanos;
    private final long busyNanos;

    LoopMetrics(long openSockets, long acceptedTotal, long connectedTotal, long closedTotal, long bytesIn,
                long bytesOut, long datagramsIn, long datagramsOut, long iterations, long currentBusyNanos,
                long lastIterationNanos, long maxIterationNanos, long busyNanos) {
        this.openSockets = openSockets;
        this.acceptedTotal = acceptedTotal;
        this.connectedTotal = connectedTotal;
        this.closedTotal = closedTotal;
        this.bytesIn = bytesIn;
        this.bytesOut = bytesOut;
        this.datagramsIn = datagramsIn;
        this.datagramsOut = datagramsOut;
        this.iterations = iterations;
        this.currentBusyNanos = currentBusyNanos;
        this.lastIterationNanos = lastIterationNanos;
        this.maxIterationNanos = maxIterationNanos;
        this.busyNanos = busyNanos;
    }

    /** TCP and TLS sockets of the loop open now (accepted or connected, and not closed yet). */
    public long openSockets() {
        return openSockets;
    }

    /** Sockets the loop's listeners accepted since it was created. */
    public long acceptedTotal() {
        return acceptedTotal;
    }

    /** Client sockets of the loop whose connect succeeded since it was created. */
    public long connectedTotal() {
        return connectedTotal;
    }

    /** Sockets (accepted or connected) that closed since the loop was created. */
    public long closedTotal() {
        return closedTotal;
    }

    /** Application bytes the loop's sockets received (handed to {@code onData}) since the loop was created. */
    public long bytesIn() {
        return bytesIn;
    }

    /** Application bytes the loop's sockets wrote (taken by the kernel or the TLS layer) since it was created. */
    public long bytesOut() {
        return bytesOut;
    }

    /** UDP datagrams the loop's UDP sockets received (handed to their {@code onData}) since it was created. */
    public long datagramsIn() {
        return datagramsIn;
    }

    /** UDP datagrams the loop's UDP sockets sent (what {@code send} returned, summed) since it was created. */
    public long datagramsOut() {
        return datagramsOut;
    }

    /** Iterations the loop completed (times it went to wait for events) since it was created. */
    public long iterations() {
        return iterations;
    }

    /** How long the loop has been busy in its current iteration, in nanoseconds; 0 while it waits or is not running. */
    public long currentBusyNanos() {
        return currentBusyNanos;
    }

    /** The busy time of the last finished iteration, in nanoseconds (the loop's most recent lag). */
    public long lastIterationNanos() {
        return lastIterationNanos;
    }

    /** The busy time of the longest iteration since the loop was created, in nanoseconds (its worst lag). */
    public long maxIterationNanos() {
        return maxIterationNanos;
    }

    /** The loop's busy time, summed over every iteration since it was created, in nanoseconds. */
    public long busyNanos() {
        return busyNanos;
    }

    /** The counters on one line, times in microseconds. */
    @Override
    public String toString() {
        return "LoopMetrics[open=" + openSockets + " accepted=" + acceptedTotal + " connected=" + connectedTotal
                + " closed=" + closedTotal + " bytesIn=" + bytesIn + " bytesOut=" + bytesOut
                + " datagramsIn=" + datagramsIn + " datagramsOut=" + datagramsOut
                + " iterations=" + iterations + " busyNowUs=" + micros(currentBusyNanos)
                + " lastIterationUs=" + micros(lastIterationNanos) + " maxIterationUs=" + micros(maxIterationNanos)
                + " busyUs=" + micros(busyNanos) + "]";
    }

    private static long micros(long nanos) {
        return TimeUnit.NANOSECONDS.toMicros(nanos);
    }
}
