package org.usockets4j.reliability;

import java.io.IOException;
import java.io.OutputStream;
import java.net.DatagramPacket;
import java.net.DatagramSocket;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.nio.ByteBuffer;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.function.Consumer;

import org.usockets4j.ListenSocket;
import org.usockets4j.Loop;
import org.usockets4j.Socket;
import org.usockets4j.SocketContext;
import org.usockets4j.SocketContextOptions;
import org.usockets4j.Timer;
import org.usockets4j.UdpSocket;

/**
 * Closing things from inside callbacks while other events of the same iteration still wait: the loop from every
 * kind of callback, a context or listener while accepts are queued, a socket, timer or UDP socket whose own event
 * is next in the batch. The JVM must not crash, every scenario must end (run() returns) and leave nothing
 * registered. Each scenario is a method returning a failure line or null.
 */
final class CloseInsideCallbacks {
    private static final InetAddress LO = InetAddress.getLoopbackAddress();
    private final Path cert;
    private final Path key;
    private final List<String> failures = new ArrayList<>();

    CloseInsideCallbacks(Path dir) throws Exception {
        cert = dir.resolve("close-cert.pem");
        key = dir.resolve("close-key.pem");
        Certificates.selfSigned(cert, key);
    }

    List<String> run() throws Exception {
        for (String kind : List.of("onOpen", "onData", "onEnd", "onClose", "onWritable", "onTimeout", "onConnectError",
                "onPreOpen", "timer", "defer", "pre", "post", "udpOnData", "onServerName", "tlsOnOpen", "tlsOnData",
                "tlsOnClose")) {
            scenario("Loop.close() inside " + kind, l -> loopCloseInside(l, kind));
        }
        scenario("SocketContext.close() inside its onPreOpen with more connections queued", this::contextCloseInPreOpen);
        scenario("ListenSocket.close() inside onOpen with more connections queued", l -> listenerCloseInOpen(l, false));
        scenario("SocketContext.close() inside onOpen with more connections queued", l -> listenerCloseInOpen(l, true));
        scenario("closing every other socket inside the first onData of a batch", this::othersClosedInData);
        scenario("closing the other due timer inside a timer callback", this::timerClosesOtherTimer);
        scenario("closing the other UDP socket inside onData of a batch", this::udpClosesOtherUdp);
        for (String kind : List.of("onPreOpen", "onOpen", "onData", "onEnd", "onClose", "onWritable", "onConnectError",
                "timer", "defer", "pre", "post", "udpOnData", "onServerName", "tlsOnOpen", "tlsOnData", "tlsOnClose")) {
            scenario("Loop.close() inside the exception handler, after " + kind + " threw", l -> {
                Runnable[] thrower = {() -> {
                    throw new Planted();
                }};
                l.exceptionHandler(t -> {
                    if (!(t instanceof Planted)) {
                        failures.add("the exception handler got " + t);
                    }
                    l.close();
                });
                loopCloseInside(l, kind, thrower[0]);
            });
        }
        scenario("Socket.close() inside onServerName: refused, the close deferred instead", this::socketCloseInServerName);
        scenario("adopting a socket inside onData, then closing its old context there", this::adoptThenCloseOld);
        scenario("Loop.close() inside onOpen with 40 TLS handshakes under way", this::closeDuringHandshakeBurst);
        return failures;
    }

