package org.usockets4j;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.CyclicBarrier;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicReference;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/** LoopHandle.defer: the dual queue, from many threads, against close(). */
@Timeout(value = 120, unit = TimeUnit.SECONDS, threadMode = Timeout.ThreadMode.SEPARATE_THREAD)
class DeferTest {

    /** Runs a loop on a new thread; the loop stays alive until the returned stop flag is set. */
    private static final class Running {
        final Loop<Void> loop;
        final Thread thread;
        final AtomicReference<Throwable> failure = new AtomicReference<>();
        volatile boolean stop;

        Running() throws InterruptedException {
            AtomicReference<Loop<Void>> ref = new AtomicReference<>();
            CountDownLatch ready = new CountDownLatch(1);
            thread = new Thread(() -> {
                try {
                    Loop<Void> l = Loop.create();
                    l.exceptionHandler(failure::set);
                    l.createTimer().set(5, 5, t -> {
                        if (stop) {
                            t.close();
                        }
                    });
                    ref.set(l);
                    ready.countDown();
                    l.run();
                    l.close();
                } catch (Throwable t) {
                    failure.set(t);
                    ready.countDown();
                }
            }, "test-loop");
            thread.start();
            assertTrue(ready.await(10, TimeUnit.SECONDS));
            loop = ref.get();
        }

        void stopAndJoin() throws Throwable {
            stop = true;
            thread.join(30_000);
            assertTrue(!thread.isAlive(), "loop thread did not finish");
            if (failure.get() != null) {
                throw failure.get();
            }
        }
    }

    @Test
    void eightProducersEachCallbackExactlyOnceInProducerOrder() throws Throwable {
        final int producers = 8;
        final int perProducer = 100_000;
        Running running = new Running();
        LoopHandle<Void> handle = running.loop.handle();
        int[] next = new int[producers];
        long[] executed = {0};
        List<String> errors = new ArrayList<>();
        CountDownLatch allRan = new CountDownLatch(1);
        CyclicBarrier start = new CyclicBarrier(producers);
        Thread[] threads = new Thread[producers];
        for (int p = 0; p < producers; p++) {
            int producer = p;
            threads[p] = new Thread(() -> {
                try {
                    start.await();
                } catch (Exception e) {
                    throw new IllegalStateException(e);
                }
                for (int i = 0; i < perProducer; i++) {
                    int seq = i;
                    handle.defer(l -> {
                        if (next[producer] != seq && errors.size() < 10) {
                            errors.add("producer " + producer + ": got " + seq + ", expected " + next[producer]);
                        }
                        next[producer] = seq + 1;
                        if (++executed[0] == (long) producers * perProducer) {
                            allRan.countDown();
                        }
                    });
                }
            });
            threads[p].start();
        }
        for (Thread t : threads) {
            t.join(60_000);
        }
        assertTrue(allRan.await(60, TimeUnit.SECONDS), "not every callback ran");
        long[] observed = new long[2];
        CountDownLatch read = new CountDownLatch(1);
        handle.defer(l -> {
            observed[0] = executed[0];
            observed[1] = l.deferQueue().wakeups();
            read.countDown();
        });
        assertTrue(read.await(10, TimeUnit.SECONDS));
        running.stopAndJoin();
        assertEquals(List.of(), errors);
        assertEquals((long) producers * perProducer, observed[0]);
        for (int p = 0; p < producers; p++) {
            assertEquals(perProducer, next[p]);
        }
        long defers = (long) producers * perProducer + 1;
        System.out.println("DeferTest: " + defers + " defers from " + producers + " threads woke the loop " + observed[1] + " times");
        assertTrue(observed[1] * 10 < defers, "wakeups " + observed[1] + " not far fewer than defers " + defers);
    }

