package org.usockets4j.reliability;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.net.DatagramSocket;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.nio.ByteBuffer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicReference;
import java.util.stream.Stream;

import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;
import org.usockets4j.ListenSocket;
import org.usockets4j.Loop;
import org.usockets4j.Socket;
import org.usockets4j.SocketContext;
import org.usockets4j.SocketContextOptions;
import org.usockets4j.Timer;
import org.usockets4j.UdpPacketBuffer;
import org.usockets4j.UdpSocket;

/**
 * Loop.close() with timers, plain and TLS contexts, listeners (TCP and unix), established and connecting sockets,
 * UDP sockets and packet buffers still open releases all of them: every socket's onClose runs (code 0; connecting
 * ones too),
 * every object reports closed, the loop's bookkeeping is empty, no descriptor it opened is left in /proc/self/fd,
 * and the ports can be bound again. Once closing from inside the running loop, once before it ever ran.
 */
@Timeout(value = 60, unit = TimeUnit.SECONDS, threadMode = Timeout.ThreadMode.SEPARATE_THREAD)
class LoopCloseReleaseTest {
    private static final InetAddress LO = InetAddress.getLoopbackAddress();
    @TempDir
    static Path dir;
    private static Path cert;
    private static Path key;

    @BeforeAll
    static void certificate() throws Exception {
        cert = dir.resolve("cert.pem");
        key = dir.resolve("key.pem");
        Certificates.selfSigned(cert, key);
    }

    /** What one set-up made, to check after the close. */
    private static final class Made {
        final List<Object> objects = new ArrayList<>();
        final java.util.Set<Socket<String>> sockets = java.util.Collections.newSetFromMap(new java.util.IdentityHashMap<>());
        final List<Integer> tcpPorts = new ArrayList<>();
        SocketContext<String> plain;
        int udpPort;
        final AtomicInteger opened = new AtomicInteger();
        final AtomicInteger closedClean = new AtomicInteger();
        final AtomicInteger closedOther = new AtomicInteger();
        final CountDownLatch established = new CountDownLatch(4);
    }

    private static Made setUp(Loop<Void> loop, int n) {
        Made m = new Made();
        Timer<Void> armed = loop.createTimer();
        armed.set(60_000, 60_000, t -> { });
        Timer<Void> idle = loop.createTimer(true);
        m.objects.add(armed);
        m.objects.add(idle);
        for (SocketContextOptions options : List.of(SocketContextOptions.plain(), SocketContextOptions.tls(cert, key))) {
            SocketContext<String> ctx = loop.createSocketContext(options);
            m.objects.add(ctx);
            if (!ctx.isTls()) {
                m.plain = ctx;
            }
            ctx.onOpen((s, isClient, ip) -> {
                m.opened.incrementAndGet();
                m.sockets.add(s);
                m.established.countDown();
            });
            ctx.onClose((s, code) -> (code == 0 ? m.closedClean : m.closedOther).incrementAndGet());
            ListenSocket l = ctx.listen("127.0.0.1", 0);
            m.objects.add(l);
            m.tcpPorts.add(l.port());
            Socket<String> c = ctx.connect("127.0.0.1", l.port());
            c.send(ByteBuffer.wrap(new byte[] {1, 2, 3})); // unsent data waiting in the socket's buffer
            m.sockets.add(c);
            if (ctx.isTls()) {
                m.objects.add(ctx.listenUnix(dir.resolve("u" + n + ".sock")));
            }
        }
        UdpSocket<Void> udp = loop.createUdpSocket("127.0.0.1", 0, (s, b, count) -> { }, null);
        m.udpPort = udp.port();
        m.objects.add(udp);
        UdpPacketBuffer own = udp.sendBuffer();
        UdpPacketBuffer user = loop.createUdpPacketBuffer();
        user.set(0, ByteBuffer.wrap(new byte[] {1}), new byte[] {127, 0, 0, 1}, m.udpPort);
        m.objects.add(own);
        m.objects.add(user);
        return m;
    }

