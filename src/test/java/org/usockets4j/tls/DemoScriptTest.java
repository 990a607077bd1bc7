package org.usockets4j.tls;

import static org.usockets4j.ProjectFiles.libraryClasspath;
import static org.usockets4j.ProjectFiles.projectDir;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;
import org.usockets4j.BoundedProcess;

/**
 * Runs scripts/demo.sh as a user would (bash, bounded to 90 s) against the library this build made, with its
 * certificates in a temporary folder: it exits 0 and prints the client's summary and the server's log, ending in a
 * graceful stop. Also runs examples/TlsEchoClient.java against a server it cannot verify: it must exit non-zero.
 */
@Timeout(value = 120, unit = TimeUnit.SECONDS, threadMode = Timeout.ThreadMode.SEPARATE_THREAD)
class DemoScriptTest {


    /** Runs command in the project folder with the demo's environment, for at most seconds. */
    static BoundedProcess run(Path certs, int seconds, String... command) throws Exception {
        ProcessBuilder pb = new ProcessBuilder(command).directory(projectDir().toFile());
        pb.environment().put("USOCKETS4J_JAR", libraryClasspath());
        pb.environment().put("USOCKETS4J_DEMO_CERTS", certs.toString());
        return BoundedProcess.run(pb, seconds);
    }

    static String java() {
        return Path.of(System.getProperty("java.home"), "bin", "java").toString();
    }

    /** The first line a reader gives, waited for in a helper thread (bounded). */
    static final class CompletableFutureLine {
        private final java.util.concurrent.CompletableFuture<String> line = new java.util.concurrent.CompletableFuture<>();

        CompletableFutureLine(java.io.BufferedReader reader) {
            Thread t = new Thread(() -> {
                try {
                    String l = reader.readLine();
                    line.complete(l == null ? "" : l);
                    while (reader.readLine() != null) {
                        // drain the rest so the process never blocks on a full pipe
                    }
                } catch (Exception e) {
                    line.complete("");
                }
            });
            t.setDaemon(true);
            t.start();
        }

        String get(int seconds) throws Exception {
            return line.get(seconds, TimeUnit.SECONDS);
        }
    }

    @Test
    void theDemoScriptRunsTheTlsEchoDemoAndExitsZero(@TempDir Path certs) throws Exception {
        BoundedProcess r = run(certs, 90, "bash", "scripts/demo.sh");
        String output = r.output;
        assertEquals(0, r.exitCode, output);
        assertTrue(Files.isRegularFile(certs.resolve("ca.pem")), "the demo CA was made in " + certs);
        Matcher summary = Pattern.compile("\\[client\\] OK: 4000 lines \\((\\d+) bytes\\) echoed over 4 TLS connection")
                .matcher(output);
        assertTrue(summary.find(), output);
        assertTrue(output.contains("[client] TLS: TLSv1.3 "), output);
        assertTrue(output.contains("verified against " + certs.resolve("ca.pem")), output);
        assertTrue(output.contains("[server] stopping (stdin)"), output);
        assertTrue(output.contains("[server] stopped: 4 connections, " + summary.group(1) + " bytes echoed"), output);
        assertTrue(output.contains("demo: OK"), output);

        // the example client against a server it cannot verify (a leaf certificate is no CA): it must fail
        ProcessBuilder pb = new ProcessBuilder(java(), "-cp", libraryClasspath(), "examples/TlsEchoServer.java", "--stdin",
                "0", certs.resolve("server.pem").toString(), certs.resolve("server.key").toString())
                .directory(projectDir().toFile()).redirectErrorStream(true);
        Process server = pb.start();
        try {
            java.io.BufferedReader lines = new java.io.BufferedReader(
                    new java.io.InputStreamReader(server.getInputStream(), StandardCharsets.UTF_8));
            CompletableFutureLine first = new CompletableFutureLine(lines);
            Matcher port = Pattern.compile("listening on 127\\.0\\.0\\.1 port (\\d+)").matcher(first.get(30));
            assertTrue(port.find());
            BoundedProcess refused = run(certs, 60, java(), "-cp", libraryClasspath(), "examples/TlsEchoClient.java",
                    port.group(1), "localhost", certs.resolve("server.pem").toString(), "2", "10");
            assertEquals(1, refused.exitCode, refused.output);
            assertTrue(refused.output.contains("FAILED") && refused.output.contains("certificate verify failed"),
                    refused.output);
            server.getOutputStream().close(); // end of input: the server stops
            assertTrue(server.waitFor(20, TimeUnit.SECONDS), "the server did not stop at the end of its input");
            assertEquals(0, server.exitValue());
        } finally {
            server.destroyForcibly();
        }
    }

    @Test
    void theExampleServerStopsGracefullyOnSigterm() throws Exception {
        Pki pki = Pki.get();
        Process server = new ProcessBuilder(java(), "-cp", libraryClasspath(), "examples/TlsEchoServer.java", "0",
                pki.cert("server").toString(), pki.key("server").toString())
                .directory(projectDir().toFile()).redirectErrorStream(true).start();
        try {
            java.util.concurrent.BlockingQueue<String> lines = new java.util.concurrent.LinkedBlockingQueue<>();
            Thread reader = new Thread(() -> {
                try (java.io.BufferedReader in = new java.io.BufferedReader(
                        new java.io.InputStreamReader(server.getInputStream(), StandardCharsets.UTF_8))) {
                    for (String line; (line = in.readLine()) != null;) {
                        lines.add(line);
                    }
                } catch (Exception ignored) {
                    // gone
                }
            });
            reader.setDaemon(true);
            reader.start();
            String first = lines.poll(30, TimeUnit.SECONDS);
            assertTrue(first != null, "the server printed nothing within 30 s");
            Matcher port = Pattern.compile("listening on 127\\.0\\.0\\.1 port (\\d+)").matcher(first);
            assertTrue(port.find(), first);
            try (javax.net.ssl.SSLSocket client = (javax.net.ssl.SSLSocket) pki.jdkContext(false).getSocketFactory()
                    .createSocket("127.0.0.1", Integer.parseInt(port.group(1)))) {
                client.setSoTimeout(20_000);
                client.getOutputStream().write("ping\n".getBytes(StandardCharsets.UTF_8));
                client.getOutputStream().flush();
                assertEquals("ping\n", new String(client.getInputStream().readNBytes(5), StandardCharsets.UTF_8));
                server.toHandle().destroy(); // SIGTERM (Process.destroy would also close our end of its output)
                assertEquals(-1, client.getInputStream().read(), "close_notify, then the end of the stream");
            }
            assertTrue(server.waitFor(20, TimeUnit.SECONDS), "the server did not stop on SIGTERM");
            reader.join(5_000);
            StringBuilder all = new StringBuilder(first).append('\n');
            lines.forEach(l -> all.append(l).append('\n'));
            assertEquals(143, server.exitValue(), all.toString()); // the JVM's exit code after SIGTERM
            assertTrue(all.toString().contains("stopping (signal): 1 connection(s) open"), all.toString());
            assertTrue(all.toString().contains("stopped: 1 connections, 5 bytes echoed"), all.toString());
        } finally {
            server.destroyForcibly();
        }
    }
}
