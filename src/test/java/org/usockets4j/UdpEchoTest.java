package org.usockets4j;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.StandardProtocolFamily;
import java.nio.ByteBuffer;
import java.nio.channels.DatagramChannel;
import java.util.ArrayList;
import java.util.BitSet;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicReference;

import org.junit.jupiter.api.Assertions;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/** UDP over loopback: windowed echo of 100 000 datagrams, peers, IPv6, sizes, drain, and the JDK as the peer. */
@Timeout(value = 60, unit = TimeUnit.SECONDS, threadMode = Timeout.ThreadMode.SEPARATE_THREAD)
class UdpEchoTest {

    /** Closes every UDP socket of the loop after ms unless the test finished (a bounded wait, not a sleep). */
    static Timer<Void> deadline(Loop<?> loop, int ms, List<UdpSocket<?>> sockets, AtomicReference<String> failure) {
        loop.exceptionHandler(e -> failure.compareAndSet(null, "a callback threw " + e));
        Timer<Void> t = loop.createTimer(true);
        t.set(ms, 0, timer -> {
            failure.compareAndSet(null, "timed out after " + ms + " ms");
            for (UdpSocket<?> s : sockets) {
                s.close();
            }
            timer.close();
        });
        return t;
    }

    /** An echo server: sends every received batch straight back (sendmmsg on the received slots). */
    static UdpSocket<Void> echoServer(Loop<?> loop, String host) {
        return loop.createUdpSocket(host, 0, (s, batch, count) -> {
            int sent = s.send(batch, count);
            assertEquals(count, sent, "loopback takes every echo");
        }, null);
    }

    /** Datagram seq's bytes: its number then a pattern, 8 to 263 bytes. */
    static ByteBuffer content(int seq, ByteBuffer scratch) {
        scratch.clear();
        scratch.putInt(seq);
        int extra = (seq * 7) % 256;
        for (int k = 0; k < extra; k++) {
            scratch.put((byte) (seq + k * 13));
        }
        scratch.putInt(~seq);
        return scratch.flip();
    }

    @Test
    void echoesOneHundredThousandDatagramsInAWindowNoneLost() {
        final int total = 100_000;
        final int window = 64;
        final int batchMax = 32;
        try (Loop<Void> loop = Loop.create()) {
            AtomicReference<String> failure = new AtomicReference<>();
            UdpSocket<Void> server = echoServer(loop, "127.0.0.1");
            byte[] serverIp = {127, 0, 0, 1};
            int serverPort = server.port();
            BitSet seen = new BitSet(total);
            ByteBuffer scratch = ByteBuffer.allocate(512);
            byte[] peer = new byte[16];
            int[] state = new int[3]; // next to send, received, batches received
            List<UdpSocket<?>> sockets = new ArrayList<>();
            UdpSocket<Void> client = loop.createUdpSocket("127.0.0.1", 0, (s, batch, count) -> {
                state[2]++;
                for (int i = 0; i < count; i++) {
                    ByteBuffer p = batch.payload(i);
                    int seq = p.getInt(p.position());
                    if (seq < 0 || seq >= state[0] || seen.get(seq) || !p.equals(content(seq, scratch))) {
                        failure.compareAndSet(null, "datagram " + i + " of a batch (seq " + seq + ") does not match");
                        continue;
                    }
                    if (batch.peerAddress(i, peer) != 4 || peer[0] != 127 || peer[3] != 1
                            || batch.peerPort(i) != serverPort) {
                        failure.compareAndSet(null, "echo " + seq + " came from " + batch.peer(i));
                    }
                    seen.set(seq);
                    state[1]++;
                }
                if (state[1] == total || failure.get() != null) {
                    sockets.forEach(UdpSocket::close);
                    return;
                }
                UdpPacketBuffer out = s.sendBuffer();
                int n = 0;
                while (n < batchMax && state[0] < total && state[0] - state[1] < window) {
                    out.set(n++, content(state[0]++, scratch), serverIp, serverPort);
                }
                assertEquals(n, s.send(out, n));
                out.clear();
            }, null);
            sockets.add(client);
            sockets.add(server);
            deadline(loop, 25_000, sockets, failure);

            UdpPacketBuffer out = client.sendBuffer();
            for (int i = 0; i < window; i++) {
                out.set(i, content(state[0]++, scratch), serverIp, serverPort);
            }
            assertEquals(window, client.send(out, window));
            out.clear();
            loop.run();

            assertNull(failure.get());
            assertEquals(total, state[1]);
            assertEquals(total, seen.cardinality());
            assertTrue(state[2] < total, "echoes arrive in batches: " + state[2] + " receives for " + total);
        }
    }

