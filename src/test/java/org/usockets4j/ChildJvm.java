package org.usockets4j;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;

/** Starts a fresh JVM (the running java binary) and collects its exit code and merged output, bounded in time. */
public final class ChildJvm {
    public final int exitCode;
    public final String output;

    private ChildJvm(int exitCode, String output) {
        this.exitCode = exitCode;
        this.output = output;
    }

    public static ChildJvm run(long timeoutSeconds, List<String> javaArgs) throws IOException, InterruptedException {
        List<String> command = new ArrayList<>();
        command.add(Path.of(System.getProperty("java.home"), "bin", "java").toString());
        command.addAll(javaArgs);
        Process process = new ProcessBuilder(command).redirectErrorStream(true).start();
        byte[][] out = new byte[1][];
        Thread reader = new Thread(() -> {
            try {
                out[0] = process.getInputStream().readAllBytes();
            } catch (IOException e) {
                out[0] = ("reading child output failed: " + e).getBytes(StandardCharsets.UTF_8);
            }
        }, "child-output");
        reader.start();
        if (!process.waitFor(timeoutSeconds, TimeUnit.SECONDS)) {
            process.destroyForcibly();
            reader.join(5_000);
            String partial = out[0] == null ? "" : new String(out[0], StandardCharsets.UTF_8);
            throw new AssertionError("child JVM timed out after " + timeoutSeconds + " s: " + command + "\n" + partial);
        }
        reader.join(10_000);
        return new ChildJvm(process.exitValue(), new String(out[0], StandardCharsets.UTF_8));
    }

    /** The folder or jar a class was loaded from. */
    public static Path codeSource(Class<?> c) {
        try {
            return Path.of(c.getProtectionDomain().getCodeSource().getLocation().toURI());
        } catch (Exception e) {
            throw new IllegalStateException(e);
        }
    }

    @Override
    public String toString() {
        return "exit " + exitCode + ", output:\n" + output;
    }
}
