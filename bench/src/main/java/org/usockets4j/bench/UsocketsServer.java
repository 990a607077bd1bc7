package org.usockets4j.bench;

import java.nio.ByteBuffer;

import org.usockets4j.ListenSocket;
import org.usockets4j.Loop;
import org.usockets4j.Socket;
import org.usockets4j.SocketContext;
import org.usockets4j.SocketContextOptions;

/**
 * The usockets4j server of the benchmarks: one loop on the main thread, one context (plain or TLS).
 * Echo writes the received view of the loop's receive buffer straight back with {@link Socket#send}
 * (a direct buffer, written in place; only what the kernel does not take is copied and kept).
 * HTTP answers every "\r\n\r\n" from a prepared direct block of replies. Nothing is allocated per
 * event; the HTTP parser state is the socket's ext, made once per connection.
 *
 * <p>Usage: {@code UsocketsServer <port> <echo|http|idle> [--tls cert key]}
 */
public final class UsocketsServer {
    /** Open connections; written on the loop thread only. */
    static volatile long open;

    private UsocketsServer() {
    }

    public static void main(String[] argv) throws Exception {
        ServerArgs args = ServerArgs.parse(argv);
        try (Loop<Void> loop = Loop.create()) {
            SocketContext<HttpRequests.Parser> context =
                    loop.createSocketContext(args.tls() ? SocketContextOptions.tls(args.cert, args.key) : SocketContextOptions.plain());
            ByteBuffer responses = HttpRequests.responseBlock();
            context.onOpen((s, isClient, ip) -> {
                open++;
                if (args.mode == Mode.HTTP) {
                    s.setExt(new HttpRequests.Parser());
                }
            }).onClose((s, code) -> open--);
            switch (args.mode) {
                case ECHO -> context.onData((s, data) -> {
                    if (!s.send(data)) {
                        s.pauseReads(); // above the high-water mark: resume once onWritable drained it
                    }
                });
                case HTTP -> context.onData((s, data) -> {
                    int requests = s.ext().feed(data);
                    boolean below = true;
                    while (requests > 0) {
                        int now = Math.min(requests, HttpRequests.BLOCK);
                        responses.limit(now * HttpRequests.RESPONSE.length).position(0);
                        below = s.send(responses);
                        requests -= now;
                    }
                    if (!below) {
                        s.pauseReads();
                    }
                });
                case IDLE -> context.onData((s, data) -> { });
            }
            context.onWritable(s -> {
                if (s.isReadPaused() && s.bufferedAmount() <= s.highWaterMark()) {
                    s.resumeReads();
                }
            });
            ListenSocket listener = context.listen("127.0.0.1", args.port);
            Control.start(Thread.currentThread(), () -> open);
            Control.announcePort(listener.port());
            loop.run();
        }
    }
}
