package org.usockets4j.reliability;

import java.nio.ByteBuffer;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.TreeSet;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicReference;
import java.util.function.Supplier;

import org.usockets4j.ListenSocket;
import org.usockets4j.Loop;
import org.usockets4j.Socket;
import org.usockets4j.SocketContext;
import org.usockets4j.SocketContextOptions;
import org.usockets4j.Timer;
import org.usockets4j.UdpPacketBuffer;
import org.usockets4j.UdpSocket;

/**
 * Throws from every kind of callback, three ways (a RuntimeException, a StackOverflowError from real recursion,
 * an OutOfMemoryError thrown directly), all on one loop: the exception handler must see each one, a socket whose
 * callback threw must close with {@link Socket#CLOSE_CODE_CALLBACK_FAILED} (onPreOpen: the descriptor goes on as
 * a socket; onConnectError, onClose: the socket is already closed), and afterwards the loop still serves a new
 * connection, a TLS connection, a datagram, a timer and a defer. Last, an exception handler that throws itself:
 * nothing escapes, the loop goes on. Returns failures as lines (empty: pass). Used by {@link CallbackFailuresTest}
 * and, under -Xcheck:jni, by {@link ReliabilityJniCheckMain}.
 *
 * <p>Not covered: onLongTimeout (its unit is minutes, at least one: too slow for a test; it is dispatched by the
 * same code as onTimeout, LoopTcp.onTimeout), and UDP onDrain (a loopback sendmmsg never comes back short, the
 * kernel drops instead; its dispatch is the same catch in LoopCore.onUdpDrain as onUdpData's).
 */
final class CallbackFailures {
    /** The callback kinds made to throw in every round. */
    static final List<String> KINDS = List.of("timer", "defer", "pre", "post", "onPreOpen", "onOpen", "onData",
            "onWritable", "onEnd", "onTimeout", "onConnectError", "onClose", "onServerName", "udpOnData");
    /** Kinds whose socket must then be closed with CLOSE_CODE_CALLBACK_FAILED. */
    static final List<String> CLOSING = List.of("onOpen", "onData", "onWritable", "onEnd", "onTimeout");

    private final Path cert;
    private final Path key;
    private final List<String> failures = Collections.synchronizedList(new ArrayList<>());
    /** "variant/kind" -> the class of what the handler saw. */
    private final Map<String, String> seen = new ConcurrentHashMap<>();
    /** "variant/kind" -> the close code of the socket whose callback threw. */
    private final Map<String, Integer> closeCodes = new ConcurrentHashMap<>();
    private final Map<String, Boolean> survivors = new ConcurrentHashMap<>();
    private String armed;
    private CountDownLatch events;

    CallbackFailures(Path dir) throws Exception {
        this.cert = dir.resolve("cb-cert.pem");
        this.key = dir.resolve("cb-key.pem");
        Certificates.selfSigned(cert, key);
    }

    /** The three ways to fail. */
    private static final Map<String, Supplier<Throwable>> VARIANTS = new TreeMap<>(Map.of(
            "exception", () -> new IllegalStateException("planted"),
            "stackoverflow", CallbackFailures::overflow,
            "error", () -> new OutOfMemoryError("planted, not real")));

    private static Throwable overflow() {
        try {
            return new AssertionError("recursion ended at depth " + recurse(0));
        } catch (StackOverflowError e) {
            return e;
        }
    }

    private static int recurse(int depth) {
        return recurse(depth + 1) + 1;
    }

    /** Marks which callback throws next (for the handler) and throws t. */
    private void fail(String variant, String kind) {
        armed = variant + "/" + kind;
        Throwable t = VARIANTS.get(variant).get();
        if (t instanceof RuntimeException r) {
            throw r;
        }
        if (t instanceof StackOverflowError) {
            recurse(0); // thrown for real, from the depth
        }
        throw (Error) t;
    }

