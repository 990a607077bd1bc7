package org.usockets4j.tcp;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;
import org.usockets4j.ListenSocket;
import org.usockets4j.Loop;
import org.usockets4j.SocketContext;
import org.usockets4j.SocketContextOptions;
import org.usockets4j.UsException;

/** Unix-domain sockets: echo through listenUnix/connectUnix, and the path-length and missing-path errors. */
@Timeout(value = 30, unit = TimeUnit.SECONDS, threadMode = Timeout.ThreadMode.SEPARATE_THREAD)
class UnixSocketTest {
    @TempDir
    Path dir;

    @Test
    void echoOverAUnixSocket() {
        Path path = dir.resolve("echo.sock");
        List<String> events = new ArrayList<>();
        try (Loop<Void> loop = Loop.create()) {
            SocketContext<Void> server = loop.createSocketContext(SocketContextOptions.plain());
            SocketContext<Void> client = loop.createSocketContext(SocketContextOptions.plain());
            ListenSocket[] l = {null};
            server.onOpen((s, isClient, ip) -> {
                assertEquals(0, ip.length);
                assertNull(s.remoteAddress());
                assertEquals(-1, s.remotePort());
                l[0].close();
            }).onData((s, data) -> s.write(data));
            client.onOpen((s, isClient, ip) -> s.write(Bytes.heap("over unix")))
                    .onData((s, data) -> {
                        events.add(Bytes.text(data));
                        s.close();
                    });
            l[0] = server.listenUnix(path);
            assertEquals(-1, l[0].port());
            assertTrue(Files.exists(path));
            client.connectUnix(path);
            loop.run();
        }
        assertEquals(List.of("over unix"), events);
    }

    @Test
    void pathErrors() {
        try (Loop<Void> loop = Loop.create()) {
            SocketContext<Void> ctx = loop.createSocketContext(SocketContextOptions.plain());
            Path tooLong = dir.resolve("x".repeat(SocketContext.MAX_UNIX_PATH_BYTES));
            UsException e = assertThrows(UsException.class, () -> ctx.listenUnix(tooLong));
            assertEquals(UsException.Kind.INVALID_ARGUMENT, e.kind());
            assertTrue(e.getMessage().contains("bytes"), e.getMessage());
            assertEquals(UsException.Kind.INVALID_ARGUMENT,
                    assertThrows(UsException.class, () -> ctx.connectUnix(tooLong)).kind());
            // the longest path that fits works
            String base = dir.toString() + "/";
            Path longest = Path.of(base + "y".repeat(SocketContext.MAX_UNIX_PATH_BYTES - base.length()));
            ListenSocket l = ctx.listenUnix(longest);
            l.close();
            // nothing listens there: the connect fails at once
            UsException missing = assertThrows(UsException.class, () -> ctx.connectUnix(dir.resolve("nobody.sock")));
            assertEquals(UsException.Kind.NETWORK_OPERATION, missing.kind());
            // a directory that does not exist: listen fails with the reason
            UsException listen = assertThrows(UsException.class, () -> ctx.listenUnix(dir.resolve("no/such.sock")));
            assertEquals(UsException.Kind.LISTEN_FAILED, listen.kind());
            assertTrue(listen.getMessage().contains("errno"), listen.getMessage());
        }
    }
}
