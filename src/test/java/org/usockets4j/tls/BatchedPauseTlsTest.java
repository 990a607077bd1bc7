package org.usockets4j.tls;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.ByteBuffer;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.usockets4j.Loop;
import org.usockets4j.Socket;
import org.usockets4j.SocketContext;
import org.usockets4j.SocketContextOptions;

/**
 * pauseReads() from onData of a TLS socket while more of what the loop read for it waits in the iteration's batch
 * of events (native/jni_events.c): a read can decrypt to several deliveries, and close_notify can come in the same
 * read as the last bytes. Nothing reaches onData or onEnd while paused; after resumeReads() every byte arrives in
 * order, then onEnd.
 */
@Timeout(value = 60, unit = TimeUnit.SECONDS, threadMode = Timeout.ThreadMode.SEPARATE_THREAD)
class BatchedPauseTlsTest {
    static byte pattern(long i) {
        return (byte) (i * 13 + (i >>> 10));
    }

    /** The client sends total bytes, then shutdown(); the server pauses at its first onData for pauseMs, each time. */
    private static void run(int total, int pauses) throws Exception {
        Pki pki = Pki.get();
        long[] got = {0};
        int[] dataWhilePaused = {0};
        int[] endWhilePaused = {0};
        long[] gotAtEnd = {-1};
        int[] pausesDone = {0};
        List<Throwable> reported = new ArrayList<>();
        try (Loop<Void> loop = Loop.create()) {
            loop.exceptionHandler(reported::add);
            SocketContext<Void> server = loop.createSocketContext(
                    SocketContextOptions.tls(pki.cert("server"), pki.key("server")));
            SocketContext<Void> client = loop.createSocketContext(SocketContextOptions.tls().caFile(pki.ca()));
            server.onData((s, data) -> {
                if (s.isReadPaused()) {
                    dataWhilePaused[0]++;
                }
                while (data.hasRemaining()) {
                    assertEquals(pattern(got[0]), data.get(), "byte " + got[0]);
                    got[0]++;
                }
                if (pausesDone[0] < pauses) {
                    pausesDone[0]++;
                    s.pauseReads(); // what else this read decrypted, and a close_notify in it, must wait
                    loop.createTimer().set(50, 0, t -> {
                        t.close();
                        s.resumeReads();
                    });
                }
            }).onEnd(s -> {
                if (s.isReadPaused()) {
                    endWhilePaused[0]++;
                }
                gotAtEnd[0] = got[0];
                s.close();
            });
            client.onOpen((s, isClient, ip) -> {
                ByteBuffer all = ByteBuffer.allocateDirect(total);
                for (int i = 0; i < total; i++) {
                    all.put(i, pattern(i));
                }
                s.send(all);
                s.shutdown(); // close_notify right behind the data
            }).onEnd(Socket::close);
            var listener = server.listen("127.0.0.1", 0);
            client.connect("localhost", listener.port());
            server.onOpen((s, c, ip) -> listener.close());
            loop.run();
        }
        assertTrue(reported.isEmpty(), () -> "reported: " + reported);
        assertEquals(0, dataWhilePaused[0]);
        assertEquals(0, endWhilePaused[0]);
        assertEquals(total, got[0]);
        assertEquals(total, gotAtEnd[0], "onEnd came before all the bytes");
        assertFalse(pausesDone[0] == 0);
    }

    @Test
    void smallMessageWithCloseNotifyInTheSameRead() throws Exception {
        run(1000, 1);
    }

    @Test
    void largeBurstPausedAgainAndAgain() throws Exception {
        run(3 << 20, 20);
    }
}
