package org.usockets4j.internal;

import java.lang.invoke.MethodHandles;
import java.lang.invoke.VarHandle;
import java.util.Arrays;
import java.util.concurrent.atomic.AtomicLong;

/**
 * The dual queue behind {@code LoopHandle.defer}, lock-free. Each producer thread appends to an
 * inbox of its own (a single-producer queue, so producers never contend with each other) and, on
 * the first append since the loop last took that inbox, puts it on a shared ready list; the first
 * inbox put on an empty ready list wakes the loop (one wakeup per batch, not per callback). The loop
 * thread takes the whole ready list, notes how far each inbox is filled, and runs exactly that:
 * producers never wait on callbacks, and a callback that defers again lands in the next round.
 * Callbacks run in the order each producer appended them, each exactly once. After {@link #close()}
 * nothing more is accepted; what was accepted before still runs at the next drain.
 *
 * <p>An append costs one store fence. A producer that finds the queue closed right after publishing
 * takes its callback back unless the loop already claimed it (one CAS on the inbox's claim mark,
 * which the loop advances once per inbox per drain), so every offer either runs or returns false.
 *
 * <p>While the loop is awake (between its poll returning and the start of its next wait) producers
 * skip the wakeup: the loop looks at the ready list in {@link #beforeWait} and drains there, so a
 * busy loop is fed without any system call from the producers.
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

    /**
     * Slots of an inbox's first chunk and the most of any later one: chunks double up to the cap, so
     * a thread that defers once costs little and a busy one allocates rarely. The last slot of a
     * chunk links to the next one.
     */
    private static final int FIRST_CHUNK = 16;
    private static final int MAX_CHUNK = 1024;
    private static final VarHandle READY;
    private static final VarHandle WAITING;
    private static final VarHandle PUBLISHED;
    private static final VarHandle CLAIM;
    private static final VarHandle WAKERS;
    private static final VarHandle SCHEDULED;

    static {
        try {
            MethodHandles.Lookup lookup = MethodHandles.lookup();
            READY = lookup.findVarHandle(DeferQueue.class, "ready", Producer.class);
            WAITING = lookup.findVarHandle(DeferQueue.class, "waiting", boolean.class);
            PUBLISHED = lookup.findVarHandle(ProducerSide.class, "published", long.class);
            CLAIM = lookup.findVarHandle(ConsumerSide.class, "claim", long.class);
            WAKERS = lookup.findVarHandle(DeferQueue.class, "wakers", int.class);
            SCHEDULED = lookup.findVarHandle(ConsumerSide.class, "scheduled", boolean.class);
        } catch (ReflectiveOperationException e) {
            throw new ExceptionInInitializerError(e);
        }
    }

    // Field groups of one inbox, padded apart so the loop thread's progress and the producer's
    // progress do not share a cache line.
    abstract static class PadHead {
        long h0, h1, h2, h3, h4, h5, h6, h7;
    }

    abstract static class ProducerSide extends PadHead {
        /** Callbacks appended and visible to the loop (written by the producer only). */
        volatile long published;
        Object[] tailChunk;
        int tailIndex;
        long appended;
    }

    abstract static class PadMiddle extends ProducerSide {
        long m0, m1, m2, m3, m4, m5, m6, m7;
    }

    abstract static class ConsumerSide extends PadMiddle {
        /** True from the producer putting the inbox on the ready list until the loop takes it off. */
        volatile boolean scheduled;
        /**
         * The loop's claim: callbacks up to this count are the loop's to run (it sets it once per
         * drain). Negative (-n) once the producer took back callback n and later after a close.
         */
        volatile long claim;
        Producer nextReady;
        /** Position in the queue's registry, -1 once forgotten (guarded by the queue's monitor). */
        int index = -1;
        Object[] headChunk;
        int headIndex;
        long consumed;
    }

    /** One producer thread's inbox. */
    static final class Producer extends ConsumerSide {
        long t0, t1, t2, t3, t4, t5, t6, t7;
        final Thread thread;

        Producer(Thread thread) {
            this.thread = thread;
            Object[] first = new Object[FIRST_CHUNK + 1];
            this.tailChunk = first;
            this.headChunk = first;
        }
    }

    private final Waker waker;
    private final ThreadLocal<Producer> local = new ThreadLocal<>();
    private final AtomicLong wakeups = new AtomicLong();
    private volatile boolean closed;
    /** Producers inside a wake call; close() waits for none, so the loop is never freed under one. */
    @SuppressWarnings("unused")
    private volatile int wakers;
    // The registry of inboxes, guarded by this queue's monitor.
    private Producer[] producers = new Producer[4];
    private int producerCount;
    private int sweepAt = 64;
    /** Set when the registry doubled since the last sweep: the loop then forgets ended threads. */
    private volatile boolean sweepDue;
    @SuppressWarnings("unused")
    private volatile Producer ready;
    /** False while the loop thread is awake and will look at the ready list before it waits again. */
    @SuppressWarnings("unused")
    private volatile boolean waiting = true;

    // Loop thread only.
    private Producer[] scratch = new Producer[8];
    private boolean draining;
    private int drains;

    /** A queue that calls waker when a batch starts. */
    public DeferQueue(Waker waker) {
        this.waker = waker;
    }

    /** Appends callback; false (nothing queued, it never runs) once the queue is closed. Any thread. */
    public boolean offer(Object callback) {
        Producer p = local.get();
        if (p == null) {
            p = register();
        }
        if (closed) {
            return false;
        }
        int i = p.tailIndex;
        Object[] chunk = p.tailChunk;
        int capacity = chunk.length - 1;
        if (i == capacity) {
            Object[] next = new Object[Math.min(capacity * 2, MAX_CHUNK) + 1];
            chunk[capacity] = next;
            p.tailChunk = chunk = next;
            i = 0;
        }
        chunk[i] = callback;
        p.tailIndex = i + 1;
        long n = ++p.appended;
        // The one fence. Dekker with drain(): either the loop sees this callback, or this sees the
        // inbox unscheduled. Dekker with close(): either this sees closed, or close() came later
        // and the closing drain sees this callback.
        PUBLISHED.setVolatile(p, n);
        if (closed) {
            return keep(p, n);
        }
        if (!(boolean) SCHEDULED.getVolatile(p) && SCHEDULED.compareAndSet(p, false, true)) {
            boolean wasEmpty = schedule(p);
            if (closed) {
                // close() may have taken the ready list before this inbox was on it.
                return keep(p, n);
            }
            // Dekker with beforeWait(): either the loop sees this inbox before it waits, or this sees it waiting.
            if (wasEmpty && (boolean) WAITING.getVolatile(this)) {
                wake();
            }
        }
        return true;
    }

    /** After close() raced an append of callback n: true if the loop claimed it (it runs), false if taken back. */
    private static boolean keep(Producer p, long n) {
        for (;;) {
            long c = (long) CLAIM.getVolatile(p);
            if (c >= n) {
                return true;
            }
            if (CLAIM.compareAndSet(p, c, -n)) {
                return false;
            }
        }
    }

    private void wake() {
        WAKERS.getAndAdd(this, 1);
        try {
            // Dekker with close(): either close() waits for this call, or this sees closed (and the
            // closing drain runs what is queued without a wakeup).
            if (!closed) {
                wakeups.incrementAndGet();
                waker.wake();
            }
        } finally {
            WAKERS.getAndAdd(this, -1);
        }
    }

    /** Puts the inbox on the ready list; true when the list was empty. */
    private boolean schedule(Producer p) {
        Producer head;
        do {
            head = (Producer) READY.getVolatile(this);
            p.nextReady = head;
        } while (!READY.compareAndSet(this, head, p));
        return head == null;
    }

    /** Callbacks of the inbox the loop may run: what is published, up to a take-back. */
    private static long runnable(Producer p) {
        long published = (long) PUBLISHED.getVolatile(p);
        long c = (long) CLAIM.getVolatile(p);
        return c < 0 ? Math.min(published, -c - 1) : published;
    }

    /** Loop thread: claims what the inbox holds now and returns how far it may run. */
    private static long claimAll(Producer p) {
        long limit = (long) PUBLISHED.getVolatile(p);
        for (;;) {
            long c = (long) CLAIM.getVolatile(p);
            if (c < 0) {
                return Math.min(limit, -c - 1);
            }
            if (c >= limit || CLAIM.compareAndSet(p, c, limit)) {
                return limit;
            }
        }
    }

    /** Loop thread, once its wait returned (woken or events ready): producers need not wake it now. */
    public void awake() {
        WAITING.setRelease(this, false);
    }

    /**
     * Loop thread, just before it waits for events: runs what is ready (once), and makes sure that
     * whatever arrives from now on wakes the loop. If callbacks arrived during this drain, the loop is
     * woken at once rather than drained again here, so a stream of defers cannot starve its events.
     */
    public void beforeWait(Runner runner) {
        WAITING.setVolatile(this, true);
        if (READY.getVolatile(this) == null) {
            return;
        }
        WAITING.setVolatile(this, false);
        drain(runner);
        WAITING.setVolatile(this, true);
        if (READY.getVolatile(this) != null) {
            // The loop thread wakes itself: it cannot be freed meanwhile.
            wakeups.incrementAndGet();
            waker.wake();
        }
    }

    private Producer register() {
        Producer p = new Producer(Thread.currentThread());
        // Ordered with close() by the monitor: either close() sees this inbox, or offer() sees closed.
        synchronized (this) {
            if (producerCount == producers.length) {
                producers = Arrays.copyOf(producers, producerCount * 2);
            }
            p.index = producerCount;
            producers[producerCount++] = p;
            if (producerCount >= sweepAt) {
                sweepDue = true;
            }
        }
        local.set(p);
        return p;
    }

    private synchronized Producer[] registry() {
        return Arrays.copyOf(producers, producerCount);
    }

    /** Forgets an inbox (its thread ended and it is empty); O(1). */
    private synchronized void forget(Producer p) {
        int at = p.index;
        if (at < 0) {
            return;
        }
        Producer last = producers[--producerCount];
        producers[at] = last;
        last.index = at;
        producers[producerCount] = null;
        p.index = -1;
    }

    private static boolean finished(Producer p) {
        return !p.scheduled && p.consumed == runnable(p) && !p.thread.isAlive();
    }

    /**
     * Loop thread: runs every callback appended before this call, per producer in order, and returns
     * how many. Callbacks appended meanwhile wait for the next drain. A nested call returns 0.
     */
    public int drain(Runner runner) {
        if (draining) {
            return 0;
        }
        Producer list = (Producer) READY.getAndSet(this, (Producer) null);
        if (list == null) {
            return 0;
        }
        draining = true;
        int count = 0;
        int run = 0;
        int k = -1;
        try {
            // Take the whole list first: an inbox can be put on the next list (re-linking it) as
            // soon as it is unscheduled below.
            for (Producer p = list; p != null; p = p.nextReady) {
                if (count == scratch.length) {
                    scratch = Arrays.copyOf(scratch, count * 2);
                }
                scratch[count++] = p;
            }
            // The list is newest first; serve inboxes in the order they became ready.
            for (k = count - 1; k >= 0; k--) {
                Producer p = scratch[k];
                p.nextReady = null;
                SCHEDULED.setVolatile(p, false);
                run += consume(p, claimAll(p), runner);
                if (finished(p)) {
                    forget(p);
                }
            }
        } finally {
            // Only if a runner threw: inboxes not (fully) served go back on the ready list.
            for (int j = k; j >= 0; j--) {
                Producer p = scratch[j];
                p.nextReady = null;
                if (j < k) {
                    SCHEDULED.setVolatile(p, false);
                }
                if (runnable(p) != p.consumed && SCHEDULED.compareAndSet(p, false, true)) {
                    schedule(p);
                }
            }
            Arrays.fill(scratch, 0, count, null);
            draining = false;
        }
        if ((++drains & 1023) == 0 || sweepDue) {
            forgetDeadProducers();
        }
        return run;
    }

    private static int consume(Producer p, long limit, Runner runner) {
        Object[] chunk = p.headChunk;
        int i = p.headIndex;
        long done = p.consumed;
        long start = done;
        try {
            while (done < limit) {
                if (i == chunk.length - 1) {
                    Object[] next = (Object[]) chunk[i];
                    chunk[i] = null;
                    chunk = next;
                    i = 0;
                }
                Object callback = chunk[i];
                chunk[i] = null;
                i++;
                done++;
                runner.run(callback);
            }
        } finally {
            // Progress counts the callback that was running if it threw: it is not run twice.
            p.headChunk = chunk;
            p.headIndex = i;
            p.consumed = done;
        }
        return (int) (done - start);
    }

    /** Forgets the inboxes of threads that ended with nothing left in them. */
    private void forgetDeadProducers() {
        for (Producer p : registry()) {
            if (finished(p)) {
                forget(p);
            }
        }
        synchronized (this) {
            sweepAt = Math.max(64, producerCount * 2);
            sweepDue = false;
        }
    }

    /**
     * Stops accepting callbacks and waits for wake calls under way, so the loop may be freed once it
     * returns; every callback accepted before is on the ready list for the next drain. From now on
     * producers do not wake the loop: the closer must see to that drain (Loop does it on the closing
     * thread, or on the loop thread before it waits again). Returns false when it was already closed.
     */
    public boolean close() {
        boolean was = closed;
        closed = true;
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
        return closed;
    }

    /** Loop thread: whether callbacks wait for the next drain. */
    public boolean hasPending() {
        if (READY.getVolatile(this) != null) {
            return true;
        }
        for (Producer p : registry()) {
            if (runnable(p) != p.consumed) {
                return true;
            }
        }
        return false;
    }

    /** Whether an inbox is on the ready list (for tests). */
    boolean readyForTest() {
        return READY.getVolatile(this) != null;
    }

    /** How many times the queue woke the loop (at most once per batch, none while the loop is busy). */
    public long wakeups() {
        return wakeups.get();
    }

    /** How many callbacks were accepted by the producer threads the queue still knows. */
    public long accepted() {
        long sum = 0;
        for (Producer p : registry()) {
            sum += runnable(p);
        }
        return sum;
    }

    /** How many producer threads the queue knows (threads that ended are forgotten once drained). */
    public synchronized int producerCount() {
        return producerCount;
    }
}
