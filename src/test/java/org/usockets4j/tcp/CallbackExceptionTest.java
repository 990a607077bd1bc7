package org.usockets4j.tcp;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

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

/**
 * An exception thrown by any socket callback reaches the loop's exception handler and the loop goes on: the
 * socket concerned is closed with CLOSE_CODE_CALLBACK_FAILED (onPreOpen: the descriptor goes on as a socket;
 * onConnectError and onClose: the socket is already closed). onTimeout is covered by TimeoutTest.
 */
@Timeout(value = 30, unit = TimeUnit.SECONDS, threadMode = Timeout.ThreadMode.SEPARATE_THREAD)
class CallbackExceptionTest {
    private static final int FAILED = Socket.CLOSE_CODE_CALLBACK_FAILED;

    /** Runs one scenario: a server context whose callback `kind` throws, a client that provokes it. */
    private static List<String> scenario(String kind) {
        List<String> events = new ArrayList<>();
        List<String> reported = new ArrayList<>();
        try (Loop<Void> loop = Loop.create()) {
            loop.exceptionHandler(t -> reported.add(t.getMessage()));
            SocketContext<Void> server = loop.createSocketContext(SocketContextOptions.plain());
            SocketContext<Void> client = loop.createSocketContext(SocketContextOptions.plain());
            RuntimeException boom = new IllegalStateException(kind);
            ListenSocket[] l = {null};
            server.onPreOpen((c, fd, ip) -> {
                if (kind.equals("preOpen")) {
                    throw boom;
                }
                return fd;
            }).onOpen((s, c, ip) -> {
                l[0].close();
                events.add("server open");
                if (kind.equals("open")) {
                    throw boom;
                }
                if (kind.equals("writable")) {
                    // more than the kernel takes at once: onWritable follows
                    s.write(new byte[64 << 20], 0, 64 << 20);
                }
            }).onData((s, data) -> {
                if (kind.equals("data")) {
                    throw boom;
                }
            }).onWritable(s -> {
                throw boom; // only reached in the "writable" scenario
            }).onEnd(s -> {
                if (kind.equals("end")) {
                    throw boom;
                }
                s.close();
            }).onClose((s, code) -> {
                events.add("server close " + code);
                if (kind.equals("close")) {
                    throw boom;
                }
            });
            client.onOpen((s, c, ip) -> {
                s.write(Bytes.heap("x"));
                if (kind.equals("end") || kind.equals("close") || kind.equals("preOpen")) {
                    s.shutdown();
                }
            }).onConnectError((s, code) -> {
                events.add("connect error");
                if (kind.equals("connectError")) {
                    throw boom;
                }
            }).onClose((s, code) -> events.add("client close"));
            l[0] = server.listen("127.0.0.1", 0);
            if (kind.equals("connectError")) {
                int port = l[0].port();
                l[0].close();
                client.connect("127.0.0.1", port);
            } else {
                client.connect("127.0.0.1", l[0].port());
            }
            loop.run();

            // the loop goes on: a fresh echo on the same loop still works
            SocketContext<Void> echo = loop.createSocketContext(SocketContextOptions.plain());
            ListenSocket[] l2 = {null};
            echo.onOpen((s, isClient, ip) -> {
                if (isClient) {
                    s.write(Bytes.heap("still alive"));
                } else {
                    l2[0].close();
                }
            }).onData((s, data) -> {
                String text = Bytes.text(data);
                if (s.localPort() == l2[0].port()) {
                    s.write(Bytes.heap(text));
                } else {
                    events.add("after: " + text);
                    echo.close();
                }
            });
            l2[0] = echo.listen("127.0.0.1", 0);
            echo.connect("127.0.0.1", l2[0].port());
            loop.run();
        }
        events.add("reported " + reported);
        return events;
    }

    @Test
    void preOpen() {
        List<String> e = scenario("preOpen");
        assertTrue(e.contains("server open"), e.toString());
        assertEquals("reported [preOpen]", e.get(e.size() - 1));
        assertTrue(e.contains("after: still alive"), e.toString());
    }

    @Test
    void open() {
        List<String> e = scenario("open");
        assertTrue(e.contains("server close " + FAILED), e.toString());
        assertEquals("reported [open]", e.get(e.size() - 1));
        assertTrue(e.contains("after: still alive"), e.toString());
    }

    @Test
    void data() {
        List<String> e = scenario("data");
        assertTrue(e.contains("server close " + FAILED), e.toString());
        assertEquals("reported [data]", e.get(e.size() - 1));
        assertTrue(e.contains("after: still alive"), e.toString());
    }

    @Test
    void writable() {
        List<String> e = scenario("writable");
        assertTrue(e.contains("server close " + FAILED), e.toString());
        assertEquals("reported [writable]", e.get(e.size() - 1));
        assertTrue(e.contains("after: still alive"), e.toString());
    }

    @Test
    void end() {
        List<String> e = scenario("end");
        assertTrue(e.contains("server close " + FAILED), e.toString());
        assertEquals("reported [end]", e.get(e.size() - 1));
        assertTrue(e.contains("after: still alive"), e.toString());
    }

    @Test
    void close() {
        List<String> e = scenario("close");
        assertTrue(e.contains("server close 0"), e.toString());
        assertEquals("reported [close]", e.get(e.size() - 1));
        assertTrue(e.contains("after: still alive"), e.toString());
    }

    @Test
    void connectError() {
        List<String> e = scenario("connectError");
        assertTrue(e.contains("connect error"), e.toString());
        assertTrue(!e.contains("client close"), e.toString());
        assertEquals("reported [connectError]", e.get(e.size() - 1));
        assertTrue(e.contains("after: still alive"), e.toString());
    }
}
