package org.usockets4j;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.util.Arrays;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.function.Predicate;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/** Loop.metrics(): exact socket and byte counts after a known sequence, reads from another thread, iteration lag. */
@Timeout(value = 60, unit = TimeUnit.SECONDS, threadMode = Timeout.ThreadMode.SEPARATE_THREAD)
class LoopMetricsTest {
    private static final int CLIENTS = 3;
    private static final int MESSAGE = 1000;

    @Test
    void countsAndBytesAreExactAfterAKnownSequence() throws Exception {
        int closedPort;
        try (ServerSocket probe = new ServerSocket(0)) {
            closedPort = probe.getLocalPort(); // nothing listens there once probe is closed
        }
        byte[] message = new byte[MESSAGE];
        Arrays.fill(message, (byte) 'x');
        int[] connectErrors = {0};
        try (Loop<Void> loop = Loop.create()) {
            LoopMetrics fresh = loop.metrics();
            assertEquals(0, fresh.openSockets() + fresh.acceptedTotal() + fresh.connectedTotal() + fresh.closedTotal()
                    + fresh.bytesIn() + fresh.bytesOut() + fresh.iterations() + fresh.busyNanos(), fresh.toString());

            SocketContext<Void> server = loop.createSocketContext(SocketContextOptions.plain());
            SocketContext<int[]> client = loop.createSocketContext(SocketContextOptions.plain());
            ListenSocket listener = server.listen("127.0.0.1", 0);
            int[] serverClosed = {0};
            server.onData((s, data) -> s.send(data)) // the receive view is direct: written in place
                    .onClose((s, code) -> {
                        if (++serverClosed[0] == CLIENTS) {
                            listener.close();
                        }
                    });
            client.onOpen((s, isClient, ip) -> {
                        s.setExt(new int[1]);
                        s.send(message); // a heap array: written through the loop's scratch buffer
                    })
                    .onData((s, data) -> {
                        s.ext()[0] += data.remaining();
                        if (s.ext()[0] == MESSAGE) {
                            s.close();
                        }
                    })
                    .onConnectError((s, code) -> connectErrors[0]++);
            for (int i = 0; i < CLIENTS; i++) {
                client.connect("127.0.0.1", listener.port());
            }
            client.connect("127.0.0.1", closedPort); // refused: counted nowhere
            loop.run();

            LoopMetrics m = loop.metrics();
            assertEquals(1, connectErrors[0]);
            assertEquals(CLIENTS, m.acceptedTotal(), m.toString());
            assertEquals(CLIENTS, m.connectedTotal(), m.toString());
            assertEquals(2 * CLIENTS, m.closedTotal(), m.toString());
            assertEquals(0, m.openSockets(), m.toString());
            assertEquals(2L * CLIENTS * MESSAGE, m.bytesIn(), m.toString()); // the server's and the clients'
            assertEquals(2L * CLIENTS * MESSAGE, m.bytesOut(), m.toString());
            assertTrue(m.iterations() > 0, m.toString());
            assertEquals(0, m.currentBusyNanos(), "run() returned: the loop is not busy; " + m);
            assertTrue(m.lastIterationNanos() >= 0 && m.maxIterationNanos() >= m.lastIterationNanos(), m.toString());
            assertTrue(m.busyNanos() >= m.maxIterationNanos(), m.toString());
        }
    }

    @Test
    void udpDatagramsAreCountedBothWays() {
        int datagrams = 10;
        try (Loop<Void> loop = Loop.create()) {
            UdpSocket<Void> server = loop.createUdpSocket("127.0.0.1", 0, (s, batch, count) -> s.send(batch, count),
                    null);
            int[] received = {0};
            UdpSocket<Void> client = loop.createUdpSocket("127.0.0.1", 0, (s, batch, count) -> {
                received[0] += count;
                if (received[0] == datagrams) {
                    s.close();
                    server.close();
                }
            }, null);
            Timer<Void> deadline = loop.createTimer(true);
            deadline.set(20_000, 0, t -> {
                t.close();
                client.close();
                server.close();
            });
            UdpPacketBuffer out = client.sendBuffer();
            for (int i = 0; i < datagrams; i++) {
                out.set(i, java.nio.ByteBuffer.wrap(new byte[] {(byte) i}), new byte[] {127, 0, 0, 1}, server.port());
            }
            assertEquals(datagrams, client.send(out, datagrams));
            loop.run();
            if (!deadline.isClosed()) {
                deadline.close();
            }
            LoopMetrics m = loop.metrics();
            assertEquals(datagrams, received[0]);
            assertEquals(2L * datagrams, m.datagramsIn(), m.toString()); // the server's and the client's
            assertEquals(2L * datagrams, m.datagramsOut(), m.toString());
            assertEquals(0, m.bytesIn() + m.bytesOut() + m.acceptedTotal() + m.openSockets(), "UDP is not TCP: " + m);
        }
    }

