package org.usockets4j;

import java.lang.ref.Cleaner;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.UnknownHostException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.Objects;

import org.usockets4j.internal.Natives;

/**
 * A batch of UDP datagram slots, read and written by index. {@link #SLOTS} slots, each with room for
 * one datagram of up to {@link #MAX_PAYLOAD} bytes and its peer's address.
 *
 * <p>Three kinds, one type: the loop's receive buffer, handed to {@code onData} and holding that batch
 * only during the call ({@link #size()} is 0 afterwards); a socket's {@link UdpSocket#sendBuffer()};
 * and buffers from {@link Loop#createUdpPacketBuffer()}, which you {@link #close()}. Every buffer is
 * used on its loop's thread only ({@code NOT_ON_LOOP_THREAD} otherwise) and is closed with its owner.
 *
 * <p>Reading: {@link #payload(int)}, {@link #length(int)}, {@link #peerAddress(int, byte[])} and
 * {@link #peerPort(int)} allocate nothing. Writing a batch to send: the {@code set} methods, which
 * copy the payload into the slot and name the peer; a received batch is also ready to send back as it
 * is ({@code socket.send(buffer, count)} echoes every datagram to its sender, without a copy).
 */
public final class UdpPacketBuffer implements AutoCloseable {
    /** Slots per buffer: the most datagrams one receive or one send handles. */
    public static final int SLOTS = 1024;
    /** Room of each slot, in bytes. */
    public static final int SLOT_SIZE = 64 * 1024;
    /** The largest payload a slot takes: the largest UDP datagram (65527 bytes over IPv6, 65507 over IPv4). */
    public static final int MAX_PAYLOAD = 65527;

    // Layout of a slot's metadata record, as native/jni_udp.c writes it (native byte order).
    private static final int META_SIZE = 64;
    private static final int META_LENGTH = 0;
    private static final int META_PORT = 4;
    private static final int META_ADDR_LEN = 8;
    private static final int META_SCOPE = 12;
    private static final int META_ADDR = 16;
    private static final int META_LOCAL_LEN = 32;
    private static final int META_ECN = 36;
    private static final int META_LOCAL = 40;
    private static final int PEER_META = 0;
    private static final int PEER_FROM = 1;
    private static final int PEER_NONE = 2;

    /** Who owns the buffer, which decides whether close() may free it. */
    enum Owner { LOOP_RECEIVE, SOCKET_SEND, USER }

    private final Loop<?> loop;
    private final LoopUdp udp;
    private final Owner owner;
    /** Frees native memory of buffers whose payload views were handed out, once no view is reachable any more. */
    private static final Cleaner CLEANER = Cleaner.create(r -> {
        Thread t = new Thread(r, "usockets4j-udp-buffer-cleaner");
        t.setDaemon(true);
        return t;
    });

    private final Cleaner.Cleanable release;
    private ByteBuffer payloads; // null once closed
    private ByteBuffer meta;
    private ByteBuffer view;
    private boolean viewsHandedOut;
    private long handle;
    private int size;
    private boolean metaValid;
    private boolean inCallback;

    UdpPacketBuffer(Loop<?> loop, LoopUdp udp, Owner owner, long handle) {
        this.loop = loop;
        this.udp = udp;
        this.owner = owner;
        this.handle = handle;
        this.payloads = Natives.udpBufferPayloads(handle);
        this.meta = Natives.udpBufferMeta(handle).order(ByteOrder.nativeOrder());
        this.view = payloads.duplicate();
        if (payloads.capacity() != SLOTS * SLOT_SIZE) {
            throw new IllegalStateException("native packet buffer has " + payloads.capacity()
                    + " bytes of payload, expected " + SLOTS + " x " + SLOT_SIZE + " (library and jar do not match?)");
        }
        this.release = CLEANER.register(payloads, new Release(handle));
    }

    /** Frees the native buffer, once: at close() when no payload view was handed out, else when none is reachable. */
    private static final class Release implements Runnable {
        private final long handle;

        Release(long handle) {
            this.handle = handle;
        }

        @Override
        public void run() {
            Natives.udpBufferFree(handle);
        }
    }

    // ---------------------------------------------------------------- reading

    /** How many datagrams the buffer holds: a received batch's count, or the highest slot set plus one. */
    public int size() {
        checkAccess();
        return size;
    }

