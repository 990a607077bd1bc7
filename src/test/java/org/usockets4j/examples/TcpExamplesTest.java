package org.usockets4j.examples;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.net.ConnectException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.nio.channels.SocketChannel;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.TreeSet;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * Runs each TCP program of examples/ as a user would (the JDK's source launcher in a child JVM, against the library
 * this build made) and talks to it with plain java.net clients. Every wait is bounded and every child is killed
 * when a test ends, passed or not.
 */
@Timeout(value = 60, unit = TimeUnit.SECONDS, threadMode = Timeout.ThreadMode.SEPARATE_THREAD)
class TcpExamplesTest {

    @Test
    void echoServerPrefixesEveryReplyWithItsConnectionNumber() throws Exception {
        int clients = 8;
        // stopAfter: the 8 clients, then one that floods the server without reading
        try (ExampleProcess server = ExampleProcess.start("EchoServer", "0", "127.0.0.1", String.valueOf(clients + 1))) {
            int port = server.awaitPort();
            List<LineClient> open = new ArrayList<>();
            try {
                for (int i = 0; i < clients; i++) {
                    open.add(new LineClient(port));
                }
                // "connect #N from 127.0.0.1:P": which connection number each client (by its local port) got
                Map<Integer, Integer> numberByPort = new HashMap<>();
                Pattern connect = Pattern.compile("connect #(\\d+) from 127\\.0\\.0\\.1:(\\d+) \\((\\d+) open\\)");
                for (int i = 0; i < clients; i++) {
                    Matcher m = server.awaitLine(connect, 10);
                    numberByPort.put(Integer.parseInt(m.group(2)), Integer.parseInt(m.group(1)));
                }
                Set<Integer> expected = new TreeSet<>();
                for (int n = 1; n <= clients; n++) {
                    expected.add(n);
                }
                assertEquals(expected, new TreeSet<>(numberByPort.values()), server.output());

                for (int round = 1; round <= 3; round++) {
                    for (int i = 0; i < clients; i++) { // every client has a message in flight at once
                        open.get(i).send("client " + i + " round " + round + "\n");
                    }
                    for (int i = 0; i < clients; i++) {
                        LineClient c = open.get(i);
                        Integer n = numberByPort.get(c.localPort());
                        assertEquals("[Conn " + n + "] client " + i + " round " + round, c.readLine());
                    }
                }
                floodWithoutReading(server, port, clients + 1);
            } finally {
                for (LineClient c : open) {
                    c.close();
                }
            }
            // stopAfter = clients: it stopped listening at the last accept and ends when they have all gone
            assertEquals(0, server.awaitExit(20), server.output());
            String out = server.output();
            assertTrue(out.contains("served " + (clients + 1) + " connections"), out);
            assertEquals(clients + 1, count(out, "disconnect #"), out);
        }
    }

    /**
     * Backpressure: a client writes 32 MiB without reading until the server says it paused reading (its send()
     * backlog passed the high-water mark); then it reads everything back, each echoed chunk after its prefix.
     */
    private static void floodWithoutReading(ExampleProcess server, int port, int number) throws Exception {
        int total = 32 << 20;
        byte[] chunk = new byte[64 * 1024];
        java.util.Arrays.fill(chunk, (byte) 'x');
        byte[] prefix = ("[Conn " + number + "] ").getBytes(java.nio.charset.StandardCharsets.US_ASCII);
        try (java.net.Socket flood = new java.net.Socket()) {
            flood.setReceiveBufferSize(64 * 1024); // fixed, small: the server's replies back up quickly
            flood.connect(new InetSocketAddress("127.0.0.1", port), 10_000);
            flood.setSoTimeout(10_000);
            server.awaitLine(Pattern.compile("connect #" + number + " "), 10);
            Throwable[] writeFailure = new Throwable[1];
            Thread writer = new Thread(() -> {
                try {
                    for (int sent = 0; sent < total; sent += chunk.length) {
                        flood.getOutputStream().write(chunk);
                    }
                    flood.shutdownOutput(); // FIN: the server ends the connection after its last reply
                } catch (Throwable t) {
                    writeFailure[0] = t;
                }
            }, "flood writer");
            writer.setDaemon(true);
            writer.start();
            server.awaitLine(Pattern.compile("conn #" + number + ": reading paused, \\d+ bytes wait"), 20);

            long xs = 0;
            int inPrefix = 0; // bytes of the prefix matched so far
            byte[] buf = new byte[64 * 1024];
            java.io.InputStream in = flood.getInputStream();
            for (int n; (n = in.read(buf)) > 0;) {
                for (int i = 0; i < n; i++) {
                    byte b = buf[i];
                    if (inPrefix > 0 || b == '[') {
                        assertEquals(prefix[inPrefix], b, "reply bytes out of shape after " + xs + " bytes");
                        inPrefix = (inPrefix + 1) % prefix.length;
                    } else {
                        assertEquals('x', b, "reply bytes out of shape after " + xs + " bytes");
                        xs++;
                    }
                }
            }
            writer.join(10_000);
            assertNull(writeFailure[0]);
            assertEquals(total, xs);
            assertEquals(0, inPrefix);
            server.awaitLine(Pattern.compile("conn #" + number + ": reading resumed"), 10);
        }
    }

