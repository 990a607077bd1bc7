package org.usockets4j.reliability;

import java.lang.reflect.InvocationTargetException;
import java.lang.reflect.Method;
import java.lang.reflect.Modifier;
import java.net.InetSocketAddress;
import java.net.URISyntaxException;
import java.nio.ByteBuffer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeSet;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicReference;
import java.util.function.BiFunction;
import java.util.function.Consumer;
import java.util.function.Function;
import java.util.stream.Collectors;
import java.util.stream.Stream;

import org.usockets4j.ListenSocket;
import org.usockets4j.Loop;
import org.usockets4j.LoopHandle;
import org.usockets4j.LoopMetrics;
import org.usockets4j.Native;
import org.usockets4j.Socket;
import org.usockets4j.SocketContext;
import org.usockets4j.SocketContextOptions;
import org.usockets4j.Timer;
import org.usockets4j.UdpPacketBuffer;
import org.usockets4j.UdpSocket;
import org.usockets4j.UsException;
import org.usockets4j.UsException.Kind;

/**
 * Walks every public method of every public class of org.usockets4j through the bad states of issue 6: from a
 * thread that is not the loop's while it runs, with bad arguments, on objects closed one by one (and a second
 * close), on objects of a closed loop, and inside callbacks after closing the object. Every method needs a
 * recipe here (its arguments and what each state must give), so a new public method fails the walk until it is
 * covered. Returns the failures as readable lines; an empty list is a pass. Used by {@link MisuseWalkerTest} and,
 * under -Xcheck:jni, by {@link ReliabilityJniCheckMain}.
 */
final class MisuseWalk {
    /** Who may call a method when. */
    enum Policy {
        /** Loop thread only; CLOSED once the object is closed. */
        LOOP,
        /** Any thread, any state: must not throw. */
        FREE,
        /** close(): loop thread while open; a no-op once closed (also a second time). */
        CLOSE,
        /** A static method: called once, valid arguments must work. */
        STATIC
    }

    /** An expected outcome: a UsException kind, an exception type, or none. */
    record Expect(Kind kind, Class<? extends Throwable> type) {
        static final Expect OK = new Expect(null, null);

        static Expect of(Kind kind) {
            return new Expect(kind, UsException.class);
        }

        static Expect of(Class<? extends Throwable> type) {
            return new Expect(null, type);
        }

        @Override
        public String toString() {
            return type == null ? "no exception" : kind != null ? "UsException(" + kind + ")" : type.getSimpleName();
        }
    }

    /** A bad-argument case: what, the arguments, what it must give. */
    record Bad(String what, BiFunction<Fixture, Object, Object[]> args, Expect expect) {
    }

    /** How to call one public method. */
    static final class Recipe {
        final Class<?> owner;
        final String signature;
        final Policy policy;
        Function<Fixture, List<?>> targets;
        BiFunction<Fixture, Object, Object[]> args;
        Expect closed;
        Expect other;
        final List<Bad> bad = new ArrayList<>();
        Method method;

        Recipe(Class<?> owner, String signature, Policy policy) {
            this.owner = owner;
            this.signature = signature;
            this.policy = policy;
            this.args = (f, t) -> new Object[0];
            this.closed = policy == Policy.LOOP ? Expect.of(Kind.CLOSED) : Expect.OK;
            this.other = policy == Policy.LOOP || policy == Policy.CLOSE ? Expect.of(Kind.NOT_ON_LOOP_THREAD) : Expect.OK;
        }

        Recipe args(BiFunction<Fixture, Object, Object[]> a) {
            this.args = a;
            return this;
        }

        Recipe on(Function<Fixture, List<?>> t) {
            this.targets = t;
            return this;
        }

        Recipe closed(Expect e) {
            this.closed = e;
            return this;
        }

        Recipe other(Expect e) {
            this.other = e;
            return this;
        }

        Recipe bad(String what, BiFunction<Fixture, Object, Object[]> a, Expect e) {
            bad.add(new Bad(what, a, e));
            return this;
        }

        Recipe bad(String what, BiFunction<Fixture, Object, Object[]> a, Kind k) {
            return bad(what, a, Expect.of(k));
        }

        Recipe bad(String what, BiFunction<Fixture, Object, Object[]> a, Class<? extends Throwable> t) {
            return bad(what, a, Expect.of(t));
        }

        String name() {
            return owner.getSimpleName() + "." + signature;
        }
    }

    /** One set of live objects on the loop: two contexts, their listeners, a connection each way, UDP. */
    static final class Fixture {
        Loop<String> loop;
        Timer<String> timer;
        SocketContext<String> plain;
        SocketContext<String> tls;
        ListenSocket listen;
        ListenSocket tlsListen;
        Socket<String> client;
        Socket<String> server;
        Socket<String> tlsClient;
        Socket<String> tlsServer;
        UdpSocket<String> udp;
        UdpPacketBuffer buffer;
        int udpPort;
        Consumer<Throwable> handler;
        final CountDownLatch opened = new CountDownLatch(4);

        List<Socket<String>> sockets() {
            return List.of(client, server, tlsClient, tlsServer);
        }
    }

    private static final byte[] LOCALHOST = {127, 0, 0, 1};
    private static final SocketContextOptions PLAIN = SocketContextOptions.plain();

    private final Path dir;
    private final Path cert;
    private final Path key;
    private final List<String> failures = Collections.synchronizedList(new ArrayList<>());
    private final List<Throwable> reported = Collections.synchronizedList(new ArrayList<>());
    private final Map<String, Recipe> recipes = new LinkedHashMap<>();
    private int calls;

    MisuseWalk(Path dir) throws Exception {
        this.dir = dir;
        this.cert = dir.resolve("cert.pem");
        this.key = dir.resolve("key.pem");
        Certificates.selfSigned(cert, key);
        defineRecipes();
    }

    int calls() {
        return calls;
    }

    // ------------------------------------------------------------------------------------------ the walk

