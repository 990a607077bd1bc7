package org.usockets4j.reliability;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.io.InputStream;
import java.net.InetSocketAddress;
import java.net.SocketTimeoutException;
import java.nio.ByteBuffer;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Random;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;

import javax.net.ssl.SSLContext;
import javax.net.ssl.SSLEngine;
import javax.net.ssl.SSLSocket;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.usockets4j.ListenSocket;
import org.usockets4j.Loop;
import org.usockets4j.LoopHandle;
import org.usockets4j.SocketContext;
import org.usockets4j.SocketContextOptions;
import org.usockets4j.Timer;

/**
 * Hostile input at a TLS echo server with an 8 s idle timeout, for a bounded time (the slowloris clients set it:
 * 4 to 12 s): random bytes, garbage TLS records (a handshake record of nonsense, application data before any
 * handshake, an alert, a record longer than TLS allows), ClientHellos cut in half and followed by FIN, connections
 * that stall mid-handshake or say nothing, and 20 slowloris clients sending a real ClientHello at 1 byte per
 * second. Throughout, a well-behaved JDK client keeps doing round trips: none fails and none waits long. Every
 * garbage connection is hung up on; every stalled, silent and slowloris connection is reaped by the idle timeout
 * within timeout + the 4 s sweep (+ 4 s for a busy machine).
 */
@Timeout(value = 120, unit = TimeUnit.SECONDS, threadMode = Timeout.ThreadMode.SEPARATE_THREAD)
class HostileInputTest {
    /**
     * The idle timeout. Not 4: the sweep runs every 4 s and a timeout of n seconds fires at the ceil(n / 4)-th
     * sweep after it was last set, so 4 s (one sweep) fires at the next sweep even on a socket that just had
     * data; from 8 s on an active socket is safe (as uWebSockets requires of its idleTimeout).
     */
    static final int IDLE_SECONDS = 8;
    static final int SLOWLORIS = 20, STALLED = 10, SILENT = 10;
    /** Reaped within the timeout, the sweep's granularity and slack for a loaded machine. */
    static final long REAP_LIMIT_MS = (IDLE_SECONDS + 4 + 4) * 1000L;
    /** Not before the timeout less one sweep (it counts from the sweep before). */
    static final long REAP_EARLIEST_MS = (IDLE_SECONDS - 4) * 1000L - 500;