    @Test
    void peersAndLocalAddressesAreReported() throws Exception {
        try (Loop<Void> loop = Loop.create()) {
            AtomicReference<String> failure = new AtomicReference<>();
            List<UdpSocket<?>> sockets = new ArrayList<>();
            List<InetSocketAddress> peers = new ArrayList<>();
            byte[] local = new byte[16];
            int[] localLength = new int[1];
            UdpSocket<Void> server = loop.createUdpSocket("127.0.0.1", 0, (s, batch, count) -> {
                for (int i = 0; i < count; i++) {
                    peers.add(batch.peer(i));
                    localLength[0] = batch.localAddress(i, local);
                }
                sockets.forEach(UdpSocket::close);
            }, null);
            UdpSocket<Void> client = loop.createUdpSocket("127.0.0.1", 0, null, null);
            int clientPort = client.port();
            sockets.add(server);
            sockets.add(client);
            deadline(loop, 10_000, sockets, failure);
            UdpPacketBuffer out = loop.createUdpPacketBuffer();
            InetSocketAddress to = new InetSocketAddress(InetAddress.getLoopbackAddress(), server.port());
            out.set(0, ByteBuffer.wrap(new byte[] {42}), to);
            assertEquals(to, out.peer(0));
            assertEquals(1, out.length(0));
            assertEquals(1, client.send(out, 1));
            loop.run();
            assertNull(failure.get());
            assertEquals(List.of(new InetSocketAddress("127.0.0.1", clientPort)), peers);
            assertEquals(4, localLength[0]);
            assertArrayEquals(new byte[] {127, 0, 0, 1}, java.util.Arrays.copyOf(local, 4));
        }
    }

    @Test
    void clientPortIsThePeerPortTheServerSees() {
        try (Loop<Void> loop = Loop.create()) {
            AtomicReference<String> failure = new AtomicReference<>();
            List<UdpSocket<?>> sockets = new ArrayList<>();
            int[] seenPort = {-1};
            UdpSocket<Void> server = loop.createUdpSocket("127.0.0.1", 0, (s, batch, count) -> {
                seenPort[0] = batch.peerPort(0);
                sockets.forEach(UdpSocket::close);
            }, null);
            UdpSocket<Void> client = loop.createUdpSocket("127.0.0.1", 0, null, null);
            int clientPort = client.port();
            sockets.add(server);
            sockets.add(client);
            deadline(loop, 10_000, sockets, failure);
            client.sendBuffer().set(0, ByteBuffer.allocate(3), new byte[] {127, 0, 0, 1}, server.port());
            assertEquals(1, client.send(client.sendBuffer(), 1));
            loop.run();
            assertNull(failure.get());
            assertEquals(clientPort, seenPort[0]);
        }
    }

    @Test
    void ipv6LoopbackEchoes() throws Exception {
        Assertions.assertTrue(ipv6Loopback(), "no IPv6 loopback here");
        try (Loop<Void> loop = Loop.create()) {
            AtomicReference<String> failure = new AtomicReference<>();
            List<UdpSocket<?>> sockets = new ArrayList<>();
            UdpSocket<Void> server = echoServer(loop, "::1");
            byte[] loopback6 = InetAddress.getByName("::1").getAddress();
            byte[] peer = new byte[16];
            List<String> got = new ArrayList<>();
            UdpSocket<Void> client = loop.createUdpSocket("::1", 0, (s, batch, count) -> {
                for (int i = 0; i < count; i++) {
                    assertEquals(16, batch.peerAddress(i, peer));
                    assertArrayEquals(loopback6, peer);
                    assertEquals(server.port(), batch.peerPort(i));
                    byte[] bytes = new byte[batch.length(i)];
                    batch.copyPayload(i, bytes, 0);
                    got.add(new String(bytes, java.nio.charset.StandardCharsets.US_ASCII));
                }
                if (got.size() == 3) {
                    sockets.forEach(UdpSocket::close);
                }
            }, null);
            sockets.add(server);
            sockets.add(client);
            deadline(loop, 10_000, sockets, failure);
            UdpPacketBuffer out = client.sendBuffer();
            InetSocketAddress to = new InetSocketAddress("::1", server.port());
            for (int i = 0; i < 3; i++) {
                out.set(i, ByteBuffer.wrap(("six-" + i).getBytes(java.nio.charset.StandardCharsets.US_ASCII)), to);
            }
            assertEquals(to, out.peer(2));
            assertEquals(3, client.send(out, 3));
            loop.run();
            assertNull(failure.get());
            assertEquals(List.of("six-0", "six-1", "six-2"), got);
        }
    }

