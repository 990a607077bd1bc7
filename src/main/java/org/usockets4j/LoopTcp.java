package org.usockets4j;

import java.nio.ByteBuffer;

import org.usockets4j.internal.Natives;
import org.usockets4j.internal.SlotTable;

/**
 * The TCP side of one loop (loop thread only): its context and socket tables (the slots the C ext areas hold),
 * the receive-area views handed to onData, the direct scratch buffer heap writes are copied through, and the
 * dispatch of every socket upcall and queued socket event ({@link LoopEvents}) to the user's callbacks. Nothing
 * here allocates per data event: each read position in a receive area has one cached view.
 *
 * <p>Read pausing with queued events: a data event dispatched while its socket's reads are paused (a handler paused
 * it after the core had read more) is held aside by the socket (copied) and handed to onData after resumeReads(),
 * before anything newer; an onEnd likewise (TLS: held; plain: the core reports the FIN again once reading resumes).
 */
final class LoopTcp {
    /** LIBUS_RECV_BUFFER_PADDING: onData's bytes start this far past a read position. */
    static final int RECV_PADDING = 32;
    /** LIBUS_RECV_BUFFER_LENGTH: the most one read delivers. */
    static final int RECV_LENGTH = 524288;
    /** LIBUS_RECV_BUFFER_SIZE: what the core needs past a read position. */
    static final int RECV_SIZE = RECV_LENGTH + 2 * RECV_PADDING;
    /** R: read positions of queued data lie in [0, R]; past it the shim hands the batch over at once. */
    static final int RECV_RESERVE = 256 * 1024;
    /** The size of a receive area. */
    static final int RECV_CAPACITY = RECV_RESERVE + RECV_SIZE;
    /** Read positions are multiples of this (jni_events.h USJ_RECV_GRID). */
    static final int GRID = 64;
    private static final int SCRATCH_SIZE = 64 * 1024;
    private static final int RECV_AREAS = 3; // 0 plain, 1 TLS, 2 ad hoc (data outside both, not expected)

    private final Loop<?> loop;
    final SlotTable<SocketContext<?>> contexts = new SlotTable<>();
    final SlotTable<Socket<?>> sockets = new SlotTable<>();
    private final ByteBuffer[] areas = new ByteBuffer[RECV_AREAS];
    /** Per area, the view of each read position (made when first used). */
    private final ByteBuffer[][] views = new ByteBuffer[RECV_AREAS][];
    private ByteBuffer scratch;
    /** The view onData got last, its receive area and where it starts there: writing it back (an echo) needs no
     *  address lookup in native code (Socket.nativeWrite, Natives.socketWriteArea). */
    ByteBuffer lastView;
    int lastViewArea;
    int lastViewOffset;
    /** Sockets resumed with held data (or a held end), delivered by {@link #deliverResumed()}; rarely non-null. */
    private java.util.ArrayList<Socket<?>> resumed;

    /** Sends corked while a batch of events is dispatched. */
    final LoopWrites writes;

    LoopTcp(Loop<?> loop) {
        this.loop = loop;
        this.writes = new LoopWrites(loop);
    }

    // ---------------------------------------------------------------- creation

    <S> SocketContext<S> createContext(long loopAddress, SocketContextOptions options) {
        int ssl = options.ssl();
        if (ssl == 1 && !Natives.tlsAvailable()) {
            throw new UsException(UsException.Kind.SOCKET_CONTEXT_CREATION,
                    "this build of libusockets4j has no TLS (built with -Dusockets4j.ssl=OFF)");
        }
        if (ssl == 1) {
            options.checkTlsFiles(); // a crisp message for missing or unreadable files before OpenSSL's
        }
        SocketContext<S> context = new SocketContext<>(loop, this, options);
        int slot = contexts.add(context);
        int generation = contexts.generation(slot);
        long handle = Natives.contextCreate(loopAddress, ssl, slot, generation,
                SocketContextOptions.pathString(options.keyFile()), SocketContextOptions.pathString(options.certFile()),
                options.passphrase(), SocketContextOptions.pathString(options.dhParamsFile()),
                SocketContextOptions.pathString(options.caFile()), options.ciphers(), options.lowMemory());
        if (handle == 0) {
            contexts.remove(slot, generation);
            String why = ssl == 1 ? Natives.contextLastError() : null;
            throw new UsException(UsException.Kind.SOCKET_CONTEXT_CREATION, ssl == 1
                    ? "cannot create the TLS context: " + SocketContextOptions.explainTlsError(why)
                    : "us_create_socket_context failed (out of memory?)");
        }
        context.bind(handle, slot, generation);
        return context;
    }