    @Test
    void theServerKeepsServingAndReapsTheStalled() throws Exception {
        LoadCerts certs = LoadCerts.make();
        ConcurrentLinkedQueue<Throwable> errors = new ConcurrentLinkedQueue<>();
        AtomicLong serverTimeouts = new AtomicLong(), serverTlsErrors = new AtomicLong(), serverOpens = new AtomicLong();
        CountDownLatch ready = new CountDownLatch(1);
        CountDownLatch ended = new CountDownLatch(1);
        int[] port = new int[1];
        @SuppressWarnings("unchecked")
        LoopHandle<Void>[] handle = new LoopHandle[1];
        Thread loopThread = new Thread(() -> {
            try (Loop<Void> loop = Loop.create()) {
                loop.exceptionHandler(errors::add);
                handle[0] = loop.handle();
                Timer<Void> keepAlive = loop.createTimer();
                keepAlive.set(3_600_000, 3_600_000, t -> { });
                SocketContext<Void> tls = loop.createSocketContext(
                        SocketContextOptions.tls(certs.cert("server"), certs.key("server")));
                tls.onOpen((s, isClient, ip) -> {
                    serverOpens.incrementAndGet();
                    s.timeout(IDLE_SECONDS);
                });
                tls.onData((s, data) -> {
                    s.timeout(IDLE_SECONDS);
                    s.send(data);
                });
                tls.onTimeout(s -> {
                    serverTimeouts.incrementAndGet();
                    s.close();
                });
                tls.onEnd(s -> s.close());
                tls.onClose((s, code) -> {
                    if (code == org.usockets4j.Socket.CLOSE_CODE_TLS_ERROR) {
                        serverTlsErrors.incrementAndGet();
                    }
                });
                ListenSocket l = tls.listen("127.0.0.1", 0);
                port[0] = l.port();
                ready.countDown();
                loop.run();
            } catch (Throwable t) {
                errors.add(t);
            } finally {
                ready.countDown();
                ended.countDown();
            }
        }, "hostile-server");
        loopThread.start();
        assertTrue(ready.await(30, TimeUnit.SECONDS));
        int p = port[0];
        byte[] hello = clientHello(certs.jdkClient(true), p);

        // the well-behaved client: round trips until told to stop
        AtomicLong roundTrips = new AtomicLong(), longestGapNanos = new AtomicLong();
        ConcurrentLinkedQueue<Throwable> goodFailures = new ConcurrentLinkedQueue<>();
        CountDownLatch stopGood = new CountDownLatch(1);
        Thread good = new Thread(() -> {
            try (SSLSocket s = (SSLSocket) certs.jdkClient(true).getSocketFactory().createSocket()) {
                s.connect(new InetSocketAddress("127.0.0.1", p), 10_000);
                s.setSoTimeout(20_000);
                s.startHandshake();
                byte[] msg = new byte[64];
                byte[] back = new byte[64];
                long last = System.nanoTime();
                Random r = new Random(1);
                while (stopGood.getCount() > 0) {
                    r.nextBytes(msg);
                    s.getOutputStream().write(msg);
                    s.getOutputStream().flush();
                    int got = 0;
                    while (got < back.length) {
                        int n = s.getInputStream().read(back, got, back.length - got);
                        if (n < 0) {
                            throw new IOException("the server hung up on the good client");
                        }
                        got += n;
                    }
                    assertArrayEquals(msg, back);
                    long now = System.nanoTime();
                    longestGapNanos.accumulateAndGet(now - last, Math::max);
                    last = now;
                    roundTrips.incrementAndGet();
                    stopGood.await(20, TimeUnit.MILLISECONDS); // a steady trickle, not a flood
                }
            } catch (Throwable t) {
                goodFailures.add(t);
            }
        }, "good-client");
        good.start();
        while (roundTrips.get() == 0 && goodFailures.isEmpty() && good.isAlive()) {
            Thread.onSpinWait();
        }
        long attackStart = System.nanoTime();

        // stalled (half a ClientHello), silent and slowloris connections: each records when the server hung up
        List<Held> held = new ArrayList<>();
        for (int i = 0; i < STALLED; i++) {
            held.add(new Held("stalled", p, Arrays.copyOf(hello, hello.length / 2)));
        }
        for (int i = 0; i < SILENT; i++) {
            held.add(new Held("silent", p, new byte[0]));
        }
        List<Held> slow = new ArrayList<>();
        for (int i = 0; i < SLOWLORIS; i++) {
            Held h = new Held("slowloris", p, new byte[0]);
            held.add(h);
            slow.add(h);
        }
        // slowloris pacing: one byte of the ClientHello per second to each, until the server hangs up (bounded)
        Thread pacer = new Thread(() -> {
            for (int sec = 0; sec < REAP_LIMIT_MS / 1000 + 2; sec++) {
                boolean any = false;
                for (Held h : slow) {
                    if (h.closedAfterMs.get() < 0 && sec < hello.length) {
                        any = true;
                        try {
                            h.socket.getOutputStream().write(hello[sec]);
                            h.socket.getOutputStream().flush();
                        } catch (IOException e) {
                            // the server hung up: the reader notes when
                        }
                    }
                }
                if (!any) {
                    return;
                }
                try {
                    Thread.sleep(1000); // the attack's own pace (1 byte per second), not synchronisation
                } catch (InterruptedException e) {
                    return;
                }
            }
        }, "slowloris");
        pacer.start();

        // garbage, in rounds, while the held connections wait to be reaped
        Random rnd = new Random(42);
        int garbageConnections = 0;
        AtomicInteger notHungUp = new AtomicInteger();
        List<String> garbageProblems = new ArrayList<>();
        while (held.stream().anyMatch(h -> h.closedAfterMs.get() < 0)
                && System.nanoTime() - attackStart < TimeUnit.MILLISECONDS.toNanos(REAP_LIMIT_MS + 10_000)) {
            for (byte[] junk : garbage(rnd, hello)) {
                garbageConnections++;
                String why = expectHangUp(p, junk, rnd.nextBoolean());
                if (why != null) {
                    notHungUp.incrementAndGet();
                    garbageProblems.add(why);
                }
            }
        }
        for (Held h : held) {
            h.reader.join(REAP_LIMIT_MS + 10_000);
        }
        pacer.join(30_000);
        long attackMs = TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - attackStart);
        stopGood.countDown();
        good.join(30_000);
        handle[0].defer(Loop::close);
        assertTrue(ended.await(30, TimeUnit.SECONDS));

