package org.usockets4j.tcp;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.ByteArrayOutputStream;
import java.net.Inet6Address;
import java.net.InetSocketAddress;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
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

/** Echo between a usockets4j server and usockets4j clients on one loop, over IPv4 and IPv6 loopback. */
@Timeout(value = 30, unit = TimeUnit.SECONDS, threadMode = Timeout.ThreadMode.SEPARATE_THREAD)
class EchoTest {

    @Test
    void echoIpv4() {
        echo("127.0.0.1", 4);
    }

    @Test
    void echoIpv6() {
        echo("::1", 16);
    }

    private static void echo(String host, int ipLength) {
        byte[] message = ("hello over " + host).getBytes(StandardCharsets.UTF_8);
        List<String> events = new ArrayList<>();
        ByteArrayOutputStream received = new ByteArrayOutputStream();
        try (Loop<Void> loop = Loop.create()) {
            SocketContext<String> server = loop.createSocketContext(SocketContextOptions.plain());
            SocketContext<String> client = loop.createSocketContext(SocketContextOptions.plain());
            ListenSocket[] listener = new ListenSocket[1];
            server.onOpen((s, isClient, ip) -> {
                        assertFalse(isClient);
                        assertEquals(ipLength, ip.length);
                        s.setExt("server-side");
                        events.add("server open");
                    })
                    .onData((s, data) -> assertEquals(data.remaining(), s.write(data)))
                    .onClose((s, code) -> {
                        events.add("server close " + code);
                        listener[0].close();
                    });
            client.onOpen((s, isClient, ip) -> {
                        assertTrue(isClient);
                        assertEquals(ipLength, ip.length);
                        assertTrue(s.isEstablished());
                        InetSocketAddress remote = s.remoteAddress();
                        assertEquals(listener[0].port(), remote.getPort());
                        assertEquals(ipLength == 16, remote.getAddress() instanceof Inet6Address);
                        assertEquals(listener[0].port(), s.remotePort());
                        assertTrue(s.localPort() > 0);
                        events.add("client open");
                        assertEquals(message.length, s.write(message, 0, message.length));
                    })
                    .onData((s, data) -> {
                        byte[] copy = new byte[data.remaining()];
                        data.get(copy);
                        received.writeBytes(copy);
                        if (received.size() == message.length) {
                            s.close();
                        }
                    })
                    .onClose((s, code) -> events.add("client close " + code));
            listener[0] = server.listen(host, 0);
            assertTrue(listener[0].port() > 0);
            Socket<String> c = client.connect(host, listener[0].port());
            assertFalse(c.isClosed());
            loop.run();
            assertTrue(c.isClosed());
        }
        assertArrayEquals(message, received.toByteArray());
        assertEquals(List.of("client open", "server open", "client close 0", "server close 0"), events.subList(0, 4).stream()
                .sorted((a, b) -> order(a) - order(b)).toList());
    }

    private static int order(String e) {
        return e.startsWith("client open") ? 0 : e.startsWith("server open") ? 1 : e.startsWith("client close") ? 2 : 3;
    }

    @Test
    void dualStackListenerServesIpv4Ipv6AndAHostName() {
        List<String> got = new ArrayList<>();
        try (Loop<Void> loop = Loop.create()) {
            SocketContext<String> ctx = loop.createSocketContext(SocketContextOptions.plain());
            ListenSocket l = ctx.listen(null, 0); // every interface, IPv6 and IPv4
            int[] closed = {0};
            ctx.onOpen((s, isClient, ip) -> {
                if (isClient) {
                    s.write(Bytes.heap(s.ext()));
                }
            }).onData((s, data) -> {
                if (s.ext() == null) {
                    s.write(data); // server side echoes
                } else {
                    got.add(Bytes.text(data));
                    s.close();
                }
            }).onClose((s, code) -> {
                if (++closed[0] == 6) {
                    l.close();
                }
            });
            for (String host : List.of("127.0.0.1", "::1", "localhost")) {
                ctx.connect(host, l.port()).setExt(host); // "localhost" resolves off the loop thread
            }
            loop.run();
        }
        assertEquals(List.of("127.0.0.1", "::1", "localhost"), got.stream().sorted().toList());
    }

    @Test
    void directBufferWrittenInPlace() {
        ByteBuffer direct = ByteBuffer.allocateDirect(1000);
        for (int i = 0; i < 1000; i++) {
            direct.put((byte) i);
        }
        direct.flip().position(10);
        ByteArrayOutputStream got = new ByteArrayOutputStream();
        try (Loop<Void> loop = Loop.create()) {
            SocketContext<Void> ctx = loop.createSocketContext(SocketContextOptions.plain());
            ListenSocket[] l = new ListenSocket[1];
            ctx.onOpen((s, isClient, ip) -> {
                if (isClient) {
                    assertEquals(990, s.write(direct));
                    assertEquals(1000, direct.position());
                    s.shutdown();
                }
            }).onData((s, data) -> {
                byte[] b = new byte[data.remaining()];
                data.get(b);
                got.writeBytes(b);
            }).onEnd(s -> {
                s.close();
                l[0].close();
            });
            l[0] = ctx.listen("127.0.0.1", 0);
            ctx.connect("127.0.0.1", l[0].port());
            loop.run();
        }
        byte[] b = got.toByteArray();
        assertEquals(990, b.length);
        for (int i = 0; i < 990; i++) {
            assertEquals((byte) (i + 10), b[i]);
        }
    }
}