    /** The server sockets of a TLS context (open before their handshakes) closed from its onServerName. */
    private void socketCloseInServerName(Loop<Void> loop) {
        SocketContext<String> tls = loop.createSocketContext(SocketContextOptions.tls(cert, key));
        List<Socket<String>> servers = new ArrayList<>();
        int[] refused = {0};
        int[] closed = {0};
        tls.onOpen((s, c, ip) -> servers.add(s));
        ListenSocket l = tls.listen(null, 0);
        tls.onServerName((c, host) -> {
            for (Socket<String> s : servers) {
                if (!s.isClosed()) {
                    try {
                        s.close();
                        failures.add("Socket.close() inside onServerName was not refused");
                    } catch (org.usockets4j.UsException e) {
                        refused[0]++;
                        loop.defer(x -> {
                            if (!s.isClosed()) {
                                s.close();
                            }
                        });
                    }
                }
            }
        });
        SocketContext<String> clients = loop.createSocketContext(SocketContextOptions.tls());
        clients.onClose((s, code) -> {
            if (++closed[0] == 3) {
                l.close();
                if (refused[0] == 0) {
                    failures.add("no close was refused inside onServerName");
                }
            }
        });
        for (int i = 0; i < 3; i++) {
            clients.connect("localhost", l.port()).send(ByteBuffer.wrap(new byte[] {1}));
        }
    }

    private void adoptThenCloseOld(Loop<Void> loop) {
        SocketContext<String> first = loop.createSocketContext(SocketContextOptions.plain());
        SocketContext<String> second = loop.createSocketContext(SocketContextOptions.plain());
        second.onData((s, d) -> s.close());
        second.onClose((s, code) -> second.close());
        first.onData((s, d) -> {
            if (s.ext() == null) { // the accepted side
                Socket<String> moved = second.adopt(s);
                first.close(); // the client and the listener go; the moved socket lives on in second
                moved.send(ByteBuffer.wrap(new byte[] {2})); // then ends on the client's FIN
            }
        });
        ListenSocket l = first.listen("127.0.0.1", 0);
        Socket<String> c = first.connect("127.0.0.1", l.port());
        c.setExt("client");
        c.send(ByteBuffer.wrap(new byte[] {1}));
    }

    private void closeDuringHandshakeBurst(Loop<Void> loop) {
        SocketContext<String> tls = loop.createSocketContext(SocketContextOptions.tls(cert, key));
        SocketContext<String> clients = loop.createSocketContext(SocketContextOptions.tls());
        int[] opened = {0};
        tls.onOpen((s, c, ip) -> {
            if (++opened[0] == 20) {
                loop.close();
            }
        });
        ListenSocket l = tls.listen("127.0.0.1", 0);
        for (int i = 0; i < 40; i++) {
            clients.connect("127.0.0.1", l.port()).send(ByteBuffer.wrap(new byte[] {1}));
        }
    }

    /** Runs one scenario on a fresh loop on this thread; a watchdog closes the loop after 20 s. */
    private void scenario(String name, Consumer<Loop<Void>> setUp) {
        if (Boolean.getBoolean("usockets4j.test.verbose")) {
            System.out.println("scenario: " + name);
        }
        Loop<Void> loop = Loop.create();
        List<Throwable> reported = new ArrayList<>();
        loop.exceptionHandler(reported::add);
        Timer<Void> watchdog = loop.createTimer(true);
        boolean[] timedOut = {false};
        watchdog.set(20_000, 0, t -> {
            timedOut[0] = true;
            t.loop().close();
        });
        try {
            setUp.accept(loop);
            loop.run();
        } catch (Throwable t) {
            failures.add(name + ": threw " + t);
        } finally {
            loop.close();
            closePeers();
        }
        if (timedOut[0]) {
            failures.add(name + ": did not end within 20 s");
        }
        for (Throwable t : reported) {
            failures.add(name + ": a callback threw " + t);
        }
        int live = LeakCounters.live(loop);
        if (live != 0) {
            failures.add(name + ": left " + LeakCounters.describe(loop));
        }
    }

    private void loopCloseInside(Loop<Void> loop, String kind) {
        loopCloseInside(loop, kind, loop::close);
    }

