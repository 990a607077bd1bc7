package org.usockets4j.reliability;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.AtomicReference;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.usockets4j.ListenSocket;
import org.usockets4j.Loop;
import org.usockets4j.LoopHandle;
import org.usockets4j.Socket;
import org.usockets4j.SocketContext;
import org.usockets4j.SocketContextOptions;
import org.usockets4j.Timer;
import org.usockets4j.UsException;

/**
 * Two loops and four worker threads: the workers defer random operations into both loops (connect and echo, echo
 * again on an idle client, close an idle client, a short timer, a defer from inside a callback) while loop A's echo
 * server serves every client. Loop B is closed from one of its own callbacks (once it ran 400 deferred operations
 * and got 100 echoes back) and recreated, eight lives in all, while
 * the workers keep deferring into whichever B they hold: a defer into a closed B throws LOOP_NOT_RUNNING, never
 * anything else. Checked at the end: every accepted defer ran exactly once; every echo on A came back, byte for
 * byte; an echo on B came back or B was closing; every timer on A fired; no socket or timer callback ran after its
 * loop's close() returned; no callback threw. Bounded by operation counts; the seed is printed.
 */
@Timeout(value = 120, unit = TimeUnit.SECONDS, threadMode = Timeout.ThreadMode.SEPARATE_THREAD)
class LoopsHammerTest {
    static final int WORKERS = 4;
    static final int MAX_OPS_PER_WORKER = 1_000_000; // a bound; the workers stop once B's last life ended
    static final int B_GENERATIONS = 8;

    /** One life of a loop: what was deferred into it and what its callbacks saw. */
    static final class Gen {
        final String name;
        final AtomicLong accepted = new AtomicLong(), rejected = new AtomicLong(), ran = new AtomicLong();
        final AtomicLong echoesStarted = new AtomicLong(), echoesBack = new AtomicLong(), echoesCut = new AtomicLong();
        final AtomicLong timersSet = new AtomicLong(), timersFired = new AtomicLong();
        final AtomicLong ranAfterClose = new AtomicLong();
        final CountDownLatch busy = new CountDownLatch(400); // ops run on it before the controller may close it
        final CountDownLatch echoed = new CountDownLatch(100); // and echoes back
        final CountDownLatch ended = new CountDownLatch(1);
        volatile boolean closing, closed;
        volatile LoopHandle<Gen> handle;
        final List<Socket<Client>> idle = new ArrayList<>(); // loop thread only
        SocketContext<Client> clients;

        Gen(String name) {
            this.name = name;
        }
    }

    /** A client's echo in flight. */
    static final class Client {
        final Gen gen;
        byte[] expect;
        int got;
        boolean waiting;

        Client(Gen gen) {
            this.gen = gen;
        }
    }

    private final ConcurrentLinkedQueue<String> problems = new ConcurrentLinkedQueue<>();
    private volatile int serverPort;

