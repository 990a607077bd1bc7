package org.usockets4j.reliability;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.ByteBuffer;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.usockets4j.Loop;
import org.usockets4j.UdpPacketBuffer;
import org.usockets4j.UdpSocket;

/**
 * Payload views of UDP packet buffers kept past the buffer's life (against the rules: they are valid while the
 * datagram is there) still read and write memory that is ours instead of taking the JVM down: a user buffer's
 * view after its close(), a received batch's view after its socket and loop closed.
 */
@Timeout(value = 60, unit = TimeUnit.SECONDS, threadMode = Timeout.ThreadMode.SEPARATE_THREAD)
class KeptViewsTest {
    @Test
    void viewsKeptPastCloseDoNotCrash() {
        List<ByteBuffer> kept = new ArrayList<>();
        for (int round = 0; round < 3; round++) {
            Loop<Void> loop = Loop.create();
            UdpPacketBuffer user = loop.createUdpPacketBuffer();
            user.set(0, ByteBuffer.wrap(new byte[] {4, 5, 6}), new byte[] {127, 0, 0, 1}, 9);
            kept.add(user.payloadSlice(0));
            kept.add(user.payload(0).duplicate());
            user.close();
            assertTrue(user.isClosed());

            UdpSocket<Void> receiver = loop.createUdpSocket("127.0.0.1", 0, (s, buffer, count) -> {
                kept.add(buffer.payload(0));
                kept.add(buffer.payloadSlice(0));
                s.loop().close(); // the socket, its buffers and the loop's receive buffer go
            }, null);
            UdpSocket<Void> sender = loop.createUdpSocket("127.0.0.1", 0, null, null);
            UdpPacketBuffer out = sender.sendBuffer();
            out.set(0, ByteBuffer.wrap(new byte[] {7, 8, 9}), new byte[] {127, 0, 0, 1}, receiver.port());
            assertEquals(1, sender.send(out, 1));
            loop.run();
            assertTrue(loop.isClosed());
        }
        // Memory of buffers nobody holds a view of may be freed meanwhile; the kept views' memory may not.
        System.gc();
        long sum = 0;
        for (ByteBuffer b : kept) {
            for (int i = 0; i < b.limit(); i++) {
                sum += b.get(i);
                b.put(i, (byte) 1);
            }
        }
        assertEquals(12, kept.size(), "views kept (sum " + sum + ")");
    }
}
