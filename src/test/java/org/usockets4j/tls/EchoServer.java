package org.usockets4j.tls;

import java.util.List;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import java.util.function.Consumer;

import org.usockets4j.Socket;
import org.usockets4j.SocketContext;
import org.usockets4j.SocketContextOptions;

/**
 * A usockets4j TLS echo server on a loop thread of its own, listening on 127.0.0.1 (port picked by the kernel).
 * Every connection is recorded: what its handshake negotiated (seen at its first data), the bytes echoed, and
 * how it closed.
 */
final class EchoServer implements AutoCloseable {
    /** One accepted connection, as the server saw it. */
    static final class Conn {
        volatile String protocol;
        volatile String cipher;
        volatile String serverName;
        volatile String peerSubject;
        volatile long bytes;
        volatile int closeCode = Integer.MIN_VALUE;
        volatile String closeReason;

        @Override
        public String toString() {
            return "Conn[" + protocol + " " + cipher + " sni=" + serverName + " peer=" + peerSubject + " bytes=" + bytes
                    + " close=" + closeCode + " " + closeReason + "]";
        }
    }

    final LoopThread<Void> loop;
    final List<Conn> opened = new CopyOnWriteArrayList<>();
    final BlockingQueue<Conn> closed = new LinkedBlockingQueue<>();
    final int port;
    SocketContext<Conn> context; // loop thread only

    private EchoServer(SocketContextOptions options, Consumer<SocketContext<Conn>> extra) throws Exception {
        int[] listening = new int[1];
        loop = LoopThread.start("tls-echo-server", null, l -> {
            context = l.createSocketContext(options);
            context.onOpen((s, isClient, ip) -> {
                Conn c = new Conn();
                s.setExt(c);
                opened.add(c);
            }).onData((s, data) -> {
                Conn c = s.ext();
                if (c.protocol == null) {
                    c.protocol = s.tlsProtocol();
                    c.cipher = s.tlsCipher();
                    c.serverName = s.tlsServerName();
                    c.peerSubject = s.peerSubject();
                }
                c.bytes += data.remaining();
                if (!s.send(data) && !s.isClosed()) { // false also when the write closed the socket
                    s.pauseReads();
                }
            }).onWritable(s -> {
                if (s.isReadPaused() && s.bufferedAmount() <= s.highWaterMark() / 2) {
                    s.resumeReads();
                }
            }).onClose((s, code) -> {
                Conn c = s.ext();
                c.closeReason = s.closeReason();
                c.closeCode = code;
                closed.add(c);
            });
            if (extra != null) {
                extra.accept(context);
            }
            listening[0] = context.listen("127.0.0.1", 0).port();
        });
        port = listening[0];
    }

    static EchoServer start(SocketContextOptions options) throws Exception {
        return new EchoServer(options, null);
    }

    /** A server whose context extra sets up further on the loop thread (server names, ...) before it listens. */
    static EchoServer start(SocketContextOptions options, Consumer<SocketContext<Conn>> extra) throws Exception {
        return new EchoServer(options, extra);
    }

    /** The next connection to close, waiting 10 s at most. */
    Conn nextClosed() throws InterruptedException {
        Conn c = closed.poll(10, TimeUnit.SECONDS);
        if (c == null) {
            throw new AssertionError("no server connection closed within 10 s; opened: " + opened);
        }
        return c;
    }

    @Override
    public void close() throws Exception {
        loop.close();
        if (!loop.errors.isEmpty()) {
            AssertionError e = new AssertionError("the server loop reported " + loop.errors.size() + " error(s)");
            loop.errors.forEach(e::addSuppressed);
            throw e;
        }
    }

    /** Socket's close code of a TLS failure, for readability in assertions. */
    static final int TLS_ERROR = Socket.CLOSE_CODE_TLS_ERROR;
}