    @Test
    void twoLoopsFourWorkersOneLoopRecreated() throws Exception {
        long seed = new Random().nextLong();
        System.out.println("LoopsHammerTest seed " + seed);
        Gen a = new Gen("A");
        Thread ta = startLoop(a, true);
        AtomicReference<Gen> b = new AtomicReference<>(new Gen("B0"));
        List<Gen> bs = new ArrayList<>();
        bs.add(b.get());
        Thread tb = startLoop(b.get(), false);

        List<Thread> workers = new ArrayList<>();
        AtomicLong workerOps = new AtomicLong();
        java.util.concurrent.atomic.AtomicBoolean stop = new java.util.concurrent.atomic.AtomicBoolean();
        for (int w = 0; w < WORKERS; w++) {
            Random rnd = new Random(seed + w);
            Thread t = new Thread(() -> {
                for (int i = 0; i < MAX_OPS_PER_WORKER && !stop.get();) {
                    Gen g = rnd.nextBoolean() ? a : b.get();
                    if (g.accepted.get() - g.ran.get() > 256 && g.ended.getCount() > 0) {
                        java.util.concurrent.locks.LockSupport.parkNanos(200_000); // let the loop catch up
                        continue;
                    }
                    int op = rnd.nextInt(10);
                    int size = 1 + rnd.nextInt(rnd.nextInt(8) == 0 ? 200_000 : 2_000);
                    long tag = rnd.nextLong();
                    try {
                        g.handle.defer(loop -> runOp(loop, g, op, size, tag));
                        g.accepted.incrementAndGet();
                    } catch (UsException e) {
                        if (e.kind() != UsException.Kind.LOOP_NOT_RUNNING) {
                            problems.add("defer threw " + e);
                        }
                        if (!g.closing && !g.closed) {
                            problems.add("defer refused by a loop that was not closed: " + e);
                        }
                        g.rejected.incrementAndGet();
                    } catch (Throwable e) {
                        problems.add("defer threw " + e);
                    }
                    workerOps.incrementAndGet();
                    i++;
                }
            }, "worker-" + w);
            t.start();
            workers.add(t);
        }

        // close B from one of its callbacks, start a new B, a few times while the workers run
        for (int i = 1; i <= B_GENERATIONS; i++) {
            Gen old = b.get();
            assertTrue(old.busy.await(60, TimeUnit.SECONDS) && old.echoed.await(60, TimeUnit.SECONDS),
                    old.name + " did not get busy: ran " + old.ran.get() + " of " + old.accepted.get() + ", "
                    + old.echoesBack.get() + " echoes back, worker defers " + workerOps.get() + ", problems "
                    + problems);
            try {
                old.handle.defer(loop -> {
                    old.closing = true;
                    loop.close();
                    old.closed = true;
                });
            } catch (UsException e) {
                problems.add("closing B: " + e);
            }
            assertTrue(old.ended.await(60, TimeUnit.SECONDS), old.name + " did not end");
            if (i < B_GENERATIONS) {
                Gen next = new Gen("B" + i);
                bs.add(next);
                tb = startLoop(next, false);
                b.set(next);
            }
        }
        stop.set(true);
        for (Thread t : workers) {
            t.join(60_000);
            assertTrue(!t.isAlive(), t.getName() + " did not finish");
        }
        // B stays closed now; drain A: wait until its last defers ran and its echoes came back, then end it
        Gen lastB = b.get();
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(60);
        while (System.nanoTime() < deadline
                && (a.ran.get() < a.accepted.get() || a.echoesBack.get() < a.echoesStarted.get()
                    || a.timersFired.get() < a.timersSet.get())) {
            CountDownLatch tick = new CountDownLatch(1);
            a.handle.defer(loop -> tick.countDown()); // a probe, not counted: waits for one turn of A
            tick.await(10, TimeUnit.SECONDS);
        }
        a.handle.defer(loop -> {
            a.closing = true;
            loop.close();
            a.closed = true;
        });
        assertTrue(a.ended.await(60, TimeUnit.SECONDS), "A did not end");
        ta.join(10_000);
        tb.join(10_000);

        long bAccepted = 0, bRejected = 0, bEchoes = 0, bCut = 0;
        for (Gen g : bs) {
            assertEquals(g.accepted.get(), g.ran.get(), g.name + ": accepted defers and those that ran");
            assertEquals(g.echoesStarted.get(), g.echoesBack.get() + g.echoesCut.get(), g.name + ": echoes");
            assertEquals(0, g.ranAfterClose.get(), g.name + ": callbacks after close()");
            bAccepted += g.accepted.get();
            bRejected += g.rejected.get();
            bEchoes += g.echoesBack.get();
            bCut += g.echoesCut.get();
        }
        assertEquals(a.accepted.get(), a.ran.get(), "A: accepted defers and those that ran");
        assertEquals(a.echoesStarted.get(), a.echoesBack.get(), "A: every echo back");
        assertEquals(0, a.echoesCut.get(), "A: no echo cut");
        assertEquals(a.timersSet.get(), a.timersFired.get(), "A: every timer fired");
        assertEquals(0, a.ranAfterClose.get(), "A: callbacks after close()");
        assertTrue(bRejected > 0 || lastB.closed, "B was closed under the workers");
        assertEquals(List.of(), List.copyOf(problems), "seed " + seed);
        System.out.printf("LoopsHammerTest seed %d: %d worker defers; A ran %d defers, %d echoes, %d timers; B (%d lives) ran %d"
                + " defers, refused %d after close, %d echoes back, %d cut by its close%n", seed, workerOps.get(), a.ran.get(),
                a.echoesBack.get(), a.timersFired.get(), bs.size(), bAccepted, bRejected, bEchoes, bCut);
    }