    @Test
    void readableFromAnotherThreadWhileTheLoopRuns() throws Exception {
        try (RunningLoop running = new RunningLoop()) {
            Loop<Void> loop = running.loop;
            try (java.net.Socket peer = new java.net.Socket()) {
                peer.connect(new InetSocketAddress("127.0.0.1", running.port), 10_000);
                peer.setSoTimeout(10_000);
                OutputStream out = peer.getOutputStream();
                InputStream in = peer.getInputStream();
                out.write("0123456789".getBytes());
                byte[] back = in.readNBytes(10);
                assertEquals("0123456789", new String(back));
                LoopMetrics open = awaitMetrics(loop, m -> m.acceptedTotal() == 1 && m.openSockets() == 1
                        && m.bytesIn() == 10 && m.bytesOut() == 10);
                assertEquals(0, open.closedTotal(), open.toString());
                assertEquals(0, open.connectedTotal(), open.toString());
            }
            LoopMetrics closed = awaitMetrics(loop, m -> m.closedTotal() == 1 && m.openSockets() == 0);
            assertEquals(1, closed.acceptedTotal(), closed.toString());
            assertTrue(closed.iterations() > 0, closed.toString());
            awaitMetrics(loop, m -> m.currentBusyNanos() == 0); // idle: the loop waits
        }
    }

    @Test
    void lagShowsACallbackThatBlocksTheLoop() throws Exception {
        long block = TimeUnit.MILLISECONDS.toNanos(200);
        try (RunningLoop running = new RunningLoop()) {
            Loop<Void> loop = running.loop;
            LoopMetrics before = loop.metrics();
            CountDownLatch seen = new CountDownLatch(1);
            loop.handle().defer(l -> {
                try {
                    Thread.sleep(TimeUnit.NANOSECONDS.toMillis(block));
                    seen.await(20, TimeUnit.SECONDS); // and on until this thread saw it (a busy machine may be slow)
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                }
            });
            // Seen from this thread while the loop is blocked, then once the blocked iteration ended.
            LoopMetrics during = awaitMetrics(loop, m -> m.currentBusyNanos() >= block / 2);
            seen.countDown();
            assertTrue(during.currentBusyNanos() < TimeUnit.SECONDS.toNanos(30), during.toString());
            LoopMetrics after = awaitMetrics(loop, m -> m.maxIterationNanos() >= block);
            assertTrue(after.busyNanos() - before.busyNanos() >= block, after + " after " + before);
            assertTrue(after.lastIterationNanos() >= 0 && after.currentBusyNanos() >= 0, after.toString());
            assertTrue(after.iterations() > before.iterations(), after + " after " + before);
        }
    }

    /** Polls metrics() from this thread until the condition holds (10 s at most). */
    private static LoopMetrics awaitMetrics(Loop<?> loop, Predicate<LoopMetrics> condition) throws InterruptedException {
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
        LoopMetrics m = loop.metrics();
        while (!condition.test(m)) {
            assertTrue(System.nanoTime() < deadline, "metrics never got there: " + m);
            Thread.sleep(2);
            m = loop.metrics();
        }
        return m;
    }

    /** A loop with an echo listener running on its own thread until close(). */
    private static final class RunningLoop implements AutoCloseable {
        final Loop<Void> loop;
        final int port;
        private final Thread thread;
        private final CompletableFuture<Void> done = new CompletableFuture<>();

        RunningLoop() throws Exception {
            CompletableFuture<Loop<Void>> created = new CompletableFuture<>();
            int[] port = {0};
            thread = new Thread(() -> {
                try (Loop<Void> l = Loop.create()) {
                    SocketContext<Void> server = l.createSocketContext(SocketContextOptions.plain());
                    server.onData((s, data) -> s.send(data));
                    port[0] = server.listen("127.0.0.1", 0).port();
                    created.complete(l);
                    l.run(); // the listener keeps it running until the context closes
                    done.complete(null);
                } catch (Throwable t) {
                    created.completeExceptionally(t);
                    done.completeExceptionally(t);
                }
            }, "metrics-loop");
            thread.setDaemon(true);
            thread.start();
            loop = created.get(10, TimeUnit.SECONDS);
            this.port = port[0];
        }

        @Override
        public void close() throws Exception {
            loop.handle().defer(Loop::close);
            done.get(10, TimeUnit.SECONDS);
            thread.join(10_000);
        }
    }
}
