package org.usockets4j;

import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.UnknownHostException;
import java.nio.ByteBuffer;
import java.util.Arrays;
import java.util.Objects;

import org.usockets4j.internal.Natives;

/**
 * A TCP (or TLS, by its context's kind) connection of one {@link Loop}. Every method but {@link #ext()},
 * {@link #requireExt()}, {@link #setExt}, {@link #isClosed()}, {@link #closeCode()}, {@link #closeReason()},
 * {@link #context()}, {@link #loop()} and {@code toString()} must be called on the loop's thread
 * ({@code UsException(NOT_ON_LOOP_THREAD)} otherwise), and once the socket is closed (its {@code onClose} ran, or
 * its connect failed) they throw {@code UsException(CLOSED)} without reaching native code; so does a second
 * {@link #close()}.
 *
 * <p>Two ways to write. {@link #write} is the C API's: it hands the kernel what it takes now and returns how
 * much that was; the rest stays the caller's, and the context's {@code onWritable} follows when the socket can
 * take more. {@link #send} keeps what the kernel did not take in a per-socket buffer, writes it when the socket
 * becomes writable (before the context's {@code onWritable} runs) and returns false once
 * {@link #bufferedAmount()} is above the {@link #highWaterMark()}: stop producing until {@code onWritable}
 * finds the buffer below it again. send never drops data. While send data is buffered, {@code write} writes
 * nothing and returns 0, so the two never reorder bytes.
 *
 * <p>An exception thrown by a callback of this socket goes to the loop's exception handler and the socket is
 * then closed with {@link #CLOSE_CODE_CALLBACK_FAILED} (an abortive close: the peer sees RST).
 *
 * @param <S> the type of the socket's ext
 */
public final class Socket<S> {
    /** The close code of a socket closed because one of its callbacks threw. */
    public static final int CLOSE_CODE_CALLBACK_FAILED = 2;
    /** The close code of a TLS socket closed because of a TLS failure; {@link #closeReason()} says which. */
    public static final int CLOSE_CODE_TLS_ERROR = 1;

    private static final int KEEP_SEND_BUFFER_UP_TO = 64 * 1024;
    private static final int MIN_SEND_BUFFER = 16 * 1024;

    private final Loop<?> loop;
    private final LoopTcp tcp;
    SocketContext<?> context;
    final int ssl;
    long handle;
    int slot;
    int generation;
    private boolean closed;
    private boolean established;
    private boolean pauseWanted;
    private boolean finPending;
    private boolean shutdownCalled;
    private int closeCode;
    private String closeReason;
    private int highWaterMark;
    private ByteBuffer out; // buffered send data in [position, limit), or null
    int corked; // bytes of send() corked in the loop's LoopWrites, not written yet
    private ByteBuffer held; // read data held while reads are paused (LoopTcp), in [0, position), or null
    private boolean endHeld; // an end (TLS) that arrived while reads were paused
    private Object ext;

    Socket(Loop<?> loop, LoopTcp tcp, SocketContext<?> context) {
        this.loop = loop;
        this.tcp = tcp;
        this.context = context;
        this.ssl = context.ssl;
        this.highWaterMark = context.highWaterMark();
    }

    // ---------------------------------------------------------------- writing

    /**
     * Writes data's remaining bytes, as many as the kernel takes now, and advances its position by that count,
     * which it returns. A direct buffer is written in place; a heap buffer is copied first. 0 while the socket
     * still connects, after shutdown(), or while {@link #send} data is buffered.
     */
    public int write(ByteBuffer data) {
        return write(data, false);
    }

    /** As {@link #write(ByteBuffer)}; more = true hints that more data follows at once (MSG_MORE, see {@link #flush()}). */
    public int write(ByteBuffer data, boolean more) {
        check();
        uncork();
        int position = data.position();
        int length = data.limit() - position;
        if (length == 0 || out != null && out.hasRemaining()) {
            return 0;
        }
        int n = data.isDirect() ? nativeWrite(data, position, length, more) : writeCopied(data, position, length, more);
        data.position(position + n);
        return n;
    }

    /** Writes length bytes of array from offset, as many as the kernel takes now; returns that count. */
    public int write(byte[] array, int offset, int length) {
        return write(array, offset, length, false);
    }

    /** As {@link #write(byte[], int, int)} with the MSG_MORE hint. */
    public int write(byte[] array, int offset, int length, boolean more) {
        check();
        uncork();
        Objects.checkFromIndexSize(offset, length, array.length);
        if (length == 0 || out != null && out.hasRemaining()) {
            return 0;
        }
        return writeCopied(null, array, offset, length, more);
    }