    /**
     * Datagram i's payload between the returned buffer's position and limit (the position is not 0: use
     * relative reads, or {@link #payloadSlice(int)}). The same view object is returned by every call on this
     * buffer and is repositioned each time; it shows the slot's memory, valid while the datagram is there
     * (for a received batch: during the onData call).
     */
    public ByteBuffer payload(int i) {
        checkRead(i);
        viewsHandedOut = true;
        int start = i * SLOT_SIZE;
        view.clear();
        view.position(start).limit(start + meta.getInt(i * META_SIZE + META_LENGTH));
        return view;
    }

    /** Datagram i's payload as a new buffer of its own, position 0 and limit its length (allocates a view, not the bytes). */
    public ByteBuffer payloadSlice(int i) {
        checkRead(i);
        viewsHandedOut = true;
        return payloads.slice(i * SLOT_SIZE, meta.getInt(i * META_SIZE + META_LENGTH));
    }

    /** Datagram i's length in bytes. */
    public int length(int i) {
        checkRead(i);
        return meta.getInt(i * META_SIZE + META_LENGTH);
    }

    /** Copies datagram i's payload into dst at offset and returns its length; INVALID_ARGUMENT if it does not fit. */
    public int copyPayload(int i, byte[] dst, int offset) {
        checkRead(i);
        int length = meta.getInt(i * META_SIZE + META_LENGTH);
        Objects.checkFromIndexSize(offset, 0, dst.length);
        if (dst.length - offset < length) {
            throw new UsException(UsException.Kind.INVALID_ARGUMENT,
                    "datagram " + i + " has " + length + " bytes; dst has room for " + (dst.length - offset));
        }
        payloads.get(i * SLOT_SIZE, dst, offset, length);
        return length;
    }

    /** Datagram i's peer (its sender, or where it goes), or null when it has none; allocates. */
    public InetSocketAddress peer(int i) {
        checkRead(i);
        int base = i * META_SIZE;
        int len = meta.getInt(base + META_ADDR_LEN);
        if (len == 0) {
            return null;
        }
        byte[] address = new byte[len];
        meta.get(base + META_ADDR, address);
        try {
            InetAddress ip = len == 16
                    ? java.net.Inet6Address.getByAddress(null, address, meta.getInt(base + META_SCOPE))
                    : InetAddress.getByAddress(address);
            return new InetSocketAddress(ip, meta.getInt(base + META_PORT));
        } catch (UnknownHostException e) {
            throw new IllegalStateException("a 4 or 16 byte address was refused", e);
        }
    }

    /**
     * Copies datagram i's peer address into into (room for 16 bytes) and returns its length: 4 for IPv4
     * (IPv4-mapped IPv6 peers included), 16 for IPv6, 0 when it has no peer. Allocates nothing.
     */
    public int peerAddress(int i, byte[] into) {
        checkRead(i);
        if (into.length < 16) {
            throw new UsException(UsException.Kind.INVALID_ARGUMENT, "into needs room for 16 bytes, has " + into.length);
        }
        int base = i * META_SIZE;
        int len = meta.getInt(base + META_ADDR_LEN);
        meta.get(base + META_ADDR, into, 0, len);
        return len;
    }

    /** Datagram i's peer port (0 when it has no peer). */
    public int peerPort(int i) {
        checkRead(i);
        return meta.getInt(i * META_SIZE + META_PORT);
    }

    /**
     * Copies the local address received datagram i was sent to into into (room for 16 bytes) and returns its
     * length, 4 or 16; 0 when unknown (and for datagrams set to send).
     */
    public int localAddress(int i, byte[] into) {
        checkRead(i);
        if (into.length < 16) {
            throw new UsException(UsException.Kind.INVALID_ARGUMENT, "into needs room for 16 bytes, has " + into.length);
        }
        int base = i * META_SIZE;
        int len = meta.getInt(base + META_LOCAL_LEN);
        meta.get(base + META_LOCAL, into, 0, len);
        return len;
    }

    /** The ECN bits (0 to 3) of received datagram i; 0 when unknown. */
    public int ecn(int i) {
        checkRead(i);
        return meta.getInt(i * META_SIZE + META_ECN);
    }

    // ---------------------------------------------------------------- writing