    /** Sets up the callback kind to run close (the loop's close(), or a throw whose handler closes the loop). */
    private void loopCloseInside(Loop<Void> loop, String kind, Runnable close) {
        SocketContext<String> ctx = loop.createSocketContext(SocketContextOptions.plain());
        switch (kind) {
            case "onOpen" -> ctx.onOpen((s, c, ip) -> close.run());
            case "onData" -> ctx.onData((s, d) -> close.run());
            case "onEnd" -> ctx.onEnd(s -> close.run());
            case "onClose" -> ctx.onClose((s, code) -> close.run());
            case "onWritable" -> {
                ctx.onWritable(s -> close.run());
                ctx.onOpen((s, c, ip) -> {
                    if (!c) {
                        ByteBuffer big = ByteBuffer.allocateDirect(8 << 20);
                        while (s.write(big.clear()) == big.capacity()) {
                            // until the kernel pushes back; the peer reads, onWritable follows
                        }
                    }
                });
            }
            case "onTimeout" -> {
                ctx.onOpen((s, c, ip) -> s.timeout(1));
                ctx.onTimeout(s -> close.run());
            }
            case "onConnectError" -> ctx.onConnectError((s, code) -> close.run());
            case "onPreOpen" -> ctx.onPreOpen((c, fd, ip) -> {
                close.run();
                return fd;
            });
            case "timer" -> loop.createTimer().set(1, 0, t -> close.run());
            case "defer" -> loop.defer(l -> close.run());
            case "pre" -> loop.onPre(l -> close.run());
            case "post" -> loop.onPost(l -> close.run());
            case "udpOnData" -> {
                UdpSocket<Void> a = loop.createUdpSocket("127.0.0.1", 0, (s, b, n) -> close.run(), null);
                UdpSocket<Void> b = loop.createUdpSocket("127.0.0.1", 0, (s, buf, n) -> close.run(), null);
                datagrams(a.port(), 3);
                datagrams(b.port(), 3);
            }
            case "onServerName" -> {
                SocketContext<String> tls = loop.createSocketContext(SocketContextOptions.tls(cert, key));
                tls.onServerName((c, host) -> close.run());
                ListenSocket l = tls.listen(null, 0);
                SocketContext<String> clients = loop.createSocketContext(SocketContextOptions.tls());
                clients.connect("localhost", l.port());
                clients.connect("localhost", l.port());
            }
            case "tlsOnOpen", "tlsOnData", "tlsOnClose" -> {
                SocketContext<String> tls = loop.createSocketContext(SocketContextOptions.tls(cert, key));
                switch (kind) {
                    case "tlsOnOpen" -> tls.onOpen((s, c, ip) -> close.run());
                    case "tlsOnData" -> tls.onData((s, d) -> close.run());
                    default -> {
                        tls.onOpen((s, c, ip) -> s.close());
                        tls.onClose((s, code) -> close.run());
                    }
                }
                ListenSocket l = tls.listen("127.0.0.1", 0);
                SocketContext<String> clients = loop.createSocketContext(SocketContextOptions.tls());
                for (int i = 0; i < 3; i++) {
                    clients.connect("127.0.0.1", l.port()).send(ByteBuffer.wrap(new byte[] {1, 2, 3}));
                }
                return;
            }
            default -> throw new AssertionError(kind);
        }
        if (kind.equals("onConnectError")) {
            ctx.connect("127.0.0.1", Ports.closed());
            ctx.connect("127.0.0.1", Ports.closed());
            return;
        }
        ListenSocket listener = ctx.listen("127.0.0.1", 0);
        for (int i = 0; i < 3; i++) {
            Socket<String> c = ctx.connect("127.0.0.1", listener.port());
            c.send(ByteBuffer.wrap(new byte[] {1, 2}));
            if (kind.equals("onEnd") || kind.equals("onClose")) {
                c.shutdown();
            }
        }
    }

    /** Three connections wait in the backlog; the first onPreOpen closes the context. */
    private void contextCloseInPreOpen(Loop<Void> loop) {
        SocketContext<String> ctx = loop.createSocketContext(SocketContextOptions.plain());
        ctx.onPreOpen((c, fd, ip) -> {
            c.close();
            return fd;
        });
        ListenSocket l = ctx.listen("127.0.0.1", 0);
        javaClients(l.port(), 3);
    }