    @Test
    void oneByteAndTheLargestDatagramsEcho() {
        int largest = 65507; // the largest UDP datagram over IPv4
        try (Loop<Void> loop = Loop.create()) {
            AtomicReference<String> failure = new AtomicReference<>();
            List<UdpSocket<?>> sockets = new ArrayList<>();
            UdpSocket<Void> server = echoServer(loop, "127.0.0.1");
            ByteBuffer big = ByteBuffer.allocateDirect(largest);
            for (int k = 0; k < largest; k++) {
                big.put(k, (byte) (k * 7 + 3));
            }
            List<Integer> lengths = new ArrayList<>();
            UdpSocket<Void> client = loop.createUdpSocket("127.0.0.1", 0, (s, batch, count) -> {
                for (int i = 0; i < count; i++) {
                    ByteBuffer p = batch.payloadSlice(i);
                    lengths.add(p.remaining());
                    if (p.remaining() == 1) {
                        assertEquals((byte) 0x5a, p.get(0));
                    } else if (!p.equals(big.duplicate().clear())) {
                        failure.compareAndSet(null, "the largest datagram came back changed");
                    }
                }
                if (lengths.size() == 2) {
                    sockets.forEach(UdpSocket::close);
                }
            }, null);
            sockets.add(server);
            sockets.add(client);
            deadline(loop, 10_000, sockets, failure);
            UdpPacketBuffer out = client.sendBuffer();
            byte[] to = {127, 0, 0, 1};
            out.set(0, ByteBuffer.wrap(new byte[] {0x5a}), to, server.port());
            out.set(1, big, to, server.port());
            assertEquals(0, big.position(), "set() leaves the payload's position alone");
            assertEquals(largest, out.length(1));
            assertEquals(2, client.send(out, 2));
            loop.run();
            assertNull(failure.get());
            assertEquals(List.of(1, largest), lengths);
        }
    }

    /**
     * Loopback never refuses a datagram for want of buffer space (the C test simulates that), so the partial send
     * here is a real one: the kernel takes the datagrams before an oversized one (EMSGSIZE), sendmmsg stops there,
     * onDrain follows, the retry reports the error for that one, and the rest goes out.
     */
    @Test
    void partialSendCallsOnDrainAndTheRetrySendsTheRest() {
        try (Loop<Void> loop = Loop.create()) {
            AtomicReference<String> failure = new AtomicReference<>();
            List<UdpSocket<?>> sockets = new ArrayList<>();
            List<Integer> got = new ArrayList<>();
            UdpSocket<Void> server = loop.createUdpSocket("127.0.0.1", 0, (s, batch, count) -> {
                for (int i = 0; i < count; i++) {
                    ByteBuffer p = batch.payload(i);
                    got.add(p.getInt(p.position()));
                }
                if (got.size() == 19) {
                    sockets.forEach(UdpSocket::close);
                }
            }, null);
            byte[] to = {127, 0, 0, 1};
            int[] drains = {0};
            List<UsException> refused = new ArrayList<>();
            List<Integer> retried = new ArrayList<>();
            UdpSocket<Void> client = loop.createUdpSocket("127.0.0.1", 0, null, s -> {
                drains[0]++;
                UdpPacketBuffer out = s.sendBuffer();
                assertEquals(10, out.size(), "the rest waits from slot 0");
                try {
                    s.send(out, out.size());
                } catch (UsException e) {
                    refused.add(e);
                    out.removeFirst(1); // drop the datagram the kernel refuses
                }
                int sent = s.send(out, out.size());
                retried.add(sent);
                out.removeFirst(sent);
            });
            sockets.add(server);
            sockets.add(client);
            deadline(loop, 10_000, sockets, failure);

            UdpPacketBuffer out = client.sendBuffer();
            for (int i = 0; i < 20; i++) {
                ByteBuffer payload = ByteBuffer.allocate(i == 10 ? 65508 : 100).putInt(0, i);
                out.set(i, payload, to, server.port());
            }
            int sent = client.send(out, 20);
            assertEquals(10, sent, "sendmmsg stops before the oversized datagram");
            out.removeFirst(sent);
            loop.run();

            assertNull(failure.get());
            assertEquals(1, drains[0]);
            assertEquals(1, refused.size());
            assertEquals(UsException.Kind.NETWORK_OPERATION, refused.get(0).kind());
            assertTrue(refused.get(0).getMessage().contains("errno 90"), refused.get(0).getMessage()); // EMSGSIZE
            assertEquals(List.of(9), retried);
            List<Integer> expected = new ArrayList<>();
            for (int i = 0; i < 20; i++) {
                if (i != 10) {
                    expected.add(i);
                }
            }
            assertEquals(expected, got);
        }
    }