    /**
     * Writes header then payload in one system call where it can (writev), as many bytes as the kernel takes
     * now; advances both positions over what went out and returns the total.
     */
    public int write2(ByteBuffer header, ByteBuffer payload) {
        check();
        uncork();
        int hp = header.position();
        int hl = header.limit() - hp;
        int pp = payload.position();
        int pl = payload.limit() - pp;
        if (hl + pl == 0 || out != null && out.hasRemaining()) {
            return 0;
        }
        int n;
        if (header.isDirect() && payload.isDirect()) {
            n = check(Natives.socketWrite2(ssl, handle, header, hp, hl, payload, pp, pl));
            loop.stats.out(n);
        } else if (hl + pl <= tcp.scratch().capacity()) {
            ByteBuffer scratch = tcp.scratch();
            scratch.put(0, header, hp, hl);
            scratch.put(hl, payload, pp, pl);
            n = check(Natives.socketWrite(ssl, handle, scratch, 0, hl + pl, false));
            loop.stats.out(n);
        } else {
            n = header.isDirect() ? nativeWrite(header, hp, hl, false) : writeCopied(header, hp, hl, false);
            if (n == hl && pl > 0) {
                n += payload.isDirect() ? nativeWrite(payload, pp, pl, false) : writeCopied(payload, pp, pl, false);
            }
        }
        int fromHeader = Math.min(n, hl);
        header.position(hp + fromHeader);
        payload.position(pp + (n - fromHeader));
        return n;
    }

    /** Sends what MSG_MORE held back (withdraws the {@code more} hint). */
    public void flush() {
        check();
        uncork();
        Natives.socketFlush(ssl, handle);
    }

    /**
     * Buffered write: everything of data's remaining bytes is taken (position moves to limit); what the kernel
     * does not take now is kept and written when the socket becomes writable. Returns false when the buffer is
     * now above the high-water mark (stop producing; resume from onWritable) or the write closed the socket (a
     * failing TLS write: onClose ran), true otherwise.
     * NETWORK_OPERATION after {@link #shutdown()}: nothing can be sent any more, and send never drops data.
     */
    public boolean send(ByteBuffer data) {
        check();
        if (shutdownCalled) {
            throw new UsException(UsException.Kind.NETWORK_OPERATION, "send after shutdown(): the socket sends no more");
        }
        int position = data.position();
        int length = data.limit() - position;
        if (length > 0) {
            if (ssl == 0 && (out == null || !out.hasRemaining()) && established && !finPending
                    && tcp.writes.cork(this, data, position, length)) {
                data.position(position + length);
                return true; // the cork stays within the high-water mark
            }
            uncork(); // this socket's corked bytes first; then (cork() may have written them) look at out again
            int n = 0;
            if ((out == null || !out.hasRemaining()) && established && !finPending) {
                n = data.isDirect() ? nativeWrite(data, position, length, false)
                        : writeCopied(data, position, length, false);
            }
            if (n < length && !closed) { // a TLS write can fail and close the socket
                append(data, position + n, length - n);
            }
            data.position(position + length);
        }
        return !closed && (out == null ? 0 : out.remaining()) <= highWaterMark;
    }

    /** As {@link #send(ByteBuffer)} for length bytes of array from offset. */
    public boolean send(byte[] array, int offset, int length) {
        Objects.checkFromIndexSize(offset, length, array.length);
        return send(ByteBuffer.wrap(array, offset, length));
    }

    /** As {@link #send(ByteBuffer)} for the whole array. */
    public boolean send(byte[] array) {
        return send(ByteBuffer.wrap(array));
    }

    /** Bytes given to {@link #send} that the kernel has not taken yet. */
    public int bufferedAmount() {
        check();
        uncork();
        return out == null ? 0 : out.remaining();
    }

    /** The buffered amount above which {@link #send} returns false. */
    public int highWaterMark() {
        check();
        return highWaterMark;
    }

    /** Sets the buffered amount (bytes, at least 1) above which {@link #send} returns false. */
    public Socket<S> highWaterMark(int bytes) {
        check();
        if (bytes < 1) {
            throw new UsException(UsException.Kind.INVALID_ARGUMENT, "highWaterMark must be >= 1, was " + bytes);
        }
        highWaterMark = bytes;
        return this;
    }

    // ---------------------------------------------------------------- ending

    /**
     * Half-closes: sends FIN (TLS: close_notify first) after any {@link #send} data still buffered (and, on a
     * connecting socket, once it opened); reading goes on until the peer's FIN, then the socket closes.
     */
    public void shutdown() {
        check();
        uncork();
        shutdownCalled = true;
        if (!established || out != null && out.hasRemaining()) {
            finPending = true; // FIN after the connect completed and the buffered data went out
            return;
        }
        Natives.socketShutdown(ssl, handle);
    }

