package org.usockets4j.reliability;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.File;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.usockets4j.BoundedProcess;

/**
 * Native memory and descriptors under churn: a child JVM ({@link ChurnMain}, on the packaged jar) opens and closes
 * 200 000 connections on one loop: TCP echo, TLS echo, TLS clients that do not trust the server, garbage at the
 * TLS port, connects to a closed port. Between the sample after the warm-up (100 000 connections) and the one at
 * the end, its RSS grows by less than 5 MiB, and its descriptor count is back where it was (and once the loop is
 * closed, no more descriptors are open than before it was created). The child's heap is
 * fixed and pre-touched, so RSS moves with native memory, not with the collector's mood.
 */
@Timeout(value = 300, unit = TimeUnit.SECONDS, threadMode = Timeout.ThreadMode.SEPARATE_THREAD)
class ChurnIT {
    static final int TOTAL = Integer.getInteger("usockets4j.churn.total", 200_000);
    static final int WARMUP = TOTAL / 2; // why so long: see ChurnMain

    @Test
    void rssAndDescriptorsStayFlatOver200000Connections() throws Exception {
        LoadCerts certs = LoadCerts.make();
        String java = Path.of(System.getProperty("java.home"), "bin", "java").toString();
        String cp = System.getProperty("usockets4j.jar", "target/usockets4j-0.1.0-SNAPSHOT.jar") + File.pathSeparator
                + System.getProperty("usockets4j.testClasses", "target/test-classes");
        List<String> command = new ArrayList<>(List.of(java, "-Xms64m", "-Xmx64m", "-XX:+AlwaysPreTouch",
                "-XX:+UseSerialGC", "-Xshare:off", "-cp", cp, ChurnMain.class.getName(), certs.dir.toString(),
                String.valueOf(TOTAL), String.valueOf(WARMUP)));
        ProcessBuilder pb = new ProcessBuilder(command);
        // one malloc arena: memory the JIT's threads free is reused by the loop thread instead of sitting in
        // arenas of their own (with the default, the samples scatter by ~5 MiB more)
        pb.environment().put("MALLOC_ARENA_MAX", "1");
        BoundedProcess child = BoundedProcess.run(pb, 270); // fails the test when the churn does not finish
        String output = child.output;
        System.out.print(output);
        assertEquals(0, child.exitCode, output);

        Map<String, String> f = new HashMap<>();
        for (String line : output.split("\n")) {
            if (line.startsWith("CHURN ")) {
                for (String kv : line.substring(6).trim().split(" ")) {
                    String[] p = kv.split("=", 2);
                    f.put(p[0], p[1]);
                }
            }
        }
        assertEquals(String.valueOf(TOTAL), f.get("connections"), output);
        for (String kind : new String[] {"tcp", "tls", "wrongCa", "garbage", "refused"}) {
            assertTrue(Long.parseLong(f.get(kind)) > 0, kind + " never ran: " + output);
        }
        long growthKiB = Long.parseLong(f.get("rssGrowthKiB"));
        assertTrue(growthKiB < 5 * 1024, "RSS grew by " + growthKiB + " KiB after the warm-up: " + output);
        assertEquals(f.get("fdsWarm"), f.get("fdsEnd"), "descriptors after the warm-up and at the end: " + output);
        assertTrue(Long.parseLong(f.get("fdsAfterClose")) <= Long.parseLong(f.get("fdsBefore")),
                "descriptors after closing the loop, more than before it was created: " + output);
    }
}
