package org.usockets4j.tcp;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.net.InetAddress;
import java.net.ServerSocket;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.concurrent.TimeUnit;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.usockets4j.ListenSocket;
import org.usockets4j.Loop;
import org.usockets4j.Socket;
import org.usockets4j.SocketContext;
import org.usockets4j.SocketContextOptions;

/**
 * Idle timeouts (one loop, one sweep): timeout(1) fires onTimeout within the 4 s granularity; without onTimeout
 * the socket is closed; an onTimeout that throws reaches the exception handler and closes the socket with
 * CLOSE_CODE_CALLBACK_FAILED; timeout() on a connecting socket is a connect timeout.
 */
@Timeout(value = 30, unit = TimeUnit.SECONDS, threadMode = Timeout.ThreadMode.SEPARATE_THREAD)
class TimeoutTest {

    @Test
    void idleTimeouts() throws Exception {
        List<String> events = Collections.synchronizedList(new ArrayList<>());
        List<Throwable> reported = new ArrayList<>();
        long[] fireMillis = {0};
        long start = System.nanoTime();
        try (ServerSocket full = new ServerSocket(0, 1, InetAddress.getLoopbackAddress());
             Loop<Void> loop = Loop.create()) {
            loop.exceptionHandler(reported::add);
            SocketContext<String> withHandler = loop.createSocketContext(SocketContextOptions.plain());
            SocketContext<String> without = loop.createSocketContext(SocketContextOptions.plain());
            SocketContext<String> throwing = loop.createSocketContext(SocketContextOptions.plain());
            SocketContext<String> clients = loop.createSocketContext(SocketContextOptions.plain());
            withHandler.onOpen((s, c, ip) -> {
                s.setExt("handled");
                s.timeout(1);
                s.longTimeout(0);
            }).onTimeout(s -> {
                fireMillis[0] = (System.nanoTime() - start) / 1_000_000;
                events.add("timeout " + s.ext());
                s.close();
            }).onClose((s, code) -> events.add("close " + s.ext() + " " + code));
            without.onOpen((s, c, ip) -> {
                s.setExt("default");
                s.timeout(1);
            }).onClose((s, code) -> events.add("close " + s.ext() + " " + code));
            throwing.onOpen((s, c, ip) -> {
                s.setExt("throwing");
                s.timeout(1);
            }).onTimeout(s -> {
                throw new IllegalStateException("from onTimeout");
            }).onClose((s, code) -> events.add("close " + s.ext() + " " + code));
            clients.onTimeout(s -> {
                events.add("timeout " + s.ext());
                s.close();
            }).onClose((s, code) -> events.add("close " + s.ext() + " " + code));

            ListenSocket a = withHandler.listen("127.0.0.1", 0);
            ListenSocket b = without.listen("127.0.0.1", 0);
            ListenSocket c = throwing.listen("127.0.0.1", 0);
            for (ListenSocket l : List.of(a, b, c)) {
                clients.connect("127.0.0.1", l.port()).setExt("client of " + l.port());
            }
            // a connect that cannot complete (full backlog drops SYNs), bounded by timeout()
            List<Socket<String>> pending = new ArrayList<>();
            for (int i = 0; i < 4; i++) {
                Socket<String> s = clients.connect("127.0.0.1", full.getLocalPort());
                s.setExt("connecting " + i);
                s.timeout(1);
                pending.add(s);
            }
            loop.createTimer().set(100, 100, t -> {
                // once every idle socket timed out (and a pending connect did), closing the rest ends run()
                boolean done = events.contains("close handled 0") && events.contains("close default 0")
                        && events.stream().anyMatch(e -> e.startsWith("close throwing"))
                        && events.stream().anyMatch(e -> e.startsWith("timeout connecting"));
                if (!done) {
                    return;
                }
                a.close();
                b.close();
                c.close();
                clients.close();
                t.close();
            });
            loop.run();
        }
        assertTrue(events.contains("timeout handled"), events.toString());
        assertTrue(fireMillis[0] <= 4_000 + 1_500, "fired after " + fireMillis[0] + " ms");
        assertTrue(events.contains("close handled 0"), events.toString());
        assertTrue(events.contains("close default 0"), events.toString());
        assertTrue(events.contains("close throwing " + Socket.CLOSE_CODE_CALLBACK_FAILED), events.toString());
        assertEquals(1, reported.size());
        assertEquals("from onTimeout", reported.get(0).getMessage());
        assertTrue(events.stream().anyMatch(e -> e.startsWith("timeout connecting")), events.toString());
    }
}