    /** The JDK's DatagramChannel as the client of a usockets4j echo server, and as the server of a usockets4j client. */
    @Test
    void jdkDatagramChannelIsThePeer() throws Exception {
        // JDK client -> usockets4j echo server (on its own thread)
        try (Loop<Void> loop = Loop.create();
                DatagramChannel jdk = DatagramChannel.open(StandardProtocolFamily.INET)) {
            UdpSocket<Void> server = echoServer(loop, "127.0.0.1");
            int port = server.port();
            jdk.bind(new InetSocketAddress("127.0.0.1", 0));
            AtomicReference<String> failure = new AtomicReference<>();
            deadline(loop, 10_000, List.of(server), failure);
            AtomicReference<Throwable> clientFailure = new AtomicReference<>();
            Thread client = new Thread(() -> {
                try {
                    ByteBuffer in = ByteBuffer.allocate(2048);
                    InetSocketAddress target = new InetSocketAddress("127.0.0.1", port);
                    for (int i = 0; i < 200; i++) {
                        ByteBuffer msg = ByteBuffer.wrap(("jdk " + i).getBytes(java.nio.charset.StandardCharsets.UTF_8));
                        jdk.send(msg, target);
                        in.clear();
                        InetSocketAddress from = (InetSocketAddress) jdk.receive(in);
                        assertEquals(target, from);
                        assertEquals("jdk " + i, new String(in.array(), 0, in.position(), java.nio.charset.StandardCharsets.UTF_8));
                    }
                } catch (Throwable t) {
                    clientFailure.set(t);
                } finally {
                    loop.handle().defer(l -> server.close());
                }
            });
            client.start();
            loop.run();
            client.join(10_000);
            assertNull(failure.get());
            assertNull(clientFailure.get());
        }

        // usockets4j client -> JDK echo server (blocking, on its own thread)
        try (Loop<Void> loop = Loop.create();
                DatagramChannel jdk = DatagramChannel.open(StandardProtocolFamily.INET)) {
            jdk.bind(new InetSocketAddress("127.0.0.1", 0));
            int jdkPort = ((InetSocketAddress) jdk.getLocalAddress()).getPort();
            Thread echo = new Thread(() -> {
                ByteBuffer in = ByteBuffer.allocate(2048);
                try {
                    for (int i = 0; i < 50; i++) {
                        in.clear();
                        InetSocketAddress from = (InetSocketAddress) jdk.receive(in);
                        jdk.send(in.flip(), from);
                    }
                } catch (Exception ignored) {
                    // closed at the end of the test
                }
            });
            echo.start();
            AtomicReference<String> failure = new AtomicReference<>();
            List<UdpSocket<?>> sockets = new ArrayList<>();
            List<String> got = new ArrayList<>();
            UdpSocket<Void> client = loop.createUdpSocket("127.0.0.1", 0, (s, batch, count) -> {
                for (int i = 0; i < count; i++) {
                    assertEquals(jdkPort, batch.peerPort(i));
                    got.add(java.nio.charset.StandardCharsets.UTF_8.decode(batch.payload(i)).toString());
                }
                if (got.size() == 50) {
                    s.close();
                }
            }, null);
            sockets.add(client);
            deadline(loop, 10_000, sockets, failure);
            client.connect("127.0.0.1", jdkPort); // datagrams set without a peer go to the JDK server
            UdpPacketBuffer out = client.sendBuffer();
            List<String> sent = new ArrayList<>();
            for (int i = 0; i < 50; i++) {
                sent.add("us " + i);
                out.set(i, java.nio.charset.StandardCharsets.UTF_8.encode("us " + i));
            }
            assertNull(out.peer(0), "no peer named: the connected one");
            assertEquals(50, client.send(out, 50));
            loop.run();
            echo.join(10_000);
            assertNull(failure.get());
            assertEquals(sent, got);
        }
    }