    /** Stops reading: the next iteration sees end-of-stream (onEnd). */
    public void shutdownRead() {
        check();
        Natives.socketShutdownRead(ssl, handle);
    }

    /** Closes now with code 0 (FIN); onClose runs before this returns. Buffered send data is dropped. */
    public void close() {
        close(0);
    }

    /**
     * Closes now; code 0 is an orderly close (FIN), any other code an abortive one (RST). The context's onClose
     * runs with the code before this returns. Buffered send data is dropped: use {@link #shutdown()} to end
     * after it went out. INVALID_ARGUMENT inside the context's onServerName (OpenSSL is inside the handshake of
     * one of its sockets, which must not be freed under it): defer the close.
     */
    public void close(int code) {
        check();
        if (context.isInServerName()) {
            throw new UsException(UsException.Kind.INVALID_ARGUMENT,
                    "a socket cannot be closed inside its context's onServerName; defer the close");
        }
        uncork(); // what send() took before close() leaves before the FIN, as if it had been written at once
        Natives.socketClose(ssl, handle, code);
    }

    /** True when we sent FIN (or asked to, behind buffered send data). */
    public boolean isShutDown() {
        check();
        return finPending || Natives.socketIsShutDown(ssl, handle);
    }

    /** True once the socket is closed: its onClose ran, or its connect failed (onConnectError). */
    public boolean isClosed() {
        return closed;
    }

    /** False while a client socket still connects. */
    public boolean isEstablished() {
        check();
        return Natives.socketIsEstablished(ssl, handle);
    }

    /** The code the socket was closed with (valid once closed; -1 for a failed connect). */
    public int closeCode() {
        return closeCode;
    }

    /** Why a TLS socket was closed with {@link #CLOSE_CODE_TLS_ERROR} (OpenSSL's reason), else null. */
    public String closeReason() {
        return closeReason;
    }

    // ---------------------------------------------------------------- timeouts and reads

    /** Fires the context's onTimeout after about seconds idle (4 s granularity; a connecting socket too); 0 clears. */
    public void timeout(int seconds) {
        check();
        if (seconds < 0) {
            throw new UsException(UsException.Kind.INVALID_ARGUMENT, "timeout seconds must be >= 0, was " + seconds);
        }
        Natives.socketTimeout(ssl, handle, seconds);
    }

    /** Fires the context's onLongTimeout after about minutes (at most 239); 0 clears. */
    public void longTimeout(int minutes) {
        check();
        if (minutes < 0) {
            throw new UsException(UsException.Kind.INVALID_ARGUMENT, "longTimeout minutes must be >= 0, was " + minutes);
        }
        Natives.socketLongTimeout(ssl, handle, minutes);
    }

    /**
     * Stops reading: no onData (nor onEnd) until {@link #resumeReads()}; the kernel holds what arrives. Bytes the
     * loop had already read in this iteration are kept and handed to onData after resumeReads(), before newer ones.
     */
    public void pauseReads() {
        check();
        pauseWanted = true;
        if (established) {
            Natives.socketPause(ssl, handle);
        }
    }

    /** Reads again after {@link #pauseReads()}. */
    public void resumeReads() {
        check();
        pauseWanted = false;
        if (established) {
            Natives.socketResume(ssl, handle);
        }
        if (held != null || endHeld) {
            tcp.resumedWithHeld(this); // handed over when this iteration ends
        }
    }

    /** True between pauseReads() and resumeReads(). */
    public boolean isReadPaused() {
        check();
        return pauseWanted;
    }

    // ---------------------------------------------------------------- addresses

    /** The local port, or -1 (unix sockets). */
    public int localPort() {
        check();
        return Natives.socketLocalPort(ssl, handle);
    }

    /** The peer's port, or -1 (unix sockets). */
    public int remotePort() {
        check();
        return Natives.socketRemotePort(ssl, handle);
    }

    /** The peer's address and port, or null when it has none (unix sockets, or the peer is gone). */
    public InetSocketAddress remoteAddress() {
        check();
        byte[] ip = new byte[16];
        int length = Natives.socketRemoteAddress(ssl, handle, ip);
        if (length != 4 && length != 16) {
            return null;
        }
        int port = Natives.socketRemotePort(ssl, handle);
        try {
            return new InetSocketAddress(InetAddress.getByAddress(Arrays.copyOf(ip, length)), Math.max(port, 0));
        } catch (UnknownHostException e) {
            throw new AssertionError(e); // 4 or 16 bytes are always an address
        }
    }

