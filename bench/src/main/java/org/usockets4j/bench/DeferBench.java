package org.usockets4j.bench;

import io.netty.channel.EventLoop;
import io.netty.channel.epoll.Epoll;
import io.netty.channel.epoll.EpollEventLoopGroup;

import java.util.Arrays;
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
 * <p>Usage: {@code DeferBench [seconds=5] [producers=2] [warmupSeconds=3] [rounds=3]}: rounds alternate
 * between the two loops, so a change in machine load hits both alike; the figures are the medians.
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
        int rounds = args.length > 3 ? Integer.parseInt(args[3]) : 3;
        if (!Epoll.isAvailable()) {
            throw new IllegalStateException("Netty epoll is not available", Epoll.unavailabilityCause());
        }
        System.out.printf(Locale.ROOT, "defer throughput: %d producers, %d rounds of %d s each after %d s warm-up; %d cores%n",
                producers, rounds, seconds, warmup, Runtime.getRuntime().availableProcessors());

        UsocketsLoop u = new UsocketsLoop();
        EpollEventLoopGroup group = new EpollEventLoopGroup(1);
        EventLoop netty = group.next();
        LoopHandle<Void> handle = u.handle;
        Target uTarget = () -> handle.defer(U_NOOP);
        Target nTarget = () -> netty.execute(N_NOOP);
        try {
            measure(uTarget, U_COUNTER, producers, warmup);
            measure(nTarget, N_COUNTER, producers, warmup);
            double[] uRates = new double[rounds];
            double[] nRates = new double[rounds];
            double[] uPerCpu = new double[rounds];
            double[] nPerCpu = new double[rounds];
            for (int r = 0; r < rounds; r++) {
                uRates[r] = measure(uTarget, U_COUNTER, producers, seconds);
                uPerCpu[r] = uRates[r] * seconds / lastCpuSeconds;
                nRates[r] = measure(nTarget, N_COUNTER, producers, seconds);
                nPerCpu[r] = nRates[r] * seconds / lastCpuSeconds;
                System.out.printf(Locale.ROOT, "  round %d: usockets4j %,14.0f/s (%,.0f per CPU-s)   netty %,14.0f/s (%,.0f per CPU-s)   ratio %.2fx%n",
                        r + 1, uRates[r], uPerCpu[r], nRates[r], nPerCpu[r], uRates[r] / nRates[r]);
            }
            double um = median(uRates);
            double nm = median(nRates);
            System.out.printf(Locale.ROOT, "usockets4j LoopHandle.defer : %,14.0f callbacks/s (median), %,14.0f per CPU-second%n",
                    um, median(uPerCpu));
            System.out.printf(Locale.ROOT, "netty EpollEventLoop.execute: %,14.0f callbacks/s (median), %,14.0f per CPU-second%n",
                    nm, median(nPerCpu));
            System.out.printf(Locale.ROOT, "ratio usockets4j / netty    : %.2fx (per CPU-second: %.2fx)%n", um / nm,
                    median(uPerCpu) / median(nPerCpu));
        } finally {
            u.stop();
            group.shutdownGracefully(0, 1, TimeUnit.SECONDS).syncUninterruptibly();
        }
    }

    private static double median(double[] values) {
        double[] sorted = values.clone();
        Arrays.sort(sorted);
        int n = sorted.length;
        return n % 2 == 1 ? sorted[n / 2] : (sorted[n / 2 - 1] + sorted[n / 2]) / 2;
    }

    /** A usockets4j loop running on its own thread until stop(). */
    static final class UsocketsLoop {
        final LoopHandle<Void> handle;
        final Thread thread;
        volatile boolean stopped;

        UsocketsLoop() throws InterruptedException {
            CountDownLatch ready = new CountDownLatch(1);
            @SuppressWarnings("unchecked")
            LoopHandle<Void>[] h = new LoopHandle[1];
            thread = new Thread(() -> {
                try (Loop<Void> loop = Loop.create()) {
                    h[0] = loop.handle();
                    Timer<Void> keepAlive = loop.createTimer();
                    keepAlive.set(50, 50, t -> {
                        if (stopped) {
                            t.close();
                        }
                    });
                    ready.countDown();
                    loop.run();
                }
            }, "usockets4j-loop");
            thread.start();
            ready.await();
            handle = h[0];
        }

        void stop() throws InterruptedException {
            stopped = true;
            thread.join();
        }
    }

    private static volatile boolean stop;
    private static double lastCpuSeconds;

    /** CPU time this JVM used so far (every thread), or -1 when the platform does not say. */
    private static long processCpuNanos() {
        java.lang.management.OperatingSystemMXBean os = java.lang.management.ManagementFactory.getOperatingSystemMXBean();
        return os instanceof com.sun.management.OperatingSystemMXBean
                ? ((com.sun.management.OperatingSystemMXBean) os).getProcessCpuTime() : -1;
    }

    /** Runs the producers against target for the given time; returns callbacks executed per second. */
    static double measure(Target target, Counter counter, int producers, int seconds) throws InterruptedException {
        stop = false;
        AtomicLong sent = new AtomicLong(counter.published.get());
        Thread[] threads = new Thread[producers];
        CountDownLatch started = new CountDownLatch(producers);
        for (int p = 0; p < producers; p++) {
            threads[p] = new Thread(() -> {
                started.countDown();
                while (!stop) {
                    for (int i = 0; i < 256; i++) {
                        target.submit();
                    }
                    long total = sent.addAndGet(256);
                    while (total - counter.published.get() > MAX_IN_FLIGHT && !stop) {
                        // Back off without taking the CPU from the loop thread.
                        Thread.yield();
                    }
                }
            }, "producer-" + p);
            threads[p].start();
        }
        started.await();
        long start = counter.published.get();
        long cpu0 = processCpuNanos();
        long t0 = System.nanoTime();
        Thread.sleep(seconds * 1000L);
        long end = counter.published.get();
        long t1 = System.nanoTime();
        lastCpuSeconds = (processCpuNanos() - cpu0) / 1e9;
        stop = true;
        for (Thread t : threads) {
            t.join();
        }
        // The loop finishes what is queued before the next measurement starts.
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
        while (counter.published.get() < sent.get() && System.nanoTime() < deadline) {
            Thread.sleep(1);
        }
        return (end - start) * 1e9 / (t1 - t0);
    }
}
