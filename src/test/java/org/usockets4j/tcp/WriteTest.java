package org.usockets4j.tcp;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.ByteArrayOutputStream;
import java.nio.ByteBuffer;
import java.util.concurrent.TimeUnit;
import java.util.function.Consumer;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.usockets4j.ListenSocket;
import org.usockets4j.Loop;
import org.usockets4j.Socket;
import org.usockets4j.SocketContext;
import org.usockets4j.SocketContextOptions;

/**
 * The write forms: write2 with direct, heap and mixed buffers (small and larger than the loop's scratch buffer),
 * write with msg_more then flush, heap and read-only buffers bigger than the scratch buffer, and send() before the
 * connect completed (kept, written at open) and its interplay with write (no reordering).
 */
@Timeout(value = 30, unit = TimeUnit.SECONDS, threadMode = Timeout.ThreadMode.SEPARATE_THREAD)
class WriteTest {

    /** Runs writer on the client at open (and connect time) and returns every byte the server read until FIN. */
    private static byte[] transfer(Consumer<Socket<Void>> atConnect, Consumer<Socket<Void>> atOpen) {
        ByteArrayOutputStream got = new ByteArrayOutputStream();
        try (Loop<Void> loop = Loop.create()) {
            SocketContext<Void> server = loop.createSocketContext(SocketContextOptions.plain());
            SocketContext<Void> client = loop.createSocketContext(SocketContextOptions.plain());
            ListenSocket[] l = {null};
            server.onOpen((s, c, ip) -> l[0].close())
                    .onData((s, data) -> got.writeBytes(Bytes.copy(data)))
                    .onEnd(s -> s.close());
            client.onOpen((s, c, ip) -> {
                atOpen.accept(s);
                s.shutdown(); // after any buffered send data
            });
            l[0] = server.listen("127.0.0.1", 0);
            atConnect.accept(client.connect("127.0.0.1", l[0].port()));
            loop.run();
        }
        return got.toByteArray();
    }

    private static byte[] pattern(int n, int seed) {
        byte[] b = new byte[n];
        for (int i = 0; i < n; i++) {
            b[i] = (byte) (seed + i * 31 + (i >>> 9));
        }
        return b;
    }

    private static ByteBuffer direct(byte[] b) {
        return ByteBuffer.allocateDirect(b.length).put(b).flip();
    }

    private static byte[] concat(byte[] a, byte[] b) {
        byte[] r = new byte[a.length + b.length];
        System.arraycopy(a, 0, r, 0, a.length);
        System.arraycopy(b, 0, r, a.length, b.length);
        return r;
    }

    @Test
    void write2Forms() {
        byte[] h = pattern(100, 1);
        byte[] p = pattern(1000, 2);
        byte[] bigP = pattern(200_000, 3);
        for (String form : new String[] {"direct", "heap", "mixed", "big-mixed"}) {
            byte[] payload = form.startsWith("big") ? bigP : p;
            byte[] got = transfer(s -> { }, s -> {
                ByteBuffer hb = form.equals("direct") ? direct(h) : ByteBuffer.wrap(h);
                ByteBuffer pb = form.equals("heap") ? ByteBuffer.wrap(payload) : direct(payload);
                int n = s.write2(hb, pb);
                int expected = h.length + payload.length;
                if (n < expected) {
                    // loopback took less than all: send the rest, in order, through the buffer
                    s.send(hb);
                    s.send(pb);
                }
                assertFalse(hb.hasRemaining() && n >= expected);
            });
            assertArrayEquals(concat(h, payload), got, form);
        }
    }

    @Test
    void msgMoreThenFlush() {
        byte[] a = pattern(10, 5);
        byte[] b = pattern(20, 6);
        byte[] got = transfer(s -> { }, s -> {
            assertEquals(10, s.write(ByteBuffer.wrap(a), true));
            assertEquals(20, s.write(b, 0, b.length, true));
            s.flush();
        });
        assertArrayEquals(concat(a, b), got);
    }

    @Test
    void heapAndReadOnlyBuffersLargerThanTheScratchBuffer() {
        byte[] big = pattern(300_000, 7);
        byte[] got = transfer(s -> { }, s -> {
            ByteBuffer ro = ByteBuffer.wrap(big).asReadOnlyBuffer();
            ro.position(1000);
            int n = s.write(ro);
            assertEquals(1000 + n, ro.position());
            if (ro.hasRemaining()) {
                s.send(ro); // the rest, buffered
            }
            assertFalse(ro.hasRemaining());
        });
        byte[] expected = new byte[big.length - 1000];
        System.arraycopy(big, 1000, expected, 0, expected.length);
        assertArrayEquals(expected, got);
    }

    @Test
    void shutdownWhileConnectingSendsFinAfterTheBufferedData() {
        byte[] early = pattern(2000, 10);
        byte[] got = transfer(s -> {
            s.send(early);
            s.shutdown(); // still connecting: FIN once open and the data went out
            assertTrue(s.isShutDown());
        }, s -> assertTrue(s.isShutDown()));
        assertArrayEquals(early, got); // transfer() returns once the server saw the FIN (onEnd)
    }

    @Test
    void sendBeforeOpenIsKeptAndWriteNeverOvertakesIt() {
        byte[] early = pattern(5000, 8);
        byte[] late = pattern(3000, 9);
        byte[] got = transfer(s -> {
            assertFalse(s.isEstablished());
            assertTrue(s.send(early)); // connecting: kept
            assertEquals(5000, s.bufferedAmount());
            assertEquals(0, s.write(ByteBuffer.wrap(late)), "write waits behind buffered send data");
        }, s -> {
            assertEquals(0, s.bufferedAmount(), "written at open");
            s.send(ByteBuffer.wrap(late));
        });
        assertArrayEquals(concat(early, late), got);
    }
}
