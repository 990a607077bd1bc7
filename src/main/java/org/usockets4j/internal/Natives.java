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

    // ---------------------------------------------------------------- udp (native/jni_udp.c)

    /** A packet buffer with its metadata table; 0 when memory is short. */
    public static native long udpBufferCreate();

    /** Frees a packet buffer no socket uses any more. */
    public static native void udpBufferFree(long buffer);

    /** A direct ByteBuffer over every slot's payload (slot i at i * 65536). */
    public static native java.nio.ByteBuffer udpBufferPayloads(long buffer);

    /** A direct ByteBuffer over the metadata table (one record per slot, layout in UdpPacketBuffer). */
    public static native java.nio.ByteBuffer udpBufferMeta(long buffer);

    /** Fills the metadata records of slots [0, count) from the buffer. */
    public static native void udpBufferExport(long buffer, int count);

    /** Makes slot index a datagram of its first length bytes to the peer peerMode names; 0 or -EINVAL. */
    public static native int udpBufferSet(long buffer, int index, int length, int peerMode, long src, int srcIndex);

    /** Copies datagram srcIndex of src (payload and peer) into slot index of dst. */
    public static native void udpBufferCopy(long dst, int index, long src, int srcIndex);

    /** Moves datagrams [n, size) to [0, size - n). */
    public static native void udpBufferRemoveFirst(long buffer, int n, int size);

    /** A UDP socket bound to host (null: all) and port receiving into buffer, ext (slot, generation); or -errno. */
    public static native long udpSocketCreate(long loop, long buffer, String host, int port, int slot, int generation);

    /** Closes the socket; no callback follows. */
    public static native void udpSocketClose(long socket);

    /** The bound local port, or -1. */
    public static native int udpSocketPort(long socket);

    /** Sends datagrams [0, count) of buffer; how many went out, or -errno when the first was refused. */
    public static native int udpSocketSend(long socket, long buffer, int count);

    /** Connects to host:port (null host: disconnects); 0 or -errno. */
    public static native int udpSocketConnect(long socket, String host, int port);

    /** strerror's text for errno. */
    public static native String udpErrorText(int errno);
}
