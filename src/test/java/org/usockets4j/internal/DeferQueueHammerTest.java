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
            runRound(new Random(random.nextLong()), "seed " + seed + " round " + round);
        }
    }

    private static void runRound(Random random, String where) throws Exception {
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
            }
        };

        AtomicBoolean stop = new AtomicBoolean();
        Thread consumer = new Thread(() -> {
            long start = System.nanoTime();
            boolean closed = false;
            while (true) {
                try {
                    wakeups.tryAcquire(1, TimeUnit.MILLISECONDS);
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
        stop.set(true);
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
    }
}
