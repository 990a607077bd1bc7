package org.usockets4j.tcp;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.ByteBuffer;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import java.util.SplittableRandom;
import java.util.concurrent.TimeUnit;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.usockets4j.ListenSocket;
import org.usockets4j.Loop;
import org.usockets4j.Socket;
import org.usockets4j.SocketContext;
import org.usockets4j.SocketContextOptions;

/**
 * A randomized hammer on one loop: 200 clients stream pseudo-random amounts through send() to an echo server
 * that at random pauses and resumes reads (from timers), moves sockets between two contexts (adopt), closes
 * (cleanly or with RST); clients at random abort. Invariants: every socket closes exactly once (onClose, or
 * onConnectError for a client), no callback throws, every byte a client gets back is the byte it sent at that
 * offset, and clients nobody aborted get everything back, then end with FIN both ways.
 */
@Timeout(value = 60, unit = TimeUnit.SECONDS, threadMode = Timeout.ThreadMode.SEPARATE_THREAD)
class TcpHammerTest {
    private static final int CLIENTS = 200;

    /** A client's stream and what came back. */
    static final class Client {
        final int id;
        final long total;
        long sent;
        long received;
        int closes;
        boolean aborted;
        boolean corrupt;

        Client(int id, long total) {
            this.id = id;
            this.total = total;
        }

        static byte at(int id, long i) {
            long x = (i + 1) * 0x9E3779B97F4A7C15L ^ id * 0xC2B2AE3D27D4EB4FL;
            return (byte) (x ^ (x >>> 29));
        }
    }

    /** A server-side connection. */
    static final class Conn {
        int closes;
    }

    @Test
    void randomizedEchoWithPausesAdoptionAndAborts() {
        long seed = new Random().nextLong();
        System.out.println("TcpHammerTest seed " + seed);
        SplittableRandom rnd = new SplittableRandom(seed);
        List<Client> clients = new ArrayList<>();
        List<Conn> conns = new ArrayList<>();
        List<Throwable> reported = new ArrayList<>();
        int[] counters = new int[4]; // pauses, adoptions, server closes, client aborts
        try (Loop<Void> loop = Loop.create()) {
            loop.exceptionHandler(reported::add);
            SocketContext<Conn> serverA = loop.createSocketContext(SocketContextOptions.plain().withHighWaterMark(64 * 1024));
            SocketContext<Conn> serverB = loop.createSocketContext(SocketContextOptions.plain());
            SocketContext<Client> client = loop.createSocketContext(SocketContextOptions.plain());
            ListenSocket listener = serverA.listen("127.0.0.1", 0);
            for (SocketContext<Conn> ctx : List.of(serverA, serverB)) {
                SocketContext<Conn> other = ctx == serverA ? serverB : serverA;
                ctx.onOpen((s, isClient, ip) -> {
                    Conn c = new Conn();
                    conns.add(c);
                    s.setExt(c);
                }).onData((s, data) -> {
                    s.send(data);
                    double r = rnd.nextDouble();
                    if (r < 0.10 && !s.isReadPaused()) {
                        counters[0]++;
                        s.pauseReads();
                        loop.createTimer().set(1 + rnd.nextInt(15), 0, t -> {
                            t.close();
                            if (!s.isClosed()) {
                                s.resumeReads();
                            }
                        });
                    } else if (r < 0.15) {
                        counters[1]++;
                        Conn c = s.ext();
                        Socket<Conn> moved = other.adopt(s);
                        moved.setExt(c); // adopt starts with an empty ext
                    } else if (r < 0.16) {
                        counters[2]++;
                        s.close(rnd.nextBoolean() ? 0 : 9);
                    }
                }).onClose((s, code) -> s.ext().closes++);
            }
            ByteBuffer out = ByteBuffer.allocateDirect(64 * 1024);
            client.onOpen((s, isClient, ip) -> produce(s, out, rnd))
                    .onWritable(s -> produce(s, out, rnd))
                    .onData((s, data) -> {
                        Client c = s.ext();
                        while (data.hasRemaining()) {
                            if (data.get() != Client.at(c.id, c.received++)) {
                                c.corrupt = true;
                            }
                        }
                        if (c.received == c.total) {
                            s.shutdown();
                        } else if (rnd.nextDouble() < 0.01) {
                            counters[3]++;
                            c.aborted = true;
                            s.close(rnd.nextBoolean() ? 0 : 7);
                        }
                    })
                    .onConnectError((s, code) -> s.ext().closes++)
                    .onClose((s, code) -> {
                        Client c = s.ext();
                        c.closes++;
                        if (clients.stream().allMatch(x -> x.closes > 0)) {
                            listener.close();
                        }
                    });
            for (int i = 0; i < CLIENTS; i++) {
                Client c = new Client(i, 1 + rnd.nextInt(512 * 1024));
                clients.add(c);
                client.connect("127.0.0.1", listener.port()).setExt(c);
            }
            loop.run();
        }
        assertEquals(List.of(), reported, "seed " + seed);
        int complete = 0;
        for (Client c : clients) {
            assertEquals(1, c.closes, "client " + c.id + " closes, seed " + seed);
            assertTrue(!c.corrupt, "client " + c.id + " got a wrong byte, seed " + seed);
            if (c.received == c.total) {
                complete++;
            }
        }
        for (Conn c : conns) {
            assertEquals(1, c.closes, "server connection closes, seed " + seed);
        }
        assertEquals(CLIENTS, conns.size(), "accepted, seed " + seed);
        // with no server close nor client abort, every client completes; most do
        assertTrue(complete >= CLIENTS / 2, complete + " complete, seed " + seed);
        System.out.printf("TcpHammerTest: %d complete, %d pauses, %d adoptions, %d server closes, %d client aborts%n",
                complete, counters[0], counters[1], counters[2], counters[3]);
    }

    /** Sends the client's stream until send() says stop (or all of it went). */
    private static void produce(Socket<Client> s, ByteBuffer out, SplittableRandom rnd) {
        Client c = s.ext();
        while (c.sent < c.total) {
            int n = (int) Math.min(c.total - c.sent, 1 + rnd.nextInt(out.capacity()));
            out.clear();
            for (int i = 0; i < n; i++) {
                out.put(Client.at(c.id, c.sent + i));
            }
            out.flip();
            c.sent += n;
            if (!s.send(out)) {
                return;
            }
        }
    }
}