    /**
     * Slot i becomes a datagram of payload's remaining bytes (copied; payload's position does not move) to
     * peer. INVALID_ARGUMENT for i out of [0, SLOTS), a payload over MAX_PAYLOAD bytes, or an unresolved peer.
     */
    public UdpPacketBuffer set(int i, ByteBuffer payload, InetSocketAddress peer) {
        Objects.requireNonNull(peer, "peer");
        InetAddress ip = peer.getAddress();
        if (ip == null) {
            throw new UsException(UsException.Kind.INVALID_ARGUMENT, "peer " + peer + " is unresolved");
        }
        byte[] address = ip.getAddress();
        int scope = ip instanceof java.net.Inet6Address ? ((java.net.Inet6Address) ip).getScopeId() : 0;
        return set(i, payload, address, peer.getPort(), scope);
    }

    /**
     * Slot i becomes a datagram of payload's remaining bytes to address (4 or 16 bytes) and port, without
     * allocating. INVALID_ARGUMENT for a bad index, payload, address length or port.
     */
    public UdpPacketBuffer set(int i, ByteBuffer payload, byte[] address, int port) {
        return set(i, payload, address, port, 0);
    }

    /**
     * Slot i becomes a datagram of payload's remaining bytes to the peer of datagram j of from (which may be this
     * buffer, and j may be i): the echo of a received datagram with a new payload. Allocates nothing.
     */
    public UdpPacketBuffer set(int i, ByteBuffer payload, UdpPacketBuffer from, int j) {
        Objects.requireNonNull(from, "from");
        from.checkRead(j);
        int length = writePayload(i, payload);
        finishSet(i, Natives.udpBufferSet(handle, i, length, PEER_FROM, from.handle, j));
        return this;
    }

    /**
     * Slot i becomes a datagram of payload's remaining bytes with no peer named: for a socket connected with
     * {@link UdpSocket#connect(String, int)}, which sends it to its peer.
     */
    public UdpPacketBuffer set(int i, ByteBuffer payload) {
        int length = writePayload(i, payload);
        finishSet(i, Natives.udpBufferSet(handle, i, length, PEER_NONE, 0, 0));
        return this;
    }

    /** Slot i becomes a copy of datagram j of from (payload and peer); from may be this buffer. Allocates nothing. */
    public UdpPacketBuffer set(int i, UdpPacketBuffer from, int j) {
        Objects.requireNonNull(from, "from");
        from.checkRead(j);
        checkWrite(i);
        Natives.udpBufferCopy(handle, i, from.handle, j);
        size = Math.max(size, i + 1);
        return this;
    }

    /**
     * Drops the first n datagrams and moves the rest to the front (size shrinks by n): after a send that took
     * n of them, the rest is ready to be sent again from slot 0. INVALID_ARGUMENT unless 0 &lt;= n &lt;= size().
     */
    public UdpPacketBuffer removeFirst(int n) {
        checkAccess();
        if (n < 0 || n > size) {
            throw new UsException(UsException.Kind.INVALID_ARGUMENT,
                    "removeFirst(" + n + ") on a buffer holding " + size + " datagrams");
        }
        if (n > 0) {
            ensureMeta();
            Natives.udpBufferRemoveFirst(handle, n, size);
            size -= n;
        }
        return this;
    }

    /** Empties the buffer: size() becomes 0 (the slots are rewritten by the next set or receive). */
    public UdpPacketBuffer clear() {
        checkAccess();
        size = 0;
        metaValid = true;
        return this;
    }

    /**
     * Frees a buffer made by {@link Loop#createUdpPacketBuffer()}; a second close does nothing. The loop's
     * receive buffer and a socket's send buffer close with their owner (INVALID_ARGUMENT here).
     */
    @Override
    public void close() {
        if (handle == 0) {
            return;
        }
        loop.checkThread();
        if (owner != Owner.USER) {
            throw new UsException(UsException.Kind.INVALID_ARGUMENT,
                    "this buffer belongs to its " + (owner == Owner.LOOP_RECEIVE ? "loop" : "socket") + " and closes with it");
        }
        udp.forget(this);
        free();
    }

    /** True once the buffer is closed (by close(), or by closing its socket or loop). */
    public boolean isClosed() {
        return handle == 0;
    }

    // ---------------------------------------------------------------- package-private machinery

