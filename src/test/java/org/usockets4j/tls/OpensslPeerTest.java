package org.usockets4j.tls;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.BufferedReader;
import java.io.InputStreamReader;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;

import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;
import org.junit.jupiter.api.Timeout;
import org.usockets4j.SocketContextOptions;

/** A real {@code openssl s_client} process against the usockets4j server: it verifies the server and gets echoes. */
@Timeout(value = 60, unit = TimeUnit.SECONDS, threadMode = Timeout.ThreadMode.SEPARATE_THREAD)
class OpensslPeerTest {

    @ParameterizedTest
    @ValueSource(strings = {"-tls1_3", "-tls1_2"})
    void opensslSClientIsVerifiedAndEchoed(String version) throws Exception {
        Pki pki = Pki.get();
        try (EchoServer server = EchoServer.start(SocketContextOptions.tls(pki.cert("server"), pki.key("server")))) {
            List<String> command = new ArrayList<>(List.of("openssl", "s_client", "-connect", "127.0.0.1:" + server.port,
                    "-CAfile", pki.ca().toString(), "-verify_return_error", "-verify_hostname", "localhost",
                    "-servername", "localhost", "-brief", "-no_ign_eof", version));
            Process p = new ProcessBuilder(command).redirectErrorStream(true).start();
            BlockingQueue<String> lines = new LinkedBlockingQueue<>();
            StringBuilder all = new StringBuilder();
            Thread reader = new Thread(() -> {
                try (BufferedReader in = new BufferedReader(new InputStreamReader(p.getInputStream(), StandardCharsets.UTF_8))) {
                    for (String line; (line = in.readLine()) != null;) {
                        synchronized (all) {
                            all.append(line).append('\n');
                        }
                        lines.add(line);
                    }
                } catch (Exception ignored) {
                    // the process is gone
                }
            });
            reader.setDaemon(true);
            reader.start();
            try {
                OutputStream in = p.getOutputStream();
                for (String message : new String[] {"hello from s_client", "second line"}) {
                    in.write((message + "\n").getBytes(StandardCharsets.UTF_8));
                    in.flush();
                    awaitLine(lines, message, all);
                }
                in.close(); // s_client ends at the end of its input
                assertTrue(p.waitFor(10, TimeUnit.SECONDS), "s_client did not end within 10 s:\n" + all);
                reader.join(5_000);
                String output;
                synchronized (all) {
                    output = all.toString();
                }
                assertEquals(0, p.exitValue(), output);
                assertTrue(output.contains("Verification: OK"), output);
                assertTrue(output.contains("Verified peername: localhost"), output);
                String protocol = version.equals("-tls1_3") ? "TLSv1.3" : "TLSv1.2";
                assertTrue(output.contains("Protocol version: " + protocol), output);

                EchoServer.Conn c = server.nextClosed();
                assertEquals(protocol, c.protocol, c.toString());
                assertEquals("localhost", c.serverName);
                assertEquals("hello from s_client\nsecond line\n".length(), c.bytes);
            } finally {
                p.destroyForcibly();
            }
        }
    }

    private static void awaitLine(BlockingQueue<String> lines, String want, StringBuilder all) throws InterruptedException {
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
        for (;;) {
            long left = deadline - System.nanoTime();
            String line = left > 0 ? lines.poll(left, TimeUnit.NANOSECONDS) : null;
            if (line == null) {
                synchronized (all) {
                    throw new AssertionError("no echo of \"" + want + "\" within 10 s; s_client printed:\n" + all);
                }
            }
            if (line.equals(want)) {
                return;
            }
        }
    }
}
