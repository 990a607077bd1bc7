package org.usockets4j.tcp;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.net.InetAddress;
import java.net.ServerSocket;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.usockets4j.ListenSocket;
import org.usockets4j.Loop;
import org.usockets4j.Socket;
import org.usockets4j.SocketContext;
import org.usockets4j.SocketContextOptions;
import org.usockets4j.Timer;
import org.usockets4j.UsException;

/**
 * Connects that fail: refused and unresolvable names reach onConnectError (the socket is closed then, and no
 * onClose follows); immediate failures throw; a connect that does not complete is cancelled by close() from a
 * Timer (the connect timeout: this network has no unroutable address to try, so a listener with a full backlog,
 * which drops SYNs, keeps the connect pending).
 */
@Timeout(value = 30, unit = TimeUnit.SECONDS, threadMode = Timeout.ThreadMode.SEPARATE_THREAD)
class ConnectTest {
    private static final int ECONNREFUSED = 111;

    @Test
    void refusedAndUnresolvableReachOnConnectError() {
        List<String> events = new ArrayList<>();
        int[] codes = new int[2];
        try (Loop<Void> loop = Loop.create()) {
            SocketContext<String> ctx = loop.createSocketContext(SocketContextOptions.plain());
            ListenSocket l = ctx.listen("127.0.0.1", 0);
            int closedPort = l.port();
            l.close();
            assertTrue(l.isClosed());
            l.close(); // a second close does nothing
            ctx.onOpen((s, c, ip) -> events.add("open " + s.ext()))
                    .onClose((s, code) -> events.add("close " + s.ext()))
                    .onConnectError((s, code) -> {
                        assertTrue(s.isClosed());
                        UsException e = assertThrows(UsException.class, () -> s.write(Bytes.heap("x")));
                        assertEquals(UsException.Kind.CLOSED, e.kind());
                        codes[s.ext().equals("refused") ? 0 : 1] = code;
                        events.add("connect error " + s.ext());
                    });
            Socket<String> refused = ctx.connect("127.0.0.1", closedPort);
            refused.setExt("refused");
            assertFalse(refused.isEstablished());
            Socket<String> unresolved = ctx.connect("nonexistent.invalid", 80);
            unresolved.setExt("unresolved");
            loop.run();
            assertTrue(refused.isClosed() && unresolved.isClosed());
        }
        assertEquals(2, events.size(), events.toString());
        assertTrue(events.containsAll(List.of("connect error refused", "connect error unresolved")), events.toString());
        assertEquals(ECONNREFUSED, codes[0]);
        assertTrue(codes[1] != 0, "an EAI_ code for the name");
    }

    @Test
    void immediateFailuresThrow() {
        try (Loop<Void> loop = Loop.create()) {
            SocketContext<Void> ctx = loop.createSocketContext(SocketContextOptions.plain());
            assertEquals(UsException.Kind.INVALID_HOST,
                    assertThrows(UsException.class, () -> ctx.connect(null, 80)).kind());
            assertEquals(UsException.Kind.INVALID_HOST,
                    assertThrows(UsException.class, () -> ctx.connect("", 80)).kind());
            assertEquals(UsException.Kind.INVALID_ARGUMENT,
                    assertThrows(UsException.class, () -> ctx.connect("127.0.0.1", 65536)).kind());
            assertEquals(UsException.Kind.INVALID_ARGUMENT,
                    assertThrows(UsException.class, () -> ctx.connect("127.0.0.1", -1)).kind());
            // a source address this machine does not have: bind fails before anything is sent
            UsException e = assertThrows(UsException.class, () -> ctx.connect("127.0.0.1", 9, "192.0.2.1"));
            assertEquals(UsException.Kind.NETWORK_OPERATION, e.kind());
            assertTrue(e.getMessage().contains("errno"), e.getMessage());
        }
    }

    @Test
    void sourceHostIsUsed() {
        int[] seen = {0};
        try (Loop<Void> loop = Loop.create()) {
            SocketContext<Void> ctx = loop.createSocketContext(SocketContextOptions.plain());
            ListenSocket[] l = {null};
            ctx.onOpen((s, isClient, ip) -> {
                if (!isClient) {
                    assertEquals("127.0.0.1", s.remoteAddress().getAddress().getHostAddress());
                    seen[0]++;
                    s.close();
                    l[0].close();
                }
            });
            l[0] = ctx.listen("127.0.0.1", 0);
            ctx.connect("127.0.0.1", l[0].port(), "127.0.0.1");
            loop.run();
        }
        assertEquals(1, seen[0]);
    }

    @Test
    void connectTimeoutByClosingFromATimer() throws Exception {
        List<String> events = new ArrayList<>();
        int[] pendingAtTimeout = {0};
        try (ServerSocket full = new ServerSocket(0, 1, InetAddress.getLoopbackAddress());
             Loop<Void> loop = Loop.create()) {
            SocketContext<Integer> ctx = loop.createSocketContext(SocketContextOptions.plain());
            ctx.onOpen((s, c, ip) -> events.add("open " + s.ext()))
                    .onConnectError((s, code) -> events.add("connect error " + s.ext()))
                    .onClose((s, code) -> events.add("close " + s.ext() + " " + code));
            List<Socket<Integer>> sockets = new ArrayList<>();
            for (int i = 0; i < 6; i++) { // backlog 1: the kernel queues two, drops the others' SYNs
                Socket<Integer> s = ctx.connect("127.0.0.1", full.getLocalPort());
                s.setExt(i);
                sockets.add(s);
            }
            Timer<Void> timeout = loop.createTimer();
            timeout.set(500, 0, t -> {
                for (Socket<Integer> s : sockets) {
                    if (!s.isClosed() && !s.isEstablished()) {
                        pendingAtTimeout[0]++;
                        s.close(); // the connect timeout: cancel what has not completed
                    } else if (!s.isClosed()) {
                        s.close();
                    }
                }
                t.close();
            });
            loop.run();
        }
        assertTrue(pendingAtTimeout[0] > 0, "no connect was still pending: " + events);
        long closedWithoutOpen = events.stream().filter(e -> e.startsWith("close ")).map(e -> e.split(" ")[1])
                .filter(id -> !events.contains("open " + id)).count();
        assertEquals(pendingAtTimeout[0], closedWithoutOpen, events.toString());
        assertEquals(6, events.stream().filter(e -> e.startsWith("close ")).count(), events.toString());
    }
}