    /** A socket wrapper in a fresh slot, not yet bound to a native socket. */
    <S> Socket<S> newSocket(SocketContext<S> context) {
        Socket<S> s = new Socket<>(loop, this, context);
        int slot = sockets.add(s);
        s.slot = slot;
        s.generation = sockets.generation(slot);
        return s;
    }

    /** Finishes connect/connectUnix: binds the wrapper to the native handle, or frees its slot and throws. */
    <S> Socket<S> bound(Socket<S> s, long handle, String where) {
        if (handle <= 0) {
            sockets.remove(s.slot, s.generation);
            s.markClosed(-1, null);
            String why = handle < 0 ? Natives.strerror((int) -handle) + " (errno " + -handle + ")" : "unknown reason";
            throw new UsException(UsException.Kind.NETWORK_OPERATION, "cannot connect to " + where + ": " + why);
        }
        s.handle = handle;
        return s;
    }

    /** The loop's direct scratch buffer for copying heap data to native code. */
    ByteBuffer scratch() {
        ByteBuffer b = scratch;
        if (b == null) {
            b = scratch = ByteBuffer.allocateDirect(SCRATCH_SIZE);
        }
        return b;
    }

    /**
     * Closes every context (and so every socket and listener) of the loop, except one whose onServerName is running
     * (OpenSSL is inside its handshake): Loop closes that one after the iteration.
     */
    void closeAll() {
        for (SocketContext<?> c : contexts.snapshot()) {
            if (!c.isClosed() && !c.isInServerName()) {
                c.closeNow();
            }
        }
    }

    /**
     * A new receive area (0 plain, 1 TLS) for loopCreate: the core reads (or decrypts) into this Java-owned direct
     * buffer, so a view onData handed out and the user kept stays readable after the loop is freed (the GC frees the
     * memory once no view is reachable); its contents are then unspecified.
     */
    ByteBuffer receiveArea(int index) {
        ByteBuffer area = ByteBuffer.allocateDirect(RECV_CAPACITY);
        areas[index] = area;
        views[index] = new ByteBuffer[RECV_RESERVE / GRID + 1];
        return area;
    }

    // ---------------------------------------------------------------- upcalls (from LoopCore)

    /** Data outside both receive areas (not expected): area wraps native memory for this call only, so it is copied. */
    void onRecvBuffer(int index, ByteBuffer area) {
        ByteBuffer copy = ByteBuffer.allocateDirect(area.remaining());
        copy.put(area.duplicate()).clear();
        areas[index] = copy;
    }

    int onPreOpen(int contextSlot, int contextGeneration, int fd, long ipHi, long ipLo, int ipLength) {
        SocketContext<?> c = contexts.get(contextSlot, contextGeneration);
        if (c == null || c.onPreOpen == null) {
            return fd;
        }
        try {
            return preOpen(c, fd, ip(ipHi, ipLo, ipLength));
        } catch (Throwable t) {
            loop.report(t);
            return fd;
        }
    }

    long onOpen(int contextSlot, int contextGeneration, int slot, int generation, long s, int isClient, long ipHi,
                long ipLo, int ipLength) {
        Socket<?> socket;
        if (isClient == 0) {
            SocketContext<?> c = contexts.get(contextSlot, contextGeneration);
            if (c == null) {
                return s;
            }
            socket = newSocket(c);
            socket.handle = s;
            Natives.socketBind(socket.ssl, s, socket.slot, socket.generation);
        } else {
            socket = sockets.get(slot, generation);
            if (socket == null) {
                return s;
            }
        }
        try {
            socket.opened();
            loop.stats.opened(isClient != 0);
            if (!socket.isClosed()) {
                open(socket, isClient != 0, ip(ipHi, ipLo, ipLength));
            }
        } catch (Throwable t) {
            failed(socket, t);
        }
        return socket.handle;
    }

    long onData(int slot, int generation, long s, int buffer, int offset, int length) {
        Socket<?> socket = sockets.get(slot, generation);
        if (socket == null) {
            return s;
        }
        dataEvent(socket, buffer, offset, length);
        return socket.handle;
    }

    /** A queued data event (LoopEvents). */
    void dataEvent(int slot, int generation, int buffer, int offset, int length) {
        Socket<?> socket = sockets.get(slot, generation);
        if (socket != null) {
            dataEvent(socket, buffer, offset, length);
        }
    }