    @Test
    void echoWithANewPayloadReusesTheReceivedPeer() {
        try (Loop<Void> loop = Loop.create()) {
            AtomicReference<String> failure = new AtomicReference<>();
            List<UdpSocket<?>> sockets = new ArrayList<>();
            UdpSocket<Void> server = loop.createUdpSocket("127.0.0.1", 0, (s, batch, count) -> {
                UdpPacketBuffer reply = s.sendBuffer();
                for (int i = 0; i < count; i++) {
                    // upper-case reply to each sender, built without allocating a peer
                    ByteBuffer p = batch.payload(i);
                    ByteBuffer upper = ByteBuffer.allocate(p.remaining());
                    while (p.hasRemaining()) {
                        upper.put((byte) Character.toUpperCase(p.get()));
                    }
                    reply.set(i, upper.flip(), batch, i);
                }
                assertEquals(count, s.send(reply, count));
                reply.clear();
            }, null);
            List<String> got = new ArrayList<>();
            UdpSocket<Void> client = loop.createUdpSocket("127.0.0.1", 0, (s, batch, count) -> {
                for (int i = 0; i < count; i++) {
                    got.add(java.nio.charset.StandardCharsets.US_ASCII.decode(batch.payload(i)).toString());
                }
                if (got.size() == 2) {
                    sockets.forEach(UdpSocket::close);
                }
            }, null);
            sockets.add(server);
            sockets.add(client);
            deadline(loop, 10_000, sockets, failure);
            UdpPacketBuffer out = client.sendBuffer();
            out.set(0, java.nio.charset.StandardCharsets.US_ASCII.encode("hello"), new byte[] {127, 0, 0, 1}, server.port());
            out.set(1, out, 0); // a copy of slot 0, payload and peer
            assertEquals(2, client.send(out, 2));
            loop.run();
            assertNull(failure.get());
            assertEquals(List.of("HELLO", "HELLO"), got);
        }
    }

    /** A socket bound to every interface (dual-stack) hears IPv4 peers as 4-byte addresses and answers them. */
    @Test
    void dualStackSocketServesIpv4Peers() {
        Assertions.assertTrue(ipv6Loopback(), "no IPv6 here");
        try (Loop<Void> loop = Loop.create()) {
            AtomicReference<String> failure = new AtomicReference<>();
            List<UdpSocket<?>> sockets = new ArrayList<>();
            byte[] peer = new byte[16];
            int[] peerLength = {-1};
            UdpSocket<Void> server = loop.createUdpSocket(null, 0, (s, batch, count) -> {
                peerLength[0] = batch.peerAddress(0, peer);
                UdpPacketBuffer reply = s.sendBuffer();
                // answer with the raw 4-byte address read back: the socket maps it to ::ffff:127.0.0.1
                reply.set(0, batch.payload(0), java.util.Arrays.copyOf(peer, peerLength[0]), batch.peerPort(0));
                assertEquals(1, s.send(reply, 1));
                reply.clear();
            }, null);
            List<InetSocketAddress> from = new ArrayList<>();
            UdpSocket<Void> client = loop.createUdpSocket("127.0.0.1", 0, (s, batch, count) -> {
                from.add(batch.peer(0));
                sockets.forEach(UdpSocket::close);
            }, null);
            sockets.add(server);
            sockets.add(client);
            deadline(loop, 10_000, sockets, failure);
            client.sendBuffer().set(0, ByteBuffer.wrap(new byte[] {1, 2, 3}), new byte[] {127, 0, 0, 1}, server.port());
            assertEquals(1, client.send(client.sendBuffer(), 1));
            int serverPort = server.port();
            loop.run();
            assertNull(failure.get());
            assertEquals(4, peerLength[0]);
            assertArrayEquals(new byte[] {127, 0, 0, 1}, java.util.Arrays.copyOf(peer, 4));
            assertEquals(List.of(new InetSocketAddress("127.0.0.1", serverPort)), from);
        }
    }

    static boolean ipv6Loopback() {
        try (DatagramChannel c = DatagramChannel.open(StandardProtocolFamily.INET6)) {
            c.bind(new InetSocketAddress("::1", 0));
            return true;
        } catch (Exception e) {
            return false;
        }
    }
}
