package org.usockets4j.tcp;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.nio.ByteBuffer;
import java.nio.channels.SocketChannel;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicReference;
import java.util.zip.CRC32;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.usockets4j.ListenSocket;
import org.usockets4j.Loop;
import org.usockets4j.LoopHandle;
import org.usockets4j.Socket;
import org.usockets4j.SocketContext;
import org.usockets4j.SocketContextOptions;

/**
 * Small sends made while a batch of events is dispatched are corked (LoopWrites): copied aside and written together
 * when the batch ends. None of that may show: bytes leave in the order they were given, around write(), write2(),
 * flush(), shutdown(), close() and adoption; bufferedAmount() is what the kernel has not taken; a slow reader gets
 * every byte of many small sends, with send() refusing above the high-water mark; a socket closed abortively loses
 * only its own cork. The handlers here run from onData and onWritable, the batched events.
 */
@Timeout(value = 60, unit = TimeUnit.SECONDS, threadMode = Timeout.ThreadMode.SEPARATE_THREAD)
class CorkedSendTest {
    private static final byte[] A = "a".getBytes(StandardCharsets.US_ASCII);

    private static ByteBuffer direct(String s) {
        byte[] b = s.getBytes(StandardCharsets.US_ASCII);
        return ByteBuffer.allocateDirect(b.length).put(b).flip();
    }

    private static ByteBuffer heap(String s) {
        return ByteBuffer.wrap(s.getBytes(StandardCharsets.US_ASCII));
    }

    /** A client thread against a loop run on the test thread; the loop closes once the client is done. */
    private static void withClient(Loop<Void> loop, ListenSocket listener, ClientBody body) throws Exception {
        AtomicReference<Throwable> clientError = new AtomicReference<>();
        LoopHandle<Void> handle = loop.handle();
        int port = listener.port();
        Thread client = new Thread(() -> {
            try (SocketChannel ch = SocketChannel.open(new InetSocketAddress("127.0.0.1", port))) {
                body.run(ch);
            } catch (Throwable t) {
                clientError.set(t);
            } finally {
                handle.defer(Loop::close);
            }
        }, "corked-send-client");
        client.start();
        loop.run();
        client.join(30_000);
        assertNull(clientError.get(), () -> "client: " + clientError.get());
    }

    interface ClientBody {
        void run(SocketChannel ch) throws Exception;
    }

    private static byte[] readExactly(SocketChannel ch, int n) throws IOException {
        ByteBuffer b = ByteBuffer.allocate(n);
        while (b.hasRemaining()) {
            if (ch.read(b) < 0) {
                throw new IOException("end of stream after " + b.position() + " of " + n + " bytes");
            }
        }
        return b.array();
    }

    private static byte[] readToEnd(SocketChannel ch) throws IOException {
        ByteArrayOutputStream all = new ByteArrayOutputStream();
        ByteBuffer b = ByteBuffer.allocate(4096);
        while (ch.read(b.clear()) >= 0) {
            all.write(b.array(), 0, b.position());
        }
        return all.toByteArray();
    }

    @Test
    void sendsKeepTheirOrderAroundDirectWritesAndBufferedAmountIsTheKernels() throws Exception {
        List<String> failures = new ArrayList<>();
        try (Loop<Void> loop = Loop.create()) {
            loop.exceptionHandler(t -> failures.add(t.toString()));
            SocketContext<Void> ctx = loop.createSocketContext(SocketContextOptions.plain());
            ByteBuffer c = direct("c");
            ByteBuffer e = direct("e|");
            ctx.onData((s, data) -> {
                for (int i = 0; i < data.remaining(); i++) { // one reply per request byte
                    s.send(A);
                    s.send(heap("b"));
                    if (s.write(c.clear()) != 1) { // goes after a and b: the cork is written first
                        failures.add("write took less than 1 byte");
                    }
                    s.send(direct("d"));
                    s.write2(heap("-"), heap("-"));
                    s.send(e.clear());
                    s.flush();
                    if (s.bufferedAmount() != 0) { // the kernel took every small write: nothing is buffered
                        failures.add("bufferedAmount " + s.bufferedAmount());
                    }
                }
            });
            ListenSocket listener = ctx.listen("127.0.0.1", 0);
            withClient(loop, listener, ch -> {
                String reply = "abcd--e|";
                for (int round = 0; round < 200; round++) {
                    int requests = 1 + round % 5;
                    ch.write(ByteBuffer.wrap(new byte[requests]));
                    byte[] got = readExactly(ch, requests * reply.length());
                    assertEquals(reply.repeat(requests), new String(got, StandardCharsets.US_ASCII), "round " + round);
                }
            });
        }
        assertEquals(List.of(), failures);
    }

