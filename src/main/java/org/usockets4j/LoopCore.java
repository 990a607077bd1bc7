package org.usockets4j;

import org.usockets4j.internal.DeferQueue;

/**
 * The target of every upcall from native/ for one loop (a global reference in the loop's ext), and of the
 * per-iteration work {@link Loop#run()} does between its downcalls (onPre, onPost).
 * One method per callback kind, primitives only; each catches everything user code throws and
 * hands it to the loop's exception handler, so no Java exception travels back into C.
 * Socket, context and UDP families add their on* methods here (and their IDs in jni_onload.c).
 * Every method but onPre first tells the loop's stats that the loop is busy (the first after a wait starts an
 * iteration's busy stretch); onPre ends it, just before the loop waits. Every one first dispatches the queued hot
 * socket events ({@link LoopEvents}), so its own event comes after them as the core made it; onPost, run after each
 * iteration, also hands resumed sockets what they held.
 */
final class LoopCore implements DeferQueue.Runner {
    private final Loop<?> loop;
    private final LoopStats stats;
    private final LoopEvents events;

    LoopCore(Loop<?> loop) {
        this.loop = loop;
        this.stats = loop.stats;
        this.events = loop.events;
    }

    /** The first step of every upcall and of onPost: the loop is busy, and what was queued before goes first. */
    private void begin() {
        if (events.pending()) {
            stats.wake(events.firstQueuedNanos()); // busy since the core queued the first of them
            events.flush();
        } else {
            stats.wake();
        }
    }

    /** Upcall: the event area (or a receive area) is full: dispatches the queue; the socket at (slot, generation)
     *  goes on with the returned handle (s when it was closed meanwhile). */
    long onFlush(int slot, int generation, long s) {
        begin();
        Socket<?> socket = loop.tcp.sockets.get(slot, generation);
        return socket != null ? socket.handle : s;
    }

    /** Upcall: the loop was woken (deferred callbacks wait). */
    void onWakeup() {
        begin();
        try {
            loop.drainDeferred();
        } catch (Throwable t) {
            loop.report(t);
        }
    }

    /**
     * Loop.run, before the first iteration's wait for events (the pre hook, then deferred callbacks); onPost does it
     * for the iterations after.
     */
    void onPre() {
        if (events.pending()) {
            events.flush(); // not expected: onPost took the queue
        }
        prepareWait();
    }

    /** The pre work: the pre hook, deferred callbacks, and the end of the busy stretch. */
    private void prepareWait() {
        try {
            loop.firePre();
        } catch (Throwable t) {
            loop.report(t);
        }
        try {
            loop.beforeWait();
        } catch (Throwable t) {
            loop.report(t);
        }
        stats.waiting(); // the loop waits for events next: its busy stretch ends here
    }

    /**
     * Loop.run, after each iteration (loopRunOnce returned): the queued events, then what resumed sockets held, then
     * the post hook. When another iteration follows, it also does that iteration's pre work and returns true; false:
     * run returns.
     */
    boolean onPost() {
        begin();
        try {
            loop.tcp.deliverResumed();
        } catch (Throwable t) {
            loop.report(t);
        }
        try {
            loop.firePost();
        } catch (Throwable t) {
            loop.report(t);
        }
        if (!loop.aliveAfterIteration()) {
            return false; // run returns: no pre work
        }
        loop.preWorkInPost = true;
        try {
            prepareWait();
        } finally {
            loop.preWorkInPost = false;
        }
        return true;
    }

    /** Upcall: the timer at (slot, generation) of this loop's timer table fired. */
    void onTimer(int slot, int generation) {
        begin();
        try {
            Timer<?> timer = loop.timers.get(slot, generation);
            if (timer != null) {
                timer.fire();
            }
        } catch (Throwable t) {
            loop.report(t);
        }
    }

    /** Upcall: a batch of count datagrams is in the loop's receive buffer for the UDP socket at (slot, generation). */
    void onUdpData(int slot, int generation, int count) {
        begin();
        try {
            loop.udp.onData(slot, generation, count);
        } catch (Throwable t) {
            loop.report(t);
        }
    }

