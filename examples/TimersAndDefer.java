// A first usockets4j program: one loop, a repeating timer, and worker threads that hand work to
// the loop with defer(). Run it against the built jar:
//   java -cp target/usockets4j-0.1.0-SNAPSHOT.jar examples/TimersAndDefer.java
import java.util.ArrayList;
import java.util.List;

import org.usockets4j.Loop;
import org.usockets4j.LoopHandle;
import org.usockets4j.Timer;

public class TimersAndDefer {
    public static void main(String[] args) throws Exception {
        try (Loop<List<String>> loop = Loop.create(new ArrayList<>())) {
            LoopHandle<List<String>> handle = loop.handle();

            // Three workers: each computes something and hands the result to the loop thread.
            List<Thread> workers = new ArrayList<>();
            for (int i = 1; i <= 3; i++) {
                int id = i;
                Thread worker = new Thread(() -> {
                    long sum = 0;
                    for (int k = 1; k <= 1_000_000 * id; k++) {
                        sum += k;
                    }
                    long result = sum;
                    // Runs on the loop thread: no locks needed around the loop's state.
                    handle.defer(l -> l.ext().add("worker " + id + " computed " + result));
                });
                workers.add(worker);
                worker.start();
            }

            // A timer ticking every 50 ms; once it ticked 5 times and every result is in, it closes
            // itself, and run() returns because nothing else keeps the loop alive.
            Timer<Integer> ticker = loop.createTimer();
            ticker.setExt(0);
            ticker.set(50, 50, t -> {
                t.setExt(t.ext() + 1);
                System.out.println("tick " + t.ext() + " (iteration " + loop.iteration() + ")");
                if (t.ext() >= 5 && loop.ext().size() == workers.size()) {
                    t.close();
                }
            });

            loop.run();
            for (Thread worker : workers) {
                worker.join();
            }
            loop.ext().forEach(System.out::println);
            System.out.println("done: " + loop.ext().size() + " results after " + ticker.ext() + " ticks");
        }
    }
}