    /** A loop on a thread of its own; A also serves echo. Returns the thread; handle is set before it returns. */
    private Thread startLoop(Gen g, boolean server) throws InterruptedException {
        CountDownLatch ready = new CountDownLatch(1);
        Thread t = new Thread(() -> {
            try (Loop<Gen> loop = Loop.create(g)) {
                loop.exceptionHandler(e -> problems.add(g.name + ": callback threw " + e));
                g.handle = loop.handle();
                Timer<Void> keepAlive = loop.createTimer();
                keepAlive.set(3_600_000, 3_600_000, x -> { });
                if (server) {
                    SocketContext<Void> echo = loop.createSocketContext(SocketContextOptions.plain());
                    echo.onData((s, data) -> {
                        afterCloseCheck(g);
                        s.send(data);
                    });
                    echo.onEnd(s -> s.close());
                    ListenSocket l = echo.listen("127.0.0.1", 0);
                    serverPort = l.port();
                }
                g.clients = loop.createSocketContext(SocketContextOptions.plain());
                g.clients.onOpen((s, isClient, ip) -> {
                    afterCloseCheck(g);
                    s.send(s.requireExt().expect);
                });
                g.clients.onData((s, data) -> {
                    afterCloseCheck(g);
                    Client c = s.requireExt();
                    while (data.hasRemaining()) {
                        if (!c.waiting || c.got >= c.expect.length || data.get() != c.expect[c.got++]) {
                            problems.add(g.name + ": a wrong or unexpected byte at " + (c.got - 1));
                            s.close();
                            return;
                        }
                    }
                    if (c.got == c.expect.length) {
                        c.waiting = false;
                        g.echoesBack.incrementAndGet();
                        g.echoed.countDown();
                        g.idle.add(s);
                    }
                });
                g.clients.onConnectError((s, code) -> {
                    afterCloseCheck(g);
                    problems.add(g.name + ": connect error " + code);
                });
                g.clients.onClose((s, code) -> {
                    afterCloseCheck(g);
                    Client c = s.requireExt();
                    g.idle.remove(s);
                    if (c.waiting) {
                        c.waiting = false;
                        if (g.closing) {
                            g.echoesCut.incrementAndGet();
                        } else {
                            problems.add(g.name + ": an echo lost, socket closed with code " + code);
                            g.echoesCut.incrementAndGet();
                        }
                    }
                });
                ready.countDown();
                loop.run();
            } catch (Throwable e) {
                problems.add(g.name + ": loop thread threw " + e);
            } finally {
                g.closed = true;
                ready.countDown();
                g.ended.countDown();
            }
        }, "loop-" + g.name);
        t.start();
        assertTrue(ready.await(30, TimeUnit.SECONDS));
        return t;
    }

    private void afterCloseCheck(Gen g) {
        if (g.closed) {
            g.ranAfterClose.incrementAndGet();
        }
    }

    private static byte[] message(int size, long tag) {
        byte[] m = new byte[size];
        long x = tag;
        for (int i = 0; i < size; i++) {
            x = x * 6364136223846793005L + 1442695040888963407L;
            m[i] = (byte) (x >>> 56);
        }
        return m;
    }

    /** One random operation, on g's loop thread. */
    private void runOp(Loop<Gen> loop, Gen g, int op, int size, long tag) {
        g.ran.incrementAndGet();
        g.busy.countDown();
        if (!loop.isOnLoopThread()) {
            problems.add(g.name + ": a deferred callback off its loop thread");
        }
        if (g.closing || loop.isClosed()) {
            return; // deferred before close(): it runs, but there is nothing left to touch
        }
        switch (op) {
            case 0, 1 -> {
                Client c = new Client(g);
                c.expect = message(size, tag);
                c.waiting = true;
                Socket<Client> s = g.clients.connect("127.0.0.1", serverPort);
                s.setExt(c);
                g.echoesStarted.incrementAndGet();
            }
            case 2, 3 -> {
                if (!g.idle.isEmpty()) {
                    Socket<Client> s = g.idle.remove((int) Math.floorMod(tag, (long) g.idle.size()));
                    Client c = s.requireExt();
                    c.expect = message(size, tag);
                    c.got = 0;
                    c.waiting = true;
                    g.echoesStarted.incrementAndGet();
                    s.send(c.expect);
                }
            }
            case 4, 5 -> {
                if (!g.idle.isEmpty()) {
                    g.idle.remove((int) Math.floorMod(tag, (long) g.idle.size())).close();
                }
            }
            case 6, 7 -> {
                Timer<Void> t = loop.createTimer();
                g.timersSet.incrementAndGet();
                t.set(1 + (int) Math.floorMod(tag, 5L), 0, timer -> {
                    afterCloseCheck(g);
                    g.timersFired.incrementAndGet();
                    timer.close();
                });
            }
            default -> {
                g.accepted.incrementAndGet();
                loop.handle().defer(l -> runOp(l, g, 4, size, tag)); // a close, deferred from the loop itself
            }
        }
    }
}