    @Test
    void deferredBeforeRunRunsOnceItStarts() throws Exception {
        Loop<Void> loop = Loop.create();
        List<String> ran = new ArrayList<>();
        List<Thread> threads = new ArrayList<>();
        loop.defer(l -> {
            ran.add("owner");
            threads.add(Thread.currentThread());
        });
        Thread other = new Thread(() -> loop.handle().defer(l -> {
            ran.add("other");
            threads.add(Thread.currentThread());
        }));
        other.start();
        other.join();
        assertEquals(List.of(), ran);
        assertTrue(loop.handle().isOnLoopThread());
        loop.run();
        assertEquals(List.of("owner", "other"), ran);
        assertSame(Thread.currentThread(), threads.get(0));
        loop.close();
    }

    @Test
    void aCallbackThatDefersAgainRunsInTheNextRound() {
        try (Loop<Void> loop = Loop.create()) {
            long[] rounds = {0};
            boolean[] stop = {false};
            class Again implements java.util.function.Consumer<Loop<Void>> {
                @Override
                public void accept(Loop<Void> l) {
                    rounds[0]++;
                    if (!stop[0]) {
                        l.defer(this);
                    }
                }
            }
            loop.defer(new Again());
            // The endless re-defer must not starve the timer: each round waits for the next wakeup.
            loop.createTimer().set(20, 0, t -> {
                stop[0] = true;
                t.close();
            });
            loop.run();
            assertTrue(rounds[0] > 1, "rounds " + rounds[0]);
        }
    }

    @Test
    void shortLivedProducerThreadsAreServedAndForgotten() throws Throwable {
        Running running = new Running();
        LoopHandle<Void> handle = running.loop.handle();
        final int threads = 2_000;
        final int each = 3;
        int[] ran = {0};
        for (int batch = 0; batch < threads; batch += 100) {
            List<Thread> group = new ArrayList<>();
            for (int t = 0; t < 100; t++) {
                Thread thread = new Thread(() -> {
                    for (int i = 0; i < each; i++) {
                        handle.defer(l -> ran[0]++);
                    }
                });
                group.add(thread);
                thread.start();
            }
            for (Thread thread : group) {
                thread.join(10_000);
            }
        }
        // Every thread has ended; round trips from this thread let the loop forget their inboxes.
        int[] seen = {0};
        int[] known = {Integer.MAX_VALUE};
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(30);
        while (System.nanoTime() < deadline) {
            CountDownLatch done = new CountDownLatch(1);
            handle.defer(l -> {
                seen[0] = ran[0];
                known[0] = l.deferQueue().producerCount();
                done.countDown();
            });
            assertTrue(done.await(10, TimeUnit.SECONDS));
            if (seen[0] == threads * each && known[0] <= 2) {
                break;
            }
        }
        running.stopAndJoin();
        assertEquals(threads * each, ran[0]);
        assertTrue(known[0] <= 2, "inboxes of ended threads still known: " + known[0]);
    }

    @Test
    void deferAfterCloseThrowsLoopNotRunning() {
        Loop<Void> loop = Loop.create();
        LoopHandle<Void> handle = loop.handle();
        loop.close();
        UsException e = assertThrows(UsException.class, () -> handle.defer(l -> fail("ran after close")));
        assertEquals(UsException.Kind.LOOP_NOT_RUNNING, e.kind());
        assertTrue(!handle.isRunning());
    }

    @Test
    void callbacksDeferredBeforeCloseStillRunInClose() {
        Loop<Void> loop = Loop.create();
        int[] ran = {0};
        loop.defer(l -> ran[0]++);
        loop.defer(l -> ran[0]++);
        loop.close();
        assertEquals(2, ran[0]);
    }

    @Test
    void isRunningAndIsOnLoopThread() throws Throwable {
        Running running = new Running();
        LoopHandle<Void> handle = running.loop.handle();
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
        while (!handle.isRunning() && System.nanoTime() < deadline) {
            Thread.onSpinWait();
        }
        assertTrue(handle.isRunning());
        assertTrue(!handle.isOnLoopThread());
        boolean[] onLoop = {false};
        CountDownLatch done = new CountDownLatch(1);
        handle.defer(l -> {
            onLoop[0] = l.isOnLoopThread() && handle.isOnLoopThread();
            done.countDown();
        });
        assertTrue(done.await(10, TimeUnit.SECONDS));
        assertTrue(onLoop[0]);
        running.stopAndJoin();
        assertTrue(!handle.isRunning());
    }

