package org.usockets4j.internal;

/**
 * Every native of usockets4j, registered by the library's {@code JNI_OnLoad}. Internal: handles
 * are raw C pointers, so callers (the public API) check that an object is open and on its loop's
 * thread before each call. Arguments and results are primitives only; failures are 0 handles or
 * negative codes that the caller turns into {@link org.usockets4j.UsException}s.
 */
public final class Natives {
    static {
        NativeLibrary.ensureLoaded();
    }

    private Natives() {
    }

    /** Makes sure the native library is loaded and registered; throws UnsatisfiedLinkError otherwise. */
    public static void ensureLoaded() {
        NativeLibrary.ensureLoaded();
    }

    // ---------------------------------------------------------------- loop (native/jni_loop.c)

    /** A new loop whose upcalls go to {@code core} (an org.usockets4j.LoopCore); 0 on failure. */
    public static native long loopCreate(Object core);

    /** Frees a loop that is not running. */
    public static native void loopFree(long loop);

    /** Drives the loop on the calling thread until nothing keeps it alive. */
    public static native void loopRun(long loop);

    /** Thread-safe: the loop calls LoopCore.onWakeup soon; calls before it runs coalesce. */
    public static native void loopWakeup(long loop);

    /** Iterations completed since the loop was created. */
    public static native long loopIteration(long loop);

    // ---------------------------------------------------------------- timer (native/jni_timer.c)

    /** A new timer whose ext holds (slot, generation); 0 on failure. */
    public static native long timerCreate(long loop, boolean fallthrough, int slot, int generation);

    /** Arms the timer: first after ms, then every repeatMs (0: once); both 0 disarms. */
    public static native void timerSet(long timer, int ms, int repeatMs);

    /** Disarms and releases the timer; the handle is dead afterwards. */
    public static native void timerClose(long timer);
}
