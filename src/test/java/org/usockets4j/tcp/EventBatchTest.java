package org.usockets4j.tcp;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.ByteBuffer;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import java.util.function.Consumer;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.usockets4j.ListenSocket;
import org.usockets4j.Loop;
import org.usockets4j.Socket;
import org.usockets4j.SocketContext;
import org.usockets4j.SocketContextOptions;

/**
 * The hot socket events of a loop iteration reach Java in one batch (native/jni_events.c, LoopEvents), the data
 * left where the core read it. These tests make many server sockets readable in the same iteration (every client
 * writes from one callback of the same loop) and check what a handler of an early event in the batch may do to the
 * sockets whose events wait behind it: their bytes arrive intact and in order, a closed socket's events are skipped,
 * an adopted socket's go to its new context, a paused socket's are held until it resumes, an exception affects only
 * its own socket. Each client's stream is a pattern that depends on the client, so bytes read into the wrong place
 * (or overwritten by a later read) show.
 */
@Timeout(value = 60, unit = TimeUnit.SECONDS, threadMode = Timeout.ThreadMode.SEPARATE_THREAD)
class EventBatchTest {
    /** Byte i of client k's stream; byte 0 is k itself, so the server learns whose stream it reads. */
    static byte pattern(int k, long i) {
        return i == 0 ? (byte) k : (byte) (k * 31 + i * 7 + (i >>> 8));
    }

    static ByteBuffer chunk(int k, long from, int length) {
        ByteBuffer b = ByteBuffer.allocate(length);
        for (int i = 0; i < length; i++) {
            b.put(i, pattern(k, from + i));
        }
        return b;
    }

    /** What the server knows of one accepted socket: whose stream it is and how far it checked it. */
    static final class Stream {
        int k = -1;
        long checked;
        int dataCalls;
        int closes;
        boolean ended;

        /** Checks data against the pattern (position moves to limit). */
        void check(ByteBuffer data) {
            assertEquals(0, data.position());
            while (data.hasRemaining()) {
                byte b = data.get();
                if (checked == 0) {
                    k = b;
                }
                assertEquals(pattern(k, checked), b, "byte " + checked + " of client " + k);
                checked++;
            }
        }
    }

    /** A server and count clients on one loop; `whenAllOpen` runs (in a client callback) once all are connected. */
    static final class Setup implements AutoCloseable {
        final Loop<Void> loop = Loop.create();
        final SocketContext<Stream> server = loop.createSocketContext(SocketContextOptions.plain());
        final SocketContext<Void> client = loop.createSocketContext(SocketContextOptions.plain());
        final List<Socket<Void>> clients = new ArrayList<>();
        final List<Socket<Stream>> accepted = new ArrayList<>();
        final List<Throwable> reported = new ArrayList<>();
        final ListenSocket listener;
        final int count;
        int opened;
        int clientCloses;
        Consumer<Setup> whenAllOpen = s -> { };

        Setup(int count) {
            this.count = count;
            loop.exceptionHandler(reported::add);
            server.onOpen((s, c, ip) -> {
                s.setExt(new Stream());
                accepted.add(s);
                ready();
            }).onClose((s, code) -> s.requireExt().closes++);
            client.onOpen((s, c, ip) -> ready()).onClose((s, code) -> clientCloses++);
            listener = server.listen("127.0.0.1", 0);
            for (int k = 0; k < count; k++) {
                clients.add(client.connect("127.0.0.1", listener.port()));
            }
        }

        private void ready() {
            if (++opened == 2 * count) {
                listener.close();
                whenAllOpen.accept(this);
            }
        }

        /** Every client writes its stream's bytes [from, from + length) now (all in this one callback). */
        void sendAll(long from, int length) {
            for (int k = 0; k < count; k++) {
                clients.get(k).send(chunk(k, from, length));
            }
        }

        Stream stream(int k) {
            for (Socket<Stream> s : accepted) {
                if (s.ext() != null && s.ext().k == k) {
                    return s.ext();
                }
            }
            return null;
        }

        @Override
        public void close() {
            loop.close();
        }
    }