    List<String> run() throws Exception {
        Loop<Void> loop = Loop.create();
        loop.exceptionHandler(t -> {
            String at = armed;
            armed = null;
            if (at == null) {
                failures.add("the handler got a throwable no planted callback threw: " + t);
            } else if (seen.put(at, t.getClass().getSimpleName()) != null) {
                failures.add("the handler saw " + at + " twice");
            }
            events.countDown();
        });
        // Per variant: every kind reported once, plus the close code of each closing kind, plus the survivors.
        events = new CountDownLatch(VARIANTS.size() * (KINDS.size() + CLOSING.size() + 3));
        AtomicReference<Throwable> loopFailure = new AtomicReference<>();
        Thread loopThread = new Thread(() -> {
            try {
                loop.run();
            } catch (Throwable t) {
                loopFailure.set(t);
            }
        }, "callback-failures-loop");
        List<AutoCloseable> toClose = Collections.synchronizedList(new ArrayList<>());
        loop.defer(l -> {
            for (String variant : VARIANTS.keySet()) {
                setUp(l, variant, toClose);
            }
        });
        loopThread.start();
        try {
            if (!events.await(40, TimeUnit.SECONDS)) {
                TreeSet<String> missing = new TreeSet<>();
                for (String v : VARIANTS.keySet()) {
                    for (String k : KINDS) {
                        if (!seen.containsKey(v + "/" + k)) {
                            missing.add(v + "/" + k);
                        }
                    }
                }
                failures.add("timed out; the handler never saw " + missing + "; close codes " + closeCodes
                        + "; survivors " + new TreeMap<>(survivors));
            }
            for (String v : VARIANTS.keySet()) {
                String expected = VARIANTS.get(v).get().getClass().getSimpleName();
                for (String k : KINDS) {
                    String got = seen.get(v + "/" + k);
                    if (got != null && !got.equals(expected)) {
                        failures.add(v + "/" + k + ": the handler saw " + got + ", expected " + expected);
                    }
                }
                for (String k : CLOSING) {
                    Integer code = closeCodes.get(v + "/" + k);
                    if (code == null || code != Socket.CLOSE_CODE_CALLBACK_FAILED) {
                        failures.add(v + "/" + k + ": the socket closed with " + code + ", expected "
                                + Socket.CLOSE_CODE_CALLBACK_FAILED);
                    }
                }
            }
            handlerThatThrows(loop);
            afterwardsTheLoopServes(loop);
        } finally {
            loop.handle().defer(l -> {
                for (AutoCloseable c : toClose) {
                    try {
                        c.close();
                    } catch (Exception e) {
                        failures.add("closing " + c + ": " + e);
                    }
                }
                l.close();
            });
            loopThread.join(30_000);
        }
        if (loopThread.isAlive()) {
            failures.add("the loop did not stop after close()");
        }
        if (loopFailure.get() != null) {
            failures.add("run() threw " + loopFailure.get());
        }
        return failures;
    }

