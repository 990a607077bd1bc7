package org.usockets4j.internal;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import java.util.concurrent.CyclicBarrier;
import java.util.concurrent.Semaphore;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLong;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * A randomized hammer on the lock-free DeferQueue alone (no native loop): a consumer thread drains on
 * wakeups, producers append at random rates (some callbacks append again), and close() comes at a
 * random moment from the consumer or from another thread. Every round checks: each accepted callback
 * ran exactly once, in its producer's order; no rejected one ran; no wakeup came after close() returned.
 */
@Timeout(value = 120, unit = TimeUnit.SECONDS, threadMode = Timeout.ThreadMode.SEPARATE_THREAD)
class DeferQueueHammerTest {

    /** A deferred callback: which producer, which sequence number. */
    private record Item(int producer, int seq, boolean again) {
    }

    @Test
    void randomizedRoundsKeepEveryPromise() throws Exception {
        long seed = System.nanoTime();
        Random random = new Random(seed);
        for (int round = 0; round < 1_000; round++) {
            runRound(new Random(random.nextLong()), "seed " + seed + " round " + round, false);
        }
    }

    /**
     * The same, with the consumer doing what the loop does (beforeWait, wait, awake, drain) and a long
     * wait: a wait that times out while an inbox is on the ready list is a lost wakeup.
     */
    @Test
    void randomizedRoundsWithTheLoopsWaitProtocolLoseNoWakeup() throws Exception {
        long seed = System.nanoTime();
        Random random = new Random(seed);
        for (int round = 0; round < 500; round++) {
            runRound(new Random(random.nextLong()), "seed " + seed + " round " + round + " (wait protocol)", true);
        }
    }

    private static void runRound(Random random, String where, boolean waitProtocol) throws Exception {
        int producers = 1 + random.nextInt(6);
        int perProducer = 1 + random.nextInt(5_000);
        boolean closeFromConsumer = random.nextBoolean();
        long closeAfterNanos = random.nextInt(2_000_000);

        Semaphore wakeups = new Semaphore(0);
        AtomicBoolean freed = new AtomicBoolean();
        AtomicBoolean wokeAfterFree = new AtomicBoolean();
        DeferQueue queue = new DeferQueue(() -> {
            if (freed.get()) {
                wokeAfterFree.set(true);
            }
            wakeups.release();
        });

        int[] next = new int[producers];
        long[] ran = {0};
        long[] reDeferred = {0};
        List<String> errors = new ArrayList<>();
        AtomicLong accepted = new AtomicLong();
        AtomicLong ranCount = new AtomicLong();
        AtomicLong reDeferredCount = new AtomicLong();
        DeferQueue.Runner runner = callback -> {
            Item item = (Item) callback;
            if (item.producer() >= 0) {
                if (next[item.producer()] != item.seq() && errors.size() < 5) {
                    errors.add(where + ": producer " + item.producer() + " ran " + item.seq() + ", expected "
                            + next[item.producer()]);
                }
                next[item.producer()] = item.seq() + 1;
            }
            ran[0]++;
            if (item.again() && queue.offer(new Item(-1, 0, false))) {
                reDeferred[0]++;
                reDeferredCount.incrementAndGet();
            }
            ranCount.incrementAndGet();
        };

        AtomicBoolean stop = new AtomicBoolean();
        AtomicBoolean lostWakeup = new AtomicBoolean();
        Thread consumer = new Thread(() -> {
            long start = System.nanoTime();
            boolean closed = false;
            while (true) {
                try {
                    if (waitProtocol) {
                        queue.beforeWait(runner);
                        long full = TimeUnit.SECONDS.toNanos(5);
                        long timeout = closeFromConsumer && !closed
                                ? Math.max(0, start + closeAfterNanos - System.nanoTime()) : full;
                        boolean woke = wakeups.tryAcquire(timeout, TimeUnit.NANOSECONDS);
                        // Wakeups coalesce, as an eventfd's do: one read takes them all.
                        wakeups.drainPermits();
                        queue.awake();
                        if (!woke && timeout == full && queue.readyForTest() && queue.hasPending()) {
                            lostWakeup.set(true);
                        }
                    } else {
                        wakeups.tryAcquire(1, TimeUnit.MILLISECONDS);
                    }
                } catch (InterruptedException e) {
                    return;
                }
                queue.drain(runner);
                if (closeFromConsumer && !closed && System.nanoTime() - start > closeAfterNanos) {
                    queue.close();
                    closed = true;
                }
                if (stop.get()) {
                    return;
                }
            }
        });
        consumer.start();

        CyclicBarrier go = new CyclicBarrier(producers + 1);
        Thread[] threads = new Thread[producers];
        for (int p = 0; p < producers; p++) {
            int producer = p;
            long pSeed = random.nextLong();
            threads[p] = new Thread(() -> {
                Random r = new Random(pSeed);
                try {
                    go.await();
                } catch (Exception e) {
                    throw new IllegalStateException(e);
                }
                for (int seq = 0; seq < perProducer; seq++) {
                    if (!queue.offer(new Item(producer, seq, r.nextInt(50) == 0))) {
                        return;
                    }
                    accepted.incrementAndGet();
                    if (r.nextInt(200) == 0) {
                        Thread.yield();
                    }
                }
            });
            threads[p].start();
        }
        go.await(10, TimeUnit.SECONDS);
        if (!closeFromConsumer) {
            long until = System.nanoTime() + closeAfterNanos;
            while (System.nanoTime() < until) {
                Thread.onSpinWait();
            }
            queue.close();
            // As Loop does: a close() from outside the loop thread is followed by a drain (closing
            // a running loop from another thread is refused), here the consumer's next turn.
            wakeups.release();
        }
        for (Thread t : threads) {
            t.join(30_000);
            assertFalse(t.isAlive(), where + ": producer stuck");
        }
        if (closeFromConsumer) {
            // Producers that finished before the consumer closed: close now (a second close is a no-op).
            while (!queue.isClosed()) {
                Thread.onSpinWait();
            }
        }
        // Let the consumer catch up on its own: a lost wakeup shows as a 5 s wait on a ready inbox.
        long catchUp = System.nanoTime() + TimeUnit.SECONDS.toNanos(20);
        while (ranCount.get() < accepted.get() + reDeferredCount.get() && System.nanoTime() < catchUp) {
            Thread.sleep(1);
        }
        stop.set(true);
        wakeups.release();
        consumer.join(30_000);
        assertFalse(consumer.isAlive(), where + ": consumer stuck");
        // The owner of the loop would now drain what is left and free it.
        while (queue.drain(runner) > 0) {
            // drain until empty
        }
        assertTrue(queue.close() == false, where + ": queue was not closed");
        freed.set(true);
        assertFalse(queue.hasPending(), where + ": callbacks left behind");
        assertFalse(queue.offer(new Item(-1, 0, false)), where + ": accepted after close");
        assertEquals(List.of(), errors);
        assertEquals(accepted.get() + reDeferred[0], ran[0], where + ": accepted vs ran");
        assertFalse(wokeAfterFree.get(), where + ": woke after close() returned");
        assertFalse(lostWakeup.get(), where + ": the consumer waited 5 s with an inbox ready: a lost wakeup");
    }
}
