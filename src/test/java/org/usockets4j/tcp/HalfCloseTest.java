package org.usockets4j.tcp;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.InputStream;
import java.net.InetSocketAddress;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.usockets4j.ListenSocket;
import org.usockets4j.Loop;
import org.usockets4j.SocketContext;
import org.usockets4j.SocketContextOptions;

/**
 * Half-close both ways (FIN, then data the other way, then FIN back), the default without onEnd, and a peer's
 * RST: the socket closes with onClose code 0 and no onEnd (that missing onEnd is what tells RST from FIN), while
 * our own close(code != 0) sends RST and reports that code locally.
 */
@Timeout(value = 30, unit = TimeUnit.SECONDS, threadMode = Timeout.ThreadMode.SEPARATE_THREAD)
class HalfCloseTest {

    @Test
    void clientHalfClosesFirst() {
        List<String> events = new ArrayList<>();
        try (Loop<Void> loop = Loop.create()) {
            SocketContext<Void> server = loop.createSocketContext(SocketContextOptions.plain());
            SocketContext<Void> client = loop.createSocketContext(SocketContextOptions.plain());
            ListenSocket[] l = {null};
            StringBuilder atServer = new StringBuilder();
            server.onOpen((s, c, ip) -> l[0].close())
                    .onData((s, data) -> atServer.append(Bytes.text(data)))
                    .onEnd(s -> {
                        events.add("server end after " + atServer);
                        assertFalse(s.isShutDown());
                        s.write(Bytes.heap("pong"));
                        s.shutdown();
                        assertTrue(s.isShutDown());
                    })
                    .onClose((s, code) -> events.add("server close " + code));
            client.onOpen((s, c, ip) -> {
                s.write(Bytes.heap("ping"));
                s.shutdown();
                assertTrue(s.isShutDown());
                assertEquals(0, s.write(Bytes.heap("too late")));
            }).onData((s, data) -> events.add("client got " + Bytes.text(data)))
                    .onEnd(s -> events.add("client end"))
                    .onClose((s, code) -> events.add("client close " + code));
            l[0] = server.listen("127.0.0.1", 0);
            client.connect("127.0.0.1", l[0].port());
            loop.run();
        }
        assertEquals("server end after ping", events.get(0));
        assertTrue(events.contains("client got pong"), events.toString());
        assertTrue(events.contains("client close 0"), events.toString());
        assertTrue(events.contains("server close 0"), events.toString());
        assertFalse(events.contains("client end"), "a shut-down socket closes on the peer's FIN: " + events);
    }

    @Test
    void serverHalfClosesFirst() {
        List<String> events = new ArrayList<>();
        try (Loop<Void> loop = Loop.create()) {
            SocketContext<Void> server = loop.createSocketContext(SocketContextOptions.plain());
            SocketContext<Void> client = loop.createSocketContext(SocketContextOptions.plain());
            ListenSocket[] l = {null};
            server.onOpen((s, c, ip) -> {
                l[0].close();
                s.write(Bytes.direct("hello"));
                s.shutdown();
            }).onData((s, data) -> events.add("server got " + Bytes.text(data)))
                    .onEnd(s -> events.add("server end"))
                    .onClose((s, code) -> events.add("server close " + code));
            client.onData((s, data) -> events.add("client got " + Bytes.text(data)))
                    .onEnd(s -> {
                        events.add("client end");
                        s.write(Bytes.heap("bye"));
                        s.shutdown();
                    })
                    .onClose((s, code) -> events.add("client close " + code));
            l[0] = server.listen("127.0.0.1", 0);
            client.connect("127.0.0.1", l[0].port());
            loop.run();
        }
        assertEquals(List.of("client got hello", "client end"), events.subList(0, 2));
        assertTrue(events.contains("server got bye"), events.toString());
        assertTrue(events.contains("server close 0") && events.contains("client close 0"), events.toString());
        assertFalse(events.contains("server end"), events.toString());
    }

