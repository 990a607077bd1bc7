package org.usockets4j;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.net.InetSocketAddress;
import java.nio.ByteBuffer;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicReference;
import java.util.function.Supplier;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.function.Executable;

/** Every misuse of the UDP API throws a clear UsException in Java, before any native call, and the JVM lives on. */
@Timeout(value = 60, unit = TimeUnit.SECONDS, threadMode = Timeout.ThreadMode.SEPARATE_THREAD)
class UdpMisuseTest {
    private static final byte[] LOCALHOST = {127, 0, 0, 1};

    private static UsException assertKind(UsException.Kind kind, Executable call) {
        UsException e = assertThrows(UsException.class, call);
        assertEquals(kind, e.kind(), e.getMessage());
        return e;
    }

    /** What call throws when made on a fresh thread. */
    private static UsException fromOtherThread(Runnable call) throws Exception {
        return CompletableFuture.supplyAsync((Supplier<UsException>) () -> {
            try {
                call.run();
                return null;
            } catch (UsException e) {
                return e;
            }
        }, r -> new Thread(r).start()).get(10, TimeUnit.SECONDS);
    }

    @Test
    void otherThreadsGetNotOnLoopThread() throws Exception {
        try (Loop<Void> loop = Loop.create()) {
            UdpSocket<Void> socket = loop.createUdpSocket("127.0.0.1", 0, null, null);
            UdpPacketBuffer out = socket.sendBuffer();
            out.set(0, ByteBuffer.allocate(1), LOCALHOST, socket.port());
            UdpPacketBuffer mine = loop.createUdpPacketBuffer();
            for (Runnable call : List.<Runnable>of(
                    () -> loop.createUdpSocket("127.0.0.1", 0, null, null),
                    loop::createUdpPacketBuffer,
                    socket::port,
                    socket::sendBuffer,
                    () -> socket.send(out, 1),
                    () -> socket.connect("127.0.0.1", 9),
                    socket::close,
                    () -> out.set(1, ByteBuffer.allocate(1), LOCALHOST, 9),
                    () -> out.payload(0),
                    () -> out.length(0),
                    () -> out.peerPort(0),
                    () -> out.peerAddress(0, new byte[16]),
                    out::size,
                    () -> out.removeFirst(1),
                    mine::close)) {
                UsException e = fromOtherThread(call);
                assertNotNull(e, "no exception from another thread");
                assertEquals(UsException.Kind.NOT_ON_LOOP_THREAD, e.kind(), e.getMessage());
            }
            assertTrue(!socket.isClosed() && !mine.isClosed());
            assertEquals(1, out.size());
        }
    }

    @Test
    void closedSocketsAndBuffersSayClosed() {
        try (Loop<Void> loop = Loop.create()) {
            UdpSocket<Void> socket = loop.createUdpSocket("127.0.0.1", 0, null, null);
            UdpPacketBuffer out = socket.sendBuffer();
            UdpPacketBuffer mine = loop.createUdpPacketBuffer();
            mine.set(0, ByteBuffer.allocate(1), LOCALHOST, 9);
            socket.close();
            socket.close(); // a second close does nothing
            assertTrue(socket.isClosed());
            assertTrue(out.isClosed(), "a socket's send buffer closes with it");
            assertKind(UsException.Kind.CLOSED, socket::port);
            assertKind(UsException.Kind.CLOSED, socket::sendBuffer);
            assertKind(UsException.Kind.CLOSED, () -> socket.send(mine, 1));
            assertKind(UsException.Kind.CLOSED, () -> socket.connect("127.0.0.1", 9));
            assertKind(UsException.Kind.CLOSED, () -> out.set(0, ByteBuffer.allocate(1), LOCALHOST, 9));
            assertKind(UsException.Kind.CLOSED, () -> out.payload(0));

            UdpSocket<Void> other = loop.createUdpSocket("127.0.0.1", 0, null, null);
            mine.close();
            mine.close();
            assertKind(UsException.Kind.CLOSED, () -> other.send(mine, 1));
            assertKind(UsException.Kind.CLOSED, () -> mine.length(0));
            assertKind(UsException.Kind.CLOSED, mine::size);
            other.close();
        }
    }