    /** Runs every state; returns the failures (empty: pass). */
    List<String> run() throws Exception {
        checkCoverage();
        if (!failures.isEmpty()) {
            return failures;
        }
        walkStatics();

        Loop<String> loop = Loop.create("loop ext");
        Consumer<Throwable> handler = reported::add;
        loop.exceptionHandler(handler);
        Fixture a = build(loop, handler);   // closed object by object
        Fixture b = build(loop, handler);   // left open for the loop's close
        Fixture c = build(loop, handler);   // closed inside callbacks
        int[] before = new int[1];
        List<Socket<String>> pending = Collections.synchronizedList(new ArrayList<>());
        AtomicReference<Throwable> loopFailure = new AtomicReference<>();
        Thread loopThread = new Thread(() -> {
            try {
                loop.run();
            } catch (Throwable t) {
                loopFailure.set(t);
            }
        }, "walker-loop");
        loopThread.start();
        try {
            await(a.opened, "fixture a connections");
            await(b.opened, "fixture b connections");
            await(c.opened, "fixture c connections");
            udpRoundTrip(a);
            udpRoundTrip(b);

            // 1. From the test thread while the loop runs on another: NOT_ON_LOOP_THREAD (or nothing, FREE).
            for (Recipe r : recipes.values()) {
                if (r.policy != Policy.STATIC) {
                    for (Object t : r.targets.apply(a)) {
                        expect("other thread", r, t, r.args.apply(a, t), r.other);
                    }
                }
            }

            // 2..4 on the loop thread.
            onLoop(loop, () -> {
                before[0] = LeakCounters.live(loop);
                for (Recipe r : recipes.values()) {          // 2. bad arguments on live objects
                    if (r.policy == Policy.STATIC) {
                        continue;
                    }
                    for (Bad bad : r.bad) {
                        for (Object t : r.targets.apply(a)) {
                            expect("bad argument: " + bad.what(), r, t, bad.args().apply(a, t), bad.expect());
                        }
                    }
                }
                closeOneByOne(a);                             // 3. each object closed, then every method
                for (Recipe r : recipes.values()) {
                    if (r.owner == Loop.class || r.owner == LoopHandle.class || r.policy == Policy.STATIC
                            || r.owner == SocketContextOptions.class || r.owner == UsException.class) {
                        continue;
                    }
                    for (Object t : r.targets.apply(a)) {
                        expect("object closed", r, t, r.args.apply(a, t), r.closed);
                        if (r.policy == Policy.CLOSE) {
                            expect("second close", r, t, r.args.apply(a, t), Expect.OK);
                        }
                    }
                }
                int after = LeakCounters.live(loop);
                int fixtureObjects = LeakCounters.perFixture();
                if (after != before[0] - fixtureObjects) {
                    failures.add("closing fixture a one by one left native objects: " + before[0] + " before, "
                            + after + " after, expected " + (before[0] - fixtureObjects));
                }
            });
            insideCallbacks(c);

            // The loop's own misuse from its thread while it runs; an ext set to null is missing for requireExt.
            onLoop(loop, () -> {
                List<Object> withExt = List.of(loop, b.timer, b.client, b.udp);
                for (Object o : withExt) {
                    expectRun(o + ".setExt(null)", () -> invokeExt(o, "setExt", null), Expect.OK);
                    expectRun(o + ".requireExt() after setExt(null)", () -> invokeExt(o, "requireExt", null),
                            Expect.of(Kind.EXT_MISSING));
                    expectRun(o + ".setExt(back)", () -> invokeExt(o, "setExt", "ext again"), Expect.OK);
                }
                expectRun("nested run() inside a callback", () -> loop.run(), Expect.of(Kind.LOOP_ALREADY_RUNNING));
                expectRun("createSocketContext(null)", () -> loop.createSocketContext(null), Expect.of(NullPointerException.class));
            });

            // 5. Close the loop from its thread with fixture b (and c's leftovers) open.
            // Sockets still connecting (by address and by name), a TLS handshake under way: all closed with the loop.
            onLoopAsync(loop, l -> {
                pending.add(b.plain.connect("127.0.0.1", b.listen.port()));
                pending.add(b.plain.connect("localhost", b.listen.port()));
                pending.add(b.tls.connect("127.0.0.1", b.tlsListen.port()));
                pending.add(b.tls.connect("localhost", b.tlsListen.port()));
                l.close();
            });
            loopThread.join(TimeUnit.SECONDS.toMillis(30));
            if (loopThread.isAlive()) {
                failures.add("run() did not return after close()");
                return failures;
            }
        } finally {
            if (loopThread.isAlive()) {
                loop.handle().defer(Loop::close);
                loopThread.join(10_000);
            }
        }
        if (loopFailure.get() != null) {
            failures.add("run() threw " + loopFailure.get());
        }
        int live = LeakCounters.live(loop);
        if (live != 0) {
            failures.add("after Loop.close() " + live + " native objects are still registered: " + LeakCounters.describe(loop));
        }
        for (Recipe r : recipes.values()) {                     // 6. every method on a closed loop's objects
            if (r.policy == Policy.STATIC) {
                continue;
            }
            Expect e = r.owner == Loop.class || r.owner == LoopHandle.class ? loopClosedExpect(r) : r.closed;
            for (Object t : r.targets.apply(b)) {
                expect("loop closed", r, t, r.args.apply(b, t), e);
            }
        }
        for (Socket<String> s : pending) {
            walkOwner(Socket.class, "connecting when the loop closed", b, s);
        }
        expectRun("Loop.close() twice", loop::close, Expect.OK);
        for (Throwable t : reported) {
            if (!(t instanceof Planted)) {
                failures.add("the exception handler got an unexpected " + t);
            }
        }
        return failures;
    }

    private static Expect loopClosedExpect(Recipe r) {
        if (r.signature.startsWith("defer(")) {
            return Expect.of(Kind.LOOP_NOT_RUNNING);
        }
        return r.closed;
    }

    /** Closes each object of f on the loop thread, from the leaves up. */
    private void closeOneByOne(Fixture f) {
        for (Socket<String> s : f.sockets()) {
            s.close();
        }
        f.listen.close();
        f.tlsListen.close();
        f.plain.close();
        f.tls.close();
        f.timer.close();
        f.buffer.close();
        f.udp.close();
    }

    /** Calls recipes of the socket, timer, UDP socket and context after closing them inside their callbacks. */
    private void insideCallbacks(Fixture c) throws Exception {
        Loop<String> loop = c.loop;
        CountDownLatch done = new CountDownLatch(5);
        List<String> ran = Collections.synchronizedList(new ArrayList<>());
        onLoop(loop, () -> {
            // onData of the server socket: close it there, then every Socket method.
            c.plain.onData((s, data) -> {
                s.close();
                walkOwner(Socket.class, "inside onData after close()", c, s);
                ran.add("inside onData after close()");
                done.countDown();
            });
            c.client.write(ByteBuffer.wrap(new byte[] {1}));
            // onClose: the socket is closed there.
            c.tls.onClose((s, code) -> {
                if (s == c.tlsClient) {
                    walkOwner(Socket.class, "inside onClose", c, s);
                    ran.add("inside onClose");
                    done.countDown();
                }
            });
            c.tlsClient.close();
            // a timer's own callback.
            c.timer.set(1, 0, t -> {
                t.close();
                walkOwner(Timer.class, "inside the timer callback after close()", c, t);
                ran.add("inside the timer callback after close()");
                done.countDown();
            });
            // a connect that fails: onConnectError, the socket is closed there.
            c.plain.onConnectError((s, code) -> {
                walkOwner(Socket.class, "inside onConnectError", c, s);
                ran.add("inside onConnectError");
                done.countDown();
            });
            c.plain.connect("127.0.0.1", Ports.closed());
        });
        // UDP onData: a socket of its own that closes itself in its callback.
        onLoop(loop, () -> {
            UdpSocket<String> u = loop.createUdpSocket("127.0.0.1", 0, (s, buffer, count) -> {
                s.close();
                walkOwner(UdpSocket.class, "inside UDP onData after close()", c, s);
                ran.add("inside UDP onData after close()");
                done.countDown();
            }, null);
            c.buffer.set(0, ByteBuffer.wrap(new byte[] {7}), LOCALHOST, u.port());
            c.udp.send(c.buffer, 1);
        });
        if (!done.await(30, TimeUnit.SECONDS)) {
            failures.add("callbacks of fixture c did not all run; ran: " + ran);
        }
    }

