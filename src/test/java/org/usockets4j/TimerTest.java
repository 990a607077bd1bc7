package org.usockets4j;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import java.util.concurrent.TimeUnit;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/** Timers on a real loop: each test runs the loop on its own thread, bounded by @Timeout. */
@Timeout(value = 60, unit = TimeUnit.SECONDS, threadMode = Timeout.ThreadMode.SEPARATE_THREAD)
class TimerTest {

    @Test
    void oneShotFiresOnce() {
        try (Loop<Void> loop = Loop.create()) {
            int[] fired = {0};
            Timer<Void> once = loop.createTimer();
            once.set(5, 0, t -> fired[0]++);
            Timer<Void> end = loop.createTimer();
            end.set(100, 0, t -> {
                once.close();
                t.close();
            });
            loop.run();
            assertEquals(1, fired[0]);
        }
    }

    @Test
    void repeatFiresNTimes() {
        try (Loop<Void> loop = Loop.create()) {
            int[] fired = {0};
            loop.createTimer().set(1, 1, t -> {
                if (++fired[0] == 20) {
                    t.close();
                }
            });
            loop.run();
            assertEquals(20, fired[0]);
        }
    }

    @Test
    void resetChangesThePeriod() {
        try (Loop<Void> loop = Loop.create()) {
            int[] fired = {0};
            Timer<Void> timer = loop.createTimer();
            timer.set(10_000, 10_000, t -> {
                if (++fired[0] == 3) {
                    t.close();
                }
            });
            timer.reset(5, 5);
            long t0 = System.nanoTime();
            loop.run();
            long ms = TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - t0);
            assertEquals(3, fired[0]);
            assertTrue(ms < 5_000, "reset to 5 ms took " + ms + " ms for three fires");
        }
    }

    @Test
    void closeInsideItsOwnCallback() {
        try (Loop<String> loop = Loop.create()) {
            int[] fired = {0};
            Timer<String> timer = loop.createTimer();
            timer.setExt("mine");
            timer.set(1, 1, t -> {
                fired[0]++;
                assertEquals("mine", t.ext());
                t.close();
                t.close();
            });
            loop.run();
            assertEquals(1, fired[0]);
            assertTrue(timer.isClosed());
        }
    }

    @Test
    void tenThousandTimersFireInDeadlineOrder() {
        final int count = 10_000;
        final long toleranceNanos = TimeUnit.MILLISECONDS.toNanos(50);
        try (Loop<Void> loop = Loop.create()) {
            Random random = new Random(42);
            long[] deadline = new long[count];
            List<Integer> order = new ArrayList<>(count);
            long[] firedAt = new long[count];
            for (int i = 0; i < count; i++) {
                int id = i;
                // Deadlines from 1 s on, so that creating the timers is over before the first is due.
                int ms = 1_000 + random.nextInt(3_000);
                Timer<Void> timer = loop.createTimer();
                deadline[i] = System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(ms);
                timer.set(ms, 0, t -> {
                    firedAt[id] = System.nanoTime();
                    order.add(id);
                    t.close();
                });
            }
            long runStart = System.nanoTime();
            loop.run();
            long firstDeadline = java.util.Arrays.stream(deadline).min().getAsLong();
            assertTrue(runStart < firstDeadline, "creating 10 000 timers took longer than a second");
            assertEquals(count, order.size(), "every timer fired exactly once");
            assertEquals(count, order.stream().distinct().count());
            long maxSoFar = Long.MIN_VALUE / 2;
            int inversions = 0;
            StringBuilder detail = new StringBuilder();
            int prev = -1;
            for (int id : order) {
                assertTrue(firedAt[id] >= deadline[id] - TimeUnit.MILLISECONDS.toNanos(1),
                        "timer " + id + " fired before its deadline");
                if (deadline[id] < maxSoFar - toleranceNanos) {
                    inversions++;
                    if (detail.length() < 500) {
                        detail.append(String.format(" [timer %d due %d ms, fired %d ms late, after timer %d due %d ms]",
                                id, (deadline[id] - runStart) / 1_000_000, (firedAt[id] - deadline[id]) / 1_000_000,
                                prev, (deadline[prev] - runStart) / 1_000_000));
                    }
                }
                prev = id;
                maxSoFar = Math.max(maxSoFar, deadline[id]);
            }
            assertEquals(0, inversions, "timers fired out of deadline order by more than 50 ms:" + detail);
        }
    }

    @Test
    void fallthroughTimerDoesNotKeepRunAlive() {
        try (Loop<Void> loop = Loop.create()) {
            boolean[] fired = {false};
            Timer<Void> background = loop.createTimer(true);
            background.set(60_000, 0, t -> fired[0] = true);
            loop.createTimer().set(10, 0, Timer::close);
            long t0 = System.nanoTime();
            loop.run();
            assertTrue(System.nanoTime() - t0 < TimeUnit.SECONDS.toNanos(30));
            assertFalse(fired[0]);
            assertFalse(background.isClosed(), "the fallthrough timer stays open until the loop closes");
        }
    }

    @Test
    void runReturnsOnceTheLastTimerCloses() {
        try (Loop<Void> loop = Loop.create()) {
            List<Integer> closed = new ArrayList<>();
            for (int i = 1; i <= 3; i++) {
                int id = i;
                loop.createTimer().set(10 * i, 0, t -> {
                    closed.add(id);
                    t.close();
                });
            }
            Timer<Void> idle = loop.createTimer();
            loop.createTimer().set(40, 0, t -> {
                idle.close();
                t.close();
            });
            loop.run();
            assertEquals(List.of(1, 2, 3), closed);
            assertTrue(idle.isClosed());
        }
    }

    @Test
    void closingTheLoopClosesItsTimers() {
        Loop<Void> loop = Loop.create();
        Timer<Void> a = loop.createTimer();
        Timer<Void> b = loop.createTimer(true);
        a.set(1000, 0, t -> { });
        loop.close();
        assertTrue(a.isClosed());
        assertTrue(b.isClosed());
    }
}
