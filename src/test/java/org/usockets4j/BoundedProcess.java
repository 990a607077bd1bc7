package org.usockets4j;

import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.util.concurrent.TimeUnit;

/**
 * A process the tests start and wait for, bounded in time: stdin closed, stdout and stderr merged and kept. One that
 * outlives its time is killed with its descendants and fails the test with what it printed so far.
 */
public final class BoundedProcess {
    public final int exitCode;
    public final String output;

    private BoundedProcess(int exitCode, String output) {
        this.exitCode = exitCode;
        this.output = output;
    }

    /** Starts pb (its error stream merged into its output) and waits at most timeoutSeconds for it to end. */
    public static BoundedProcess run(ProcessBuilder pb, long timeoutSeconds) throws IOException, InterruptedException {
        Process p = pb.redirectErrorStream(true).start();
        p.getOutputStream().close();
        byte[][] out = new byte[1][];
        Thread reader = new Thread(() -> {
            try (InputStream in = p.getInputStream()) {
                out[0] = in.readAllBytes();
            } catch (IOException e) {
                out[0] = ("reading the output failed: " + e).getBytes(StandardCharsets.UTF_8);
            }
        }, "process-output");
        reader.start();
        if (!p.waitFor(timeoutSeconds, TimeUnit.SECONDS)) {
            p.descendants().forEach(ProcessHandle::destroyForcibly);
            p.destroyForcibly();
            reader.join(5_000);
            throw new AssertionError(String.join(" ", pb.command()) + " did not end within " + timeoutSeconds
                    + " s:\n" + text(out[0]));
        }
        reader.join(10_000);
        return new BoundedProcess(p.exitValue(), text(out[0]));
    }

    private static String text(byte[] bytes) {
        return bytes == null ? "" : new String(bytes, StandardCharsets.UTF_8);
    }

    @Override
    public String toString() {
        return "exit " + exitCode + ", output:\n" + output;
    }
}
