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

    /**
     * A new loop whose upcalls go to {@code core} (an org.usockets4j.LoopCore), receiving into {@code plain} and
     * decrypting TLS data into {@code tls} (direct buffers of R + LIBUS_RECV_BUFFER_LENGTH + 2 * padding bytes, R the
     * room for queued data, which the caller keeps reachable while the loop lives; tls may be null without TLS), and
     * queueing hot socket events in {@code events} (a direct buffer in native order, see LoopEvents; null: none
     * queued); 0 on failure.
     */
    public static native long loopCreate(Object core, java.nio.ByteBuffer plain, java.nio.ByteBuffer tls,
                                         java.nio.ByteBuffer events);

    /** Whether run goes on after this iteration (us_loop_alive): something started keeps it going. */
    public static native boolean loopAlive(long loop);

    /** Frees a loop that is not running. */
    public static native void loopFree(long loop);

    /** One iteration driven from Java: 0 the loop was not alive, 1 it ran one and is not alive now, 2 alive. */
    public static native int loopRunOnce(long loop);

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

    // ---------------------------------------------------------------- context (native/jni_context.c)

    /** A plain (ssl 0) or TLS (ssl 1) context whose ext holds (slot, generation); 0 on failure. */
    public static native long contextCreate(long loop, int ssl, int slot, int generation, String keyFile,
                                            String certFile, String passphrase, String dhParamsFile, String caFile,
                                            String ciphers, boolean lowMemory);

    /** Why this thread's last TLS context creation failed (OpenSSL's reason), or null. */
    public static native String contextLastError();

    /** Whether the library was built with TLS. */
    public static native boolean tlsAvailable();

    /** Closes every socket (LoopCore.onClose each) and listen socket of the context. */
    public static native void contextClose(int ssl, long context);

    /** Frees a context whose sockets are all closed. */
    public static native void contextFree(int ssl, long context);

    /** Listens on host (null: all) and port; the listen socket, or -errno. */
    public static native long contextListen(int ssl, long context, String host, int port, int options);

    /** Listens on a unix-domain path; the listen socket, or -errno. */
    public static native long contextListenUnix(int ssl, long context, String path, int options);

    /** Starts a connect; the connecting socket (ext bound to slot, generation), or -errno when it failed at once. */
    public static native long contextConnect(int ssl, long context, String host, int port, String sourceHost,
                                             int slot, int generation);

    /** Starts a unix-domain connect; as contextConnect. */
    public static native long contextConnectUnix(int ssl, long context, String path, int slot, int generation);

    /** Moves socket s into context; the socket's new pointer (its ext moves along), or 0. */
    public static native long contextAdopt(int ssl, long context, long s);

    // ---------------------------------------------------------------- socket (native/jni_socket.c)

    /** Writes (slot, generation) into the socket's ext. */
    public static native void socketBind(int ssl, long s, int slot, int generation);

    /** Writes length bytes of a direct buffer from position; the count the kernel took, or -EINVAL (not direct). */
    public static native int socketWrite(int ssl, long s, java.nio.ByteBuffer direct, int position, int length,
                                         boolean more);

    /** Gives the loop its cork areas (LoopWrites); false: sends are never corked. */
    public static native boolean loopCork(long loop, java.nio.ByteBuffer records, java.nio.ByteBuffer data);

    /** Writes the loop's first count cork records (LoopWrites); each gets the count the kernel took. */
    public static native void socketWriteCorked(long loop, int count);

    /** As socketWrite, for bytes at offset of the loop's receive area (0 plain, 1 TLS); -EINVAL outside it. */
    public static native int socketWriteArea(int ssl, long s, int area, int offset, int length, boolean more);

    /** Writes header then payload (both direct) in one system call; the count taken, or -EINVAL. */
    public static native int socketWrite2(int ssl, long s, java.nio.ByteBuffer header, int headerPosition,
                                          int headerLength, java.nio.ByteBuffer payload, int payloadPosition,
                                          int payloadLength);

    /** Withdraws msg_more. */
    public static native void socketFlush(int ssl, long s);

    /** Sends FIN (TLS: close_notify first). */
    public static native void socketShutdown(int ssl, long s);

    /** Stops reading. */
    public static native void socketShutdownRead(int ssl, long s);

    /** Closes now (code 0: FIN, else RST); LoopCore.onClose runs inside. */
    public static native void socketClose(int ssl, long s, int code);

    /** Cancels a pending connect without on_close. */
    public static native void socketCloseConnecting(int ssl, long s);

    /** Idle timeout in seconds; 0 clears. */
    public static native void socketTimeout(int ssl, long s, int seconds);

    /** Long timeout in minutes; 0 clears. */
    public static native void socketLongTimeout(int ssl, long s, int minutes);

    /** Whether FIN was sent. */
    public static native boolean socketIsShutDown(int ssl, long s);

    /** False while connecting. */
    public static native boolean socketIsEstablished(int ssl, long s);

    /** The local port (also of a listen socket), or -1. */
    public static native int socketLocalPort(int ssl, long s);

    /** The remote port, or -1. */
    public static native int socketRemotePort(int ssl, long s);

    /** The peer's raw address into out (16 bytes of room); its length, 0 when unknown. */
    public static native int socketRemoteAddress(int ssl, long s, byte[] out);

    /** Stops watching the socket for readability. */
    public static native void socketPause(int ssl, long s);

    /** Watches a paused socket for readability again. */
    public static native void socketResume(int ssl, long s);

    /** The descriptor (plain) or SSL * (TLS). */
    public static native long socketNativeHandle(int ssl, long s);

    /** A C string the core handed to a callback (valid during it), or null for 0. */
    public static native String cString(long pointer);

    /** strerror's text for an errno. */
    public static native String strerror(int errno);

    /** Stops listening. */
    public static native void listenSocketClose(int ssl, long listenSocket);

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
