package org.usockets4j;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * The pre and post hooks around iterations. The next iteration's pre work runs inside the post callback's upcall
 * (one upcall per iteration), which must not show: pre of iteration n + 1 follows post of n and sees iteration()
 * n + 1, and no pre hook runs after the last iteration (run returns instead).
 */
@Timeout(value = 30, unit = TimeUnit.SECONDS, threadMode = Timeout.ThreadMode.SEPARATE_THREAD)
class LoopHooksTest {
    @Test
    void preFollowsPostWithTheNextIterationNumberAndNotAfterTheLast() {
        List<String> seen = new ArrayList<>();
        try (Loop<Void> loop = Loop.create()) {
            loop.onPre(l -> seen.add("pre " + l.iteration()));
            loop.onPost(l -> seen.add("post " + l.iteration()));
            int[] fires = {0};
            loop.createTimer().set(1, 1, t -> {
                seen.add("timer " + loop.iteration());
                if (++fires[0] == 3) {
                    t.close(); // nothing else keeps the loop going: this iteration is the last
                }
            });
            loop.run();
        }
        // iterations without a timer (the timer's kernel clock) may come in between: check the pattern
        long expect = 0;
        String last = null;
        for (String s : seen) {
            String[] kv = s.split(" ");
            long n = Long.parseLong(kv[1]);
            switch (kv[0]) {
                case "pre" -> {
                    assertEquals(expect, n, seen.toString());
                    assertEquals(last == null ? null : "post", last == null ? null : last.split(" ")[0], seen.toString());
                }
                case "timer" -> assertEquals(expect, n, seen.toString());
                case "post" -> {
                    assertEquals(expect, n, seen.toString());
                    expect++;
                }
                default -> throw new AssertionError(s);
            }
            last = s;
        }
        assertEquals("post", last.split(" ")[0], "the last hook is a post: " + seen);
        assertEquals(3, seen.stream().filter(s -> s.startsWith("timer")).count());
    }
}