    @Test
    void manySocketsWithDataInOneIterationGetTheirOwnBytesInOrder() {
        int clients = 40;
        int rounds = 25;
        long[] echoed = new long[clients];
        long[] sent = {0};
        int[] mostSocketsInOneIteration = {0};
        Set<Socket<?>> thisIteration = new HashSet<>();
        try (Setup t = new Setup(clients)) {
            t.loop.onPost(l -> {
                mostSocketsInOneIteration[0] = Math.max(mostSocketsInOneIteration[0], thisIteration.size());
                thisIteration.clear();
            });
            t.server.onData((s, data) -> {
                thisIteration.add(s);
                s.requireExt().dataCalls++;
                ByteBuffer copy = data.duplicate();
                s.requireExt().check(data);
                s.send(copy); // echo
            });
            int[] round = {0};
            t.whenAllOpen = setup -> {
                sent[0] = 1 + 500;
                setup.sendAll(0, 1 + 500);
            };
            t.client.onData((s, data) -> {
                int k = t.clients.indexOf(s);
                while (data.hasRemaining()) {
                    assertEquals(pattern(k, echoed[k]), data.get(), "echo byte " + echoed[k] + " of client " + k);
                    echoed[k]++;
                }
                for (long e : echoed) {
                    if (e != sent[0]) {
                        return;
                    }
                }
                if (++round[0] == rounds) {
                    for (Socket<Void> c : t.clients) {
                        c.close();
                    }
                    return;
                }
                int length = 1 + (round[0] * 977) % 6000; // up to ~6 KiB per socket, all in one iteration
                t.sendAll(sent[0], length);
                sent[0] += length;
            });
            t.loop.run();
            assertEquals(rounds, round[0]);
            for (int k = 0; k < clients; k++) {
                assertEquals(sent[0], echoed[k]);
                assertEquals(sent[0], t.stream(k).checked);
            }
            assertTrue(mostSocketsInOneIteration[0] > 1, "no iteration had data for more than one socket");
            assertTrue(t.reported.isEmpty(), () -> "reported: " + t.reported);
        }
    }

    @Test
    void socketClosedByAnEarlierHandlerOfTheBatchGetsNoDataAndOneOnClose() {
        int clients = 6;
        List<Socket<Stream>> closedByHandler = new ArrayList<>();
        int[] dataAfterClose = {0};
        try (Setup t = new Setup(clients)) {
            t.server.onData((s, data) -> {
                if (s.isClosed()) {
                    dataAfterClose[0]++;
                }
                s.requireExt().dataCalls++;
                s.requireExt().check(data);
                if (closedByHandler.isEmpty()) {
                    for (Socket<Stream> other : t.accepted) { // the others' data waits in this batch
                        if (other != s && other.requireExt().dataCalls == 0) {
                            other.close();
                            closedByHandler.add(other);
                        }
                    }
                    s.close();
                }
            });
            t.whenAllOpen = setup -> setup.sendAll(0, 100);
            t.client.onEnd(Socket::close);
            t.loop.run();
            assertEquals(clients - 1, closedByHandler.size());
            for (Socket<Stream> s : closedByHandler) {
                assertEquals(0, s.requireExt().dataCalls, "a closed socket's queued data was delivered");
                assertEquals(1, s.requireExt().closes);
            }
            assertEquals(0, dataAfterClose[0]);
            assertEquals(clients, t.clientCloses);
            assertTrue(t.reported.isEmpty(), () -> "reported: " + t.reported);
        }
    }

    @Test
    void socketsAdoptedByAnEarlierHandlerOfTheBatchGetTheirDataInTheNewContext() {
        int clients = 6;
        int[] oldContextData = {0};
        int[] newContextData = {0};
        long[] echoed = new long[clients];
        try (Setup t = new Setup(clients)) {
            SocketContext<Stream> upgraded = t.loop.createSocketContext(SocketContextOptions.plain());
            upgraded.onData((s, data) -> {
                newContextData[0]++;
                ByteBuffer copy = data.duplicate();
                s.requireExt().check(data);
                s.send(copy);
            }).onClose((s, code) -> s.requireExt().closes++);
            t.server.onData((s, data) -> {
                oldContextData[0]++;
                Stream mine = s.requireExt();
                ByteBuffer copy = data.duplicate();
                mine.check(data);
                // adopt every socket, this one and those whose data waits behind it in this batch
                for (Socket<Stream> other : new ArrayList<>(t.accepted)) {
                    if (!other.isClosed() && other.context() == t.server) {
                        Stream st = other.requireExt();
                        Socket<Stream> moved = upgraded.adopt(other);
                        moved.setExt(st); // adoption starts with an empty ext
                    }
                }
                s.send(copy);
            });
            t.whenAllOpen = setup -> setup.sendAll(0, 3000);
            t.client.onData((s, data) -> {
                int k = t.clients.indexOf(s);
                while (data.hasRemaining()) {
                    assertEquals(pattern(k, echoed[k]), data.get());
                    echoed[k]++;
                }
                if (echoed[k] == 3000) {
                    s.shutdown(); // onEnd (default: shutdown) and onClose on the adopted server socket
                }
            }).onEnd(Socket::close);
            t.loop.run();
            assertEquals(1, oldContextData[0], "only the first event of the batch ran in the old context");
            assertTrue(newContextData[0] >= clients - 1);
            for (int k = 0; k < clients; k++) {
                assertEquals(3000, echoed[k]);
                Stream st = t.stream(k);
                assertNotNull(st);
                assertEquals(3000, st.checked);
            }
            for (Socket<Stream> s : t.accepted) {
                assertTrue(s.isClosed());
                assertEquals(upgraded, s.context());
            }
            assertEquals(clients, t.clientCloses);
            assertTrue(t.reported.isEmpty(), () -> "reported: " + t.reported);
        }
    }

