package org.usockets4j.tcp;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.ByteBuffer;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicReference;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.function.Executable;
import org.usockets4j.ListenSocket;
import org.usockets4j.Loop;
import org.usockets4j.Socket;
import org.usockets4j.SocketContext;
import org.usockets4j.SocketContextOptions;
import org.usockets4j.UsException;

/**
 * Misuse throws and never reaches native code: every call on a closed socket or context throws CLOSED, any
 * call from another thread throws NOT_ON_LOOP_THREAD, bad arguments throw INVALID_ARGUMENT / INVALID_HOST, a
 * port that cannot be bound throws LISTEN_FAILED; and closing the loop closes what it owns.
 */
@Timeout(value = 30, unit = TimeUnit.SECONDS, threadMode = Timeout.ThreadMode.SEPARATE_THREAD)
class SocketMisuseTest {

    /** Every socket method that must refuse once the socket is closed (or off the loop thread). */
    private static Map<String, Executable> socketCalls(Socket<?> s) {
        Map<String, Executable> calls = new LinkedHashMap<>();
        calls.put("write(ByteBuffer)", () -> s.write(ByteBuffer.allocate(1)));
        calls.put("write(ByteBuffer, more)", () -> s.write(ByteBuffer.allocateDirect(1), true));
        calls.put("write(byte[])", () -> s.write(new byte[1], 0, 1));
        calls.put("write2", () -> s.write2(ByteBuffer.allocate(1), ByteBuffer.allocate(1)));
        calls.put("flush", s::flush);
        calls.put("send", () -> s.send(new byte[1]));
        calls.put("bufferedAmount", s::bufferedAmount);
        calls.put("highWaterMark", s::highWaterMark);
        calls.put("highWaterMark(int)", () -> s.highWaterMark(10));
        calls.put("shutdown", s::shutdown);
        calls.put("shutdownRead", s::shutdownRead);
        calls.put("close", () -> s.close());
        calls.put("close(code)", () -> s.close(1));
        calls.put("timeout", () -> s.timeout(1));
        calls.put("longTimeout", () -> s.longTimeout(1));
        calls.put("isShutDown", s::isShutDown);
        calls.put("isEstablished", s::isEstablished);
        calls.put("pauseReads", s::pauseReads);
        calls.put("resumeReads", s::resumeReads);
        calls.put("isReadPaused", s::isReadPaused);
        calls.put("localPort", s::localPort);
        calls.put("remotePort", s::remotePort);
        calls.put("remoteAddress", s::remoteAddress);
        calls.put("nativeHandle", s::nativeHandle);
        return calls;
    }

    private static void assertAllThrow(Map<String, Executable> calls, UsException.Kind kind) {
        for (Map.Entry<String, Executable> e : calls.entrySet()) {
            UsException x = assertThrows(UsException.class, e.getValue(), e.getKey());
            assertEquals(kind, x.kind(), e.getKey());
        }
    }

    @Test
    void everyCallAfterCloseThrowsClosed() {
        List<Socket<String>> closed = new ArrayList<>();
        try (Loop<Void> loop = Loop.create()) {
            SocketContext<String> ctx = loop.createSocketContext(SocketContextOptions.plain());
            ListenSocket[] l = {null};
            ctx.onOpen((s, c, ip) -> {
                if (c) {
                    s.setExt("client");
                    s.close();
                }
            }).onClose((s, code) -> {
                if ("client".equals(s.ext())) {
                    // inside onClose the socket is already closed
                    assertTrue(s.isClosed());
                    assertAllThrow(socketCalls(s), UsException.Kind.CLOSED);
                    closed.add(s);
                    l[0].close();
                }
            });
            l[0] = ctx.listen("127.0.0.1", 0);
            ctx.connect("127.0.0.1", l[0].port());
            loop.run();
            Socket<String> s = closed.get(0);
            assertAllThrow(socketCalls(s), UsException.Kind.CLOSED);
            // what is Java-side only still works
            assertEquals("client", s.ext());
            assertSame(ctx, s.context());
            assertEquals(0, s.closeCode());
            assertNull(s.closeReason());

            ctx.close();
            assertTrue(ctx.isClosed());
            ctx.close(); // a second close does nothing
            for (Executable call : List.<Executable>of(() -> ctx.listen("127.0.0.1", 0),
                    () -> ctx.listenUnix(Path.of("/tmp/x.sock")), () -> ctx.connect("127.0.0.1", 1),
                    () -> ctx.connectUnix(Path.of("/tmp/x.sock")), () -> ctx.onData((x, d) -> { }),
                    () -> ctx.highWaterMark(5))) {
                assertEquals(UsException.Kind.CLOSED, assertThrows(UsException.class, call).kind());
            }
        }
    }

    @Test
    void otherThreadsGetNotOnLoopThread() throws Exception {
        AtomicReference<Throwable> failure = new AtomicReference<>();
        try (Loop<Void> loop = Loop.create()) {
            SocketContext<Void> ctx = loop.createSocketContext(SocketContextOptions.plain());
            ListenSocket[] l = {null};
            ctx.onOpen((s, isClient, ip) -> {
                if (!isClient) {
                    return;
                }
                Thread other = new Thread(() -> {
                    try {
                        assertAllThrow(socketCalls(s), UsException.Kind.NOT_ON_LOOP_THREAD);
                        Map<String, Executable> more = new LinkedHashMap<>();
                        more.put("listen", () -> ctx.listen("127.0.0.1", 0));
                        more.put("connect", () -> ctx.connect("127.0.0.1", 1));
                        more.put("onData", () -> ctx.onData(null));
                        more.put("context close", ctx::close);
                        more.put("listener close", () -> l[0].close());
                        more.put("createSocketContext", () -> loop.createSocketContext(SocketContextOptions.plain()));
                        assertAllThrow(more, UsException.Kind.NOT_ON_LOOP_THREAD);
                    } catch (Throwable t) {
                        failure.set(t);
                    }
                });
                other.start();
                try {
                    other.join(10_000);
                } catch (InterruptedException e) {
                    failure.set(e);
                }
                assertFalse(other.isAlive());
                // still perfectly usable from the loop thread
                assertTrue(s.localPort() > 0);
                ctx.close();
            });
            l[0] = ctx.listen("127.0.0.1", 0);
            ctx.connect("127.0.0.1", l[0].port());
            loop.run();
        }
        if (failure.get() != null) {
            throw new AssertionError(failure.get());
        }
    }

