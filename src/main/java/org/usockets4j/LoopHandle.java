package org.usockets4j;

import java.util.Objects;
import java.util.function.Consumer;

import org.usockets4j.internal.DeferQueue;

/**
 * The thread-safe side of a {@link Loop}: share it with any thread. {@link #defer} is the only way
 * into a loop from another thread.
 *
 * @param <T> the loop's ext type
 */
public final class LoopHandle<T> {
    private final Loop<T> loop;
    private final DeferQueue queue;

    LoopHandle(Loop<T> loop, DeferQueue queue) {
        this.loop = loop;
        this.queue = queue;
    }

    /**
     * Runs callback on the loop's thread soon, exactly once, after the callbacks this thread deferred
     * before it. Deferred before {@code run()}, it runs once the loop runs (or when it is closed).
     * Throws {@code UsException(LOOP_NOT_RUNNING)} once the loop is closed: then it never runs.
     */
    public void defer(Consumer<? super Loop<T>> callback) {
        Objects.requireNonNull(callback, "callback");
        if (!queue.offer(callback)) {
            throw new UsException(UsException.Kind.LOOP_NOT_RUNNING, "the loop is closed; the callback was not queued");
        }
    }

    /** True when the calling thread is the loop's thread (the one running it, or its owner while it is not running). */
    public boolean isOnLoopThread() {
        return loop.isOnLoopThread();
    }

    /** True while some thread is inside the loop's {@code run()} and the loop is not closing. */
    public boolean isRunning() {
        return loop.isRunning();
    }
}