    @Test
    void closingFromInsideTheRunningLoopReleasesEverything() throws Exception {
        warmUp();
        Map<Integer, String> before = ourDescriptors();
        Loop<Void> loop = Loop.create();
        Made m = setUp(loop, 1);
        AtomicReference<Throwable> failure = new AtomicReference<>();
        Thread t = new Thread(() -> {
            try {
                loop.run();
            } catch (Throwable x) {
                failure.set(x);
            }
        }, "release-loop");
        t.start();
        assertTrue(m.established.await(20, TimeUnit.SECONDS), "connections did not open");
        loop.handle().defer(l -> { // one more connect, still under way when the loop closes
            m.sockets.add(m.plain.connect("127.0.0.1", m.tcpPorts.get(0)));
            l.close();
        });
        t.join(20_000);
        assertTrue(!t.isAlive() && failure.get() == null, "run() did not return cleanly: " + failure.get());
        check(loop, m, before, 4);
    }

    @Test
    void closingALoopThatNeverRanReleasesEverything() throws Exception {
        warmUp();
        Map<Integer, String> before = ourDescriptors();
        Loop<Void> loop = Loop.create();
        Made m = setUp(loop, 2);
        assertTrue(ourDescriptors().size() > before.size() + 5, "the set-up opened no descriptors?");
        loop.close();
        check(loop, m, before, 0);
    }

    private static void check(Loop<Void> loop, Made m, Map<Integer, String> before, int opened) throws Exception {
        assertEquals(opened == 0 ? 2 : 5, m.sockets.size(), "sockets made");
        assertTrue(loop.isClosed());
        assertEquals(opened, m.opened.get());
        // Connecting sockets too: closing a context (here: with its loop) closes each of its sockets with onClose.
        assertEquals(m.sockets.size(), m.closedClean.get(), "every socket's onClose ran with code 0");
        assertEquals(0, m.closedOther.get());
        for (Socket<String> s : m.sockets) {
            assertTrue(s.isClosed(), s + " still open");
        }
        for (Object o : m.objects) {
            boolean closed = (boolean) o.getClass().getMethod("isClosed").invoke(o);
            assertTrue(closed, o + " still open");
        }
        assertEquals(0, LeakCounters.live(loop), LeakCounters.describe(loop));
        Map<Integer, String> after = ourDescriptors();
        after.keySet().removeAll(before.keySet());
        assertEquals(Map.of(), after, "descriptors left open after Loop.close()");
        for (int port : m.tcpPorts) {
            try (ServerSocket s = new ServerSocket()) {
                s.bind(new InetSocketAddress(LO, port));
            }
        }
        try (DatagramSocket d = new DatagramSocket(new InetSocketAddress(LO, m.udpPort))) {
            assertEquals(m.udpPort, d.getLocalPort());
        }
    }

    /** Loads what a first loop loads (the library, OpenSSL's files), so the descriptor count is steady. */
    private static void warmUp() {
        Loop<Void> loop = Loop.create();
        setUp(loop, 0);
        loop.close();
    }

    /** This process's sockets, epoll, eventfd and timerfd descriptors: number to what it points at. */
    private static Map<Integer, String> ourDescriptors() throws IOException {
        Map<Integer, String> out = new TreeMap<>();
        try (Stream<Path> fds = Files.list(Path.of("/proc/self/fd"))) {
            for (Path fd : (Iterable<Path>) fds::iterator) {
                try {
                    String target = Files.readSymbolicLink(fd).toString();
                    if (target.startsWith("socket:") || target.startsWith("anon_inode:")) {
                        out.put(Integer.parseInt(fd.getFileName().toString()), target);
                    }
                } catch (IOException gone) {
                    // closed while listing (the listing's own descriptor)
                }
            }
        }
        return out;
    }
}
