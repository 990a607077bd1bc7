package org.usockets4j.reliability;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.ByteBuffer;
import java.util.List;
import java.util.SplittableRandom;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.zip.CRC32;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.usockets4j.ListenSocket;
import org.usockets4j.Loop;
import org.usockets4j.LoopHandle;
import org.usockets4j.Socket;
import org.usockets4j.SocketContext;
import org.usockets4j.SocketContextOptions;
import org.usockets4j.Timer;

/**
 * Soak: 1 000 connections x 1 000 messages each through an echo server on another loop. Every message carries its
 * connection, its sequence number, a random payload (8 to 400 bytes) and a CRC32; each connection keeps up to 8
 * messages in flight, sent with send() (so partial writes are the library's business). Every message must come
 * back once, in order, with its checksum right: zero lost, zero corrupted. Prints the totals.
 */
@Timeout(value = 240, unit = TimeUnit.SECONDS, threadMode = Timeout.ThreadMode.SEPARATE_THREAD)
class SoakTest {
    static final int CONNECTIONS = 1_000;
    static final int MESSAGES = 1_000;
    static final int WINDOW = 8;
    static final int HEADER = 2 + 4 + 4; // length, connection, sequence
    static final int MAX_PAYLOAD = 400;

    /** One client connection's side of the soak (its loop's thread only). */
    static final class Conn {
        final int id;
        final SplittableRandom rnd;
        int sent, received;
        long corrupted, outOfOrder;
        final ByteBuffer pending = ByteBuffer.allocate(2 * (HEADER + MAX_PAYLOAD + 4));
        final CRC32 crc = new CRC32();

        Conn(int id) {
            this.id = id;
            this.rnd = new SplittableRandom(0x50A4L * 1_000_003L + id);
        }
    }

    @Test
    void thousandConnectionsThousandMessagesEachNothingLostNothingCorrupted() throws Exception {
        ConcurrentLinkedQueue<Throwable> errors = new ConcurrentLinkedQueue<>();
        CountDownLatch serverReady = new CountDownLatch(1);
        CountDownLatch serverEnded = new CountDownLatch(1);
        int[] port = new int[1];
        @SuppressWarnings("unchecked")
        LoopHandle<Void>[] serverHandle = new LoopHandle[1];
        Thread server = new Thread(() -> {
            try (Loop<Void> loop = Loop.create()) {
                loop.exceptionHandler(errors::add);
                serverHandle[0] = loop.handle();
                Timer<Void> keepAlive = loop.createTimer();
                keepAlive.set(3_600_000, 3_600_000, t -> { });
                SocketContext<Void> echo = loop.createSocketContext(SocketContextOptions.plain());
                echo.onData((s, data) -> s.send(data));
                echo.onEnd(s -> s.close());
                ListenSocket l = echo.listen("127.0.0.1", 0);
                port[0] = l.port();
                serverReady.countDown();
                loop.run();
            } catch (Throwable t) {
                errors.add(t);
            } finally {
                serverReady.countDown();
                serverEnded.countDown();
            }
        }, "soak-server");
        server.start();
        assertTrue(serverReady.await(30, TimeUnit.SECONDS));

        long[] totals = new long[6]; // sent, received, corrupted, out of order, bytes, connections done
        long start = System.nanoTime();
        try (Loop<Void> loop = Loop.create()) {
            loop.exceptionHandler(errors::add);
            SocketContext<Conn> clients = loop.createSocketContext(SocketContextOptions.plain());
            clients.onOpen((s, isClient, ip) -> {
                s.timeout(0);
                Conn c = s.requireExt();
                while (c.sent < MESSAGES && c.sent - c.received < WINDOW) {
                    sendOne(s, c);
                }
            });
            clients.onData((s, data) -> {
                Conn c = s.requireExt();
                totals[4] += data.remaining();
                while (data.hasRemaining()) {
                    int n = Math.min(data.remaining(), c.pending.remaining());
                    ByteBuffer slice = data.slice();
                    slice.limit(n);
                    c.pending.put(slice);
                    data.position(data.position() + n);
                    c.pending.flip();
                    while (c.pending.remaining() >= 2 && c.pending.remaining() >= (c.pending.getShort(c.pending.position()) & 0xffff)) {
                        int length = c.pending.getShort(c.pending.position()) & 0xffff;
                        if (length < HEADER + 4 || length > HEADER + MAX_PAYLOAD + 4) {
                            c.corrupted++;
                            s.close();
                            return;
                        }
                        int at = c.pending.position();
                        c.crc.reset();
                        ByteBuffer body = c.pending.slice();
                        body.limit(length - 4);
                        c.crc.update(body);
                        int crc = c.pending.getInt(at + length - 4);
                        int conn = c.pending.getInt(at + 2);
                        int seq = c.pending.getInt(at + 6);
                        if ((int) c.crc.getValue() != crc || conn != c.id) {
                            c.corrupted++;
                        } else if (seq != c.received) {
                            c.outOfOrder++;
                        }
                        c.received++;
                        c.pending.position(at + length);
                    }
                    c.pending.compact();
                }
                while (c.sent < MESSAGES && c.sent - c.received < WINDOW) {
                    sendOne(s, c);
                }
                if (c.received == MESSAGES) {
                    s.close();
                }
            });
            clients.onConnectError((s, code) -> errors.add(new AssertionError("connect error " + code)));
            clients.onClose((s, code) -> {
                Conn c = s.requireExt();
                totals[0] += c.sent;
                totals[1] += c.received;
                totals[2] += c.corrupted;
                totals[3] += c.outOfOrder;
                totals[5]++;
            });
            for (int i = 0; i < CONNECTIONS; i++) {
                Socket<Conn> s = clients.connect("127.0.0.1", port[0]);
                s.setExt(new Conn(i));
                s.timeout(60); // a connect timeout, cleared in onOpen
            }
            loop.run(); // returns when every connection closed
        }
        double seconds = (System.nanoTime() - start) / 1e9;
        serverHandle[0].defer(Loop::close);
        assertTrue(serverEnded.await(30, TimeUnit.SECONDS));
        long expected = (long) CONNECTIONS * MESSAGES;
        System.out.printf("SOAK connections=%d messages=%d sent=%d received=%d lost=%d corrupted=%d outOfOrder=%d"
                + " bytes=%d seconds=%.1f%n", totals[5], expected, totals[0], totals[1], totals[0] - totals[1], totals[2],
                totals[3], totals[4], seconds);
        assertEquals(List.of(), List.copyOf(errors));
        assertEquals(CONNECTIONS, totals[5], "connections closed");
        assertEquals(expected, totals[0], "sent");
        assertEquals(expected, totals[1], "received");
        assertEquals(0, totals[2], "corrupted");
        assertEquals(0, totals[3], "out of order");
    }

    private static void sendOne(Socket<Conn> s, Conn c) {
        int payload = 8 + c.rnd.nextInt(MAX_PAYLOAD - 7);
        int length = HEADER + payload + 4;
        ByteBuffer m = ByteBuffer.allocate(length);
        m.putShort((short) length).putInt(c.id).putInt(c.sent);
        for (int i = 0; i < payload; i++) {
            m.put((byte) c.rnd.nextInt(256));
        }
        c.crc.reset();
        c.crc.update(m.array(), 0, length - 4);
        m.putInt((int) c.crc.getValue());
        m.flip();
        s.send(m);
        c.sent++;
    }
}