    @Test
    void withoutOnEndTheSocketShutsDownInTurnAfterBufferedData() throws Exception {
        // a java.net client half-closes; the server (no onEnd) has 4 MiB of send() data buffered: it all arrives,
        // then the server's FIN
        byte[] big = new byte[4 << 20];
        for (int i = 0; i < big.length; i++) {
            big[i] = (byte) (i * 13);
        }
        int[] port = {0};
        CountDownLatch listening = new CountDownLatch(1);
        int[] closes = {0};
        Thread loopThread = new Thread(() -> {
            try (Loop<Void> loop = Loop.create()) {
                SocketContext<Void> server = loop.createSocketContext(SocketContextOptions.plain());
                ListenSocket[] l = {null};
                server.onOpen((s, c, ip) -> {
                    l[0].close();
                    s.send(big);
                }).onClose((s, code) -> closes[0]++);
                l[0] = server.listen("127.0.0.1", 0);
                port[0] = l[0].port();
                listening.countDown();
                loop.run();
            }
        });
        loopThread.start();
        assertTrue(listening.await(10, TimeUnit.SECONDS));
        try (java.net.Socket peer = new java.net.Socket()) {
            peer.connect(new InetSocketAddress("127.0.0.1", port[0]), 10_000);
            peer.setSoTimeout(20_000);
            peer.shutdownOutput();
            InputStream in = peer.getInputStream();
            byte[] got = in.readAllBytes(); // ends at the server's FIN
            assertEquals(big.length, got.length);
            for (int i = 0; i < big.length; i++) {
                if (got[i] != big[i]) {
                    throw new AssertionError("byte " + i + " differs");
                }
            }
        }
        loopThread.join(10_000);
        assertFalse(loopThread.isAlive());
        assertEquals(1, closes[0]);
    }

    @Test
    void resetFromThePeerClosesWithoutOnEnd() throws Exception {
        List<String> events = new ArrayList<>();
        int[] port = {0};
        CountDownLatch listening = new CountDownLatch(1);
        CountDownLatch opened = new CountDownLatch(1);
        Thread loopThread = new Thread(() -> {
            try (Loop<Void> loop = Loop.create()) {
                SocketContext<Void> server = loop.createSocketContext(SocketContextOptions.plain());
                ListenSocket[] l = {null};
                server.onOpen((s, c, ip) -> {
                    l[0].close();
                    opened.countDown();
                }).onEnd(s -> events.add("end"))
                        .onClose((s, code) -> events.add("close " + code));
                l[0] = server.listen("127.0.0.1", 0);
                port[0] = l[0].port();
                listening.countDown();
                loop.run();
            }
        });
        loopThread.start();
        assertTrue(listening.await(10, TimeUnit.SECONDS));
        try (java.net.Socket peer = new java.net.Socket()) {
            peer.connect(new InetSocketAddress("127.0.0.1", port[0]), 10_000);
            assertTrue(opened.await(10, TimeUnit.SECONDS));
            peer.setSoLinger(true, 0); // close() sends RST
        }
        loopThread.join(10_000);
        assertFalse(loopThread.isAlive());
        assertEquals(List.of("close 0"), events);
    }

    @Test
    void ourCloseWithACodeSendsReset() {
        List<String> events = new ArrayList<>();
        try (Loop<Void> loop = Loop.create()) {
            SocketContext<Void> server = loop.createSocketContext(SocketContextOptions.plain());
            SocketContext<Void> client = loop.createSocketContext(SocketContextOptions.plain());
            ListenSocket[] l = {null};
            server.onOpen((s, c, ip) -> l[0].close())
                    .onData((s, data) -> s.close(42)) // the client is surely open by now
                    .onClose((s, code) -> events.add("server close " + code));
            client.onOpen((s, c, ip) -> s.write(Bytes.heap("x")))
                    .onEnd(s -> events.add("client end"))
                    .onClose((s, code) -> events.add("client close " + code));
            l[0] = server.listen("127.0.0.1", 0);
            client.connect("127.0.0.1", l[0].port());
            loop.run();
        }
        assertEquals(List.of("server close 42", "client close 0"), events);
    }
}