        long longestReap = 0, shortestReap = Long.MAX_VALUE;
        for (Held h : held) {
            long ms = h.closedAfterMs.get();
            longestReap = Math.max(longestReap, ms);
            shortestReap = Math.min(shortestReap, ms);
        }
        long gapMs = TimeUnit.NANOSECONDS.toMillis(longestGapNanos.get());
        System.out.printf("HOSTILE attackMs=%d garbageConnections=%d stalled=%d silent=%d slowloris=%d"
                + " reapedMinMs=%d reapedMaxMs=%d serverTimeouts=%d serverTlsErrors=%d goodRoundTrips=%d"
                + " goodLongestGapMs=%d%n", attackMs, garbageConnections, STALLED, SILENT, SLOWLORIS, shortestReap,
                longestReap, serverTimeouts.get(), serverTlsErrors.get(), roundTrips.get(), gapMs);
        assertEquals(List.of(), List.copyOf(errors));
        assertEquals(List.of(), List.copyOf(goodFailures));
        for (Held h : held) {
            long ms = h.closedAfterMs.get();
            assertTrue(ms >= 0, h.kind + " was never hung up on");
            assertTrue(ms <= REAP_LIMIT_MS, h.kind + " was hung up on after " + ms + " ms, more than " + REAP_LIMIT_MS);
        }
        assertTrue(shortestReap >= REAP_EARLIEST_MS, "reaped before the idle timeout: " + shortestReap + " ms");
        assertTrue(serverTimeouts.get() >= held.size(), "server timeouts " + serverTimeouts.get());
        assertEquals(List.of(), garbageProblems);
        assertTrue(roundTrips.get() >= attackMs / 1000, "round trips " + roundTrips.get() + " in " + attackMs + " ms");
        assertTrue(gapMs < 5_000, "the good client waited " + gapMs + " ms for a round trip");
    }

    /** A connection the server should reap: sends first, then waits for the hang-up and notes when it came. */
    static final class Held {
        final String kind;
        final java.net.Socket socket = new java.net.Socket();
        final AtomicLong closedAfterMs = new AtomicLong(-1);
        final Thread reader;

        Held(String kind, int port, byte[] first) throws IOException {
            this.kind = kind;
            long start = System.nanoTime();
            socket.connect(new InetSocketAddress("127.0.0.1", port), 10_000);
            if (first.length > 0) {
                socket.getOutputStream().write(first);
                socket.getOutputStream().flush();
            }
            socket.setSoTimeout((int) REAP_LIMIT_MS + 5_000);
            reader = new Thread(() -> {
                try (InputStream in = socket.getInputStream()) {
                    byte[] sink = new byte[4096];
                    while (in.read(sink) >= 0) {
                        // an alert perhaps; wait for the end
                    }
                } catch (SocketTimeoutException e) {
                    return; // never hung up: closedAfterMs stays -1
                } catch (IOException e) {
                    // a reset is a hang-up too
                }
                closedAfterMs.set(TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - start));
                try {
                    socket.close();
                } catch (IOException ignored) {
                    // closing a socket the server already closed
                }
            }, "held-" + kind);
            reader.start();
        }
    }

    /** One round of garbage: random bytes, nonsense records, and a ClientHello cut in half. */
    private static List<byte[]> garbage(Random rnd, byte[] hello) {
        List<byte[]> out = new ArrayList<>();
        byte[] random = new byte[1 + rnd.nextInt(16 * 1024)];
        rnd.nextBytes(random);
        random[0] = (byte) (0x30 + rnd.nextInt(0x40)); // not a record type
        out.add(random);
        byte[] handshake = new byte[5 + 300];
        rnd.nextBytes(handshake);
        handshake[0] = 0x16;
        handshake[1] = 0x03;
        handshake[2] = 0x01;
        handshake[3] = 0x01;
        handshake[4] = 0x2c; // 300 bytes of nonsense as a handshake record
        out.add(handshake);
        byte[] appData = {0x17, 0x03, 0x03, 0x00, 0x10, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16};
        out.add(appData);
        byte[] alert = {0x15, 0x03, 0x03, 0x00, 0x02, 0x02, 0x28};
        out.add(alert);
        byte[] tooLong = {0x16, 0x03, 0x03, (byte) 0x7f, (byte) 0xff, 1, 2, 3}; // longer than any TLS record
        out.add(tooLong);
        out.add(Arrays.copyOf(hello, hello.length / 2)); // cut short, then FIN (when finish)
        return out;
    }

    /** Sends bytes (then FIN when finish); null when the server hung up within 10 s, else why not. */
    private static String expectHangUp(int port, byte[] bytes, boolean finish) throws IOException {
        try (java.net.Socket s = new java.net.Socket()) {
            s.connect(new InetSocketAddress("127.0.0.1", port), 10_000);
            s.setSoTimeout(10_000 + IDLE_SECONDS * 1000 + 4_000);
            try {
                s.getOutputStream().write(bytes);
                s.getOutputStream().flush();
                if (finish) {
                    s.shutdownOutput();
                }
                InputStream in = s.getInputStream();
                byte[] sink = new byte[4096];
                while (in.read(sink) >= 0) {
                    // an alert may come first
                }
            } catch (SocketTimeoutException e) {
                return "no hang-up after " + bytes.length + " bytes starting " + bytes[0];
            } catch (IOException reset) {
                // a reset is a hang-up too
            }
            return null;
        }
    }

    /** A real TLS 1.3 ClientHello record as the JDK sends it. */
    private static byte[] clientHello(SSLContext context, int port) throws Exception {
        SSLEngine engine = context.createSSLEngine("localhost", port);
        engine.setUseClientMode(true);
        engine.beginHandshake();
        ByteBuffer out = ByteBuffer.allocate(engine.getSession().getPacketBufferSize());
        engine.wrap(ByteBuffer.allocate(0), out);
        out.flip();
        byte[] hello = new byte[out.remaining()];
        out.get(hello);
        return hello;
    }
}