    @Test
    void exceptionInAHandlerMidBatchClosesOnlyItsSocketAndTheBatchGoesOn() {
        int clients = 5;
        long[] echoed = new long[clients];
        Socket<?>[] thrower = {null};
        int[] throwerCode = {Integer.MIN_VALUE};
        try (Setup t = new Setup(clients)) {
            t.server.onData((s, data) -> {
                s.requireExt().dataCalls++;
                if (thrower[0] == null) {
                    thrower[0] = s;
                    throw new IllegalStateException("planted mid-batch");
                }
                ByteBuffer copy = data.duplicate();
                s.requireExt().check(data);
                s.send(copy);
            }).onClose((s, code) -> {
                if (s == thrower[0]) {
                    throwerCode[0] = code;
                }
                s.requireExt().closes++;
            });
            t.whenAllOpen = setup -> setup.sendAll(0, 700);
            int[] done = {0};
            t.client.onData((s, data) -> {
                int k = t.clients.indexOf(s);
                while (data.hasRemaining()) {
                    assertEquals(pattern(k, echoed[k]), data.get());
                    echoed[k]++;
                }
                if (echoed[k] == 700 && ++done[0] == clients - 1) {
                    for (Socket<Void> c : t.clients) {
                        if (!c.isClosed()) {
                            c.close();
                        }
                    }
                }
            }).onEnd(Socket::close);
            t.loop.run();
            assertEquals(1, t.reported.size(), () -> "reported: " + t.reported);
            assertEquals("planted mid-batch", t.reported.get(0).getMessage());
            assertEquals(Socket.CLOSE_CODE_CALLBACK_FAILED, throwerCode[0]);
            int full = 0;
            for (long e : echoed) {
                full += e == 700 ? 1 : 0;
            }
            assertEquals(clients - 1, full);
            for (Socket<Stream> s : t.accepted) {
                assertEquals(1, s.requireExt().closes);
                assertEquals(1, s.requireExt().dataCalls);
            }
        }
    }

    @Test
    void moreDataThanTheReserveInOneIterationArrivesIntact() {
        int clients = 8;
        int each = 300 * 1024; // 8 x 300 KiB written in one callback: far more than the 256 KiB reserve
        long big = 4L << 20;   // and one stream of 4 MiB (reads of up to 512 KiB)
        try (Setup t = new Setup(clients)) {
            t.server.onData((s, data) -> {
                s.requireExt().check(data);
                long want = s.requireExt().k == 0 ? big : each;
                if (s.requireExt().checked == want) {
                    s.close();
                }
            });
            t.whenAllOpen = setup -> {
                setup.clients.get(0).send(chunk(0, 0, (int) big));
                for (int k = 1; k < clients; k++) {
                    setup.clients.get(k).send(chunk(k, 0, each));
                }
            };
            t.client.onEnd(Socket::close);
            t.loop.run();
            assertEquals(big, t.stream(0).checked);
            for (int k = 1; k < clients; k++) {
                assertEquals(each, t.stream(k).checked);
            }
            assertTrue(t.reported.isEmpty(), () -> "reported: " + t.reported);
        }
    }

    @Test
    void socketPausedByAnEarlierHandlerOfTheBatchGetsItsBytesAfterResumeInOrder() {
        int clients = 6;
        List<Socket<Stream>> pausedByHandler = new ArrayList<>();
        int[] dataWhilePaused = {0};
        int[] endBeforeAllData = {0};
        int[] ends = {0};
        try (Setup t = new Setup(clients)) {
            t.server.onData((s, data) -> {
                if (s.isReadPaused()) {
                    dataWhilePaused[0]++;
                }
                s.requireExt().dataCalls++;
                s.requireExt().check(data);
                if (pausedByHandler.isEmpty()) {
                    for (Socket<Stream> other : t.accepted) {
                        if (other != s && other.requireExt().dataCalls == 0) {
                            other.pauseReads(); // its data already waits in this batch: held, not delivered
                            pausedByHandler.add(other);
                        }
                    }
                    t.loop.createTimer().set(100, 0, timer -> {
                        for (Socket<Stream> p : pausedByHandler) {
                            assertEquals(0, p.requireExt().dataCalls, "data of a paused socket was delivered");
                            assertFalse(p.requireExt().ended);
                            p.resumeReads();
                        }
                        timer.close();
                    });
                }
            }).onEnd(s -> {
                ends[0]++;
                if (s.requireExt().checked != 5000) {
                    endBeforeAllData[0]++;
                }
                s.requireExt().ended = true;
                s.close();
            });
            t.whenAllOpen = setup -> {
                setup.sendAll(0, 5000);
                for (Socket<Void> c : setup.clients) {
                    c.shutdown(); // FIN right behind: the end must come after the held bytes
                }
            };
            t.client.onEnd(Socket::close);
            t.loop.run();
            assertEquals(clients - 1, pausedByHandler.size());
            assertEquals(0, dataWhilePaused[0]);
            assertEquals(0, endBeforeAllData[0]);
            assertEquals(clients, ends[0]);
            for (int k = 0; k < clients; k++) {
                assertEquals(5000, t.stream(k).checked);
            }
            assertTrue(t.reported.isEmpty(), () -> "reported: " + t.reported);
        }
    }
}
