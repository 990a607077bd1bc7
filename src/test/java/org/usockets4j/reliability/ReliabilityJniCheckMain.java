package org.usockets4j.reliability;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;

/**
 * Run in a child JVM under -Xcheck:jni: the whole misuse walk, then every kind of callback failure. Prints each
 * failure and exits 1 when there is one; prints RELIABILITY-JNI-DONE at the end of a clean run.
 */
public final class ReliabilityJniCheckMain {
    private ReliabilityJniCheckMain() {
    }

    public static void main(String[] args) throws Exception {
        Path dir = Files.createTempDirectory("usockets4j-jnicheck");
        int failed = 0;
        try {
            MisuseWalk walker = new MisuseWalk(dir);
            List<String> walk = args.length > 0 && args[0].equals("close-only") ? List.of() : walker.run();
            System.out.println("misuse walk: " + walker.calls() + " calls");
            walk.forEach(f -> System.out.println("MISUSE FAILURE: " + f));
            failed += walk.size();
            if (args.length > 0 && args[0].equals("close-only")) {
                List<String> closes = new CloseInsideCallbacks(dir).run();
                closes.forEach(f -> System.out.println("CLOSE-INSIDE FAILURE: " + f));
                failed += closes.size();
            } else if (args.length == 0 || !args[0].equals("walk-only")) {
                List<String> callbacks = new CallbackFailures(dir).run();
                callbacks.forEach(f -> System.out.println("CALLBACK FAILURE: " + f));
                failed += callbacks.size();
                List<String> closes = new CloseInsideCallbacks(dir).run();
                closes.forEach(f -> System.out.println("CLOSE-INSIDE FAILURE: " + f));
                failed += closes.size();
            }
        } finally {
            try (var files = Files.walk(dir)) {
                files.sorted(java.util.Comparator.reverseOrder()).forEach(p -> p.toFile().delete());
            }
        }
        System.out.println(failed == 0 ? "RELIABILITY-JNI-DONE" : failed + " failures");
        System.exit(failed == 0 ? 0 : 1);
    }
}
