package org.usockets4j.tcp;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.lang.management.ManagementFactory;
import java.nio.ByteBuffer;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicReference;

import org.junit.jupiter.api.Assertions;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.usockets4j.ListenSocket;
import org.usockets4j.Loop;
import org.usockets4j.SocketContext;
import org.usockets4j.SocketContextOptions;

/**
 * The hot path allocates nothing on the Java heap: an echo server (onData -> write) and a ping-pong client on one
 * loop thread; after a warm-up, 10 000 round trips (each: two onData upcalls, two writes) must leave the loop
 * thread's allocated-bytes counter (nearly) where it was.
 */
@Timeout(value = 60, unit = TimeUnit.SECONDS, threadMode = Timeout.ThreadMode.SEPARATE_THREAD)
class ZeroAllocationEchoTest {
    private static final int WARMUP = 30_000;
    private static final int MEASURED = 10_000;
    private static final int MESSAGE = 64;

    @Test
    void echoRoundTripsAllocateNothing() {
        roundTrips(false);
    }

    @Test
    void bufferedSendEchoAllocatesNothingEither() {
        roundTrips(true);
    }

    private static void roundTrips(boolean serverSends) {
        java.lang.management.ThreadMXBean plain = ManagementFactory.getThreadMXBean();
        Assertions.assertTrue(plain instanceof com.sun.management.ThreadMXBean, "no allocation counter in this JVM");
        com.sun.management.ThreadMXBean threads = (com.sun.management.ThreadMXBean) plain;
        Assertions.assertTrue(threads.isThreadAllocatedMemorySupported());
        threads.setThreadAllocatedMemoryEnabled(true);

        long[] counters = new long[4]; // round trips, allocated at start, allocated at end, bytes back
        AtomicReference<Throwable> error = new AtomicReference<>();
        try (Loop<Void> loop = Loop.create()) {
            loop.exceptionHandler(error::set);
            SocketContext<Void> server = loop.createSocketContext(SocketContextOptions.plain());
            SocketContext<Void> client = loop.createSocketContext(SocketContextOptions.plain());
            ByteBuffer ping = ByteBuffer.allocateDirect(MESSAGE);
            ListenSocket[] l = {null};
            server.onData((s, data) -> {
                        if (serverSends) {
                            s.send(data);
                        } else {
                            s.write(data);
                        }
                    })
                    .onOpen((s, isClient, ip) -> l[0].close());
            client.onOpen((s, isClient, ip) -> {
                ping.clear();
                s.write(ping);
            }).onData((s, data) -> {
                counters[3] += data.remaining();
                if (counters[3] < MESSAGE) {
                    return; // the rest of this pong is still on its way
                }
                counters[3] = 0;
                long n = ++counters[0];
                if (n == WARMUP) {
                    counters[1] = threads.getCurrentThreadAllocatedBytes();
                } else if (n == WARMUP + MEASURED) {
                    counters[2] = threads.getCurrentThreadAllocatedBytes();
                    s.close();
                    server.close();
                    return;
                }
                ping.clear();
                s.write(ping);
            });
            l[0] = server.listen("127.0.0.1", 0);
            client.connect("127.0.0.1", l[0].port());
            loop.run();
        }
        assertNull(error.get());
        assertEquals(WARMUP + MEASURED, counters[0]);
        long allocated = counters[2] - counters[1];
        double perTrip = (double) allocated / MEASURED;
        System.out.printf("heap allocated on the loop thread (%s): %d bytes over %d round trips (%.3f per round trip)%n",
                serverSends ? "send" : "write", allocated, MEASURED, perTrip);
        assertTrue(perTrip < 1.0, "allocated " + allocated + " bytes over " + MEASURED + " round trips");
    }
}
