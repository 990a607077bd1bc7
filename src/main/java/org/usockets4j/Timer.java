package org.usockets4j;

import java.util.Objects;
import java.util.function.Consumer;

import org.usockets4j.internal.Natives;

/**
 * A timer of one {@link Loop}: calls its callback on the loop thread after a delay, then optionally
 * at a period. Used only on the loop's thread ({@code NOT_ON_LOOP_THREAD} otherwise; {@code CLOSED} once closed),
 * but for {@link #isClosed()}, {@link #loop()} and the ext methods. An armed non-fallthrough timer keeps
 * {@code run()} going; a disarmed one, or a one-shot that fired, does not. Close timers you are done with: each
 * holds a descriptor until closed (or until its loop closes).
 *
 * @param <T> the type of the timer's ext
 */
public final class Timer<T> implements AutoCloseable {
    private final Loop<?> loop;
    private long handle;
    private int slot;
    private int generation;
    private boolean closed;
    private Consumer<? super Timer<T>> callback;
    private T ext;

    Timer(Loop<?> loop) {
        this.loop = loop;
    }

    void bind(long handle, int slot, int generation) {
        this.handle = handle;
        this.slot = slot;
        this.generation = generation;
    }

    /**
     * Calls callback after ms milliseconds (0: as soon as possible), then every repeatMs (0: once),
     * replacing any earlier setting; ms and repeatMs both 0 disarms. INVALID_ARGUMENT for negative times.
     */
    public Timer<T> set(int ms, int repeatMs, Consumer<? super Timer<T>> callback) {
        Objects.requireNonNull(callback, "callback");
        checkAccess();
        checkTimes(ms, repeatMs);
        this.callback = callback;
        Natives.timerSet(handle, ms, repeatMs);
        return this;
    }

    /** Re-arms with new times and the callback given to set(); INVALID_ARGUMENT if set() was never called. */
    public Timer<T> reset(int ms, int repeatMs) {
        checkAccess();
        checkTimes(ms, repeatMs);
        if (callback == null) {
            throw new UsException(UsException.Kind.INVALID_ARGUMENT, "reset() before set(): the timer has no callback");
        }
        Natives.timerSet(handle, ms, repeatMs);
        return this;
    }

    /** Disarms and releases the timer; allowed inside its own callback; a second close does nothing. */
    @Override
    public void close() {
        if (closed) {
            return;
        }
        loop.checkThread();
        closeNow();
    }

    /** True once the timer is closed (by close() or by closing its loop). */
    public boolean isClosed() {
        return closed;
    }

    /** The loop this timer belongs to. */
    public Loop<?> loop() {
        return loop;
    }

    /** The timer's user data, or null. */
    public T ext() {
        return ext;
    }

    /** The timer's user data; UsException(EXT_MISSING) when none was set. */
    public T requireExt() {
        if (ext == null) {
            throw new UsException(UsException.Kind.EXT_MISSING, "the timer has no ext; call setExt first");
        }
        return ext;
    }

    /** Sets the timer's user data. */
    public void setExt(T ext) {
        this.ext = ext;
    }

    void closeNow() {
        closed = true;
        callback = null;
        Natives.timerClose(handle);
        handle = 0;
        loop.timers.remove(slot, generation);
    }

    void fire() {
        Consumer<? super Timer<T>> cb = callback;
        if (cb != null && !closed) {
            cb.accept(this);
        }
    }

    private void checkAccess() {
        if (closed) {
            throw new UsException(UsException.Kind.CLOSED, "the timer is closed");
        }
        loop.checkThread();
    }

    private static void checkTimes(int ms, int repeatMs) {
        if (ms < 0 || repeatMs < 0) {
            throw new UsException(UsException.Kind.INVALID_ARGUMENT,
                    "timer times must be >= 0 (ms=" + ms + ", repeatMs=" + repeatMs + ")");
        }
    }
}
