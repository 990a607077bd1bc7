package org.usockets4j.examples;

import static org.usockets4j.ProjectFiles.libraryClasspath;
import static org.usockets4j.ProjectFiles.projectDir;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;


/**
 * One program of examples/ run as a user runs it: {@code java -cp <library> examples/Name.java args} in a child JVM
 * started from the project folder. Its merged output is collected line by line; every wait is bounded; close()
 * kills it (forcibly) whatever state it is in.
 */
final class ExampleProcess implements AutoCloseable {
    private static final Pattern LISTENING = Pattern.compile("listening on port (\\d+)");

    final Process process;
    private final String name;
    private final BlockingQueue<String> lines = new LinkedBlockingQueue<>();
    private final StringBuilder all = new StringBuilder();
    private final Thread reader;

    private ExampleProcess(String name, List<String> args) throws IOException {
        this.name = name;
        Path source = projectDir().resolve("examples").resolve(name + ".java");
        if (!Files.isRegularFile(source)) {
            throw new IllegalStateException(source + " not found (project folder " + projectDir() + ")");
        }
        List<String> command = new ArrayList<>();
        command.add(Path.of(System.getProperty("java.home"), "bin", "java").toString());
        command.add("-cp");
        command.add(libraryClasspath());
        command.add("examples/" + name + ".java");
        command.addAll(args);
        process = new ProcessBuilder(command).directory(projectDir().toFile()).redirectErrorStream(true).start();
        reader = new Thread(() -> {
            try (BufferedReader in = new BufferedReader(
                    new InputStreamReader(process.getInputStream(), StandardCharsets.UTF_8))) {
                for (String line; (line = in.readLine()) != null;) {
                    synchronized (all) {
                        all.append(line).append('\n');
                    }
                    lines.add(line);
                }
            } catch (IOException ignored) {
                // the process went away
            }
        }, "output of " + name);
        reader.setDaemon(true);
        reader.start();
    }

    /** Starts examples/name.java with args. */
    static ExampleProcess start(String name, String... args) throws IOException {
        return new ExampleProcess(name, List.of(args));
    }

    /** The port from the program's "listening on port N" line (waits up to 30 s: the launcher compiles first). */
    int awaitPort() throws InterruptedException {
        return Integer.parseInt(awaitLine(LISTENING, 30).group(1));
    }

    /** The next line matching pattern within seconds (earlier lines are passed over), or an AssertionError. */
    Matcher awaitLine(Pattern pattern, int seconds) throws InterruptedException {
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(seconds);
        for (;;) {
            long left = deadline - System.nanoTime();
            String line = left > 0 ? lines.poll(left, TimeUnit.NANOSECONDS) : null;
            if (line == null) {
                throw new AssertionError(name + ": no line matching /" + pattern + "/ within " + seconds
                        + " s; output so far:\n" + output());
            }
            Matcher m = pattern.matcher(line);
            if (m.find()) {
                return m;
            }
        }
    }

    /**
     * Sends SIGTERM. Through the ProcessHandle: Process.destroy() sends the same signal but also closes our ends
     * of the child's pipes, so what it prints while it shuts down would be lost (and it would write into a
     * closed pipe).
     */
    void sigterm() {
        process.toHandle().destroy();
    }

    /** The exit code within seconds, or an AssertionError (the process is killed). */
    int awaitExit(int seconds) throws InterruptedException {
        if (!process.waitFor(seconds, TimeUnit.SECONDS)) {
            process.destroyForcibly();
            throw new AssertionError(name + " still running after " + seconds + " s; output:\n" + output());
        }
        reader.join(5_000); // the last lines may still be on their way
        return process.exitValue();
    }

    /** Everything printed so far. */
    String output() {
        synchronized (all) {
            return all.toString();
        }
    }

    @Override
    public void close() {
        process.destroyForcibly();
        try {
            process.waitFor(10, TimeUnit.SECONDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

}