    /** The descriptor (plain) or the OpenSSL {@code SSL *} (TLS) as a number, for diagnostics. */
    public long nativeHandle() {
        check();
        return Natives.socketNativeHandle(ssl, handle);
    }

    // ---------------------------------------------------------------- TLS

    /**
     * The TLS protocol version the handshake settled on ("TLSv1.3", "TLSv1.2"); null on a plain socket and while
     * the handshake runs (a TLS socket opens before its handshake: the first onData, or an onWritable after a
     * write that returned 0, come after it).
     */
    public String tlsProtocol() {
        check();
        return ssl == 1 ? org.usockets4j.internal.TlsNatives.tlsProtocol(handle) : null;
    }

    /** The negotiated cipher suite's OpenSSL name ("TLS_AES_256_GCM_SHA384"); null as for {@link #tlsProtocol()}. */
    public String tlsCipher() {
        check();
        return ssl == 1 ? org.usockets4j.internal.TlsNatives.tlsCipher(handle) : null;
    }

    /**
     * The SNI host name: on a server, the name the client asked for; on a client, the one it sent (the host
     * given to connect, unless that is an IP address, which TLS does not send). Null on a plain socket or without
     * SNI.
     */
    public String tlsServerName() {
        check();
        return ssl == 1 ? org.usockets4j.internal.TlsNatives.tlsServerName(handle) : null;
    }

    /**
     * The subject of the peer's certificate in RFC 2253 form ("CN=client,O=Example"): on a client, the
     * server's; on a server, the client's when it sent one (a context with a caFile requires it). Null on a
     * plain socket, without a peer certificate, or before the handshake got it.
     */
    public String peerSubject() {
        check();
        return ssl == 1 ? org.usockets4j.internal.TlsNatives.tlsPeerSubject(handle) : null;
    }

    // ---------------------------------------------------------------- ext and owner

    /** The socket's user data, or null. */
    @SuppressWarnings("unchecked")
    public S ext() {
        return (S) ext;
    }

    /** The socket's user data; UsException(EXT_MISSING) when none was set. */
    public S requireExt() {
        if (ext == null) {
            throw new UsException(UsException.Kind.EXT_MISSING, "the socket has no ext; call setExt first");
        }
        return ext();
    }

    /** Sets the socket's user data. */
    public void setExt(S ext) {
        this.ext = ext;
    }

    /** The context the socket belongs to now (adoption moves it). */
    @SuppressWarnings("unchecked")
    public SocketContext<S> context() {
        return (SocketContext<S>) context;
    }

    /** The loop the socket belongs to. */
    public Loop<?> loop() {
        return loop;
    }

    @Override
    public String toString() {
        return "Socket[" + (closed ? "closed " + closeCode : established ? "open" : "connecting")
                + (ssl == 1 ? " tls" : "") + "]";
    }

    // ---------------------------------------------------------------- package-private machinery

    /** Throws CLOSED once closed, NOT_ON_LOOP_THREAD off the loop thread. */
    private void check() {
        if (closed) {
            throw new UsException(UsException.Kind.CLOSED, "the socket is closed");
        }
        loop.checkThread();
    }

    /** Writes the loop's cork now when it holds bytes of this socket, so what comes next follows them. */
    void uncork() {
        if (corked != 0) {
            tcp.writes.writeAll();
        }
    }

    /** The high-water mark, without the checks of {@link #highWaterMark()} (LoopWrites). */
    int sendHighWaterMark() {
        return highWaterMark;
    }

    private static int check(int n) {
        if (n < 0) {
            throw new UsException(UsException.Kind.INVALID_ARGUMENT, "not a direct buffer");
        }
        return n;
    }

    private int nativeWrite(ByteBuffer direct, int position, int length, boolean more) {
        LoopTcp t = tcp;
        int n = direct == t.lastView
                ? check(Natives.socketWriteArea(ssl, handle, t.lastViewArea, t.lastViewOffset + position, length, more))
                : check(Natives.socketWrite(ssl, handle, direct, position, length, more));
        loop.stats.out(n);
        return n;
    }

    /** Writes a heap (or read-only) buffer's bytes through the loop's direct scratch buffer, chunk by chunk. */
    private int writeCopied(ByteBuffer src, int position, int length, boolean more) {
        return writeCopied(src, null, position, length, more);
    }