    @Test
    void bytesSentBeforeShutdownOrCloseArriveBeforeTheEnd() throws Exception {
        for (String ending : List.of("shutdown", "close")) {
            try (Loop<Void> loop = Loop.create()) {
                SocketContext<Void> ctx = loop.createSocketContext(SocketContextOptions.plain());
                ctx.onData((s, data) -> {
                    s.send(heap("last "));
                    s.send(heap("words"));
                    if (ending.equals("close")) {
                        s.close();
                    } else {
                        s.shutdown();
                    }
                });
                ListenSocket listener = ctx.listen("127.0.0.1", 0);
                withClient(loop, listener, ch -> {
                    ch.write(ByteBuffer.wrap(A));
                    assertEquals("last words", new String(readToEnd(ch), StandardCharsets.US_ASCII), ending);
                });
            }
        }
    }

    @Test
    void adoptionComesAfterTheCorkedBytes() throws Exception {
        try (Loop<Void> loop = Loop.create()) {
            SocketContext<Void> first = loop.createSocketContext(SocketContextOptions.plain());
            SocketContext<String> second = loop.createSocketContext(SocketContextOptions.plain());
            second.onData((s, data) -> s.send(heap(s.ext() + data.remaining())));
            first.onData((s, data) -> {
                s.send(heap("before "));
                Socket<String> moved = second.adopt(s);
                moved.setExt("after ");
                moved.send(heap("adopted "));
            });
            ListenSocket listener = first.listen("127.0.0.1", 0);
            withClient(loop, listener, ch -> {
                ch.write(ByteBuffer.wrap(A));
                assertEquals("before adopted ", new String(readExactly(ch, 15), StandardCharsets.US_ASCII));
                ch.write(ByteBuffer.wrap(new byte[3]));
                assertEquals("after 3", new String(readExactly(ch, 7), StandardCharsets.US_ASCII));
            });
        }
    }

    /** One server stream of the slow-reader test: its socket, what went out, whether send() refused. */
    static final class Stream {
        Socket<Void> socket;
        final CRC32 crc = new CRC32();
        final ByteBuffer chunk;
        long sent;
        boolean blocked;
        int refusals;
        long mostBuffered;

        Stream(int size) {
            chunk = ByteBuffer.allocate(size);
        }
    }

    /**
     * Many 1000-byte sends, alternating between two clients that read slowly, from onData and onWritable: every
     * byte of both streams arrives in order, and send() refuses above the high-water mark. The sends alternate, so
     * the cork holds records of both sockets in turn, and a record that falls short holds back its socket's later
     * ones (jni_cork.c); the mark is above the cork's area, so the cork also fills up and is written mid-batch.
     */
    @Test
    void manySmallSendsToTwoSlowReaders() throws Exception {
        manySmallSendsToTwoReaders(true);
    }

    /**
     * As above with readers that never stall: the kernel frees room while the cork is written, so a socket's record
     * that fell short is often followed by one the kernel would take; it must wait behind the rest all the same.
     */
    @Test
    void manySmallSendsToTwoFastReaders() throws Exception {
        manySmallSendsToTwoReaders(false);
    }