    private void walkOwner(Class<?> owner, String state, Fixture f, Object target) {
        if (target instanceof Socket<?> s) {
            @SuppressWarnings("unchecked")
            Socket<Object> any = (Socket<Object>) s;
            any.setExt("ext");
        } else if (target instanceof UdpSocket<?> u) {
            @SuppressWarnings("unchecked")
            UdpSocket<Object> any = (UdpSocket<Object>) u;
            any.setExt("ext");
        }
        for (Recipe r : recipes.values()) {
            if (r.owner == owner && r.policy != Policy.STATIC) {
                expect(state, r, target, r.args.apply(f, target), r.closed);
                if (r.policy == Policy.CLOSE) {
                    expect(state + ", second close", r, target, r.args.apply(f, target), Expect.OK);
                }
            }
        }
    }

    private void walkStatics() {
        for (Recipe r : recipes.values()) {
            if (r.policy != Policy.STATIC) {
                continue;
            }
            Object result = call("static", r, null, r.args.apply(null, null), Expect.OK);
            if (result instanceof Loop<?> l) {
                l.close();
            }
            for (Bad bad : r.bad) {
                expect("bad argument: " + bad.what(), r, null, bad.args().apply(null, null), bad.expect());
            }
        }
    }

    // ------------------------------------------------------------------------------------------ fixtures

    private Fixture build(Loop<String> loop, Consumer<Throwable> handler) {
        Fixture f = new Fixture();
        f.loop = loop;
        f.handler = handler;
        f.timer = loop.createTimer();
        f.timer.setExt("timer ext");
        f.plain = loop.createSocketContext(PLAIN);
        f.tls = loop.createSocketContext(SocketContextOptions.tls(cert, key));
        for (SocketContext<String> ctx : List.of(f.plain, f.tls)) {
            ctx.onOpen((s, isClient, ip) -> {
                s.setExt("socket ext");
                if (!isClient) {
                    if (ctx == f.plain) {
                        f.server = s;
                    } else {
                        f.tlsServer = s;
                    }
                }
                f.opened.countDown();
            });
        }
        f.listen = f.plain.listen("127.0.0.1", 0);
        f.tlsListen = f.tls.listen("127.0.0.1", 0);
        f.client = f.plain.connect("127.0.0.1", f.listen.port());
        f.tlsClient = f.tls.connect("127.0.0.1", f.tlsListen.port());
        f.udp = loop.createUdpSocket("127.0.0.1", 0, (s, buffer, count) -> { }, null);
        f.udp.setExt("udp ext");
        f.udpPort = f.udp.port();
        f.buffer = loop.createUdpPacketBuffer();
        f.buffer.set(0, ByteBuffer.wrap(new byte[] {1, 2, 3}), LOCALHOST, f.udp.port());
        return f;
    }

    private void udpRoundTrip(Fixture f) throws Exception {
        onLoop(f.loop, () -> f.udp.send(f.buffer, 1));
    }

    /** Runs body on the loop thread and waits for it (bounded). */
    private void onLoop(Loop<String> loop, Runnable body) throws Exception {
        CountDownLatch ran = new CountDownLatch(1);
        loop.handle().defer(l -> {
            try {
                body.run();
            } catch (Throwable t) {
                failures.add("walk step threw on the loop thread: " + stackOf(t));
            } finally {
                ran.countDown();
            }
        });
        await(ran, "a step on the loop thread");
    }

    private static void onLoopAsync(Loop<String> loop, Consumer<Loop<String>> body) {
        loop.handle().defer(body::accept);
    }

    private static void await(CountDownLatch latch, String what) throws InterruptedException {
        if (!latch.await(30, TimeUnit.SECONDS)) {
            throw new AssertionError("timed out waiting for " + what);
        }
    }

    // ------------------------------------------------------------------------------------------ calling

    private void expect(String state, Recipe r, Object target, Object[] args, Expect e) {
        call(state, r, target, args, e);
    }

    private void expectRun(String what, Runnable body, Expect e) {
        Throwable thrown = null;
        try {
            body.run();
        } catch (Throwable t) {
            thrown = t;
        }
        check(what, thrown, e);
    }

    /** Calls setExt(value) or requireExt() on o, rethrowing what the method threw. */
    private static void invokeExt(Object o, String name, Object value) {
        try {
            if (name.equals("setExt")) {
                o.getClass().getMethod(name, Object.class).invoke(o, value);
            } else {
                o.getClass().getMethod(name).invoke(o);
            }
        } catch (InvocationTargetException e) {
            if (e.getCause() instanceof RuntimeException re) {
                throw re;
            }
            throw new IllegalStateException(e.getCause());
        } catch (ReflectiveOperationException e) {
            throw new IllegalStateException(e);
        }
    }

    private Object call(String state, Recipe r, Object target, Object[] args, Expect e) {
        calls++;
        Object result = null;
        Throwable thrown = null;
        try {
            result = r.method.invoke(target, args);
        } catch (InvocationTargetException ite) {
            thrown = ite.getCause();
        } catch (ReflectiveOperationException | IllegalArgumentException x) {
            failures.add(r.name() + " [" + state + "]: cannot call it reflectively: " + x);
            return null;
        }
        check(r.name() + " on " + target + " [" + state + "]", thrown, e);
        return result;
    }

    private void check(String what, Throwable thrown, Expect e) {
        if (e.type() == null) {
            if (thrown != null) {
                failures.add(what + ": expected no exception, got " + stackOf(thrown));
            }
            return;
        }
        if (thrown == null) {
            failures.add(what + ": expected " + e + ", nothing thrown");
        } else if (!e.type().isInstance(thrown)) {
            failures.add(what + ": expected " + e + ", got " + stackOf(thrown));
        } else if (e.kind() != null && ((UsException) thrown).kind() != e.kind()) {
            failures.add(what + ": expected " + e + ", got " + thrown);
        }
    }