    @Test
    void echoServerClosesIdleConnections() throws Exception {
        // idle timeout 1 s (the core checks every 4 s, so it fires within about 1..5 s)
        try (ExampleProcess server = ExampleProcess.start("EchoServer", "0", "127.0.0.1", "1", "1");
             ClientSet clients = new ClientSet()) {
            int port = server.awaitPort();
            LineClient idle = clients.add(new LineClient(port));
            assertEquals("[Conn 1] hi", idle.send("hi\n").readLine());
            long start = System.nanoTime();
            assertNull(idle.readLineOrEnd()); // the server closes it
            long waitedMs = TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - start);
            assertTrue(waitedMs < 9_000, "closed after " + waitedMs + " ms");
            server.awaitLine(Pattern.compile("conn #1 idle for 1 s: closing"), 5);
            assertEquals(0, server.awaitExit(10), server.output());
        }
    }

    @Test
    void echoClientGetsItsRepliesAndFailsCleanlyWhenItCannotConnect() throws Exception {
        try (ExampleProcess server = ExampleProcess.start("EchoServer", "0", "127.0.0.1", "1")) {
            int port = server.awaitPort();

            int closedPort;
            try (ServerSocket s = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
                closedPort = s.getLocalPort();
            }
            // A listener whose accept queue is full drops further SYNs: a connect there never completes.
            try (ServerSocket full = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
                List<SocketChannel> fillers = new ArrayList<>();
                try {
                    for (int i = 0; i < 4; i++) {
                        SocketChannel ch = SocketChannel.open();
                        ch.configureBlocking(false);
                        ch.connect(new InetSocketAddress(InetAddress.getLoopbackAddress(), full.getLocalPort()));
                        fillers.add(ch);
                    }
                    try (ExampleProcess client = ExampleProcess.start("EchoClient", "127.0.0.1", String.valueOf(port),
                                 "ping pong", "3");
                         ExampleProcess refused = ExampleProcess.start("EchoClient", "127.0.0.1",
                                 String.valueOf(closedPort), "hello");
                         ExampleProcess hanging = ExampleProcess.start("EchoClient", "127.0.0.1",
                                 String.valueOf(full.getLocalPort()), "hello", "1", "2")) {
                        assertEquals(0, client.awaitExit(30), client.output());
                        String out = client.output();
                        for (int i = 1; i <= 3; i++) {
                            assertTrue(out.contains("reply " + i + ": [Conn 1] ping pong"), out);
                        }
                        assertTrue(out.contains("done: 3 replies"), out);

                        assertEquals(1, refused.awaitExit(30), refused.output());
                        assertTrue(refused.output().contains("failed: connection refused"), refused.output());

                        assertEquals(1, hanging.awaitExit(30), hanging.output());
                        assertTrue(hanging.output().contains("connect timed out after 2 s"), hanging.output());
                    }
                } finally {
                    for (SocketChannel ch : fillers) {
                        ch.close();
                    }
                }
            }
            assertEquals(0, server.awaitExit(20), server.output());
            assertTrue(server.output().contains("served 1 connections"), server.output());
        }
    }

    @Test
    void chatServerBroadcastsLinesToTheOthersAndRefusesPastItsLimit() throws Exception {
        try (ExampleProcess server = ExampleProcess.start("ChatServer", "0", "3");
             ClientSet clients = new ClientSet()) {
            int port = server.awaitPort();
            LineClient a = clients.add(new LineClient(port));
            assertEquals("welcome, you are guest 1 (1 online)", a.readLine());
            LineClient b = clients.add(new LineClient(port));
            assertEquals("welcome, you are guest 2 (2 online)", b.readLine());
            assertEquals("* guest 2 joined", a.readLine());
            LineClient c = clients.add(new LineClient(port));
            assertEquals("welcome, you are guest 3 (3 online)", c.readLine());
            assertEquals("* guest 3 joined", a.readLine());
            assertEquals("* guest 3 joined", b.readLine());

            // One past the limit: the message arrives whole, then end-of-stream.
            try (LineClient d = new LineClient(port)) {
                assertEquals("server full (3 clients), try again later", d.readLine());
                assertNull(d.readLineOrEnd());
            }
            server.awaitLine(Pattern.compile("refused 127\\.0\\.0\\.1:\\d+: server full"), 10);

            // Lines split over several writes (so over several reads) are put back together.
            a.send("hel");
            Thread.sleep(30);
            a.send("lo wor");
            Thread.sleep(30);
            a.send("ld\nsecond li");
            Thread.sleep(30);
            a.send("ne\n");
            for (LineClient other : List.of(b, c)) {
                assertEquals("guest 1: hello world", other.readLine());
                assertEquals("guest 1: second line", other.readLine());
            }
            // Several lines in one write, \r\n endings too.
            b.send("one\ntwo\r\nthree\n");
            for (LineClient other : List.of(a, c)) {
                assertEquals("guest 2: one", other.readLine());
                assertEquals("guest 2: two", other.readLine());
                assertEquals("guest 2: three", other.readLine());
            }
            // The sender never hears its own line: the next line each one reads is someone else's.
            c.send("from c\n");
            assertEquals("guest 3: from c", a.readLine());
            assertEquals("guest 3: from c", b.readLine());
            a.send("bye\n");
            assertEquals("guest 1: bye", b.readLine());
            assertEquals("guest 1: bye", c.readLine());

            // Leaving frees a place; the refused client never took one.
            b.close();
            assertEquals("* guest 2 left", a.readLine());
            assertEquals("* guest 2 left", c.readLine());
            LineClient e = clients.add(new LineClient(port));
            assertEquals("welcome, you are guest 4 (3 online)", e.readLine());
            assertEquals("* guest 4 joined", a.readLine());
        }
    }

    @Test
    void kvServerAnswersItsLineProtocolAndKeepsTheConnectionAfterErrors() throws Exception {
        try (ExampleProcess server = ExampleProcess.start("KvServer", "0");
             ClientSet clients = new ClientSet()) {
            int port = server.awaitPort();
            LineClient kv = clients.add(new LineClient(port));
            assertEquals("NOT_FOUND", kv.send("GET a\n").readLine());
            assertEquals("OK", kv.send("SET a 1\n").readLine());
            assertEquals("VALUE 1", kv.send("GET a\n").readLine());
            assertEquals("OK", kv.send("set a hello  world\n").readLine());
            assertEquals("VALUE hello  world", kv.send("get a\n").readLine());

            // malformed lines: an error each, the connection stays usable
            assertTrue(kv.send("FROB a\n").readLine().startsWith("ERR unknown command"));
            assertTrue(kv.send("GET\n").readLine().startsWith("ERR usage: GET"));
            assertTrue(kv.send("GET a b\n").readLine().startsWith("ERR usage: GET"));
            assertTrue(kv.send("SET a\n").readLine().startsWith("ERR usage: SET"));
            assertTrue(kv.send("\n").readLine().startsWith("ERR"));
            assertEquals("VALUE hello  world", kv.send("GET a\n").readLine());

            // pipelined commands in one write, and one command split over two writes
            kv.send("SET x 42\nGET x\nDEL x\nGET x\nDEL x\n");
            assertEquals("OK", kv.readLine());
            assertEquals("VALUE 42", kv.readLine());
            assertEquals("DELETED", kv.readLine());
            assertEquals("NOT_FOUND", kv.readLine());
            assertEquals("NOT_FOUND", kv.readLine());
            kv.send("SET sp");
            Thread.sleep(30);
            kv.send("lit yes\r\n");
            assertEquals("OK", kv.readLine());

            // a second connection sees the same map
            LineClient other = clients.add(new LineClient(port));
            assertEquals("VALUE yes", other.send("GET split\n").readLine());
            assertEquals("DELETED", other.send("DEL a\n").readLine());
            assertEquals("NOT_FOUND", kv.send("GET a\n").readLine());

            assertEquals("BYE", kv.send("QUIT\n").readLine());
            assertNull(kv.readLineOrEnd());
            assertEquals("VALUE yes", other.send("GET split\n").readLine());
        }
    }

    @Test
    void gracefulShutdownLetsOpenConnectionsFinishThenExitsZero() throws Exception {
        try (ExampleProcess server = ExampleProcess.start("GracefulShutdown", "0", "2");
             ClientSet clients = new ClientSet()) {
            int port = server.awaitPort();
            LineClient finishing = clients.add(new LineClient(port));
            LineClient lingering = clients.add(new LineClient(port));
            assertEquals("first", finishing.send("first\n").readLine());
            assertEquals("hi", lingering.send("hi\n").readLine());

            server.sigterm();
            server.awaitLine(Pattern.compile("SIGTERM: no longer accepting; waiting up to 2 s for 2 open"), 10);

            // open connections are still served; new ones are refused
            assertEquals("after the signal", finishing.send("after the signal\n").readLine());
            assertThrows(ConnectException.class, () -> new LineClient(port).close());

            finishing.close(); // ends on its own before the deadline
            long start = System.nanoTime();
            assertNull(lingering.readLineOrEnd()); // the other is closed by the server at the deadline
            long waitedMs = TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - start);
            assertTrue(waitedMs < 8_000, "closed after " + waitedMs + " ms");

            assertEquals(0, server.awaitExit(15), server.output());
            String out = server.output();
            assertTrue(out.contains("deadline passed: closing 1 connection(s)"), out);
            assertTrue(out.contains("shutdown complete: 1 connection(s) finished in time, 1 closed by the server"), out);
        }
    }

    @Test
    void multiCoreEchoServerSpreadsConnectionsOverItsLoops() throws Exception {
        try (ExampleProcess server = ExampleProcess.start("MultiCoreEchoServer", "0")) {
            Matcher m = server.awaitLine(Pattern.compile("listening on port (\\d+) with (\\d+) loops"), 30);
            int port = Integer.parseInt(m.group(1));
            int loops = Integer.parseInt(m.group(2));
            assertEquals(Runtime.getRuntime().availableProcessors(), loops);

            Map<Integer, Integer> byLoop = new TreeMap<>();
            Pattern reply = Pattern.compile("\\[loop (\\d+)] hello (\\d+)");
            int made = 0;
            // The kernel hashes each connection to a listener: with 2 loops, 128 connections all on one
            // would happen with probability 2^-127. Stop as soon as every loop (at most 2 needed) was seen.
            while (made < 128 && byLoop.size() < Math.min(loops, 2)) {
                for (int i = 0; i < 16; i++, made++) {
                    try (LineClient c = new LineClient(port)) {
                        String line = c.send("hello " + made + "\n").readLine();
                        Matcher r = reply.matcher(line);
                        assertTrue(r.matches(), line);
                        assertEquals(made, Integer.parseInt(r.group(2)));
                        int loop = Integer.parseInt(r.group(1));
                        assertTrue(loop >= 0 && loop < loops, line);
                        byLoop.merge(loop, 1, Integer::sum);
                    }
                }
            }
            assertTrue(byLoop.size() >= Math.min(loops, 2), "connections per loop: " + byLoop);

            server.sigterm(); // every loop closes its listener and connections
            assertEquals(0, server.awaitExit(15), server.output());
            String out = server.output();
            int served = 0;
            Matcher s = Pattern.compile("loop (\\d+) served (\\d+) connections").matcher(out);
            while (s.find()) {
                served += Integer.parseInt(s.group(2));
                assertEquals(byLoop.getOrDefault(Integer.parseInt(s.group(1)), 0), Integer.parseInt(s.group(2)), out);
            }
            assertEquals(made, served, out);
            assertNotEquals(-1, out.indexOf("SIGTERM: stopping " + loops + " loops"), out);
        }
    }

    @Test
    void multiCoreEchoServerStopsWhenStandardInputEnds() throws Exception {
        try (ExampleProcess server = ExampleProcess.start("MultiCoreEchoServer", "0", "2")) {
            Matcher m = server.awaitLine(Pattern.compile("listening on port (\\d+) with 2 loops"), 30);
            try (LineClient c = new LineClient(Integer.parseInt(m.group(1)))) {
                assertTrue(c.send("hi\n").readLine().matches("\\[loop [01]] hi"));
            }
            server.process.getOutputStream().close(); // the child's stdin ends
            assertEquals(0, server.awaitExit(15), server.output());
            assertTrue(server.output().contains("end of standard input: stopping 2 loops"), server.output());
        }
    }

    private static int count(String text, String what) {
        int n = 0;
        for (int i = text.indexOf(what); i >= 0; i = text.indexOf(what, i + what.length())) {
            n++;
        }
        return n;
    }

    /** Clients closed together at the end of a test, whatever happened. */
    private static final class ClientSet implements AutoCloseable {
        private final List<LineClient> clients = new ArrayList<>();

        LineClient add(LineClient c) {
            clients.add(c);
            return c;
        }

        @Override
        public void close() throws IOException {
            for (LineClient c : clients) {
                c.close();
            }
        }
    }
}
