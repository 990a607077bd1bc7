package org.usockets4j.bench;

import java.io.IOException;
import java.net.InetSocketAddress;
import java.net.StandardSocketOptions;
import java.nio.ByteBuffer;
import java.nio.channels.SelectionKey;
import java.nio.channels.Selector;
import java.nio.channels.ServerSocketChannel;
import java.nio.channels.SocketChannel;

/**
 * The plain JDK peer: one selector thread accepts, reads and writes; one direct read buffer for
 * all connections; what the kernel does not take now waits in a per-connection buffer, and reading
 * that connection pauses until it is written. No TLS.
 *
 * <p>Usage: {@code NioServer <port> <echo|http|idle>}
 */
public final class NioServer {
    private final Mode mode;
    private final Selector selector;
    private final ByteBuffer in = ByteBuffer.allocateDirect(64 * 1024);
    private final ByteBuffer responses = HttpRequests.responseBlock();
    private long open;

    /** Per connection: the HTTP parser and the bytes the kernel has not taken yet. */
    private static final class Conn {
        final HttpRequests.Parser parser = new HttpRequests.Parser();
        ByteBuffer pending;
    }

    private NioServer(Mode mode) throws IOException {
        this.mode = mode;
        this.selector = Selector.open();
    }

    public static void main(String[] argv) throws Exception {
        ServerArgs args = ServerArgs.parse(argv);
        if (args.tls()) {
            throw new IllegalArgumentException("NioServer has no TLS");
        }
        NioServer server = new NioServer(args.mode);
        ServerSocketChannel listener = ServerSocketChannel.open();
        listener.bind(new InetSocketAddress("127.0.0.1", args.port), 4096);
        listener.configureBlocking(false);
        listener.register(server.selector, SelectionKey.OP_ACCEPT);
        Control.start(Thread.currentThread(), () -> server.open);
        Control.announcePort(((InetSocketAddress) listener.getLocalAddress()).getPort());
        for (;;) {
            server.selector.select(server::ready);
        }
    }

    private void ready(SelectionKey key) {
        try {
            if (key.isAcceptable()) {
                accept((ServerSocketChannel) key.channel());
                return;
            }
            if (key.isWritable() && !drain(key)) {
                return;
            }
            if (key.isValid() && key.isReadable()) {
                read(key);
            }
        } catch (IOException e) {
            close(key);
        }
    }

    private void accept(ServerSocketChannel listener) throws IOException {
        for (SocketChannel ch; (ch = listener.accept()) != null; ) {
            ch.configureBlocking(false);
            ch.setOption(StandardSocketOptions.TCP_NODELAY, true);
            ch.register(selector, SelectionKey.OP_READ, new Conn());
            open++;
        }
    }

    private void read(SelectionKey key) throws IOException {
        SocketChannel ch = (SocketChannel) key.channel();
        in.clear();
        int n = ch.read(in);
        if (n < 0) {
            close(key);
            return;
        }
        in.flip();
        switch (mode) {
            case ECHO -> write(key, in);
            case HTTP -> {
                int requests = ((Conn) key.attachment()).parser.feed(in);
                while (requests > 0) {
                    int now = Math.min(requests, HttpRequests.BLOCK);
                    responses.limit(now * HttpRequests.RESPONSE.length).position(0);
                    write(key, responses);
                    requests -= now;
                }
            }
            case IDLE -> { }
        }
    }

    /** Writes data; the part the kernel does not take is kept and reading pauses until it is sent. */
    private void write(SelectionKey key, ByteBuffer data) throws IOException {
        Conn c = (Conn) key.attachment();
        if (c.pending == null || c.pending.position() == 0) {
            ((SocketChannel) key.channel()).write(data);
            if (!data.hasRemaining()) {
                return;
            }
        }
        if (c.pending == null || c.pending.remaining() < data.remaining()) {
            ByteBuffer bigger = ByteBuffer.allocateDirect(Math.max(64 * 1024, (c.pending == null ? 0 : c.pending.position()) + data.remaining()));
            if (c.pending != null) {
                bigger.put(c.pending.flip());
            }
            c.pending = bigger;
        }
        c.pending.put(data);
        key.interestOps(SelectionKey.OP_WRITE);
    }

    /** Writes pending bytes; true when all went and reading resumes. */
    private boolean drain(SelectionKey key) throws IOException {
        Conn c = (Conn) key.attachment();
        c.pending.flip();
        ((SocketChannel) key.channel()).write(c.pending);
        boolean done = !c.pending.hasRemaining();
        c.pending.compact();
        if (done) {
            key.interestOps(SelectionKey.OP_READ);
        }
        return done;
    }

    private void close(SelectionKey key) {
        key.cancel();
        try {
            key.channel().close();
        } catch (IOException ignored) {
            // closing anyway
        }
        open--;
    }
}