    @Test
    void theLoopClosesItsSocketsAndBuffers() {
        UdpSocket<Void> socket;
        UdpPacketBuffer mine;
        UdpPacketBuffer out;
        Loop<Void> closed;
        try (Loop<Void> loop = Loop.create()) {
            socket = loop.createUdpSocket("127.0.0.1", 0, null, null);
            out = socket.sendBuffer();
            mine = loop.createUdpPacketBuffer();
            closed = loop;
        }
        assertKind(UsException.Kind.CLOSED, () -> closed.createUdpSocket("127.0.0.1", 0, null, null));
        assertKind(UsException.Kind.CLOSED, closed::createUdpPacketBuffer);
        assertTrue(socket.isClosed() && out.isClosed() && mine.isClosed());
        assertKind(UsException.Kind.CLOSED, socket::port);
        assertKind(UsException.Kind.CLOSED, () -> mine.set(0, ByteBuffer.allocate(1), LOCALHOST, 9));
    }

    @Test
    void indexesOutOfRangeAndOversizedPayloads() {
        try (Loop<Void> loop = Loop.create()) {
            UdpSocket<Void> socket = loop.createUdpSocket("127.0.0.1", 0, null, null);
            UdpPacketBuffer out = socket.sendBuffer();
            ByteBuffer one = ByteBuffer.allocate(1);
            assertKind(UsException.Kind.INVALID_ARGUMENT, () -> out.payload(0)); // empty
            assertKind(UsException.Kind.INVALID_ARGUMENT, () -> out.set(-1, one, LOCALHOST, 9));
            assertKind(UsException.Kind.INVALID_ARGUMENT, () -> out.set(UdpPacketBuffer.SLOTS, one, LOCALHOST, 9));
            out.set(UdpPacketBuffer.SLOTS - 1, one, LOCALHOST, 9); // the last slot is fine
            assertEquals(UdpPacketBuffer.SLOTS, out.size());
            out.clear();
            out.set(0, one, LOCALHOST, 9);
            assertKind(UsException.Kind.INVALID_ARGUMENT, () -> out.length(1));
            assertKind(UsException.Kind.INVALID_ARGUMENT, () -> out.peer(-1));
            assertKind(UsException.Kind.INVALID_ARGUMENT, () -> out.peerPort(7));

            UsException big = assertKind(UsException.Kind.INVALID_ARGUMENT,
                    () -> out.set(1, ByteBuffer.allocate(UdpPacketBuffer.MAX_PAYLOAD + 1), LOCALHOST, 9));
            assertTrue(big.getMessage().contains("larger than a slot"), big.getMessage());
            assertEquals(1, out.size(), "a refused set leaves the buffer as it was");
            out.set(1, ByteBuffer.allocate(UdpPacketBuffer.MAX_PAYLOAD), LOCALHOST, 9); // the largest fits

            assertKind(UsException.Kind.INVALID_ARGUMENT, () -> out.set(0, one, new byte[5], 9));
            assertKind(UsException.Kind.INVALID_ARGUMENT, () -> out.set(0, one, LOCALHOST, 0));
            assertKind(UsException.Kind.INVALID_ARGUMENT, () -> out.set(0, one, LOCALHOST, 65536));
            assertKind(UsException.Kind.INVALID_ARGUMENT,
                    () -> out.set(0, one, InetSocketAddress.createUnresolved("nowhere.invalid", 9)));
            assertKind(UsException.Kind.INVALID_ARGUMENT, () -> out.peerAddress(0, new byte[4]));
            assertKind(UsException.Kind.INVALID_ARGUMENT, () -> out.copyPayload(1, new byte[10], 0));
            assertKind(UsException.Kind.INVALID_ARGUMENT, () -> out.removeFirst(3));
            assertKind(UsException.Kind.INVALID_ARGUMENT, () -> socket.send(out, 3)); // holds 2
            assertKind(UsException.Kind.INVALID_ARGUMENT, () -> socket.send(out, -1));
            assertKind(UsException.Kind.INVALID_ARGUMENT, out::close); // the socket's, closes with it
            assertEquals(0, socket.send(out, 0));
            socket.close();
        }
    }

    @Test
    void buffersOfAnotherLoopAreRefused() {
        try (Loop<Void> a = Loop.create(); Loop<Void> b = Loop.create()) {
            UdpSocket<Void> socket = a.createUdpSocket("127.0.0.1", 0, null, null);
            UdpPacketBuffer foreign = b.createUdpPacketBuffer();
            foreign.set(0, ByteBuffer.allocate(1), LOCALHOST, socket.port());
            assertKind(UsException.Kind.INVALID_ARGUMENT, () -> socket.send(foreign, 1));
        }
    }

