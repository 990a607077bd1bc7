package org.usockets4j.reliability;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;

/** A fresh JVM (this java binary) run to its end, bounded in time, with its merged output. */
final class Child {
    final int exitCode;
    final String output;

    private Child(int exitCode, String output) {
        this.exitCode = exitCode;
        this.output = output;
    }

    static Child run(long timeoutSeconds, List<String> javaArgs) throws IOException, InterruptedException {
        List<String> command = new ArrayList<>();
        command.add(Path.of(System.getProperty("java.home"), "bin", "java").toString());
        command.addAll(javaArgs);
        Process process = new ProcessBuilder(command).redirectErrorStream(true).start();
        StringBuilder out = new StringBuilder();
        Thread reader = new Thread(() -> {
            try {
                out.append(new String(process.getInputStream().readAllBytes(), StandardCharsets.UTF_8));
            } catch (IOException e) {
                out.append("reading the child's output failed: ").append(e);
            }
        }, "child-output");
        reader.start();
        if (!process.waitFor(timeoutSeconds, TimeUnit.SECONDS)) {
            process.destroyForcibly();
            reader.join(5_000);
            throw new AssertionError("child JVM still running after " + timeoutSeconds + " s: " + command + "\n" + out);
        }
        reader.join(10_000);
        return new Child(process.exitValue(), out.toString());
    }

    /** The folder or jar a class was loaded from. */
    static Path codeSource(Class<?> c) {
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