    /** Upcall: the UDP socket at (slot, generation) can take the rest of a partial send. */
    void onUdpDrain(int slot, int generation) {
        begin();
        try {
            loop.udp.onDrain(slot, generation);
        } catch (Throwable t) {
            loop.report(t);
        }
    }

    /** Upcall: an accepted descriptor of the context at (slot, generation), before it becomes a socket. */
    int onPreOpen(int contextSlot, int contextGeneration, int fd, long ipHi, long ipLo, int ipLength) {
        begin();
        try {
            return loop.tcp.onPreOpen(contextSlot, contextGeneration, fd, ipHi, ipLo, ipLength);
        } catch (Throwable t) {
            loop.report(t);
            return fd;
        }
    }

    /** Upcall: socket s opened (accepted: slot -1, the context's slot given; connected: its own slot). */
    long onOpen(int contextSlot, int contextGeneration, int slot, int generation, long s, int isClient, long ipHi,
                long ipLo, int ipLength) {
        begin();
        try {
            return loop.tcp.onOpen(contextSlot, contextGeneration, slot, generation, s, isClient, ipHi, ipLo, ipLength);
        } catch (Throwable t) {
            loop.report(t);
            return s;
        }
    }

    /** Upcall: length bytes at offset of receive area buffer arrived for the socket at (slot, generation). */
    long onData(int slot, int generation, long s, int buffer, int offset, int length) {
        begin();
        try {
            return loop.tcp.onData(slot, generation, s, buffer, offset, length);
        } catch (Throwable t) {
            loop.report(t);
            return s;
        }
    }

    /** Upcall: the socket can take more. */
    long onWritable(int slot, int generation, long s) {
        begin();
        try {
            return loop.tcp.onWritable(slot, generation, s);
        } catch (Throwable t) {
            loop.report(t);
            return s;
        }
    }

    /** Upcall: the peer half-closed the socket. */
    long onEnd(int slot, int generation, long s) {
        begin();
        try {
            return loop.tcp.onEnd(slot, generation, s);
        } catch (Throwable t) {
            loop.report(t);
            return s;
        }
    }

    /** Upcall: the socket's timeout expired. */
    long onTimeout(int slot, int generation, long s) {
        begin();
        try {
            return loop.tcp.onTimeout(slot, generation, s, false);
        } catch (Throwable t) {
            loop.report(t);
            return s;
        }
    }

    /** Upcall: the socket's long timeout expired. */
    long onLongTimeout(int slot, int generation, long s) {
        begin();
        try {
            return loop.tcp.onTimeout(slot, generation, s, true);
        } catch (Throwable t) {
            loop.report(t);
            return s;
        }
    }

    /** Upcall: the socket's connect failed with code. */
    long onConnectError(int slot, int generation, long s, int code) {
        begin();
        try {
            return loop.tcp.onConnectError(slot, generation, s, code);
        } catch (Throwable t) {
            loop.report(t);
            return s;
        }
    }

    /** Upcall: the socket closed with code (reason: a TLS failure's C string, or 0). */
    long onClose(int slot, int generation, long s, int code, long reason) {
        begin();
        try {
            return loop.tcp.onClose(slot, generation, s, code, reason);
        } catch (Throwable t) {
            loop.report(t);
            return s;
        }
    }

    /** Upcall: a TLS client asked the context at (slot, generation) for a server name no pattern matches. */
    void onServerName(int contextSlot, int contextGeneration, String hostname) {
        begin();
        try {
            SocketContext<?> context = loop.tcp.contexts.get(contextSlot, contextGeneration);
            if (context != null) {
                context.serverNameRequested(hostname);
            }
        } catch (Throwable t) {
            loop.report(t);
        }
    }

    /** Upcall (not expected): data outside both receive areas, wrapped for this call only (LoopTcp copies it). */
    void onRecvBuffer(int index, java.nio.ByteBuffer buffer) {
        try {
            loop.tcp.onRecvBuffer(index, buffer);
        } catch (Throwable t) {
            loop.report(t);
        }
    }

    /** Runs one deferred callback. */
    @Override
    public void run(Object callback) {
        try {
            loop.runDeferred(callback);
        } catch (Throwable t) {
            loop.report(t);
        }
    }
}
