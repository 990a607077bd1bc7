package org.usockets4j;

import java.util.concurrent.CountDownLatch;
import java.util.concurrent.atomic.AtomicInteger;

/** Run in a child JVM under -Xcheck:jni: exercises every native and upcall of loop, timer and defer. */
public final class JniCheckMain {
    public static void main(String[] args) throws Exception {
        AtomicInteger ran = new AtomicInteger();
        for (int round = 0; round < 3; round++) {
            Loop<Void> loop = Loop.create();
            loop.exceptionHandler(t -> ran.incrementAndGet());
            loop.onPre(l -> { }).onPost(l -> { });
            Timer<Void> repeat = loop.createTimer();
            int[] fires = {0};
            repeat.set(1, 1, t -> {
                if (++fires[0] == 3) {
                    throw new IllegalStateException("timer callback throws");
                }
                if (fires[0] == 20) {
                    t.close();
                }
            });
            Timer<Void> fallthrough = loop.createTimer(true);
            fallthrough.set(10_000, 0, t -> { });
            fallthrough.reset(20_000, 0);
            CountDownLatch started = new CountDownLatch(4);
            Thread[] producers = new Thread[4];
            for (int p = 0; p < producers.length; p++) {
                producers[p] = new Thread(() -> {
                    started.countDown();
                    for (int i = 0; i < 10_000; i++) {
                        loop.handle().defer(l -> ran.incrementAndGet());
                    }
                });
                producers[p].start();
            }
            started.await();
            loop.defer(l -> {
                throw new IllegalArgumentException("deferred callback throws");
            });
            loop.run();
            for (Thread p : producers) {
                p.join();
            }
            System.out.println("round " + round + ": iterations " + loop.iteration() + ", timer fires " + fires[0]);
            loop.close();
        }
        System.out.println("callbacks and handled exceptions: " + ran.get());
        System.out.println("JNI-CHECK-DONE");
    }
}