    long handle() {
        return handle;
    }

    Loop<?> loop() {
        return loop;
    }

    /** A received batch of count datagrams is in the buffer, for the length of one onData call. */
    void beginBatch(int count) {
        size = count;
        metaValid = false;
        inCallback = true;
    }

    /** The onData call returned: the batch is gone. */
    void endBatch() {
        inCallback = false;
        size = 0;
        metaValid = true;
    }

    /** Checks buffer is usable for a send of count datagrams from this loop's socket. */
    void checkSendable(Loop<?> socketLoop, int count) {
        checkAccess();
        if (socketLoop != loop) {
            throw new UsException(UsException.Kind.INVALID_ARGUMENT, "the buffer belongs to another loop");
        }
        if (count < 0 || count > size) {
            throw new UsException(UsException.Kind.INVALID_ARGUMENT,
                    "send of " + count + " datagrams from a buffer holding " + size + describeEmpty());
        }
    }

    /**
     * Closes the buffer. Its native memory goes at once unless payload views were handed out: a view kept past
     * close (against the rules) must still read memory, not crash the JVM, so then it goes once every view is
     * unreachable (each view holds the buffer it was made from; a Cleaner watches that one).
     */
    void free() {
        if (handle != 0) {
            handle = 0;
            size = 0;
            payloads = null;
            meta = null;
            view = null;
            if (!viewsHandedOut) {
                release.clean();
            }
        }
    }

    private UdpPacketBuffer set(int i, ByteBuffer payload, byte[] address, int port, int scope) {
        Objects.requireNonNull(address, "address");
        checkWrite(i);
        if (address.length != 4 && address.length != 16) {
            throw new UsException(UsException.Kind.INVALID_ARGUMENT,
                    "a peer address has 4 or 16 bytes, not " + address.length);
        }
        if (port < 1 || port > 65535) {
            throw new UsException(UsException.Kind.INVALID_ARGUMENT, "peer port " + port + " is not in [1, 65535]");
        }
        int length = writePayload(i, payload);
        int base = i * META_SIZE;
        meta.putInt(base + META_PORT, port);
        meta.putInt(base + META_ADDR_LEN, address.length);
        meta.putInt(base + META_SCOPE, scope);
        meta.put(base + META_ADDR, address);
        finishSet(i, Natives.udpBufferSet(handle, i, length, PEER_META, 0, 0));
        return this;
    }

    /** Copies payload's remaining bytes into slot i after the checks; returns the length. */
    private int writePayload(int i, ByteBuffer payload) {
        Objects.requireNonNull(payload, "payload");
        checkWrite(i);
        int length = payload.remaining();
        if (length > MAX_PAYLOAD) {
            throw new UsException(UsException.Kind.INVALID_ARGUMENT,
                    "a payload of " + length + " bytes is larger than a slot holds (" + MAX_PAYLOAD + ")");
        }
        payloads.put(i * SLOT_SIZE, payload, payload.position(), length);
        return length;
    }

    private void finishSet(int i, int rc) {
        if (rc < 0) {
            throw new UsException(UsException.Kind.INVALID_ARGUMENT, "slot " + i + ": the peer is not an address");
        }
        size = Math.max(size, i + 1);
    }

    private void ensureMeta() {
        if (!metaValid) {
            Natives.udpBufferExport(handle, size);
            metaValid = true;
        }
    }

    private void checkAccess() {
        if (handle == 0) {
            throw new UsException(UsException.Kind.CLOSED, "the packet buffer is closed");
        }
        loop.checkThread();
    }

    private void checkRead(int i) {
        checkAccess();
        if (i < 0 || i >= size) {
            throw new UsException(UsException.Kind.INVALID_ARGUMENT,
                    "datagram index " + i + " out of range: the buffer holds " + size + describeEmpty());
        }
        ensureMeta();
    }

    private void checkWrite(int i) {
        checkAccess();
        if (i < 0 || i >= SLOTS) {
            throw new UsException(UsException.Kind.INVALID_ARGUMENT,
                    "slot index " + i + " out of range [0, " + SLOTS + ")");
        }
    }

    private String describeEmpty() {
        return owner == Owner.LOOP_RECEIVE && !inCallback && size == 0
                ? " (a received batch is there during its onData call only)" : "";
    }
}