    private void dataEvent(Socket<?> socket, int buffer, int offset, int length) {
        loop.stats.in(length);
        try {
            if (socket.isPauseWanted() || socket.hasHeldData()) {
                socket.hold(view(buffer, offset, length)); // paused since the core read it, or behind held bytes
                if (!socket.isPauseWanted()) {
                    deliverHeld(socket, false);
                }
            } else {
                data(socket, view(buffer, offset, length));
            }
        } catch (Throwable t) {
            failed(socket, t);
        }
    }

    long onWritable(int slot, int generation, long s) {
        Socket<?> socket = sockets.get(slot, generation);
        if (socket == null) {
            return s;
        }
        writableEvent(socket);
        return socket.handle;
    }

    /** A queued writable event (LoopEvents). */
    void writableEvent(int slot, int generation) {
        Socket<?> socket = sockets.get(slot, generation);
        if (socket != null) {
            writableEvent(socket);
        }
    }

    private void writableEvent(Socket<?> socket) {
        try {
            socket.drain();
            if (!socket.isClosed()) {
                writable(socket);
            }
        } catch (Throwable t) {
            failed(socket, t);
        }
    }

    long onEnd(int slot, int generation, long s) {
        Socket<?> socket = sockets.get(slot, generation);
        if (socket == null) {
            return s;
        }
        try {
            if (socket.isPauseWanted()) {
                // paused by a handler of queued events after the core had read the FIN: no onEnd until resumeReads
                if (socket.ssl == 1) {
                    socket.holdEnd(); // the TLS layer signals its end once: delivered after resume
                }
                return socket.handle; // plain: the core reads the FIN again once reading resumes
            }
            if (socket.hasHeldData()) {
                deliverHeld(socket, false);
                if (socket.isClosed() || socket.isPauseWanted()) {
                    if (!socket.isClosed() && socket.ssl == 1) {
                        socket.holdEnd();
                    }
                    return socket.handle;
                }
            }
            endEvent(socket);
        } catch (Throwable t) {
            failed(socket, t);
        }
        return socket.handle;
    }

    private void endEvent(Socket<?> socket) {
        if (socket.context.onEnd != null) {
            end(socket);
        } else {
            socket.shutdown(); // our FIN after buffered data; both directions done closes the socket
        }
    }

    // ---------------------------------------------------------------- held reads (paused with events queued)

    /** resumeReads() of a socket holding data or an end: delivered at the end of this iteration (onPost). */
    void resumedWithHeld(Socket<?> socket) {
        if (resumed == null) {
            resumed = new java.util.ArrayList<>();
        }
        if (!resumed.contains(socket)) {
            resumed.add(socket);
        }
    }

    /** Delivers what resumed sockets hold, unless they were paused again or closed. */
    void deliverResumed() {
        java.util.ArrayList<Socket<?>> list = resumed;
        if (list == null) {
            return;
        }
        resumed = null;
        for (Socket<?> socket : list) {
            if (!socket.isClosed() && !socket.isPauseWanted()) {
                try {
                    deliverHeld(socket, true);
                } catch (Throwable t) {
                    failed(socket, t);
                }
            }
        }
    }

    /** Hands the held bytes to onData (one call), then a held end when withEnd and the socket still reads. */
    private void deliverHeld(Socket<?> socket, boolean withEnd) {
        ByteBuffer held = socket.takeHeldData();
        if (held != null) {
            data(socket, held);
        }
        if (withEnd && !socket.isClosed() && !socket.isPauseWanted() && socket.takeHeldEnd()) {
            endEvent(socket);
        }
    }

    long onTimeout(int slot, int generation, long s, boolean isLong) {
        Socket<?> socket = sockets.get(slot, generation);
        if (socket == null) {
            return s;
        }
        try {
            if ((isLong ? socket.context.onLongTimeout : socket.context.onTimeout) != null) {
                timeout(socket, isLong);
            } else {
                socket.close();
            }
        } catch (Throwable t) {
            failed(socket, t);
        }
        return socket.handle;
    }

    long onConnectError(int slot, int generation, long s, int code) {
        Socket<?> socket = sockets.get(slot, generation);
        if (socket == null || socket.handle != s) {
            return s;
        }
        sockets.remove(slot, generation);
        socket.markClosed(-1, null); // the core cancels the connect after this callback; no onClose follows
        try {
            connectError(socket, code);
        } catch (Throwable t) {
            loop.report(t);
        }
        return s;
    }

