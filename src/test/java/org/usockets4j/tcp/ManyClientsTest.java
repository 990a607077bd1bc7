package org.usockets4j.tcp;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.ByteBuffer;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicReference;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.usockets4j.ListenSocket;
import org.usockets4j.Loop;
import org.usockets4j.LoopHandle;
import org.usockets4j.SocketContext;
import org.usockets4j.SocketContextOptions;

/**
 * 1 000 concurrent clients on one loop thread against an echo server on another: each client sends its own
 * 16 KiB pattern in pieces and checks every echoed byte; the server counts connections and bytes.
 */
@Timeout(value = 60, unit = TimeUnit.SECONDS, threadMode = Timeout.ThreadMode.SEPARATE_THREAD)
class ManyClientsTest {
    private static final int CLIENTS = 1000;
    private static final int BYTES = 16 * 1024;
    private static final int PIECE = 4096;

    /** A client's progress: what it sent and what came back. */
    static final class Client {
        final int id;
        int sent;
        int received;
        boolean ok = true;

        Client(int id) {
            this.id = id;
        }

        static byte at(int id, int i) {
            return (byte) (id * 131 + i * 7 + (i >>> 8));
        }
    }

    @Test
    void thousandClientsEveryByteIntact() throws Exception {
        CountDownLatch listening = new CountDownLatch(1);
        int[] port = {0};
        long[] serverBytes = {0};
        int[] serverOpened = {0};
        AtomicReference<Throwable> serverError = new AtomicReference<>();
        AtomicReference<LoopHandle<Void>> serverHandle = new AtomicReference<>();
        Thread server = new Thread(() -> {
            try (Loop<Void> loop = Loop.create()) {
                loop.exceptionHandler(serverError::set);
                SocketContext<Void> ctx = loop.createSocketContext(SocketContextOptions.plain());
                ctx.onOpen((s, isClient, ip) -> serverOpened[0]++)
                        .onData((s, data) -> {
                            serverBytes[0] += data.remaining();
                            if (!s.send(data)) {
                                s.pauseReads(); // stop reading until what we owe went out
                            }
                        })
                        .onWritable(s -> {
                            if (s.isReadPaused() && s.bufferedAmount() <= s.highWaterMark()) {
                                s.resumeReads();
                            }
                        });
                ListenSocket l = ctx.listen("127.0.0.1", 0);
                port[0] = l.port();
                serverHandle.set(loop.handle());
                listening.countDown();
                loop.run();
            } catch (Throwable t) {
                serverError.set(t);
                listening.countDown();
            }
        }, "echo-server");
        server.start();
        assertTrue(listening.await(10, TimeUnit.SECONDS));

        int[] done = {0};
        int[] failed = {0};
        AtomicReference<Throwable> clientError = new AtomicReference<>();
        try (Loop<Void> loop = Loop.create()) {
            loop.exceptionHandler(clientError::set);
            SocketContext<Client> ctx = loop.createSocketContext(SocketContextOptions.plain());
            ByteBuffer out = ByteBuffer.allocateDirect(PIECE);
            ctx.onOpen((s, isClient, ip) -> sendPiece(s.ext(), s, out))
                    .onData((s, data) -> {
                        Client c = s.ext();
                        while (data.hasRemaining()) {
                            if (data.get() != Client.at(c.id, c.received++)) {
                                c.ok = false;
                            }
                        }
                        if (c.received == c.sent) {
                            if (c.sent == BYTES) {
                                s.close();
                            } else {
                                sendPiece(c, s, out);
                            }
                        }
                    })
                    .onConnectError((s, code) -> failed[0]++)
                    .onClose((s, code) -> {
                        Client c = s.ext();
                        if (c.ok && c.received == BYTES && code == 0) {
                            done[0]++;
                        } else {
                            failed[0]++;
                        }
                        if (done[0] + failed[0] == CLIENTS) {
                            serverHandle.get().defer(Loop::close);
                        }
                    });
            for (int i = 0; i < CLIENTS; i++) {
                ctx.connect("127.0.0.1", port[0]).setExt(new Client(i));
            }
            loop.run();
        }
        server.join(20_000);
        assertNull(clientError.get());
        assertNull(serverError.get());
        assertEquals(CLIENTS, done[0], "clients that got every byte back");
        assertEquals(0, failed[0]);
        assertEquals(CLIENTS, serverOpened[0]);
        assertEquals((long) CLIENTS * BYTES, serverBytes[0]);
    }

    private static void sendPiece(Client c, org.usockets4j.Socket<Client> s, ByteBuffer out) {
        out.clear();
        for (int i = 0; i < PIECE; i++) {
            out.put(Client.at(c.id, c.sent + i));
        }
        out.flip();
        c.sent += PIECE;
        s.send(out);
    }
}
