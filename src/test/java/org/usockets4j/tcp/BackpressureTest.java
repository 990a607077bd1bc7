package org.usockets4j.tcp;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.net.InetSocketAddress;
import java.nio.ByteBuffer;
import java.nio.channels.SocketChannel;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.AtomicReference;
import java.util.zip.CRC32;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.usockets4j.ListenSocket;
import org.usockets4j.Loop;
import org.usockets4j.Socket;
import org.usockets4j.SocketContext;
import org.usockets4j.SocketContextOptions;

/**
 * 256 MiB through send() to a slow reader (a blocking java.nio client that stalls now and then): the producer
 * stops when send() returns false and goes on from onWritable; bufferedAmount() never exceeds the high-water
 * mark plus one write, and every byte arrives (length and CRC32 on both sides).
 */
@Timeout(value = 60, unit = TimeUnit.SECONDS, threadMode = Timeout.ThreadMode.SEPARATE_THREAD)
class BackpressureTest {
    private static final long TOTAL = 256L << 20;
    private static final int CHUNK = 64 * 1024;
    private static final int HWM = 1 << 20;

    /** The producing side of one connection. */
    static final class Producer {
        final ByteBuffer chunk = ByteBuffer.allocateDirect(CHUNK);
        final CRC32 crc = new CRC32();
        long sent;
        long maxBuffered;
        int refusals;
        int chunks;

        void produce(Socket<Producer> s) {
            while (sent < TOTAL) {
                chunk.clear();
                for (int i = 0; i < CHUNK; i += 8) {
                    chunk.putLong(i, (sent + i) * 0x9E3779B97F4A7C15L);
                }
                crc.update(chunk.duplicate());
                sent += CHUNK;
                chunks++;
                boolean more = s.send(chunk);
                maxBuffered = Math.max(maxBuffered, s.bufferedAmount());
                if (!more) {
                    refusals++;
                    return; // onWritable goes on
                }
            }
            s.shutdown(); // FIN once everything buffered went out
        }
    }

    @Test
    void twoHundredFiftySixMebibytesToASlowReader() throws Exception {
        AtomicLong readerBytes = new AtomicLong();
        AtomicLong readerCrc = new AtomicLong();
        AtomicReference<Throwable> readerError = new AtomicReference<>();
        AtomicReference<Throwable> loopError = new AtomicReference<>();
        Producer[] producer = {null};
        try (Loop<Void> loop = Loop.create()) {
            loop.exceptionHandler(loopError::set);
            SocketContext<Producer> ctx = loop.createSocketContext(
                    SocketContextOptions.plain().withHighWaterMark(HWM));
            assertEquals(HWM, ctx.highWaterMark());
            ListenSocket[] l = {null};
            ctx.onOpen((s, isClient, ip) -> {
                assertEquals(HWM, s.highWaterMark());
                producer[0] = new Producer();
                s.setExt(producer[0]);
                l[0].close();
                s.ext().produce(s);
            }).onWritable(s -> {
                Producer p = s.ext();
                p.maxBuffered = Math.max(p.maxBuffered, s.bufferedAmount());
                if (p.sent < TOTAL && s.bufferedAmount() <= HWM) {
                    p.produce(s);
                }
            });
            l[0] = ctx.listen("127.0.0.1", 0);
            int port = l[0].port();
            Thread reader = new Thread(() -> {
                try (SocketChannel ch = SocketChannel.open(new InetSocketAddress("127.0.0.1", port))) {
                    ByteBuffer buf = ByteBuffer.allocateDirect(256 * 1024);
                    CRC32 crc = new CRC32();
                    long total = 0;
                    long nextStall = 0;
                    for (;;) {
                        if (total >= nextStall) {
                            Thread.sleep(total == 0 ? 300 : 20); // slow: let the sender's buffer fill up
                            nextStall += 32L << 20;
                        }
                        buf.clear();
                        int n = ch.read(buf);
                        if (n < 0) {
                            break;
                        }
                        buf.flip();
                        crc.update(buf);
                        total += n;
                    }
                    readerBytes.set(total);
                    readerCrc.set(crc.getValue());
                } catch (IOException | InterruptedException e) {
                    readerError.set(e);
                }
            }, "slow-reader");
            reader.start();
            loop.run();
            reader.join(30_000);
        }
        assertNull(loopError.get());
        assertNull(readerError.get());
        Producer p = producer[0];
        assertEquals(TOTAL, p.sent);
        assertEquals(TOTAL, readerBytes.get());
        assertEquals(p.crc.getValue(), readerCrc.get());
        assertTrue(p.refusals > 0, "send() never reported the high-water mark");
        assertTrue(p.maxBuffered <= HWM + CHUNK, "buffered " + p.maxBuffered + " > mark + one write");
        assertTrue(p.maxBuffered > HWM, "the buffer never reached the mark: " + p.maxBuffered);
    }
}
