package org.usockets4j.tls;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.ByteBuffer;
import java.util.concurrent.TimeUnit;
import java.util.zip.CRC32;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.usockets4j.Loop;
import org.usockets4j.Socket;
import org.usockets4j.SocketContext;
import org.usockets4j.SocketContextOptions;
import org.usockets4j.Timer;

/**
 * 64 MiB through one TLS connection and back, with send() on both sides (the producer waits for onWritable when
 * send returns false; the echo server pauses reading while its backlog is above the high-water mark): the echo
 * has the same length and CRC32 as what was sent, and the server saw the same.
 */
@Timeout(value = 60, unit = TimeUnit.SECONDS, threadMode = Timeout.ThreadMode.SEPARATE_THREAD)
class LargeTransferTest {
    private static final long TOTAL = 64L << 20;
    private static final int CHUNK = 64 * 1024;

    static final class Producer {
        final ByteBuffer chunk = ByteBuffer.allocateDirect(CHUNK);
        final CRC32 sentCrc = new CRC32();
        final CRC32 echoCrc = new CRC32();
        long sent;
        long echoed;
        int refusals;

        void produce(Socket<Object> s) {
            while (sent < TOTAL) {
                chunk.clear();
                for (int i = 0; i < CHUNK; i += 8) {
                    chunk.putLong(i, (sent + i) * 0x9E3779B97F4A7C15L ^ (sent >>> 16));
                }
                sentCrc.update(chunk.duplicate());
                sent += CHUNK;
                if (!s.send(chunk)) {
                    refusals++;
                    return; // onWritable goes on
                }
            }
        }
    }

    @Test
    void sixtyFourMiBEchoIntact() throws Exception {
        Pki pki = Pki.get();
        Producer p = new Producer();
        CRC32 serverCrc = new CRC32();
        long[] serverBytes = {0};
        int[] clientClose = {Integer.MIN_VALUE};
        String[] clientReason = new String[1];
        boolean[] timedOut = {false};
        long start = System.nanoTime();
        try (Loop<Void> loop = Loop.create()) {
            SocketContext<Object> server = loop.createSocketContext(
                    SocketContextOptions.tls(pki.cert("server"), pki.key("server")));
            server.onData((s, data) -> {
                serverBytes[0] += data.remaining();
                serverCrc.update(data.duplicate());
                if (!s.send(data) && !s.isClosed()) { // false also when the write closed the socket
                    s.pauseReads();
                }
            }).onWritable(s -> {
                if (s.isReadPaused() && s.bufferedAmount() <= s.highWaterMark() / 2) {
                    s.resumeReads();
                }
            });
            SocketContext<Object> client = loop.createSocketContext(SocketContextOptions.tls().caFile(pki.ca()));
            Timer<Void> deadline = loop.createTimer(true);
            client.onOpen((s, isClient, ip) -> p.produce(s))
                  .onWritable(s -> {
                      if (p.sent < TOTAL && s.bufferedAmount() <= s.highWaterMark()) {
                          p.produce(s);
                      }
                  })
                  .onData((s, data) -> {
                      p.echoed += data.remaining();
                      p.echoCrc.update(data);
                      if (p.echoed == TOTAL) {
                          s.shutdown();
                      }
                  })
                  .onClose((s, code) -> {
                      clientClose[0] = code;
                      clientReason[0] = s.closeReason();
                      server.close();
                      deadline.close();
                  });
            int port = server.listen("127.0.0.1", 0).port();
            client.connect("localhost", port);
            deadline.set(45_000, 0, t -> {
                timedOut[0] = true;
                client.close();
                server.close();
            });
            loop.run();
        }
        double seconds = (System.nanoTime() - start) / 1e9;
        System.out.printf("LargeTransferTest: 64 MiB each way through TLS in %.2f s (%d send refusals)%n", seconds,
                p.refusals);
        assertFalse(timedOut[0], "not done within 45 s: sent " + p.sent + ", echoed " + p.echoed);
        assertEquals(0, clientClose[0], clientReason[0]);
        assertEquals(TOTAL, p.sent);
        assertEquals(TOTAL, serverBytes[0]);
        assertEquals(TOTAL, p.echoed);
        assertEquals(p.sentCrc.getValue(), serverCrc.getValue(), "what the server decrypted");
        assertEquals(p.sentCrc.getValue(), p.echoCrc.getValue(), "what came back");
        assertTrue(p.refusals > 0, "send() pushed back at least once (the high-water mark was reached)");
    }
}
