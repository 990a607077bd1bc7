package org.usockets4j.tls;

import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import java.util.function.Consumer;
import java.util.function.Function;

import org.usockets4j.Loop;
import org.usockets4j.Timer;

/**
 * A loop running on a thread of its own, for tests that drive it from the test thread (JDK clients, openssl).
 * Setup runs on the loop thread before run(); {@link #call} runs a function there and waits (bounded) for its
 * result; an armed timer keeps the loop running until {@link #close()}. Exceptions thrown by the loop's callbacks
 * are collected in {@link #errors}.
 */
final class LoopThread<T> implements AutoCloseable {
    final List<Throwable> errors = new CopyOnWriteArrayList<>();
    private final CompletableFuture<Loop<T>> started = new CompletableFuture<>();
    private final Thread thread;
    private Timer<Void> keepAlive;

    private LoopThread(String name, T ext, Consumer<Loop<T>> setup) {
        thread = new Thread(() -> {
            try (Loop<T> loop = Loop.create(ext)) {
                loop.exceptionHandler(errors::add);
                keepAlive = loop.createTimer();
                keepAlive.set(3_600_000, 3_600_000, t -> { });
                try {
                    setup.accept(loop);
                } catch (Throwable t) {
                    started.completeExceptionally(t);
                    keepAlive.close();
                    return;
                }
                started.complete(loop);
                loop.run();
            } catch (Throwable t) {
                started.completeExceptionally(t);
                errors.add(t);
            }
        }, name);
        thread.setDaemon(true);
        thread.start();
    }

    /** Starts a loop thread, runs setup on it and waits (10 s at most) until the loop is about to run. */
    static <T> LoopThread<T> start(String name, T ext, Consumer<Loop<T>> setup) throws Exception {
        LoopThread<T> lt = new LoopThread<>(name, ext, setup);
        lt.started.get(10, TimeUnit.SECONDS);
        return lt;
    }

    /** Runs f on the loop thread and returns its result (waits 10 s at most). */
    <R> R call(Function<Loop<T>, R> f) throws Exception {
        return call(10, f);
    }

    /** Runs f on the loop thread and returns its result (waits seconds at most). */
    <R> R call(int seconds, Function<Loop<T>, R> f) throws Exception {
        Loop<T> loop = started.get(10, TimeUnit.SECONDS);
        CompletableFuture<R> result = new CompletableFuture<>();
        loop.handle().defer(l -> {
            try {
                result.complete(f.apply(l));
            } catch (Throwable t) {
                result.completeExceptionally(t);
            }
        });
        return result.get(seconds, TimeUnit.SECONDS);
    }

    /** Closes the loop (and everything on it) from its thread and waits (10 s at most) for the thread to end. */
    @Override
    public void close() throws Exception {
        if (thread.isAlive()) {
            try {
                call(l -> {
                    keepAlive.close();
                    l.close();
                    return null;
                });
            } catch (Exception e) {
                errors.add(e);
            }
            thread.join(10_000);
        }
        if (thread.isAlive()) {
            throw new AssertionError(thread.getName() + " did not end within 10 s");
        }
    }
}
