package org.usockets4j.reliability;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;

import javax.net.ssl.SSLContext;
import javax.net.ssl.SSLSocket;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * Out of descriptors, over TLS, three times in a row: a child JVM runs {@link EmfileTlsServer} under
 * {@code ulimit -n 128}. Each round, 250 plain connections exhaust its descriptors while 16 TLS clients keep
 * connecting and wait, queued in the kernel's backlog, for their handshake; then the plain ones go, and every
 * waiting TLS client completes its handshake and gets its echo, and so does a fresh one. After the third round the
 * server still answers and exits 0 when told to, with no callback having thrown. (The TCP variant is
 * tcp/EmfileTest.)
 */
@Timeout(value = 180, unit = TimeUnit.SECONDS, threadMode = Timeout.ThreadMode.SEPARATE_THREAD)
class EmfileTlsTest {
    static final int HOGS = 250, WAITING = 16, ROUNDS = 3;

    @Test
    void tlsServerSurvivesAndRecoversFromDescriptorExhaustionRepeatedly() throws Exception {
        LoadCerts certs = LoadCerts.make();
        SSLContext jdk = certs.jdkClient(true);
        String java = Path.of(System.getProperty("java.home"), "bin", "java").toString();
        String command = "ulimit -n 128 && exec '" + java + "' -Xshare:off -cp '" + System.getProperty("java.class.path")
                + "' " + EmfileTlsServer.class.getName() + " '" + certs.cert("server") + "' '" + certs.key("server") + "'";
        Process child = new ProcessBuilder("sh", "-c", command).redirectErrorStream(true).start();
        List<String> childOutput = new ArrayList<>();
        try {
            BufferedReader out = new BufferedReader(new InputStreamReader(child.getInputStream(), StandardCharsets.UTF_8));
            String first = out.readLine();
            assertNotNull(first, "the child printed nothing");
            assertTrue(first.startsWith("port "), first);
            int port = Integer.parseInt(first.substring(5).trim());
            Thread drain = new Thread(() -> {
                try {
                    for (String line; (line = out.readLine()) != null;) {
                        childOutput.add(line);
                    }
                } catch (IOException ignored) {
                    // the child went away
                }
            });
            drain.start();

            assertEquals("warm", echo(jdk, port, "warm", 20_000));
            int recovered = 0;
            for (int round = 0; round < ROUNDS; round++) {
                List<Socket> hogs = new ArrayList<>();
                for (int i = 0; i < HOGS; i++) {
                    Socket s = new Socket();
                    s.connect(new InetSocketAddress("127.0.0.1", port), 10_000);
                    hogs.add(s);
                }
                // TLS clients keep coming while the server has no descriptor to accept them with
                ConcurrentLinkedQueue<String> answers = new ConcurrentLinkedQueue<>();
                ConcurrentLinkedQueue<Throwable> failures = new ConcurrentLinkedQueue<>();
                AtomicInteger connected = new AtomicInteger();
                List<Thread> waiting = new ArrayList<>();
                for (int i = 0; i < WAITING; i++) {
                    String word = "r" + round + "c" + i;
                    Thread t = new Thread(() -> {
                        try {
                            answers.add(echo(jdk, port, word, 60_000, connected));
                        } catch (Throwable e) {
                            failures.add(e);
                        }
                    });
                    t.start();
                    waiting.add(t);
                }
                long until = System.nanoTime() + TimeUnit.SECONDS.toNanos(20);
                while (connected.get() < WAITING && System.nanoTime() < until) {
                    Thread.onSpinWait();
                }
                assertEquals(WAITING, connected.get(), "TCP connects of the waiting TLS clients");
                assertTrue(answers.size() < WAITING, "descriptors were not exhausted (all TLS clients served at once)");
                for (Socket s : hogs) {
                    s.close();
                }
                for (Thread t : waiting) {
                    t.join(90_000);
                }
                assertEquals(List.of(), List.copyOf(failures), "round " + round);
                assertEquals(WAITING, answers.size(), "round " + round);
                recovered += answers.size();
                assertEquals("after" + round, echo(jdk, port, "after" + round, 20_000));
            }
            try (SSLSocket quit = (SSLSocket) jdk.getSocketFactory().createSocket()) {
                quit.connect(new InetSocketAddress("127.0.0.1", port), 10_000);
                quit.getOutputStream().write("QUIT".getBytes(StandardCharsets.US_ASCII));
                quit.getOutputStream().flush();
                assertTrue(child.waitFor(30, TimeUnit.SECONDS), "the child did not exit");
            }
            drain.join(10_000);
            assertEquals(0, child.exitValue(), String.join("\n", childOutput));
            assertTrue(childOutput.stream().noneMatch(l -> l.startsWith("callback threw")), String.join("\n", childOutput));
            System.out.printf("EMFILE-TLS rounds=%d hogs=%d waitingServedAfterRecovery=%d%n", ROUNDS, HOGS, recovered);
        } finally {
            child.destroyForcibly();
        }
    }

    private static String echo(SSLContext jdk, int port, String word, int timeoutMs) throws IOException {
        return echo(jdk, port, word, timeoutMs, new AtomicInteger());
    }

    /** A TLS client: connects (counted in connected), handshakes, sends word and reads it back. */
    private static String echo(SSLContext jdk, int port, String word, int timeoutMs, AtomicInteger connected)
            throws IOException {
        try (SSLSocket s = (SSLSocket) jdk.getSocketFactory().createSocket()) {
            s.connect(new InetSocketAddress("127.0.0.1", port), 10_000);
            connected.incrementAndGet();
            s.setSoTimeout(timeoutMs);
            s.startHandshake();
            byte[] w = word.getBytes(StandardCharsets.US_ASCII);
            s.getOutputStream().write(w);
            s.getOutputStream().flush();
            return new String(s.getInputStream().readNBytes(w.length), StandardCharsets.US_ASCII);
        }
    }
}