    /**
     * 1 000 rounds of close() racing defers from 4 threads. Even rounds close from a callback of the
     * running loop, odd rounds close a loop that never ran from the test thread. Every defer either
     * threw LOOP_NOT_RUNNING or its callback ran exactly once, in producer order.
     */
    @Test
    void closeRacingDefersFromFourThreads() throws Exception {
        final int producers = 4;
        ExecutorService pool = Executors.newFixedThreadPool(producers);
        java.util.concurrent.atomic.AtomicInteger rejections = new java.util.concurrent.atomic.AtomicInteger();
        int[] racedRounds = {0, 0};
        try {
            for (int round = 0; round < 1_000; round++) {
                boolean running = round % 2 == 0;
                AtomicReference<Loop<Void>> ref = new AtomicReference<>();
                CountDownLatch ready = new CountDownLatch(1);
                Thread loopThread = null;
                AtomicReference<Throwable> loopFailure = new AtomicReference<>();
                if (running) {
                    loopThread = new Thread(() -> {
                        try {
                            Loop<Void> l = Loop.create();
                            int[] ticks = {0};
                            l.createTimer().set(1, 1, t -> {
                                if (++ticks[0] == 1) {
                                    l.close();
                                }
                            });
                            ref.set(l);
                            ready.countDown();
                            l.run();
                            if (!l.isClosed()) {
                                throw new AssertionError("loop not closed after run");
                            }
                        } catch (Throwable t) {
                            loopFailure.set(t);
                            ready.countDown();
                        }
                    });
                    loopThread.start();
                } else {
                    ref.set(Loop.create());
                    ready.countDown();
                }
                assertTrue(ready.await(10, TimeUnit.SECONDS));
                Loop<Void> loop = ref.get();
                LoopHandle<Void> handle = loop.handle();
                int[] next = new int[producers];
                int[] ranTotal = {0};
                boolean[] inOrder = {true};
                List<Future<Integer>> accepted = new ArrayList<>();
                CyclicBarrier go = new CyclicBarrier(producers + 1);
                for (int p = 0; p < producers; p++) {
                    int producer = p;
                    accepted.add(pool.submit(() -> {
                        go.await();
                        int ok = 0;
                        // Bounded, and far more than fits in the time before close().
                        for (int seq = 0; seq < 30_000; seq++) {
                            int s = seq;
                            try {
                                handle.defer(l -> {
                                    if (next[producer] != s) {
                                        inOrder[0] = false;
                                    }
                                    next[producer] = s + 1;
                                    ranTotal[0]++;
                                });
                                ok++;
                            } catch (UsException e) {
                                assertEquals(UsException.Kind.LOOP_NOT_RUNNING, e.kind());
                                rejections.incrementAndGet();
                                return ok;
                            }
                        }
                        return ok;
                    }));
                }
                int rejectedBefore = rejections.get();
                go.await(10, TimeUnit.SECONDS);
                if (!running) {
                    Thread.yield();
                    loop.close();
                }
                int acceptedTotal = 0;
                for (Future<Integer> f : accepted) {
                    acceptedTotal += f.get(30, TimeUnit.SECONDS);
                }
                if (loopThread != null) {
                    loopThread.join(30_000);
                    assertTrue(!loopThread.isAlive());
                }
                assertNull(loopFailure.get());
                // The loop thread (or this thread) finished every callback before the loop was freed.
                assertEquals(acceptedTotal, ranTotal[0], "round " + round + ": accepted vs ran");
                assertTrue(inOrder[0], "round " + round + ": a callback ran twice or out of order");
                assertTrue(loop.isClosed());
                if (rejections.get() > rejectedBefore && acceptedTotal > 0) {
                    racedRounds[round % 2]++;
                }
            }
            System.out.println("DeferTest: close() raced accepted and rejected defers in " + racedRounds[0]
                    + " of 500 running rounds and " + racedRounds[1] + " of 500 idle rounds");
            assertTrue(racedRounds[0] > 10 && racedRounds[1] > 10, "too few rounds where close() really raced");
        } finally {
            pool.shutdownNow();
        }
    }
}