    private static String stackOf(Throwable t) {
        StringBuilder b = new StringBuilder(t.toString());
        StackTraceElement[] st = t.getStackTrace();
        for (int i = 0; i < Math.min(4, st.length); i++) {
            b.append(" at ").append(st[i]);
        }
        return b.toString();
    }

    // ------------------------------------------------------------------------------------------ coverage

    /** Every public method of every public class must have a recipe; every recipe must name a real method. */
    private void checkCoverage() throws Exception {
        Map<String, Method> found = new LinkedHashMap<>();
        for (Class<?> c : publicClasses()) {
            for (Method m : c.getDeclaredMethods()) {
                if (Modifier.isPublic(m.getModifiers()) && !m.isSynthetic() && !m.isBridge()) {
                    found.put(c.getSimpleName() + "." + signature(m), m);
                }
            }
        }
        TreeSet<String> missing = new TreeSet<>(found.keySet());
        missing.removeAll(recipes.keySet());
        for (String m : missing) {
            failures.add("no misuse recipe for the public method " + m + ": add one to MisuseWalk");
        }
        for (Recipe r : recipes.values()) {
            Method m = found.get(r.name());
            if (m == null) {
                failures.add("recipe for a method that does not exist (any more): " + r.name());
            } else {
                r.method = m;
                if (r.targets == null && r.policy != Policy.STATIC) {
                    failures.add("recipe without targets: " + r.name());
                }
            }
        }
    }

    /** The public top-level classes of org.usockets4j, found on disk (so a new class is walked too). */
    static List<Class<?>> publicClasses() throws URISyntaxException, java.io.IOException, ClassNotFoundException {
        Path root = Path.of(Loop.class.getProtectionDomain().getCodeSource().getLocation().toURI());
        List<Class<?>> out = new ArrayList<>();
        if (Files.isDirectory(root)) {
            try (Stream<Path> files = Files.list(root.resolve("org/usockets4j"))) {
                for (Path p : files.sorted().collect(Collectors.toList())) {
                    String n = p.getFileName().toString();
                    if (n.endsWith(".class") && !n.contains("$")) {
                        out.add(Class.forName("org.usockets4j." + n.substring(0, n.length() - 6)));
                    }
                }
            }
        } else {
            try (java.util.jar.JarFile jar = new java.util.jar.JarFile(root.toFile())) {
                for (java.util.jar.JarEntry e : Collections.list(jar.entries())) {
                    String n = e.getName();
                    if (n.startsWith("org/usockets4j/") && n.endsWith(".class") && !n.contains("$")
                            && n.indexOf('/', "org/usockets4j/".length()) < 0) {
                        out.add(Class.forName(n.substring(0, n.length() - 6).replace('/', '.')));
                    }
                }
            }
        }
        out.removeIf(c -> !Modifier.isPublic(c.getModifiers()));
        return out;
    }

    static String signature(Method m) {
        return m.getName() + "(" + Stream.of(m.getParameterTypes()).map(Class::getSimpleName)
                .collect(Collectors.joining(",")) + ")";
    }

    // ------------------------------------------------------------------------------------------ recipes

    private Recipe r(Class<?> owner, String signature, Policy policy) {
        Recipe r = new Recipe(owner, signature, policy);
        if (recipes.put(r.name(), r) != null) {
            throw new IllegalStateException("two recipes for " + r.name());
        }
        return r;
    }

    private static Object[] a(Object... args) {
        return args;
    }

    private static final Policy L = Policy.LOOP;
    private static final Policy F = Policy.FREE;
    private static final Policy C = Policy.CLOSE;
    private static final Policy S = Policy.STATIC;

    private static final Function<Fixture, List<?>> LOOP = f -> List.of(f.loop);
    private static final Function<Fixture, List<?>> HANDLE = f -> List.of(f.loop.handle());
    private static final Function<Fixture, List<?>> METRICS = f -> List.of(f.loop.metrics());
    private static final Function<Fixture, List<?>> TIMER = f -> List.of(f.timer);
    private static final Function<Fixture, List<?>> CONTEXTS = f -> List.of(f.plain, f.tls);
    private static final Function<Fixture, List<?>> TLS_CONTEXT = f -> List.of(f.tls);
    private static final Function<Fixture, List<?>> SOCKETS = Fixture::sockets;
    private static final Function<Fixture, List<?>> LISTENERS = f -> List.of(f.listen, f.tlsListen);
    private static final Function<Fixture, List<?>> UDP = f -> List.of(f.udp);
    private static final Function<Fixture, List<?>> BUFFER = f -> List.of(f.buffer);
    private static final Function<Fixture, List<?>> OPTIONS =
            f -> List.of(SocketContextOptions.plain(), SocketContextOptions.tls());
    private static final Function<Fixture, List<?>> TLS_OPTIONS = f -> List.of(SocketContextOptions.tls());
    private static final Function<Fixture, List<?>> EXCEPTION =
            f -> List.of(new UsException(Kind.CLOSED, "x"), new UsException(Kind.INVALID_HOST, "y", new Planted()));

