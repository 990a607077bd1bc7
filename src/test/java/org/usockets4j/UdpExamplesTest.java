package org.usockets4j;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.usockets4j.ProjectFiles.libraryClasspath;
import static org.usockets4j.ProjectFiles.projectDir;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

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

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * Runs examples/UdpEchoServer.java and examples/UdpEchoClient.java as a user would, with the JDK's source launcher
 * in child JVMs, against the library this build made (the jar when there is one, else the classes folder).
 */
@Timeout(value = 90, unit = TimeUnit.SECONDS, threadMode = Timeout.ThreadMode.SEPARATE_THREAD)
class UdpExamplesTest {

    /** A child JVM whose output lines arrive in a queue as they are printed. */
    static final class Child implements AutoCloseable {
        final Process process;
        final BlockingQueue<String> lines = new LinkedBlockingQueue<>();
        final StringBuilder all = new StringBuilder();

        Child(List<String> args) throws IOException {
            List<String> command = new ArrayList<>();
            command.add(Path.of(System.getProperty("java.home"), "bin", "java").toString());
            command.add("-cp");
            command.add(libraryClasspath());
            command.addAll(args);
            process = new ProcessBuilder(command).directory(projectDir().toFile()).redirectErrorStream(true).start();
            Thread reader = new Thread(() -> {
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
            });
            reader.setDaemon(true);
            reader.start();
        }

        /** The first line matching pattern within seconds, or an AssertionError with everything printed. */
        Matcher awaitLine(Pattern pattern, int seconds) throws InterruptedException {
            long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(seconds);
            for (;;) {
                long left = deadline - System.nanoTime();
                String line = left > 0 ? lines.poll(left, TimeUnit.NANOSECONDS) : null;
                if (line == null) {
                    throw new AssertionError("no line matching " + pattern + " within " + seconds + " s; output:\n" + output());
                }
                Matcher m = pattern.matcher(line);
                if (m.find()) {
                    return m;
                }
            }
        }

        /** The exit code within seconds, or an AssertionError (the process is killed). */
        int awaitExit(int seconds) throws InterruptedException {
            if (!process.waitFor(seconds, TimeUnit.SECONDS)) {
                process.destroyForcibly();
                throw new AssertionError("still running after " + seconds + " s; output:\n" + output());
            }
            return process.exitValue();
        }

        String output() {
            synchronized (all) {
                return all.toString();
            }
        }

        @Override
        public void close() {
            process.destroyForcibly();
        }
    }


    @Test
    void theEchoClientGetsEveryDatagramBackFromTheEchoServer() throws Exception {
        int count = 20_000;
        Path examples = projectDir().resolve("examples");
        assertTrue(Files.isRegularFile(examples.resolve("UdpEchoServer.java")), "examples/ not found from " + projectDir());
        try (Child server = new Child(List.of("examples/UdpEchoServer.java", "0", "127.0.0.1", String.valueOf(count)))) {
            Matcher port = server.awaitLine(Pattern.compile("port (\\d+)"), 30);
            assertNotNull(port);
            try (Child client = new Child(List.of("examples/UdpEchoClient.java", "127.0.0.1", port.group(1),
                    String.valueOf(count), "64"))) {
                int code = client.awaitExit(40);
                assertEquals(0, code, client.output());
                assertTrue(client.output().contains("echoed intact " + count + ", corrupt 0, lost 0"), client.output());
            }
            assertEquals(0, server.awaitExit(10), server.output());
            assertTrue(server.output().contains("echoed " + count + " datagrams"), server.output());
        }
    }

    @Test
    void theEchoClientFailsWhenNobodyAnswers() throws Exception {
        int silentPort;
        try (java.nio.channels.DatagramChannel silent = java.nio.channels.DatagramChannel.open()) {
            silent.bind(new java.net.InetSocketAddress("127.0.0.1", 0)); // bound, never reads: datagrams vanish
            silentPort = ((java.net.InetSocketAddress) silent.getLocalAddress()).getPort();
            try (Child client = new Child(List.of("examples/UdpEchoClient.java", "127.0.0.1",
                    String.valueOf(silentPort), "10", "4"))) {
                assertEquals(1, client.awaitExit(40), client.output());
                assertTrue(client.output().contains("lost 10"), client.output());
            }
        }
    }
}