    /**
     * Writes length bytes from position of src, or of array when src is null, through the loop's direct scratch
     * buffer, chunk by chunk, until the kernel takes less than a chunk; returns the count it took.
     */
    private int writeCopied(ByteBuffer src, byte[] array, int position, int length, boolean more) {
        ByteBuffer scratch = tcp.scratch();
        int total = 0;
        while (total < length) {
            int chunk = Math.min(scratch.capacity(), length - total);
            if (src != null) {
                scratch.put(0, src, position + total, chunk);
            } else {
                scratch.put(0, array, position + total, chunk);
            }
            int n = check(Natives.socketWrite(ssl, handle, scratch, 0, chunk, more));
            loop.stats.out(n);
            total += n;
            if (n < chunk || closed) {
                break;
            }
        }
        return total;
    }

    /** Keeps length bytes of src from position in the send buffer (also what LoopWrites' kernel did not take). */
    void append(ByteBuffer src, int position, int length) {
        ByteBuffer b = out;
        if (b == null || b.capacity() - b.limit() < length) {
            int pending = b == null ? 0 : b.remaining();
            int need = pending + length;
            if (b != null && b.capacity() >= need && pending <= b.capacity() / 2) {
                b.compact().flip(); // room at the end again, same memory
            } else {
                int capacity = Math.max(MIN_SEND_BUFFER, Integer.highestOneBit(Math.max(need - 1, 1)) << 1);
                if (capacity < need) {
                    capacity = need; // above 1 GiB
                }
                ByteBuffer grown = ByteBuffer.allocateDirect(capacity);
                if (pending > 0) {
                    grown.put(b);
                }
                grown.flip();
                b = out = grown;
            }
        }
        int limit = b.limit();
        b.limit(limit + length);
        b.put(limit, src, position, length);
    }

    /** on_writable: writes buffered send data; a FIN asked for behind it goes out once it is all written. */
    void drain() {
        ByteBuffer b = out;
        if (b != null && b.hasRemaining()) {
            int position = b.position();
            int n = nativeWrite(b, position, b.remaining(), false);
            b.position(position + n);
        }
        if (b != null && !b.hasRemaining()) {
            if (b.capacity() > KEEP_SEND_BUFFER_UP_TO) {
                out = null;
            } else {
                b.clear().limit(0);
            }
        }
        if (finPending && !closed && (out == null || !out.hasRemaining())) {
            finPending = false;
            Natives.socketShutdown(ssl, handle);
        }
    }

    /** on_open: the socket is established; a pause asked for before applies now, send data waiting goes out. */
    void opened() {
        established = true;
        if (pauseWanted) {
            Natives.socketPause(ssl, handle);
        }
        if (out != null && out.hasRemaining() || finPending) {
            drain();
        }
    }

    /** True once the socket opened (onOpen), also after it closed: the metrics count it then. */
    boolean wasOpened() {
        return established;
    }

    boolean hasBufferedData() {
        return out != null && out.hasRemaining();
    }

    /** on_close / failed connect: the socket is dead; nothing reaches native code for it any more. */
    void markClosed(int code, String reason) {
        closed = true;
        closeCode = code;
        closeReason = reason;
        out = null;
        held = null;
        endHeld = false;
    }

    // ---------------------------------------------------------------- held reads (LoopTcp; rare, may allocate)

    boolean isPauseWanted() {
        return pauseWanted;
    }

    boolean hasHeldData() {
        return held != null;
    }

    /** Keeps a copy of data's remaining bytes behind what is held already. */
    void hold(ByteBuffer data) {
        ByteBuffer h = held;
        int need = data.remaining();
        if (h == null || h.remaining() < need) {
            int used = h == null ? 0 : h.position();
            ByteBuffer grown = ByteBuffer.allocateDirect(Math.max(used + need, Math.min(2 * used, Integer.MAX_VALUE - 8)));
            if (h != null) {
                grown.put(h.flip());
            }
            held = h = grown;
        }
        h.put(data);
    }

    /** The held bytes (position 0, limit their count), no longer held; null when none. */
    ByteBuffer takeHeldData() {
        ByteBuffer h = held;
        held = null;
        return h == null ? null : h.flip();
    }

    void holdEnd() {
        endHeld = true;
    }

    /** True once if an end was held. */
    boolean takeHeldEnd() {
        boolean e = endHeld;
        endHeld = false;
        return e;
    }

    /** Adoption moved the socket: new native pointer and context; the ext starts empty. */
    void moved(long newHandle, SocketContext<?> newContext) {
        handle = newHandle;
        context = newContext;
        ext = null;
    }

    /** Closes after a callback threw (no-op when already closed). */
    void closeAfterFailure() {
        if (!closed) {
            Natives.socketClose(ssl, handle, CLOSE_CODE_CALLBACK_FAILED);
        }
    }
}
