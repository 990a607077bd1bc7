package org.usockets4j.tls;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.ByteBuffer;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.usockets4j.Socket;
import org.usockets4j.SocketContext;
import org.usockets4j.SocketContextOptions;

/**
 * 1000 new TLS connections in a burst while 10 established connections keep echoing: the server's handshakes wait
 * in the core's low-priority queue, so the established connections' round trips keep flowing during the burst.
 * Three loops on three threads: the server, the 10 pingers, and the burst (at most 200 handshakes in flight).
 * Measured per pinger while the burst runs: round trips, the longest gap between two (in ms), and the most burst
 * handshakes completed between two of its round trips (a measure that does not depend on the machine's speed).
 */
@Timeout(value = 90, unit = TimeUnit.SECONDS, threadMode = Timeout.ThreadMode.SEPARATE_THREAD)
class HandshakeBurstTest {
    private static final int ESTABLISHED = 10;
    private static final int BURST = 1000;
    private static final int IN_FLIGHT = 200;
    private static final int PING = 32;

    /** One established connection doing round trips (pinger loop thread only, but read after the burst). */
    static final class Pinger {
        final ByteBuffer ping = ByteBuffer.allocateDirect(PING);
        int pending; // bytes of the current round trip not back yet
        volatile boolean measuring;
        long lastNanos;
        int lastHandshakes;
        int roundTrips;
        long maxGapNanos;
        int maxHandshakesBetween;
        int totalRoundTrips;

        void roundTrip(Socket<Pinger> s) {
            ping.clear();
            pending = PING;
            s.send(ping);
        }
    }

    @Test
    void establishedConnectionsKeepEchoingThroughAHandshakeBurst() throws Exception {
        Pki pki = Pki.get();
        AtomicInteger handshakes = new AtomicInteger(); // burst handshakes completed (an echo came back)
        CountDownLatch echoing = new CountDownLatch(ESTABLISHED); // each pinger counts down at its 10th round trip
        List<Pinger> pingers = new ArrayList<>();
        for (int i = 0; i < ESTABLISHED; i++) {
            pingers.add(new Pinger());
        }
        try (EchoServer server = EchoServer.start(SocketContextOptions.tls(pki.cert("server"), pki.key("server")));
             LoopThread<Void> pingLoop = LoopThread.start("pingers", null, l -> { })) {
            // the established connections, pinging as fast as the echoes come back
            pingLoop.call(l -> {
                SocketContext<Pinger> ctx = l.createSocketContext(SocketContextOptions.tls().caFile(pki.ca()));
                ctx.onOpen((s, isClient, ip) -> s.ext().roundTrip(s)).onData((s, data) -> {
                    Pinger p = s.ext();
                    p.pending -= data.remaining();
                    if (p.pending > 0) {
                        return;
                    }
                    if (++p.totalRoundTrips == 10) {
                        echoing.countDown();
                    }
                    if (p.measuring) {
                        long now = System.nanoTime();
                        int h = handshakes.get();
                        p.maxGapNanos = Math.max(p.maxGapNanos, now - p.lastNanos);
                        p.maxHandshakesBetween = Math.max(p.maxHandshakesBetween, h - p.lastHandshakes);
                        p.lastNanos = now;
                        p.lastHandshakes = h;
                        p.roundTrips++;
                    }
                    p.roundTrip(s);
                });
                for (Pinger p : pingers) {
                    ctx.connect("localhost", server.port).setExt(p);
                }
                return null;
            });
            assertTrue(echoing.await(20, TimeUnit.SECONDS), "the established connections did not start echoing within 20 s");

            // the burst, on a third loop
            CompletableFuture<Long> burstDone = new CompletableFuture<>();
            int[] failures = {0};
            try (LoopThread<Void> burstLoop = LoopThread.start("burst", null, l -> { })) {
                long start = pingLoop.call(l -> {
                    long now = System.nanoTime();
                    for (Pinger p : pingers) {
                        p.lastNanos = now;
                        p.lastHandshakes = 0;
                        p.measuring = true;
                    }
                    return now;
                });
                burstLoop.call(l -> {
                    SocketContext<Void> ctx = l.createSocketContext(SocketContextOptions.tls());
                    int[] started = {0};
                    int[] ended = {0};
                    Runnable[] next = new Runnable[1];
                    next[0] = () -> {
                        while (started[0] < BURST && started[0] - ended[0] < IN_FLIGHT) {
                            started[0]++;
                            ctx.connect("127.0.0.1", server.port);
                        }
                    };
                    ctx.onOpen((s, isClient, ip) -> s.send(new byte[] {'h'}))
                       .onData((s, data) -> {
                           handshakes.incrementAndGet();
                           s.close();
                       })
                       .onConnectError((s, code) -> {
                           failures[0]++;
                           if (++ended[0] == BURST) {
                               burstDone.complete(System.nanoTime());
                           }
                           next[0].run();
                       })
                       .onClose((s, code) -> {
                           if (code != 0) {
                               failures[0]++;
                           }
                           if (++ended[0] == BURST) {
                               burstDone.complete(System.nanoTime());
                           }
                           next[0].run();
                       });
                    next[0].run();
                    return null;
                });
                long end = burstDone.get(60, TimeUnit.SECONDS);
                pingLoop.call(l -> {
                    long now = System.nanoTime();
                    for (Pinger p : pingers) { // the gap from the last round trip to the end counts too
                        p.measuring = false;
                        p.maxGapNanos = Math.max(p.maxGapNanos, now - p.lastNanos);
                    }
                    return null;
                });
                double burstMs = (end - start) / 1e6;
                StringBuilder report = new StringBuilder(String.format(
                        "HandshakeBurstTest: %d handshakes in %.0f ms (%d failed); established connections during it:",
                        BURST, burstMs, failures[0]));
                for (Pinger p : pingers) {
                    report.append(String.format(" [%d round trips, max gap %.1f ms, max %d handshakes between]",
                            p.roundTrips, p.maxGapNanos / 1e6, p.maxHandshakesBetween));
                }
                System.out.println(report);

                assertEquals(0, failures[0], report.toString());
                assertEquals(BURST, handshakes.get(), report.toString());
                for (Pinger p : pingers) {
                    // round trips kept flowing: several during the burst, none of it starved for long
                    assertTrue(p.roundTrips >= 10, report.toString());
                    assertTrue(p.maxHandshakesBetween <= BURST / 5, report.toString());
                    assertTrue(p.maxGapNanos < Math.max(TimeUnit.SECONDS.toNanos(2), (end - start) / 4), report.toString());
                }
            }
            assertTrue(pingLoop.errors.isEmpty(), pingLoop.errors.toString());
        }
    }
}
