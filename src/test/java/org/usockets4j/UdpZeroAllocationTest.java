package org.usockets4j;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.lang.management.ManagementFactory;
import java.nio.ByteBuffer;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicReference;

import org.junit.jupiter.api.Assertions;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * Receiving, reading (payload view, length, raw peer address and port), building a batch and sending allocate
 * nothing on the Java heap per datagram: the loop thread's allocation counter barely moves over 100 000 echoes.
 */
@Timeout(value = 60, unit = TimeUnit.SECONDS, threadMode = Timeout.ThreadMode.SEPARATE_THREAD)
class UdpZeroAllocationTest {

    @Test
    void echoingAllocatesNothingPerDatagram() {
        com.sun.management.ThreadMXBean threads;
        try {
            threads = (com.sun.management.ThreadMXBean) ManagementFactory.getThreadMXBean();
        } catch (ClassCastException e) {
            Assertions.fail("no per-thread allocation counter in this JVM");
            return;
        }
        Assertions.assertTrue(threads.isThreadAllocatedMemorySupported() && threads.isThreadAllocatedMemoryEnabled());
        final int warmup = 50_000;
        final int measured = 100_000;
        final int window = 32;
        long self = Thread.currentThread().getId();
        try (Loop<Void> loop = Loop.create()) {
            AtomicReference<String> failure = new AtomicReference<>();
            List<UdpSocket<?>> sockets = new ArrayList<>();
            UdpSocket<Void> server = loop.createUdpSocket("127.0.0.1", 0, (s, batch, count) -> {
                s.send(batch, count); // the received slots go back as they are
            }, null);
            byte[] serverIp = {127, 0, 0, 1};
            int serverPort = server.port();
            byte[] peer = new byte[16];
            ByteBuffer payload = ByteBuffer.allocateDirect(64);
            long[] state = new long[4]; // sent, received, allocated bytes at the start of the measurement, checksum
            UdpSocket<Void> client = loop.createUdpSocket("127.0.0.1", 0, (s, batch, count) -> {
                for (int i = 0; i < count; i++) {
                    ByteBuffer p = batch.payload(i);
                    state[3] += p.getLong(p.position()) + batch.length(i) + batch.peerAddress(i, peer) + batch.peerPort(i);
                }
                state[1] += count;
                if (state[1] >= warmup && state[2] == 0) {
                    state[2] = threads.getThreadAllocatedBytes(self);
                }
                if (state[1] >= warmup + measured) {
                    state[2] = threads.getThreadAllocatedBytes(self) - state[2];
                    server.close();
                    s.close();
                    return;
                }
                UdpPacketBuffer out = s.sendBuffer();
                int n = 0;
                while (state[0] - state[1] < window && state[0] < warmup + measured) {
                    payload.clear();
                    payload.putLong(0, state[0]++);
                    out.set(n++, payload, serverIp, serverPort);
                }
                s.send(out, n);
                out.clear();
            }, null);
            sockets.add(server);
            sockets.add(client);
            UdpEchoTest.deadline(loop, 40_000, sockets, failure);
            UdpPacketBuffer out = client.sendBuffer();
            for (int i = 0; i < window; i++) {
                payload.clear();
                payload.putLong(0, state[0]++);
                out.set(i, payload, serverIp, serverPort);
            }
            assertEquals(window, client.send(out, window));
            out.clear();
            loop.run();
            assertNull(failure.get());
            assertEquals(warmup + measured, state[1], "every datagram came back");
            // Some fixed cost is allowed (a JIT deoptimization, the timer wheel), not one object per datagram.
            assertTrue(state[2] < 64 * 1024,
                    state[2] + " bytes allocated for " + measured + " echoed datagrams (" + (double) state[2] / measured + " per datagram)");
        }
    }
}
