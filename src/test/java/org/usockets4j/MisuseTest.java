package org.usockets4j;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicReference;
import java.util.function.Supplier;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.function.Executable;

/** Misuse throws clear UsExceptions before any native call; callbacks that throw do not stop the loop. */
@Timeout(value = 60, unit = TimeUnit.SECONDS, threadMode = Timeout.ThreadMode.SEPARATE_THREAD)
class MisuseTest {

    private static void assertKind(UsException.Kind kind, Executable call) {
        UsException e = assertThrows(UsException.class, call);
        assertEquals(kind, e.kind(), e.getMessage());
    }

    /** What call throws when made on a fresh thread. */
    private static UsException fromOtherThread(Runnable call) throws Exception {
        return CompletableFuture.supplyAsync((Supplier<UsException>) () -> {
            try {
                call.run();
                return null;
            } catch (UsException e) {
                return e;
            }
        }, r -> new Thread(r).start()).get(10, TimeUnit.SECONDS);
    }

    @Test
    void otherThreadsGetNotOnLoopThreadBeforeRun() throws Exception {
        try (Loop<Void> loop = Loop.create()) {
            Timer<Void> timer = loop.createTimer();
            timer.set(1000, 0, t -> { });
            for (Runnable call : List.<Runnable>of(
                    loop::createTimer,
                    loop::iteration,
                    () -> loop.onPre(l -> { }),
                    () -> loop.setExt(null),
                    () -> timer.set(1, 0, t -> { }),
                    () -> timer.reset(1, 0),
                    timer::close)) {
                UsException e = fromOtherThread(call);
                assertTrue(e != null, "no exception from another thread");
                assertEquals(UsException.Kind.NOT_ON_LOOP_THREAD, e.kind());
            }
            assertTrue(!timer.isClosed());
        }
    }

    @Test
    void otherThreadsAreRefusedWhileTheLoopRuns() throws Exception {
        Loop<Void> loop = Loop.create();
        CountDownLatch running = new CountDownLatch(1);
        CountDownLatch checked = new CountDownLatch(1);
        Timer<Void> keepAlive = loop.createTimer();
        keepAlive.set(1, 1, t -> {
            running.countDown();
            if (checked.getCount() == 0) {
                t.close();
            }
        });
        AtomicReference<Throwable> loopFailure = new AtomicReference<>();
        Thread loopThread = new Thread(() -> {
            try {
                loop.run();
            } catch (Throwable t) {
                loopFailure.set(t);
            }
        });
        loopThread.start();
        assertTrue(running.await(10, TimeUnit.SECONDS));
        try {
            assertKind(UsException.Kind.NOT_ON_LOOP_THREAD, loop::close);
            assertKind(UsException.Kind.NOT_ON_LOOP_THREAD, loop::createTimer);
            assertKind(UsException.Kind.NOT_ON_LOOP_THREAD, () -> keepAlive.reset(5, 5));
            assertKind(UsException.Kind.LOOP_ALREADY_RUNNING, loop::run);
            assertTrue(!loop.isOnLoopThread());
        } finally {
            checked.countDown();
        }
        loopThread.join(10_000);
        assertTrue(!loopThread.isAlive());
        assertEquals(null, loopFailure.get());
        loop.close();
    }

    @Test
    void closedObjectsThrowClosed() {
        Loop<Void> loop = Loop.create();
        Timer<Void> timer = loop.createTimer();
        timer.close();
        assertKind(UsException.Kind.CLOSED, () -> timer.set(1, 0, t -> { }));
        assertKind(UsException.Kind.CLOSED, () -> timer.reset(1, 0));
        Timer<Void> owned = loop.createTimer();
        loop.close();
        assertTrue(owned.isClosed());
        assertKind(UsException.Kind.CLOSED, () -> owned.set(1, 0, t -> { }));
        assertKind(UsException.Kind.CLOSED, loop::createTimer);
        assertKind(UsException.Kind.CLOSED, loop::run);
        assertKind(UsException.Kind.CLOSED, loop::iteration);
        assertKind(UsException.Kind.LOOP_NOT_RUNNING, () -> loop.defer(l -> { }));
    }

    @Test
    void doubleCloseDoesNothing() throws Exception {
        Loop<Void> loop = Loop.create();
        Timer<Void> timer = loop.createTimer();
        timer.close();
        timer.close();
        loop.close();
        loop.close();
        assertEquals(null, fromOtherThread(loop::close));
        assertEquals(null, fromOtherThread(timer::close));
    }

