package org.usockets4j.bench;

import io.netty.channel.EventLoop;
import io.netty.channel.epoll.Epoll;
import io.netty.channel.epoll.EpollEventLoopGroup;

import java.util.Locale;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.Consumer;

import org.usockets4j.Loop;
import org.usockets4j.LoopHandle;
import org.usockets4j.Timer;

/**
 * Defer throughput: P producer threads hand no-op callbacks to one event loop as fast as they can,
 * usockets4j's {@code LoopHandle.defer} against Netty's {@code EpollEventLoop.execute}, in the same
 * run. The rate is callbacks executed on the loop per second. Producers stop adding while more than
 * a fixed number of callbacks wait (the same bound for both), so neither side just fills memory.
 *
 * <p>Usage: {@code DeferBench [seconds=5] [producers=2] [warmupSeconds=3]}
 */
public final class DeferBench {
    private static final long MAX_IN_FLIGHT = 1 << 16;

    /** Counts executed callbacks on the loop thread and publishes the count cheaply. */
    static final class Counter {
        long executed;
        final AtomicLong published = new AtomicLong();

        void hit() {
            published.lazySet(++executed);
        }
    }

    private static final Counter U_COUNTER = new Counter();
    private static final Counter N_COUNTER = new Counter();
    private static final Consumer<Loop<Void>> U_NOOP = loop -> U_COUNTER.hit();
    private static final Runnable N_NOOP = N_COUNTER::hit;

    /** One system under test: how a producer hands over one callback. */
    interface Target {
        void submit();
    }

    public static void main(String[] args) throws Exception {
        int seconds = args.length > 0 ? Integer.parseInt(args[0]) : 5;
        int producers = args.length > 1 ? Integer.parseInt(args[1]) : 2;
        int warmup = args.length > 2 ? Integer.parseInt(args[2]) : 3;
        if (!Epoll.isAvailable()) {
            throw new IllegalStateException("Netty epoll is not available", Epoll.unavailabilityCause());
        }
        System.out.printf(Locale.ROOT, "defer throughput: %d producers, %d s measured after %d s warm-up, %d cores%n",
                producers, seconds, warmup, Runtime.getRuntime().availableProcessors());

        double u = runUsockets4j(producers, warmup, seconds);
        double n = runNetty(producers, warmup, seconds);
        System.out.printf(Locale.ROOT, "usockets4j LoopHandle.defer : %,14.0f callbacks/s%n", u);
        System.out.printf(Locale.ROOT, "netty EpollEventLoop.execute: %,14.0f callbacks/s%n", n);
        System.out.printf(Locale.ROOT, "ratio usockets4j / netty    : %.2fx%n", u / n);
    }

    static double runUsockets4j(int producers, int warmup, int seconds) throws Exception {
        CountDownLatch ready = new CountDownLatch(1);
        @SuppressWarnings("unchecked")
        LoopHandle<Void>[] handle = new LoopHandle[1];
        Thread loopThread = new Thread(() -> {
            try (Loop<Void> loop = Loop.create()) {
                handle[0] = loop.handle();
                Timer<Void> keepAlive = loop.createTimer();
                keepAlive.set(50, 50, t -> {
                    if (stop) {
                        t.close();
                    }
                });
                ready.countDown();
                loop.run();
            }
        }, "usockets4j-loop");
        stop = false;
        loopThread.start();
        ready.await();
        LoopHandle<Void> h = handle[0];
        double rate = measure(() -> h.defer(U_NOOP), U_COUNTER, producers, warmup, seconds);
        loopThread.join();
        return rate;
    }

    static double runNetty(int producers, int warmup, int seconds) throws Exception {
        EpollEventLoopGroup group = new EpollEventLoopGroup(1);
        try {
            EventLoop loop = group.next();
            return measure(() -> loop.execute(N_NOOP), N_COUNTER, producers, warmup, seconds);
        } finally {
            group.shutdownGracefully(0, 1, TimeUnit.SECONDS).syncUninterruptibly();
        }
    }

    private static volatile boolean stop;

    static double measure(Target target, Counter counter, int producers, int warmup, int seconds)
            throws InterruptedException {
        stop = false;
        AtomicLong sent = new AtomicLong();
        Thread[] threads = new Thread[producers];
        for (int p = 0; p < producers; p++) {
            threads[p] = new Thread(() -> {
                long mine = 0;
                while (!stop) {
                    for (int i = 0; i < 256; i++) {
                        target.submit();
                    }
                    mine += 256;
                    long total = sent.addAndGet(256);
                    while (total - counter.published.get() > MAX_IN_FLIGHT && !stop) {
                        Thread.onSpinWait();
                    }
                }
            }, "producer-" + p);
            threads[p].start();
        }
        Thread.sleep(warmup * 1000L);
        long start = counter.published.get();
        long t0 = System.nanoTime();
        Thread.sleep(seconds * 1000L);
        long end = counter.published.get();
        long t1 = System.nanoTime();
        stop = true;
        for (Thread t : threads) {
            t.join();
        }
        return (end - start) * 1e9 / (t1 - t0);
    }
}