    long onClose(int slot, int generation, long s, int code, long reason) {
        Socket<?> socket = sockets.get(slot, generation);
        if (socket == null || socket.handle != s) {
            return s; // a socket Java never saw (closed by the TLS layer before its on_open: its ext is unset)
        }
        sockets.remove(slot, generation);
        if (socket.wasOpened()) {
            loop.stats.closed();
        }
        if (socket.hasHeldData() && !socket.isPauseWanted()) {
            try {
                deliverHeld(socket, false); // resumed, not yet delivered: the bytes came before the close
            } catch (Throwable t) {
                loop.report(t);
            }
        }
        try {
            socket.markClosed(code, reason != 0 ? Natives.cString(reason) : null);
            close(socket, code);
        } catch (Throwable t) {
            loop.report(t);
        }
        return s;
    }

    // ---------------------------------------------------------------- dispatch to the user (typed)

    private static <S> int preOpen(SocketContext<S> c, int fd, byte[] ip) {
        return c.onPreOpen.onPreOpen(c, fd, ip);
    }

    @SuppressWarnings("unchecked")
    private static <S> void open(Socket<S> socket, boolean isClient, byte[] ip) {
        SocketContext.OpenHandler<S> h = (SocketContext.OpenHandler<S>) socket.context.onOpen;
        if (h != null) {
            h.onOpen(socket, isClient, ip);
        }
    }

    @SuppressWarnings("unchecked")
    private static <S> void data(Socket<S> socket, ByteBuffer data) {
        SocketContext.DataHandler<S> h = (SocketContext.DataHandler<S>) socket.context.onData;
        if (h != null) {
            h.onData(socket, data);
        }
    }

    @SuppressWarnings("unchecked")
    private static <S> void writable(Socket<S> socket) {
        java.util.function.Consumer<? super Socket<S>> h =
                (java.util.function.Consumer<? super Socket<S>>) socket.context.onWritable;
        if (h != null) {
            h.accept(socket);
        }
    }

    @SuppressWarnings("unchecked")
    private static <S> void end(Socket<S> socket) {
        ((java.util.function.Consumer<? super Socket<S>>) socket.context.onEnd).accept(socket);
    }

    @SuppressWarnings("unchecked")
    private static <S> void timeout(Socket<S> socket, boolean isLong) {
        SocketContext<S> c = (SocketContext<S>) socket.context;
        java.util.function.Consumer<? super Socket<S>> h = isLong ? c.onLongTimeout : c.onTimeout;
        h.accept(socket);
    }

    @SuppressWarnings("unchecked")
    private static <S> void connectError(Socket<S> socket, int code) {
        SocketContext.CodeHandler<S> h = (SocketContext.CodeHandler<S>) socket.context.onConnectError;
        if (h != null) {
            h.on(socket, code);
        }
    }

    @SuppressWarnings("unchecked")
    private static <S> void close(Socket<S> socket, int code) {
        SocketContext.CodeHandler<S> h = (SocketContext.CodeHandler<S>) socket.context.onClose;
        if (h != null) {
            h.on(socket, code);
        }
    }

    // ---------------------------------------------------------------- helpers

    /** A callback of socket threw: report it, then close the socket abortively. */
    private void failed(Socket<?> socket, Throwable t) {
        loop.report(t);
        try {
            socket.closeAfterFailure();
        } catch (Throwable second) {
            loop.report(second);
        }
    }

    /** The reused view of receive area buffer holding [offset, offset + length): position 0, limit length. */
    private ByteBuffer view(int buffer, int offset, int length) {
        int at = offset - RECV_PADDING;
        if (buffer < RECV_AREAS - 1 && at >= 0 && at <= RECV_RESERVE && at % GRID == 0 && length <= RECV_LENGTH) {
            ByteBuffer[] cached = views[buffer];
            ByteBuffer v = cached[at / GRID];
            if (v == null) {
                v = cached[at / GRID] = areas[buffer].slice(offset, RECV_LENGTH);
            }
            v.clear();
            v.limit(length);
            lastView = v;
            lastViewArea = buffer;
            lastViewOffset = offset;
            return v;
        }
        return areas[buffer].slice(offset, length); // not expected: the shim reads at grid positions
    }

    private static byte[] ip(long hi, long lo, int length) {
        byte[] ip = new byte[Math.max(0, Math.min(length, 16))];
        for (int i = 0; i < ip.length; i++) {
            long word = i < 8 ? hi : lo;
            ip[i] = (byte) (word >>> (56 - 8 * (i & 7)));
        }
        return ip;
    }
}