    @Test
    void invalidArguments() {
        try (Loop<Void> loop = Loop.create()) {
            Timer<Void> timer = loop.createTimer();
            assertKind(UsException.Kind.INVALID_ARGUMENT, () -> timer.set(-1, 0, t -> { }));
            assertKind(UsException.Kind.INVALID_ARGUMENT, () -> timer.set(1, -5, t -> { }));
            assertKind(UsException.Kind.INVALID_ARGUMENT, () -> timer.reset(1, 0));
            assertThrows(NullPointerException.class, () -> timer.set(1, 0, null));
            assertThrows(NullPointerException.class, () -> loop.defer(null));
            assertKind(UsException.Kind.EXT_MISSING, loop::requireExt);
            assertKind(UsException.Kind.EXT_MISSING, timer::requireExt);
        }
    }

    @Test
    void runInsideACallbackIsRefused() {
        try (Loop<Void> loop = Loop.create()) {
            List<Throwable> seen = new ArrayList<>();
            loop.exceptionHandler(seen::add);
            loop.createTimer().set(1, 0, t -> {
                t.close();
                loop.run();
            });
            loop.run();
            assertEquals(1, seen.size());
            assertEquals(UsException.Kind.LOOP_ALREADY_RUNNING, ((UsException) seen.get(0)).kind());
        }
    }

    @Test
    void closeFromTheLoopThreadStopsTheLoopAndFreesItWhenRunReturns() {
        Loop<Void> loop = Loop.create();
        Timer<Void> other = loop.createTimer();
        other.set(60_000, 0, t -> { });
        int[] ran = {0};
        loop.createTimer().set(1, 1, t -> {
            loop.defer(l -> ran[0]++);
            loop.close();
            assertTrue(t.isClosed(), "close() closes what the loop owns at once");
            assertKind(UsException.Kind.LOOP_NOT_RUNNING, () -> loop.defer(l -> { }));
        });
        loop.run();
        assertTrue(loop.isClosed());
        assertTrue(other.isClosed());
        assertEquals(1, ran[0], "what was deferred before close() ran");
        assertKind(UsException.Kind.CLOSED, loop::run);
    }

    private static int recurse(int depth) {
        return depth == Integer.MAX_VALUE ? depth : recurse(depth + 1) + 1;
    }

    @Test
    void anExceptionInEveryCallbackKindReachesTheHandlerAndTheLoopGoesOn() {
        try (Loop<Void> loop = Loop.create()) {
            List<String> seen = new ArrayList<>();
            loop.exceptionHandler(t -> {
                seen.add(t.getClass().getSimpleName() + ":" + t.getMessage());
                if ("handler-throws".equals(t.getMessage())) {
                    throw new IllegalStateException("the handler itself throws");
                }
            });
            boolean[] preThrown = {false};
            boolean[] postThrown = {false};
            loop.onPre(l -> {
                if (!preThrown[0]) {
                    preThrown[0] = true;
                    throw new IllegalStateException("pre");
                }
            });
            loop.onPost(l -> {
                if (!postThrown[0]) {
                    postThrown[0] = true;
                    throw new IllegalStateException("post");
                }
            });
            loop.defer(l -> {
                throw new IllegalArgumentException("defer");
            });
            loop.defer(l -> {
                throw new RuntimeException("handler-throws");
            });
            int[] fires = {0};
            loop.createTimer().set(1, 1, t -> {
                fires[0]++;
                if (fires[0] == 1) {
                    throw new IllegalStateException("timer");
                }
                if (fires[0] == 2) {
                    recurse(0);
                }
                if (fires[0] == 3) {
                    throw new OutOfMemoryError("timer error");
                }
                if (fires[0] == 5) {
                    t.close();
                }
            });
            loop.run();
            assertEquals(5, fires[0], "the loop went on after every exception");
            assertTrue(seen.contains("IllegalStateException:pre"), seen.toString());
            assertTrue(seen.contains("IllegalStateException:post"), seen.toString());
            assertTrue(seen.contains("IllegalArgumentException:defer"), seen.toString());
            assertTrue(seen.contains("RuntimeException:handler-throws"), seen.toString());
            assertTrue(seen.contains("IllegalStateException:timer"), seen.toString());
            assertTrue(seen.stream().anyMatch(s -> s.startsWith("StackOverflowError")), seen.toString());
            assertTrue(seen.contains("OutOfMemoryError:timer error"), seen.toString());
        }
    }
}
