package org.usockets4j.internal;

import java.lang.invoke.MethodHandles;
import java.lang.invoke.VarHandle;
import java.util.Arrays;

/**
 * The dual queue behind {@code LoopHandle.defer}: producers (any thread) append to the inbox under a
 * short spin lock; the first append since the last drain wakes the loop (one wakeup per batch, not
 * per callback). The loop thread swaps inbox and outbox under the lock and runs the outbox without
 * it, so producers never wait on callbacks and a callback that defers again lands in the next round.
 * Callbacks run in append order (so FIFO per producer), each exactly once; after {@link #close()}
 * nothing more is accepted, and what was accepted before still runs at the next drain.
 */
public final class DeferQueue {
    /** Wakes the loop; called at most once per batch, never after close() returned. */
    public interface Waker {
        /** Makes the loop drain soon. */
        void wake();
    }

    /** Runs one deferred callback on the loop thread; must not throw. */
    public interface Runner {
        /** Runs the callback given to {@link #offer(Object)}. */
        void run(Object callback);
    }

    private static final int INITIAL = 1024;
    private static final int SHRINK_ABOVE = 1 << 16;
    private static final VarHandle LOCK;
    private static final VarHandle WAKERS;

    static {
        try {
            LOCK = MethodHandles.lookup().findVarHandle(DeferQueue.class, "lock", int.class);
            WAKERS = MethodHandles.lookup().findVarHandle(DeferQueue.class, "wakers", int.class);
        } catch (ReflectiveOperationException e) {
            throw new ExceptionInInitializerError(e);
        }
    }

    private final Waker waker;

    // Guarded by lock.
    @SuppressWarnings("unused")
    private volatile int lock;
    private Object[] inbox = new Object[INITIAL];
    private int inboxSize;
    private boolean wakePending;
    private boolean closed;
    private long wakeups;
    private long accepted;

    // Producers between deciding to wake (under the lock) and the end of their wake call.
    @SuppressWarnings("unused")
    private volatile int wakers;

    // Loop thread only.
    private Object[] outbox = new Object[INITIAL];
    private boolean draining;

    /** A queue that calls waker on the first append of each batch. */
    public DeferQueue(Waker waker) {
        this.waker = waker;
    }

    /** Appends callback; false (nothing queued) once the queue is closed. Any thread. */
    public boolean offer(Object callback) {
        boolean wake = false;
        lock();
        try {
            if (closed) {
                return false;
            }
            Object[] in = inbox;
            int n = inboxSize;
            if (n == in.length) {
                in = inbox = Arrays.copyOf(in, n << 1);
            }
            in[n] = callback;
            inboxSize = n + 1;
            accepted++;
            if (!wakePending) {
                wakePending = true;
                wakeups++;
                // Counted under the lock, so close() sees it and waits for the wake call to end
                // before the loop can be freed; the system call itself happens outside the lock.
                WAKERS.getAndAdd(this, 1);
                wake = true;
            }
        } finally {
            unlock();
        }
        if (wake) {
            try {
                waker.wake();
            } finally {
                WAKERS.getAndAdd(this, -1);
            }
        }
        return true;
    }

    /**
     * Loop thread: runs every callback appended before this call, in order, and returns how many.
     * Callbacks appended meanwhile wait for the next drain. A nested call (from a callback) returns 0.
     */
    public int drain(Runner runner) {
        if (draining) {
            return 0;
        }
        Object[] batch;
        int n;
        lock();
        try {
            batch = inbox;
            n = inboxSize;
            inbox = outbox;
            inboxSize = 0;
            wakePending = false;
        } finally {
            unlock();
        }
        draining = true;
        try {
            for (int i = 0; i < n; i++) {
                Object callback = batch[i];
                batch[i] = null;
                runner.run(callback);
            }
        } finally {
            draining = false;
            // Give back memory after a burst.
            outbox = batch.length > SHRINK_ABOVE && n < (batch.length >>> 3) ? new Object[batch.length >>> 1] : batch;
        }
        return n;
    }

    /**
     * Stops accepting callbacks and waits for wake calls under way, so the loop may be freed once it
     * returns; returns false when it was already closed. Any thread.
     */
    public boolean close() {
        boolean was;
        lock();
        try {
            was = closed;
            closed = true;
        } finally {
            unlock();
        }
        for (int spins = 0; (int) WAKERS.getVolatile(this) != 0; spins++) {
            if (spins < 64) {
                Thread.onSpinWait();
            } else {
                Thread.yield();
            }
        }
        return !was;
    }

    /** Whether close() was called. */
    public boolean isClosed() {
        lock();
        try {
            return closed;
        } finally {
            unlock();
        }
    }

    /** Whether callbacks wait for the next drain. */
    public boolean hasPending() {
        lock();
        try {
            return inboxSize > 0;
        } finally {
            unlock();
        }
    }

    /** How many times the queue woke the loop (one per batch). */
    public long wakeups() {
        lock();
        try {
            return wakeups;
        } finally {
            unlock();
        }
    }

    /** How many callbacks were accepted in all. */
    public long accepted() {
        lock();
        try {
            return accepted;
        } finally {
            unlock();
        }
    }

    private void lock() {
        if (!LOCK.compareAndSet(this, 0, 1)) {
            lockSlow();
        }
    }

    private void lockSlow() {
        int spins = 0;
        for (;;) {
            if ((int) LOCK.getOpaque(this) == 0 && LOCK.compareAndSet(this, 0, 1)) {
                return;
            }
            if (++spins < 64) {
                Thread.onSpinWait();
            } else {
                // Few cores: let the holder run instead of burning its time slice.
                Thread.yield();
            }
        }
    }

    private void unlock() {
        LOCK.setRelease(this, 0);
    }
}
