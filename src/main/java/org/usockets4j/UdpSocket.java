package org.usockets4j;

import java.util.Objects;
import java.util.function.Consumer;

import org.usockets4j.internal.Natives;

/**
 * A UDP socket of one {@link Loop}, bound at creation ({@link Loop#createUdpSocket}), receiving and sending
 * datagrams in batches (recvmmsg / sendmmsg). Received batches arrive in {@code onData} in the loop's receive
 * buffer; batches to send are built in a {@link UdpPacketBuffer} (this socket's {@link #sendBuffer()}, one from
 * {@link Loop#createUdpPacketBuffer()}, or the received batch itself, to echo it). Used on the loop's thread
 * only ({@code NOT_ON_LOOP_THREAD} otherwise; {@code CLOSED} once closed), but for {@link #isClosed()},
 * {@link #loop()} and the ext methods; an open socket keeps {@code run()} going, so close it when done.
 *
 * @param <T> the type of the socket's ext
 */
public final class UdpSocket<T> implements AutoCloseable {

    /** Receives one batch: datagrams [0, count) of buffer, valid during the call only. */
    @FunctionalInterface
    public interface DataHandler<T> {
        /** Called on the loop thread with count datagrams (at least 1) in buffer. */
        void onData(UdpSocket<T> socket, UdpPacketBuffer buffer, int count);
    }

    private final Loop<?> loop;
    private final LoopUdp udp;
    private final DataHandler<T> onData;
    private final Consumer<? super UdpSocket<T>> onDrain;
    private long handle;
    private int slot;
    private int generation;
    private int port;
    private UdpPacketBuffer sendBuffer;
    private T ext;

    UdpSocket(Loop<?> loop, LoopUdp udp, DataHandler<T> onData, Consumer<? super UdpSocket<T>> onDrain) {
        this.loop = loop;
        this.udp = udp;
        this.onData = onData;
        this.onDrain = onDrain;
    }

    void bind(long handle, int slot, int generation) {
        this.handle = handle;
        this.slot = slot;
        this.generation = generation;
        this.port = Natives.udpSocketPort(handle);
    }

    /** The local port the socket is bound to (the one the kernel picked when created with port 0). */
    public int port() {
        checkAccess();
        return port;
    }

    /**
     * Sends datagrams [0, count) of buffer without blocking and returns how many went out. Fewer than count means
     * the socket could not take the rest now: onDrain follows when it can, and the rest can be sent again from
     * there ({@link UdpPacketBuffer#removeFirst(int)} moves it to the front). CLOSED for a closed socket or buffer,
     * INVALID_ARGUMENT for count outside [0, buffer.size()], NETWORK_OPERATION when the first datagram is refused
     * (an oversized datagram, an unreachable peer...): drop or fix it and send the others.
     */
    public int send(UdpPacketBuffer buffer, int count) {
        Objects.requireNonNull(buffer, "buffer");
        checkAccess();
        buffer.checkSendable(loop, count);
        if (count == 0) {
            return 0;
        }
        int sent = Natives.udpSocketSend(handle, buffer.handle(), count);
        if (sent < 0) {
            throw new UsException(UsException.Kind.NETWORK_OPERATION,
                    "sendmmsg refused datagram 0 of " + count + ": " + Natives.udpErrorText(-sent) + " (errno " + -sent + ")");
        }
        loop.stats.datagramsOut(sent);
        return sent;
    }

    /**
     * This socket's own send buffer, made at the first call and closed with the socket (always the same object).
     * ALLOCATION_FAILED when memory is short.
     */
    public UdpPacketBuffer sendBuffer() {
        checkAccess();
        if (sendBuffer == null) {
            sendBuffer = udp.newBuffer(UdpPacketBuffer.Owner.SOCKET_SEND);
        }
        return sendBuffer;
    }

    /**
     * Connects the socket to host and port (us_udp_socket_bind): datagrams set without a peer go there, and only
     * that peer is heard from. INVALID_HOST when it cannot be resolved or reached.
     */
    public UdpSocket<T> connect(String host, int port) {
        Objects.requireNonNull(host, "host");
        checkAccess();
        if (port < 1 || port > 65535) {
            throw new UsException(UsException.Kind.INVALID_ARGUMENT, "port " + port + " is not in [1, 65535]");
        }
        int rc = Natives.udpSocketConnect(handle, host, port);
        if (rc < 0) {
            throw new UsException(UsException.Kind.INVALID_HOST,
                    "cannot connect to " + host + ":" + port + ": " + Natives.udpErrorText(-rc));
        }
        return this;
    }

    /** Dissolves the association made by {@link #connect(String, int)}; the socket keeps its port. */
    public UdpSocket<T> disconnect() {
        checkAccess();
        int rc = Natives.udpSocketConnect(handle, null, 0);
        if (rc < 0) {
            throw new UsException(UsException.Kind.NETWORK_OPERATION, "disconnect failed: " + Natives.udpErrorText(-rc));
        }
        return this;
    }

    /**
     * Closes the socket and its send buffer; no callback follows, also when called inside one. A second close does
     * nothing.
     */
    @Override
    public void close() {
        if (handle == 0) {
            return;
        }
        loop.checkThread();
        closeNow();
    }

    /** True once the socket is closed (by close() or by closing its loop). */
    public boolean isClosed() {
        return handle == 0;
    }

    /** The loop this socket belongs to. */
    public Loop<?> loop() {
        return loop;
    }

    /** The socket's user data, or null. */
    public T ext() {
        return ext;
    }

    /** The socket's user data; UsException(EXT_MISSING) when none was set. */
    public T requireExt() {
        if (ext == null) {
            throw new UsException(UsException.Kind.EXT_MISSING, "the UDP socket has no ext; call setExt first");
        }
        return ext;
    }

    /** Sets the socket's user data. */
    public void setExt(T ext) {
        this.ext = ext;
    }

    @Override
    public String toString() {
        return handle == 0 ? "UdpSocket[closed]" : "UdpSocket[port " + port + "]";
    }

    // ---------------------------------------------------------------- package-private machinery

    void closeNow() {
        long h = handle;
        handle = 0;
        Natives.udpSocketClose(h);
        udp.sockets.remove(slot, generation);
        if (sendBuffer != null) {
            sendBuffer.free();
        }
    }

    void fireData(UdpPacketBuffer buffer, int count) {
        if (handle == 0 || onData == null) {
            return;
        }
        buffer.beginBatch(count);
        try {
            onData.onData(this, buffer, count);
        } finally {
            buffer.endBatch();
        }
    }

    void fireDrain() {
        if (handle != 0 && onDrain != null) {
            onDrain.accept(this);
        }
    }

    private void checkAccess() {
        if (handle == 0) {
            throw new UsException(UsException.Kind.CLOSED, "the UDP socket is closed");
        }
        loop.checkThread();
    }
}