    /** Everything of one variant: each kind of callback set to throw once. */
    private void setUp(Loop<Void> loop, String v, List<AutoCloseable> toClose) {
        // timer, defer, pre, post
        Timer<Void> timer = loop.createTimer();
        timer.set(1, 0, t -> fail(v, "timer"));
        toClose.add(timer);
        loop.defer(l -> fail(v, "defer"));
        boolean[] preArmed = {true};
        boolean[] postArmed = {true};
        // pre and post hooks are one per loop: chain them so each variant throws once from each.
        Chain.pre(loop, () -> {
            if (preArmed[0]) {
                preArmed[0] = false;
                fail(v, "pre");
            }
        });
        Chain.post(loop, () -> {
            if (postArmed[0]) {
                postArmed[0] = false;
                fail(v, "post");
            }
        });

        // Clients: one plain context for every connection of this variant.
        SocketContext<String> clients = loop.createSocketContext(SocketContextOptions.plain());
        toClose.add(clients);
        // (The client of the onOpen server may see its connect fail with ECONNRESET: the server's RST can come
        // before the connect completed on this side. Only the refused connect throws.)
        clients.onConnectError((s, code) -> {
            if ("refused".equals(s.ext())) {
                fail(v, "onConnectError");
            }
        });

        // One server context per socket callback, each throwing from that callback only.
        for (String kind : List.of("onPreOpen", "onOpen", "onData", "onWritable", "onEnd", "onTimeout", "onClose")) {
            SocketContext<String> server = loop.createSocketContext(SocketContextOptions.plain());
            toClose.add(server);
            server.onClose((s, code) -> {
                if (CLOSING.contains(kind)) {
                    closeCodes.put(v + "/" + kind, code);
                    events.countDown();
                }
                if (kind.equals("onClose")) {
                    fail(v, "onClose");
                }
            });
            @SuppressWarnings("unchecked")
            Socket<String>[] client = new Socket[1];
            switch (kind) {
                case "onPreOpen" -> {
                    server.onPreOpen((c, fd, ip) -> {
                        fail(v, "onPreOpen");
                        return fd;
                    });
                    // The descriptor goes on as a socket: it opens and echoes.
                    server.onData((s, data) -> s.write(data));
                }
                case "onOpen" -> server.onOpen((s, isClient, ip) -> fail(v, "onOpen"));
                case "onData" -> server.onData((s, data) -> fail(v, "onData"));
                case "onWritable" -> {
                    server.onOpen((s, isClient, ip) -> {
                        // Fill the socket until the kernel refuses more, then let the peer read: onWritable follows.
                        ByteBuffer big = ByteBuffer.allocateDirect(4 << 20);
                        for (int i = 0; i < 64 && !s.isClosed(); i++) {
                            big.clear();
                            if (s.write(big) < big.capacity()) {
                                client[0].resumeReads();
                                return;
                            }
                        }
                        throw new AssertionError("the kernel took 256 MiB without pushing back");
                    });
                    server.onWritable(s -> fail(v, "onWritable"));
                }
                case "onEnd" -> server.onEnd(s -> fail(v, "onEnd"));
                case "onTimeout" -> {
                    server.onOpen((s, isClient, ip) -> s.timeout(1));
                    server.onTimeout(s -> fail(v, "onTimeout"));
                }
                case "onClose" -> server.onOpen((s, isClient, ip) -> s.close());
                default -> throw new AssertionError(kind);
            }
            ListenSocket listener = server.listen("127.0.0.1", 0);
            Socket<String> c = clients.connect("127.0.0.1", listener.port());
            client[0] = c;
            switch (kind) {
                case "onPreOpen" -> {
                    c.setExt("preopen");
                    c.send(ByteBuffer.wrap("ping".getBytes()));
                }
                case "onData" -> c.send(ByteBuffer.wrap(new byte[] {1}));
                case "onWritable" -> c.pauseReads();
                case "onEnd" -> c.shutdown();
                default -> { }
            }
        }
        // The client side: the echo of the onPreOpen socket counts as a survivor.
        clients.onData((s, data) -> {
            if ("preopen".equals(s.ext())) {
                s.setExt("echoed");
                survivors.put(v + "/preopen-echo", true);
                events.countDown();
            }
        });
        clients.connect("127.0.0.1", Ports.closed()).setExt("refused");

        // onServerName on a TLS server; the handshake then goes on with the context's own certificate.
        SocketContext<String> tls = loop.createSocketContext(SocketContextOptions.tls(cert, key));
        toClose.add(tls);
        tls.onServerName((c, host) -> fail(v, "onServerName"));
        tls.onData((s, data) -> s.write(data));
        ListenSocket tlsListener = tls.listen(null, 0);
        SocketContext<String> tlsClients = loop.createSocketContext(SocketContextOptions.tls());
        toClose.add(tlsClients);
        tlsClients.onOpen((s, isClient, ip) -> s.send(ByteBuffer.wrap("sni".getBytes())));
        tlsClients.onData((s, data) -> {
            if (s.ext() == null) {
                s.setExt("echoed");
                survivors.put(v + "/tls-echo", true);
                events.countDown(); // the handshake survived the throw and data flows
            }
        });
        tlsClients.connect("localhost", tlsListener.port());

        // UDP: onData throws for the first datagram; the second, sent only then, is received all the same.
        int[] batches = {0};
        UdpSocket<Void> sender = loop.createUdpSocket("127.0.0.1", 0, null, null);
        toClose.add(sender);
        UdpPacketBuffer out = sender.sendBuffer();
        UdpSocket<Void> udp = loop.createUdpSocket("127.0.0.1", 0, (s, buffer, count) -> {
            if (batches[0]++ == 0) {
                loop.defer(l -> {
                    out.set(0, ByteBuffer.wrap(new byte[] {2}), new byte[] {127, 0, 0, 1}, s.port());
                    sender.send(out, 1);
                });
                fail(v, "udpOnData");
            }
            survivors.put(v + "/udp-second", true);
            events.countDown();
        }, null);
        toClose.add(udp);
        out.set(0, ByteBuffer.wrap(new byte[] {1}), new byte[] {127, 0, 0, 1}, udp.port());
        sender.send(out, 1);
    }