    private static void manySmallSendsToTwoReaders(boolean slow) throws Exception {
        final long total = 24_000_000; // a multiple of the chunk
        final int chunk = 1000; // small: corked; not a divisor of the cork's area
        final int hwm = 512 * 1024;
        Stream[] streams = {new Stream(chunk), new Stream(chunk)};
        AtomicReference<Throwable> loopError = new AtomicReference<>();
        long[][] got = new long[2][2];
        try (Loop<Void> loop = Loop.create()) {
            loop.exceptionHandler(loopError::set);
            SocketContext<Void> ctx = loop.createSocketContext(SocketContextOptions.plain().withHighWaterMark(hwm));
            Runnable pump = () -> {
                boolean progress = true;
                while (progress) {
                    progress = false;
                    for (Stream st : streams) {
                        if (st.socket == null || st.blocked || st.sent >= total) {
                            continue;
                        }
                        ByteBuffer b = st.chunk;
                        for (int i = 0; i < chunk; i++) {
                            b.put(i, (byte) ((st.sent + i) * 131 >>> 3 ^ st.hashCode()));
                        }
                        st.crc.update(b.clear());
                        st.sent += chunk;
                        progress = true;
                        if (!st.socket.send(b.clear())) {
                            st.blocked = true;
                            st.refusals++;
                            st.mostBuffered = Math.max(st.mostBuffered, st.socket.bufferedAmount());
                        } else if (st.sent >= total) {
                            st.socket.shutdown();
                        }
                    }
                }
            };
            ctx.onData((s, data) -> { // each client's start signal: both connected, production starts
                streams[data.get(0)].socket = s;
                if (streams[0].socket != null && streams[1].socket != null) {
                    pump.run();
                }
            }).onWritable(s -> {
                for (Stream st : streams) {
                    if (st.socket == s && st.blocked && s.bufferedAmount() <= hwm) {
                        st.blocked = false;
                        if (st.sent >= total) {
                            s.shutdown();
                        }
                    }
                }
                pump.run();
            });
            ListenSocket listener = ctx.listen("127.0.0.1", 0);
            int port = listener.port();
            withClient(loop, listener, first -> {
                AtomicReference<Throwable> secondError = new AtomicReference<>();
                Thread second = new Thread(() -> {
                    try (SocketChannel ch = SocketChannel.open(new InetSocketAddress("127.0.0.1", port))) {
                        ch.write(ByteBuffer.wrap(new byte[] {1}));
                        got[1] = read(ch, slow);
                    } catch (Throwable t) {
                        secondError.set(t);
                    }
                }, "corked-send-second-client");
                second.start();
                first.write(ByteBuffer.wrap(new byte[] {0}));
                got[0] = read(first, slow);
                second.join(30_000);
                assertNull(secondError.get(), () -> "second client: " + secondError.get());
            });
        }
        assertNull(loopError.get());
        for (int k = 0; k < 2; k++) {
            Stream st = streams[k];
            assertEquals(total, st.sent, "stream " + k);
            assertEquals(total, got[k][0], "stream " + k);
            assertEquals(st.crc.getValue(), got[k][1], "stream " + k);
            assertTrue(!slow || st.refusals > 0, "send() never reported the high-water mark on stream " + k);
            assertTrue(st.mostBuffered <= hwm + chunk, "stream " + k + " buffered " + st.mostBuffered);
        }
    }

    /** Reads to the end, when slow stalling every 4 MiB; returns {bytes, CRC32}. */
    private static long[] read(SocketChannel ch, boolean slow) throws IOException, InterruptedException {
        ByteBuffer in = ByteBuffer.allocate(64 * 1024);
        CRC32 crc = new CRC32();
        long n = 0;
        long nextStall = 0;
        for (;;) {
            if (slow && n >= nextStall) {
                Thread.sleep(n == 0 ? 200 : 20); // slow: the server's socket buffer fills, send() keeps the rest
                nextStall += 4L << 20;
            }
            int r = ch.read(in.clear());
            if (r < 0) {
                return new long[] {n, crc.getValue()};
            }
            crc.update(in.flip());
            n += r;
        }
    }

    /** A handler that sends and then throws: its socket is closed with its cork dropped; the next client is served. */
    @Test
    void aFailingHandlerLosesOnlyItsOwnCork() throws Exception {
        List<Throwable> reported = new ArrayList<>();
        try (Loop<Void> loop = Loop.create()) {
            loop.exceptionHandler(reported::add);
            SocketContext<Void> ctx = loop.createSocketContext(SocketContextOptions.plain());
            ctx.onData((s, data) -> {
                s.send(heap("reply"));
                if (data.get(0) == 'x') {
                    throw new IllegalStateException("handler failed after send");
                }
            });
            ListenSocket listener = ctx.listen("127.0.0.1", 0);
            int port = listener.port();
            withClient(loop, listener, ch -> {
                ch.write(heap("x"));
                byte[] first = readToEndOrReset(ch);
                assertTrue(first.length == 0, "the failed socket's cork was written: " + first.length + " bytes");
                try (SocketChannel other = SocketChannel.open(new InetSocketAddress("127.0.0.1", port))) {
                    other.write(heap("y"));
                    assertArrayEquals("reply".getBytes(StandardCharsets.US_ASCII), readExactly(other, 5));
                }
            });
        }
        assertEquals(1, reported.size(), () -> reported.toString());
    }

    /** What arrives until the end of stream or a reset. */
    private static byte[] readToEndOrReset(SocketChannel ch) {
        ByteArrayOutputStream all = new ByteArrayOutputStream();
        ByteBuffer b = ByteBuffer.allocate(4096);
        try {
            while (ch.read(b.clear()) >= 0) {
                all.write(b.array(), 0, b.position());
            }
        } catch (IOException reset) {
            // the abortive close: what came before it is in all
        }
        return all.toByteArray();
    }
}
