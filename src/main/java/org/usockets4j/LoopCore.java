package org.usockets4j;

import org.usockets4j.internal.DeferQueue;

/**
 * The target of every upcall from native/ for one loop (a global reference in the loop's ext).
 * One method per callback kind, primitives only; each catches everything user code throws and
 * hands it to the loop's exception handler, so no Java exception travels back into C.
 * Socket, context and UDP families add their on* methods here (and their IDs in jni_onload.c).
 */
final class LoopCore implements DeferQueue.Runner {
    private final Loop<?> loop;

    LoopCore(Loop<?> loop) {
        this.loop = loop;
    }

    /** Upcall: the loop was woken (deferred callbacks wait). */
    void onWakeup() {
        try {
            loop.drainDeferred();
        } catch (Throwable t) {
            loop.report(t);
        }
    }

    /** Upcall: before each iteration's event dispatch. */
    void onPre() {
        try {
            loop.firePre();
        } catch (Throwable t) {
            loop.report(t);
        }
    }

    /** Upcall: after each iteration's event dispatch. */
    void onPost() {
        try {
            loop.firePost();
        } catch (Throwable t) {
            loop.report(t);
        }
    }

    /** Upcall: the timer at (slot, generation) of this loop's timer table fired. */
    void onTimer(int slot, int generation) {
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
        try {
            loop.udp.onData(slot, generation, count);
        } catch (Throwable t) {
            loop.report(t);
        }
    }

    /** Upcall: the UDP socket at (slot, generation) can take the rest of a partial send. */
    void onUdpDrain(int slot, int generation) {
        try {
            loop.udp.onDrain(slot, generation);
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