    private void listenerCloseInOpen(Loop<Void> loop, boolean wholeContext) {
        SocketContext<String> ctx = loop.createSocketContext(SocketContextOptions.plain());
        ListenSocket[] l = new ListenSocket[1];
        ctx.onOpen((s, c, ip) -> {
            if (wholeContext) {
                ctx.close();
            } else {
                l[0].close();
                s.close();
            }
        });
        l[0] = ctx.listen("127.0.0.1", 0);
        javaClients(l[0].port(), 3);
    }

    /** Three sockets have data in the same iteration; the first onData closes all three. */
    private void othersClosedInData(Loop<Void> loop) {
        SocketContext<String> ctx = loop.createSocketContext(SocketContextOptions.plain());
        List<Socket<String>> servers = new ArrayList<>();
        ListenSocket[] l = new ListenSocket[1];
        ctx.onOpen((s, c, ip) -> {
            servers.add(s);
            if (servers.size() == 3) {
                l[0].close();
            }
        });
        ctx.onData((s, d) -> {
            for (Socket<String> x : servers) {
                if (!x.isClosed()) {
                    x.close();
                }
            }
        });
        l[0] = ctx.listen("127.0.0.1", 0);
        List<java.net.Socket> clients = javaClients(l[0].port(), 3);
        Timer<Void> t = loop.createTimer();
        t.set(1, 1, x -> {
            if (servers.size() == 3) {
                x.close();
                for (java.net.Socket c : clients) { // all three write before the loop polls again
                    try {
                        OutputStream out = c.getOutputStream();
                        out.write(1);
                        out.flush();
                    } catch (IOException e) {
                        throw new IllegalStateException(e);
                    }
                }
            }
        });
    }

    /** Two timers due in the same iteration; whichever fires first closes the other. */
    private void timerClosesOtherTimer(Loop<Void> loop) {
        List<Timer<Void>> timers = new ArrayList<>();
        for (int i = 0; i < 2; i++) {
            Timer<Void> t = loop.createTimer();
            timers.add(t);
            t.set(1, 0, self -> {
                for (Timer<Void> x : timers) {
                    x.close();
                }
            });
        }
        long until = System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(20);
        while (System.nanoTime() < until) {
            Thread.onSpinWait(); // both timers are due when run() polls the first time
        }
    }

    /** Two UDP sockets with datagrams waiting; the first onData closes both. */
    private void udpClosesOtherUdp(Loop<Void> loop) {
        List<UdpSocket<Void>> sockets = new ArrayList<>();
        for (int i = 0; i < 2; i++) {
            UdpSocket<Void> u = loop.createUdpSocket("127.0.0.1", 0, (s, b, n) -> {
                for (UdpSocket<Void> x : sockets) {
                    x.close();
                }
            }, null);
            sockets.add(u);
            datagrams(u.port(), 5);
        }
    }

    // ------------------------------------------------------------------------------------------ peers

    private final List<AutoCloseable> peers = new ArrayList<>();

    private List<java.net.Socket> javaClients(int port, int n) {
        List<java.net.Socket> out = new ArrayList<>();
        try {
            for (int i = 0; i < n; i++) {
                java.net.Socket s = new java.net.Socket();
                s.connect(new InetSocketAddress(LO, port), 5_000); // completes in the kernel's backlog
                peers.add(s);
                out.add(s);
            }
        } catch (IOException e) {
            throw new IllegalStateException(e);
        }
        return out;
    }

    private static void datagrams(int port, int n) {
        try (DatagramSocket d = new DatagramSocket(0, LO)) {
            for (int i = 0; i < n; i++) {
                d.send(new DatagramPacket(new byte[] {(byte) i}, 1, LO, port));
            }
        } catch (IOException e) {
            throw new IllegalStateException(e);
        }
    }

    /** What the handler scenarios throw. */
    private static final class Planted extends RuntimeException {
        private static final long serialVersionUID = 1L;

        Planted() {
            super("planted", null, false, false);
        }
    }

    void closePeers() {
        for (AutoCloseable c : peers) {
            try {
                c.close();
            } catch (Exception ignored) {
                // a peer the loop already reset
            }
        }
        peers.clear();
    }
}