    @Test
    void badArgumentsAndListenFailures() {
        try (Loop<Void> loop = Loop.create()) {
            SocketContext<Void> ctx = loop.createSocketContext(SocketContextOptions.plain());
            assertEquals(UsException.Kind.INVALID_ARGUMENT,
                    assertThrows(UsException.class, () -> ctx.listen("127.0.0.1", 65536)).kind());
            assertEquals(UsException.Kind.INVALID_ARGUMENT,
                    assertThrows(UsException.class, () -> ctx.listen("127.0.0.1", -1)).kind());
            assertEquals(UsException.Kind.INVALID_HOST,
                    assertThrows(UsException.class, () -> ctx.listen("", 0)).kind());
            assertEquals(UsException.Kind.INVALID_ARGUMENT,
                    assertThrows(UsException.class, () -> ctx.highWaterMark(0)).kind());
            assertEquals(UsException.Kind.INVALID_ARGUMENT, assertThrows(UsException.class,
                    () -> SocketContextOptions.plain().withHighWaterMark(0)).kind());

            ListenSocket exclusive = ctx.listen("127.0.0.1", 0, true);
            UsException taken = assertThrows(UsException.class, () -> ctx.listen("127.0.0.1", exclusive.port(), true));
            assertEquals(UsException.Kind.LISTEN_FAILED, taken.kind());
            assertTrue(taken.getMessage().contains("errno 98"), taken.getMessage()); // EADDRINUSE
            // not exclusive: a second listener shares the port (one loop per core)
            ListenSocket shared = ctx.listen("127.0.0.1", 0);
            ListenSocket second = ctx.listen("127.0.0.1", shared.port());
            assertEquals(shared.port(), second.port());
            assertEquals(UsException.Kind.LISTEN_FAILED,
                    assertThrows(UsException.class, () -> ctx.listen("192.0.2.1", 0)).kind()); // not ours
            assertEquals(UsException.Kind.LISTEN_FAILED,
                    assertThrows(UsException.class, () -> ctx.listen("nonexistent.invalid", 0)).kind());

            ListenSocket any = ctx.listen(null, 0); // every interface, dual stack
            assertTrue(any.port() > 0);

            ctx.onOpen((s, c, ip) -> { }).onClose((s, code) -> { });
            Socket<Void> s = ctx.connect("127.0.0.1", any.port());
            assertEquals(UsException.Kind.INVALID_ARGUMENT, assertThrows(UsException.class, () -> s.timeout(-1)).kind());
            assertEquals(UsException.Kind.INVALID_ARGUMENT,
                    assertThrows(UsException.class, () -> s.longTimeout(-1)).kind());
            assertEquals(UsException.Kind.INVALID_ARGUMENT,
                    assertThrows(UsException.class, () -> s.highWaterMark(0)).kind());
            assertThrows(IndexOutOfBoundsException.class, () -> s.write(new byte[4], 2, 3));
            assertThrows(IndexOutOfBoundsException.class, () -> s.send(new byte[4], -1, 2));
            assertEquals(0, s.write(Bytes.heap("not yet")), "nothing is written while connecting");
            s.shutdown();
            assertEquals(UsException.Kind.NETWORK_OPERATION,
                    assertThrows(UsException.class, () -> s.send(new byte[1])).kind(), "send after shutdown");
        }
    }

    @Test
    void closingTheLoopClosesItsContextsAndSockets() {
        List<String> events = new ArrayList<>();
        Loop<Void> loop = Loop.create();
        SocketContext<Void> ctx = loop.createSocketContext(SocketContextOptions.plain());
        ListenSocket l = ctx.listen("127.0.0.1", 0);
        ctx.onOpen((s, isClient, ip) -> {
            events.add("open " + isClient);
            if (events.size() == 2) {
                loop.close(); // from a callback: everything the loop owns closes now
            }
        }).onClose((s, code) -> events.add("close " + code));
        ctx.connect("127.0.0.1", l.port());
        loop.run();
        assertTrue(loop.isClosed());
        assertTrue(ctx.isClosed());
        assertTrue(l.isClosed());
        assertEquals(List.of("close 0", "close 0", "open false", "open true"), events.stream().sorted().toList());

        // never run: close() alone frees contexts and their (connecting) sockets
        Loop<Void> idle = Loop.create();
        SocketContext<Void> c2 = idle.createSocketContext(SocketContextOptions.plain());
        int[] closes = {0};
        c2.onClose((s, code) -> closes[0]++);
        ListenSocket l2 = c2.listen("127.0.0.1", 0);
        Socket<Void> pending = c2.connect("127.0.0.1", l2.port());
        idle.close();
        assertTrue(c2.isClosed() && l2.isClosed() && pending.isClosed());
        assertEquals(1, closes[0]);
    }
}