    private void defineRecipes() {
        Class<NullPointerException> npe = NullPointerException.class;
        Class<IndexOutOfBoundsException> ioobe = IndexOutOfBoundsException.class;
        Consumer<Object> noop = x -> { };
        Path tooLong = dir.resolve("x".repeat(SocketContext.MAX_UNIX_PATH_BYTES + 1));
        Path noSuchDir = dir.resolve("no/such/dir/sock");
        ByteBuffer one = ByteBuffer.wrap(new byte[] {1});

        // Native, SocketContextOptions factories, Loop factories: static.
        r(Native.class, "isAvailable()", S);
        r(Native.class, "unavailabilityCause()", S);
        r(Native.class, "platform()", S);
        r(Loop.class, "create()", S);
        r(Loop.class, "create(Object)", S).args((f, t) -> a("ext"));
        r(SocketContextOptions.class, "plain()", S);
        r(SocketContextOptions.class, "tls()", S);
        r(SocketContextOptions.class, "tls(Path,Path)", S).args((f, t) -> a(cert, key))
                .bad("null cert", (f, t) -> a(null, key), npe)
                .bad("null key", (f, t) -> a(cert, null), npe);

        // SocketContextOptions: a value, any thread.
        r(SocketContextOptions.class, "withHighWaterMark(int)", F).on(OPTIONS).args((f, t) -> a(1))
                .bad("0", (f, t) -> a(0), Kind.INVALID_ARGUMENT)
                .bad("negative", (f, t) -> a(-1), Kind.INVALID_ARGUMENT);
        r(SocketContextOptions.class, "passphrase(String)", F).on(TLS_OPTIONS).args((f, t) -> a("pw"))
                .bad("NUL inside", (f, t) -> a("a\0b"), Kind.INVALID_ARGUMENT);
        r(SocketContextOptions.class, "passphrase(char[])", F).on(TLS_OPTIONS).args((f, t) -> a((Object) "pw".toCharArray()))
                .bad("NUL inside", (f, t) -> a((Object) "a\0b".toCharArray()), Kind.INVALID_ARGUMENT);
        r(SocketContextOptions.class, "dhParams(Path)", F).on(TLS_OPTIONS).args((f, t) -> a(cert));
        r(SocketContextOptions.class, "caFile(Path)", F).on(TLS_OPTIONS).args((f, t) -> a(cert));
        r(SocketContextOptions.class, "ciphers(String)", F).on(TLS_OPTIONS).args((f, t) -> a("HIGH"))
                .bad("NUL inside", (f, t) -> a("HIGH\0"), Kind.INVALID_ARGUMENT);
        r(SocketContextOptions.class, "lowMemory(boolean)", F).on(TLS_OPTIONS).args((f, t) -> a(true));
        for (String getter : List.of("isTls()", "keyFile()", "certFile()", "passphrase()", "dhParamsFile()", "caFile()",
                "ciphers()", "lowMemory()", "highWaterMark()", "toString()")) {
            r(SocketContextOptions.class, getter, F).on(OPTIONS);
        }

        // UsException.
        r(UsException.class, "kind()", F).on(EXCEPTION);
        r(UsException.class, "toString()", F).on(EXCEPTION);

        // Loop.
        r(Loop.class, "handle()", F).on(LOOP);
        r(Loop.class, "defer(Consumer)", F).on(LOOP).args((f, t) -> a(noop))
                .bad("null callback", (f, t) -> a((Object) null), npe);
        r(Loop.class, "ext()", F).on(LOOP);
        r(Loop.class, "requireExt()", F).on(LOOP);
        r(Loop.class, "setExt(Object)", L).on(LOOP).args((f, t) -> a("loop ext"));
        r(Loop.class, "createTimer()", L).on(LOOP);
        r(Loop.class, "createTimer(boolean)", L).on(LOOP).args((f, t) -> a(true));
        r(Loop.class, "createUdpSocket(String,int,DataHandler,Consumer)", L).on(LOOP)
                .args((f, t) -> a("127.0.0.1", 0, null, null))
                .bad("port -1", (f, t) -> a("127.0.0.1", -1, null, null), Kind.INVALID_ARGUMENT)
                .bad("port 65536", (f, t) -> a("127.0.0.1", 65536, null, null), Kind.INVALID_ARGUMENT)
                .bad("empty host", (f, t) -> a("", 0, null, null), Kind.INVALID_HOST)
                .bad("NUL in host", (f, t) -> a("127.0.0.1\0x", 0, null, null), Kind.INVALID_HOST)
                .bad("port taken", (f, t) -> a("127.0.0.1", f.udpPort, null, null), Kind.LISTEN_FAILED);
        r(Loop.class, "createUdpPacketBuffer()", L).on(LOOP);
        r(Loop.class, "createSocketContext(SocketContextOptions)", L).on(LOOP).args((f, t) -> a(PLAIN))
                .bad("null options", (f, t) -> a((Object) null), npe)
                .bad("TLS without files", (f, t) -> a(SocketContextOptions.tls(dir.resolve("none.pem"), key)),
                        Kind.SOCKET_CONTEXT_CREATION);
        r(Loop.class, "run()", L).on(LOOP).other(Expect.of(Kind.LOOP_ALREADY_RUNNING));
        r(Loop.class, "iteration()", L).on(LOOP);
        r(Loop.class, "metrics()", F).on(LOOP);
        for (String getter : List.of("openSockets()", "acceptedTotal()", "connectedTotal()", "closedTotal()",
                "bytesIn()", "bytesOut()", "datagramsIn()", "datagramsOut()", "iterations()", "currentBusyNanos()", "lastIterationNanos()",
                "maxIterationNanos()", "busyNanos()", "toString()")) {
            r(LoopMetrics.class, getter, F).on(METRICS); // a snapshot: a value, any thread
        }
        r(Loop.class, "onPre(Consumer)", L).on(LOOP).args((f, t) -> a(noop));
        r(Loop.class, "onPost(Consumer)", L).on(LOOP).args((f, t) -> a(noop));
        r(Loop.class, "exceptionHandler(Consumer)", F).on(LOOP).args((f, t) -> a(f.handler))
                .bad("null handler", (f, t) -> a((Object) null), npe);
        r(Loop.class, "isOnLoopThread()", F).on(LOOP);
        r(Loop.class, "isRunning()", F).on(LOOP);
        r(Loop.class, "isClosed()", F).on(LOOP);
        r(Loop.class, "close()", C).on(LOOP);

        // LoopHandle.
        r(LoopHandle.class, "defer(Consumer)", F).on(HANDLE).args((f, t) -> a(noop))
                .bad("null callback", (f, t) -> a((Object) null), npe);
        r(LoopHandle.class, "isOnLoopThread()", F).on(HANDLE);
        r(LoopHandle.class, "isRunning()", F).on(HANDLE);

        // Timer.
        r(Timer.class, "set(int,int,Consumer)", L).on(TIMER).args((f, t) -> a(60_000, 0, noop))
                .bad("negative ms", (f, t) -> a(-1, 0, noop), Kind.INVALID_ARGUMENT)
                .bad("negative repeat", (f, t) -> a(0, Integer.MIN_VALUE, noop), Kind.INVALID_ARGUMENT)
                .bad("null callback", (f, t) -> a(1, 0, null), npe);
        r(Timer.class, "reset(int,int)", L).on(TIMER).args((f, t) -> a(60_000, 0))
                .bad("negative ms", (f, t) -> a(-5, 0), Kind.INVALID_ARGUMENT)
                .bad("negative repeat", (f, t) -> a(0, -1), Kind.INVALID_ARGUMENT);
        r(Timer.class, "close()", C).on(TIMER);
        r(Timer.class, "isClosed()", F).on(TIMER);
        r(Timer.class, "loop()", F).on(TIMER);
        r(Timer.class, "ext()", F).on(TIMER);
        r(Timer.class, "requireExt()", F).on(TIMER);
        r(Timer.class, "setExt(Object)", F).on(TIMER).args((f, t) -> a("timer ext"));

        // SocketContext.
        for (String setter : List.of("onPreOpen(PreOpenHandler)", "onOpen(OpenHandler)", "onData(DataHandler)",
                "onWritable(Consumer)", "onEnd(Consumer)", "onTimeout(Consumer)", "onLongTimeout(Consumer)",
                "onConnectError(CodeHandler)", "onClose(CodeHandler)")) {
            // null removes a callback: a valid argument, so the walk passes null (a live fixture keeps its onOpen).
            r(SocketContext.class, setter, L).on(CONTEXTS).args((f, t) -> a((Object) null));
        }
        r(SocketContext.class, "onServerName(ServerNameHandler)", L).on(TLS_CONTEXT).args((f, t) -> a((Object) null));
        r(SocketContext.class, "addServerName(String,SocketContextOptions)", L).on(TLS_CONTEXT)
                .args((f, t) -> a("a.example.test", SocketContextOptions.tls(cert, key)))
                .bad("null pattern", (f, t) -> a(null, SocketContextOptions.tls(cert, key)), Kind.INVALID_ARGUMENT)
                .bad("empty pattern", (f, t) -> a("", SocketContextOptions.tls(cert, key)), Kind.INVALID_ARGUMENT)
                .bad("null options", (f, t) -> a("b.example.test", null), npe)
                .bad("plain options", (f, t) -> a("b.example.test", PLAIN), Kind.INVALID_ARGUMENT)
                .bad("missing files", (f, t) -> a("b.example.test", SocketContextOptions.tls(dir.resolve("no.pem"), key)),
                        Kind.SOCKET_CONTEXT_CREATION);
        r(SocketContext.class, "removeServerName(String)", L).on(TLS_CONTEXT).args((f, t) -> a("a.example.test"))
                .bad("null pattern", (f, t) -> a((Object) null), Kind.INVALID_ARGUMENT)
                .bad("empty pattern", (f, t) -> a(""), Kind.INVALID_ARGUMENT);
        r(SocketContext.class, "hasServerName(String)", L).on(TLS_CONTEXT).args((f, t) -> a("a.example.test"))
                .bad("null pattern", (f, t) -> a((Object) null), Kind.INVALID_ARGUMENT)
                .bad("NUL inside", (f, t) -> a("a\0b"), Kind.INVALID_ARGUMENT);
        r(SocketContext.class, "listen(String,int)", L).on(CONTEXTS).args((f, t) -> a("127.0.0.1", 0))
                .bad("port -1", (f, t) -> a("127.0.0.1", -1), Kind.INVALID_ARGUMENT)
                .bad("port 65536", (f, t) -> a("127.0.0.1", 65536), Kind.INVALID_ARGUMENT)
                .bad("empty host", (f, t) -> a("", 0), Kind.INVALID_HOST)
                .bad("NUL in host", (f, t) -> a("127.0.0.1\0", 0), Kind.INVALID_HOST);
        r(SocketContext.class, "listen(String,int,boolean)", L).on(CONTEXTS).args((f, t) -> a("127.0.0.1", 0, true))
                .bad("port -1", (f, t) -> a("127.0.0.1", -1, true), Kind.INVALID_ARGUMENT)
                .bad("port taken, exclusive", (f, t) -> a("127.0.0.1", f.listen.port(), true), Kind.LISTEN_FAILED);
        r(SocketContext.class, "listenUnix(Path)", L).on(CONTEXTS).args((f, t) -> a(dir.resolve("u.sock")))
                .bad("null path", (f, t) -> a((Object) null), npe)
                .bad("path past sun_path", (f, t) -> a(tooLong), Kind.INVALID_ARGUMENT)
                .bad("empty path", (f, t) -> a(Path.of("")), Kind.INVALID_ARGUMENT)
                .bad("folder that does not exist", (f, t) -> a(noSuchDir), Kind.LISTEN_FAILED);
        r(SocketContext.class, "connect(String,int)", L).on(CONTEXTS).args((f, t) -> a("127.0.0.1", 1))
                .bad("null host", (f, t) -> a(null, 1), Kind.INVALID_HOST)
                .bad("empty host", (f, t) -> a("", 1), Kind.INVALID_HOST)
                .bad("port -1", (f, t) -> a("127.0.0.1", -1), Kind.INVALID_ARGUMENT)
                .bad("port 65536", (f, t) -> a("127.0.0.1", 65536), Kind.INVALID_ARGUMENT);
        r(SocketContext.class, "connect(String,int,String)", L).on(CONTEXTS).args((f, t) -> a("127.0.0.1", 1, null))
                .bad("empty source host", (f, t) -> a("127.0.0.1", 1, ""), Kind.INVALID_HOST)
                .bad("source host not of this machine", (f, t) -> a("127.0.0.1", 1, "192.0.2.1"), Kind.NETWORK_OPERATION)
                .bad("NUL in host", (f, t) -> a("127.0.0.1\0", 1, null), Kind.INVALID_HOST);
        r(SocketContext.class, "connectUnix(Path)", L).on(CONTEXTS).args((f, t) -> a(dir.resolve("u.sock")))
                .bad("null path", (f, t) -> a((Object) null), npe)
                .bad("path past sun_path", (f, t) -> a(tooLong), Kind.INVALID_ARGUMENT)
                .bad("empty path", (f, t) -> a(Path.of("")), Kind.INVALID_ARGUMENT);
        r(SocketContext.class, "adopt(Socket)", L).on(CONTEXTS)
                .args((f, t) -> a(t == f.plain ? f.server : f.tlsServer))
                .bad("null socket", (f, t) -> a((Object) null), npe)
                .bad("other kind", (f, t) -> a(t == f.plain ? f.tlsServer : f.server), Kind.INVALID_ARGUMENT);
        r(SocketContext.class, "highWaterMark()", F).on(CONTEXTS);
        r(SocketContext.class, "highWaterMark(int)", L).on(CONTEXTS).args((f, t) -> a(1 << 20))
                .bad("0", (f, t) -> a(0), Kind.INVALID_ARGUMENT)
                .bad("negative", (f, t) -> a(Integer.MIN_VALUE), Kind.INVALID_ARGUMENT);
        for (String free : List.of("isTls()", "options()", "loop()", "isClosed()", "toString()")) {
            r(SocketContext.class, free, F).on(CONTEXTS);
        }
        r(SocketContext.class, "close()", C).on(CONTEXTS);

        // Socket.
        byte[] three = new byte[3];
        r(Socket.class, "write(ByteBuffer)", L).on(SOCKETS).args((f, t) -> a(one.duplicate()))
                .bad("null buffer", (f, t) -> a((Object) null), npe)
                .bad("empty buffer", (f, t) -> a(ByteBuffer.allocate(0)), Expect.OK);
        r(Socket.class, "write(ByteBuffer,boolean)", L).on(SOCKETS).args((f, t) -> a(one.duplicate(), true))
                .bad("null buffer", (f, t) -> a(null, true), npe);
        r(Socket.class, "write(byte[],int,int)", L).on(SOCKETS).args((f, t) -> a(three, 0, 1))
                .bad("null array", (f, t) -> a(null, 0, 1), npe)
                .bad("negative offset", (f, t) -> a(three, -1, 1), ioobe)
                .bad("offset past the end", (f, t) -> a(three, 4, 0), ioobe)
                .bad("length past the end", (f, t) -> a(three, 1, 3), ioobe)
                .bad("negative length", (f, t) -> a(three, 0, -1), ioobe)
                .bad("length 0", (f, t) -> a(three, 3, 0), Expect.OK)
                .bad("huge length", (f, t) -> a(three, 1, Integer.MAX_VALUE), ioobe);
        r(Socket.class, "write(byte[],int,int,boolean)", L).on(SOCKETS).args((f, t) -> a(three, 0, 1, true))
                .bad("offset past the end", (f, t) -> a(three, 5, 1, true), ioobe)
                .bad("null array", (f, t) -> a(null, 0, 0, false), npe);
        r(Socket.class, "write2(ByteBuffer,ByteBuffer)", L).on(SOCKETS)
                .args((f, t) -> a(one.duplicate(), ByteBuffer.allocateDirect(1)))
                .bad("null header", (f, t) -> a(null, one.duplicate()), npe)
                .bad("null payload", (f, t) -> a(one.duplicate(), null), npe)
                .bad("both empty", (f, t) -> a(ByteBuffer.allocate(0), ByteBuffer.allocateDirect(0)), Expect.OK);
        r(Socket.class, "flush()", L).on(SOCKETS);
        r(Socket.class, "send(ByteBuffer)", L).on(SOCKETS).args((f, t) -> a(one.duplicate()))
                .bad("null buffer", (f, t) -> a((Object) null), npe)
                .bad("empty buffer", (f, t) -> a(ByteBuffer.allocate(0)), Expect.OK);
        r(Socket.class, "send(byte[],int,int)", L).on(SOCKETS).args((f, t) -> a(three, 0, 1))
                .bad("null array", (f, t) -> a(null, 0, 1), npe)
                .bad("offset past the end", (f, t) -> a(three, 4, 0), ioobe)
                .bad("negative length", (f, t) -> a(three, 0, -2), ioobe);
        r(Socket.class, "send(byte[])", L).on(SOCKETS).args((f, t) -> a((Object) new byte[1]))
                .bad("null array", (f, t) -> a((Object) null), npe)
                .bad("empty array", (f, t) -> a((Object) new byte[0]), Expect.OK);
        r(Socket.class, "bufferedAmount()", L).on(SOCKETS);
        r(Socket.class, "highWaterMark()", L).on(SOCKETS);
        r(Socket.class, "highWaterMark(int)", L).on(SOCKETS).args((f, t) -> a(1 << 20))
                .bad("0", (f, t) -> a(0), Kind.INVALID_ARGUMENT)
                .bad("negative", (f, t) -> a(-1), Kind.INVALID_ARGUMENT);
        r(Socket.class, "shutdown()", L).on(SOCKETS);
        r(Socket.class, "shutdownRead()", L).on(SOCKETS);
        // A closed socket's close() throws CLOSED, as every method but the few listed in Socket's class comment.
        r(Socket.class, "close()", L).on(SOCKETS);
        r(Socket.class, "close(int)", L).on(SOCKETS).args((f, t) -> a(1));
        r(Socket.class, "isShutDown()", L).on(SOCKETS);
        r(Socket.class, "isEstablished()", L).on(SOCKETS);
        r(Socket.class, "timeout(int)", L).on(SOCKETS).args((f, t) -> a(60))
                .bad("negative", (f, t) -> a(-1), Kind.INVALID_ARGUMENT);
        r(Socket.class, "longTimeout(int)", L).on(SOCKETS).args((f, t) -> a(60))
                .bad("negative", (f, t) -> a(Integer.MIN_VALUE), Kind.INVALID_ARGUMENT);
        r(Socket.class, "pauseReads()", L).on(SOCKETS);
        r(Socket.class, "resumeReads()", L).on(SOCKETS);
        r(Socket.class, "isReadPaused()", L).on(SOCKETS);
        r(Socket.class, "localPort()", L).on(SOCKETS);
        r(Socket.class, "remotePort()", L).on(SOCKETS);
        r(Socket.class, "remoteAddress()", L).on(SOCKETS);
        r(Socket.class, "nativeHandle()", L).on(SOCKETS);
        for (String tls : List.of("tlsProtocol()", "tlsCipher()", "tlsServerName()", "peerSubject()")) {
            r(Socket.class, tls, L).on(SOCKETS);
        }
        for (String free : List.of("isClosed()", "closeCode()", "closeReason()", "ext()", "requireExt()", "context()",
                "loop()", "toString()")) {
            r(Socket.class, free, F).on(SOCKETS);
        }
        r(Socket.class, "setExt(Object)", F).on(SOCKETS).args((f, t) -> a("socket ext"));

        // ListenSocket.
        r(ListenSocket.class, "port()", F).on(LISTENERS);
        r(ListenSocket.class, "isClosed()", F).on(LISTENERS);
        r(ListenSocket.class, "context()", F).on(LISTENERS);
        r(ListenSocket.class, "toString()", F).on(LISTENERS);
        r(ListenSocket.class, "close()", C).on(LISTENERS);

        // UdpSocket.
        r(UdpSocket.class, "port()", L).on(UDP);
        r(UdpSocket.class, "send(UdpPacketBuffer,int)", L).on(UDP).args((f, t) -> a(f.buffer, 1))
                .bad("null buffer", (f, t) -> a(null, 1), npe)
                .bad("negative count", (f, t) -> a(f.buffer, -1), Kind.INVALID_ARGUMENT)
                .bad("count past size", (f, t) -> a(f.buffer, 2), Kind.INVALID_ARGUMENT)
                .bad("count 0", (f, t) -> a(f.buffer, 0), Expect.OK);
        r(UdpSocket.class, "sendBuffer()", L).on(UDP);
        r(UdpSocket.class, "connect(String,int)", L).on(UDP).args((f, t) -> a("127.0.0.1", 9))
                .bad("null host", (f, t) -> a(null, 9), npe)
                .bad("port 0", (f, t) -> a("127.0.0.1", 0), Kind.INVALID_ARGUMENT)
                .bad("port 65536", (f, t) -> a("127.0.0.1", 65536), Kind.INVALID_ARGUMENT)
                .bad("empty host", (f, t) -> a("", 9), Kind.INVALID_HOST);
        r(UdpSocket.class, "disconnect()", L).on(UDP);
        r(UdpSocket.class, "close()", C).on(UDP);
        for (String free : List.of("isClosed()", "loop()", "ext()", "requireExt()", "toString()")) {
            r(UdpSocket.class, free, F).on(UDP);
        }
        r(UdpSocket.class, "setExt(Object)", F).on(UDP).args((f, t) -> a("udp ext"));

        // UdpPacketBuffer (slot 0 holds a datagram to the fixture's UDP socket).
        byte[] sixteen = new byte[16];
        r(UdpPacketBuffer.class, "size()", L).on(BUFFER);
        for (String read : List.of("payload(int)", "payloadSlice(int)", "length(int)", "peer(int)", "peerPort(int)", "ecn(int)")) {
            r(UdpPacketBuffer.class, read, L).on(BUFFER).args((f, t) -> a(0))
                    .bad("index -1", (f, t) -> a(-1), Kind.INVALID_ARGUMENT)
                    .bad("index past size", (f, t) -> a(1), Kind.INVALID_ARGUMENT)
                    .bad("index past SLOTS", (f, t) -> a(UdpPacketBuffer.SLOTS), Kind.INVALID_ARGUMENT);
        }
        r(UdpPacketBuffer.class, "copyPayload(int,byte[],int)", L).on(BUFFER).args((f, t) -> a(0, new byte[3], 0))
                .bad("null dst", (f, t) -> a(0, null, 0), npe)
                .bad("offset past the end", (f, t) -> a(0, new byte[3], 4), ioobe)
                .bad("no room", (f, t) -> a(0, new byte[3], 1), Kind.INVALID_ARGUMENT)
                .bad("index -1", (f, t) -> a(-1, new byte[3], 0), Kind.INVALID_ARGUMENT);
        for (String addr : List.of("peerAddress(int,byte[])", "localAddress(int,byte[])")) {
            r(UdpPacketBuffer.class, addr, L).on(BUFFER).args((f, t) -> a(0, sixteen))
                    .bad("null into", (f, t) -> a(0, null), npe)
                    .bad("into too small", (f, t) -> a(0, new byte[4]), Kind.INVALID_ARGUMENT)
                    .bad("index past size", (f, t) -> a(7, sixteen), Kind.INVALID_ARGUMENT);
        }
        r(UdpPacketBuffer.class, "set(int,ByteBuffer,InetSocketAddress)", L).on(BUFFER)
                .args((f, t) -> a(0, one.duplicate(), new InetSocketAddress("127.0.0.1", f.udpPort)))
                .bad("index -1", (f, t) -> a(-1, one.duplicate(), new InetSocketAddress("127.0.0.1", 9)), Kind.INVALID_ARGUMENT)
                .bad("null peer", (f, t) -> a(0, one.duplicate(), null), npe)
                .bad("null payload", (f, t) -> a(0, null, new InetSocketAddress("127.0.0.1", 9)), npe)
                .bad("unresolved peer", (f, t) -> a(0, one.duplicate(), InetSocketAddress.createUnresolved("x.invalid", 9)),
                        Kind.INVALID_ARGUMENT)
                .bad("port 0", (f, t) -> a(0, one.duplicate(), new InetSocketAddress("127.0.0.1", 0)), Kind.INVALID_ARGUMENT);
        r(UdpPacketBuffer.class, "set(int,ByteBuffer,byte[],int)", L).on(BUFFER)
                .args((f, t) -> a(0, ByteBuffer.wrap(new byte[] {1, 2, 3}), LOCALHOST, f.udpPort))
                .bad("index SLOTS", (f, t) -> a(UdpPacketBuffer.SLOTS, one.duplicate(), LOCALHOST, 9), Kind.INVALID_ARGUMENT)
                .bad("address of 3 bytes", (f, t) -> a(0, one.duplicate(), new byte[3], 9), Kind.INVALID_ARGUMENT)
                .bad("null address", (f, t) -> a(0, one.duplicate(), null, 9), npe)
                .bad("port -1", (f, t) -> a(0, one.duplicate(), LOCALHOST, -1), Kind.INVALID_ARGUMENT)
                .bad("port 65536", (f, t) -> a(0, one.duplicate(), LOCALHOST, 65536), Kind.INVALID_ARGUMENT)
                .bad("payload over MAX_PAYLOAD", (f, t) -> a(0, ByteBuffer.allocate(UdpPacketBuffer.MAX_PAYLOAD + 1),
                        LOCALHOST, 9), Kind.INVALID_ARGUMENT);
        r(UdpPacketBuffer.class, "set(int,ByteBuffer,UdpPacketBuffer,int)", L).on(BUFFER)
                .args((f, t) -> a(0, ByteBuffer.wrap(new byte[] {1, 2, 3}), f.buffer, 0))
                .bad("null from", (f, t) -> a(0, one.duplicate(), null, 0), npe)
                .bad("from index past size", (f, t) -> a(0, one.duplicate(), f.buffer, 3), Kind.INVALID_ARGUMENT)
                .bad("index -1", (f, t) -> a(-1, one.duplicate(), f.buffer, 0), Kind.INVALID_ARGUMENT);
        r(UdpPacketBuffer.class, "set(int,ByteBuffer)", L).on(BUFFER).args((f, t) -> a(1, one.duplicate()))
                .bad("index SLOTS", (f, t) -> a(UdpPacketBuffer.SLOTS, one.duplicate()), Kind.INVALID_ARGUMENT)
                .bad("null payload", (f, t) -> a(1, null), npe);
        r(UdpPacketBuffer.class, "set(int,UdpPacketBuffer,int)", L).on(BUFFER).args((f, t) -> a(0, f.buffer, 0))
                .bad("null from", (f, t) -> a(0, null, 0), npe)
                .bad("index past SLOTS", (f, t) -> a(Integer.MAX_VALUE, f.buffer, 0), Kind.INVALID_ARGUMENT)
                .bad("from index -1", (f, t) -> a(0, f.buffer, -1), Kind.INVALID_ARGUMENT);
        r(UdpPacketBuffer.class, "removeFirst(int)", L).on(BUFFER).args((f, t) -> a(0))
                .bad("negative", (f, t) -> a(-1), Kind.INVALID_ARGUMENT)
                .bad("past size", (f, t) -> a(UdpPacketBuffer.SLOTS + 1), Kind.INVALID_ARGUMENT);
        r(UdpPacketBuffer.class, "clear()", L).on(BUFFER);
        r(UdpPacketBuffer.class, "close()", C).on(BUFFER);
        r(UdpPacketBuffer.class, "isClosed()", F).on(BUFFER);
    }

    /** A throwable the walk plants on purpose. */
    static final class Planted extends RuntimeException {
        private static final long serialVersionUID = 1L;

        Planted() {
            super("planted by the misuse walk");
        }
    }
}