    @Test
    void badHostsPortsAndTakenPorts() {
        try (Loop<Void> loop = Loop.create()) {
            assertKind(UsException.Kind.INVALID_HOST, () -> loop.createUdpSocket("192.0.2.1", 0, null, null));
            assertKind(UsException.Kind.INVALID_HOST, () -> loop.createUdpSocket("no-such-host.invalid", 0, null, null));
            assertKind(UsException.Kind.INVALID_ARGUMENT, () -> loop.createUdpSocket("127.0.0.1", -1, null, null));
            assertKind(UsException.Kind.INVALID_ARGUMENT, () -> loop.createUdpSocket("127.0.0.1", 65536, null, null));
            UdpSocket<Void> first = loop.createUdpSocket("127.0.0.1", 0, null, null);
            UsException taken = assertKind(UsException.Kind.LISTEN_FAILED,
                    () -> loop.createUdpSocket("127.0.0.1", first.port(), null, null));
            assertTrue(taken.getMessage().contains(String.valueOf(first.port())), taken.getMessage());
            assertKind(UsException.Kind.INVALID_ARGUMENT, () -> first.connect("127.0.0.1", 0));
            assertKind(UsException.Kind.INVALID_HOST, () -> first.connect("no-such-host.invalid", 9));
            first.close();
        }
    }

    /** The received batch is there during onData only; after it the buffer holds nothing. */
    @Test
    void theReceivedBatchIsGoneAfterTheCallback() {
        try (Loop<Void> loop = Loop.create()) {
            AtomicReference<UdpPacketBuffer> kept = new AtomicReference<>();
            List<Integer> sizes = new ArrayList<>();
            UdpSocket<Void> server = loop.createUdpSocket("127.0.0.1", 0, (s, batch, count) -> {
                kept.set(batch);
                sizes.add(batch.size());
                s.close();
            }, null);
            UdpSocket<Void> client = loop.createUdpSocket("127.0.0.1", 0, null, null);
            client.sendBuffer().set(0, ByteBuffer.allocate(4), LOCALHOST, server.port());
            assertEquals(1, client.send(client.sendBuffer(), 1));
            client.close();
            loop.run();
            assertEquals(List.of(1), sizes);
            UdpPacketBuffer batch = kept.get();
            assertEquals(0, batch.size());
            UsException e = assertKind(UsException.Kind.INVALID_ARGUMENT, () -> batch.payload(0));
            assertTrue(e.getMessage().contains("onData"), e.getMessage());
            assertKind(UsException.Kind.INVALID_ARGUMENT, batch::close); // the loop's, closes with it
        }
    }

    /** A callback that throws goes to the loop's exception handler; the socket and the loop go on. */
    @Test
    void aThrowingCallbackDoesNotStopTheLoop() {
        try (Loop<Void> loop = Loop.create()) {
            List<Throwable> reported = new ArrayList<>();
            loop.exceptionHandler(reported::add);
            int[] batches = {0};
            UdpSocket<Void> server = loop.createUdpSocket("127.0.0.1", 0, (s, batch, count) -> {
                batches[0] += count;
                if (batches[0] >= 2) {
                    s.close();
                }
                throw new IllegalStateException("user bug");
            }, null);
            UdpSocket<Void> client = loop.createUdpSocket("127.0.0.1", 0, null, null);
            UdpPacketBuffer out = client.sendBuffer();
            out.set(0, ByteBuffer.allocate(1), LOCALHOST, server.port());
            assertEquals(1, client.send(out, 1));
            // the second datagram goes out once the first one's callback has thrown
            Timer<Void> again = loop.createTimer();
            again.set(20, 20, t -> {
                if (batches[0] >= 1) {
                    client.send(out, 1);
                    client.close();
                    t.close();
                }
            });
            loop.run();
            assertTrue(reported.size() >= 1, "reported: " + reported);
            assertTrue(reported.get(0) instanceof IllegalStateException);
        }
    }

    /** Closing the loop inside onData closes every socket and buffer; nothing touches them afterwards. */
    @Test
    void closingTheLoopInsideOnData() {
        Loop<Void> loop = Loop.create();
        AtomicReference<UdpPacketBuffer> kept = new AtomicReference<>();
        UdpSocket<Void> server = loop.createUdpSocket("127.0.0.1", 0, (s, batch, count) -> {
            kept.set(batch);
            loop.close();
            assertTrue(s.isClosed());
        }, null);
        UdpSocket<Void> client = loop.createUdpSocket("127.0.0.1", 0, null, null);
        UdpPacketBuffer out = client.sendBuffer();
        for (int i = 0; i < 50; i++) {
            out.set(i, ByteBuffer.allocate(10), LOCALHOST, server.port());
        }
        assertEquals(50, client.send(out, 50));
        loop.run();
        assertTrue(loop.isClosed() && server.isClosed() && client.isClosed());
        assertKind(UsException.Kind.CLOSED, () -> kept.get().payload(0));
    }
}