    /** An exception handler that throws: nothing escapes into native code, the loop goes on. */
    private void handlerThatThrows(Loop<Void> loop) throws InterruptedException {
        CountDownLatch ran = new CountDownLatch(2);
        loop.exceptionHandler(t -> {
            ran.countDown();
            throw new IllegalStateException("the handler itself throws (expected in this test)");
        });
        loop.defer(l -> {
            throw new IllegalArgumentException("planted for a throwing handler");
        });
        loop.defer(l -> ran.countDown());
        if (!ran.await(20, TimeUnit.SECONDS)) {
            failures.add("after a throwing exception handler the loop stopped running callbacks");
        }
        loop.exceptionHandler(t -> failures.add("unexpected callback failure: " + t));
    }

    /** A new plain connection echoes, a timer fires: the loop serves on after all of it. */
    private void afterwardsTheLoopServes(Loop<Void> loop) throws InterruptedException {
        CountDownLatch ok = new CountDownLatch(2);
        List<AutoCloseable> made = Collections.synchronizedList(new ArrayList<>());
        loop.defer(l -> {
            SocketContext<String> ctx = l.createSocketContext(SocketContextOptions.plain());
            made.add(ctx);
            ctx.onData((s, data) -> {
                if ("client".equals(s.ext())) {
                    ok.countDown();
                } else {
                    s.write(data);
                }
            });
            ListenSocket listener = ctx.listen("127.0.0.1", 0);
            Socket<String> c = ctx.connect("127.0.0.1", listener.port());
            c.setExt("client");
            c.send(ByteBuffer.wrap("after".getBytes()));
            Timer<Void> t = l.createTimer();
            made.add(t);
            t.set(1, 0, x -> ok.countDown());
        });
        if (!ok.await(20, TimeUnit.SECONDS)) {
            failures.add("after the callback failures the loop no longer echoes a new connection or fires a timer");
        }
        loop.defer(l -> {
            for (AutoCloseable c : made) {
                try {
                    c.close();
                } catch (Exception e) {
                    failures.add("closing " + c + ": " + e);
                }
            }
        });
    }

    /** Pre and post hooks chained, since a loop has one of each. */
    static final class Chain {
        private static final Map<Loop<?>, List<Runnable>> PRE = new ConcurrentHashMap<>();
        private static final Map<Loop<?>, List<Runnable>> POST = new ConcurrentHashMap<>();

        static void pre(Loop<Void> loop, Runnable r) {
            List<Runnable> list = PRE.computeIfAbsent(loop, k -> {
                List<Runnable> l = new ArrayList<>();
                loop.onPre(x -> runAll(l));
                return l;
            });
            list.add(r);
        }

        static void post(Loop<Void> loop, Runnable r) {
            List<Runnable> list = POST.computeIfAbsent(loop, k -> {
                List<Runnable> l = new ArrayList<>();
                loop.onPost(x -> runAll(l));
                return l;
            });
            list.add(r);
        }

        /** Runs the hooks in order; the first that throws stops this round (the next ones run next iteration). */
        private static void runAll(List<Runnable> hooks) {
            for (Runnable r : hooks) {
                r.run();
            }
        }
    }
}
