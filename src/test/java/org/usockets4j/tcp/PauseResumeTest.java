package org.usockets4j.tcp;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.concurrent.TimeUnit;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.usockets4j.ListenSocket;
import org.usockets4j.Loop;
import org.usockets4j.Socket;
import org.usockets4j.SocketContext;
import org.usockets4j.SocketContextOptions;

/**
 * pauseReads/resumeReads: a paused socket gets no onData (nor onEnd) however much the peer sends; resumed, every
 * byte arrives in order. A pause asked for while the socket still connects applies when it opens.
 */
@Timeout(value = 30, unit = TimeUnit.SECONDS, threadMode = Timeout.ThreadMode.SEPARATE_THREAD)
class PauseResumeTest {
    private static final int TOTAL = 200_000;

    @Test
    void pausedSocketsReadNothingUntilResumed() {
        int[] serverGot = {0};
        int[] gotWhilePaused = {0};
        int[] clientGot = {0};
        boolean[] serverEnded = {false};
        try (Loop<Void> loop = Loop.create()) {
            SocketContext<Void> server = loop.createSocketContext(SocketContextOptions.plain());
            SocketContext<Void> client = loop.createSocketContext(SocketContextOptions.plain());
            ListenSocket[] l = {null};
            Socket<?>[] accepted = {null};
            server.onOpen((s, c, ip) -> {
                l[0].close();
                accepted[0] = s;
                s.pauseReads();
                assertTrue(s.isReadPaused());
                s.send(new byte[1000]); // writing goes on while paused
            }).onData((s, data) -> {
                if (s.isReadPaused()) {
                    gotWhilePaused[0]++;
                }
                while (data.hasRemaining()) {
                    assertEquals((byte) (serverGot[0]++ % 253), data.get());
                }
            }).onEnd(s -> {
                serverEnded[0] = true;
                s.close();
            });
            client.onOpen((s, isClient, ip) -> {
                byte[] all = new byte[TOTAL];
                for (int i = 0; i < TOTAL; i++) {
                    all[i] = (byte) (i % 253);
                }
                s.send(all);
                s.shutdown(); // FIN behind the data, and behind the server's pause
            }).onData((s, data) -> clientGot[0] += data.remaining());
            l[0] = server.listen("127.0.0.1", 0);
            Socket<Void> paused = client.connect("127.0.0.1", l[0].port());
            paused.pauseReads(); // still connecting: applies at open
            loop.createTimer().set(300, 0, t -> {
                assertEquals(0, serverGot[0], "a paused socket read");
                assertFalse(serverEnded[0]);
                assertEquals(0, clientGot[0], "a socket paused before it opened read");
                accepted[0].resumeReads();
                paused.resumeReads();
                assertFalse(paused.isReadPaused());
                t.close();
            });
            loop.run();
        }
        assertEquals(TOTAL, serverGot[0]);
        assertEquals(0, gotWhilePaused[0]);
        assertTrue(serverEnded[0]);
        assertEquals(1000, clientGot[0]);
    }
}
