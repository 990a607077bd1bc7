package org.usockets4j.tcp;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;

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
import org.usockets4j.UsException;

/**
 * A protocol upgrade: the server's "line" context adopts the socket into an "upgraded" context from inside onData;
 * the same Socket object goes on there, its ext cleared, and the new context's callbacks (data, close) see it.
 */
@Timeout(value = 30, unit = TimeUnit.SECONDS, threadMode = Timeout.ThreadMode.SEPARATE_THREAD)
class AdoptTest {

    @Test
    void upgradeInsideOnData() {
        List<String> events = new ArrayList<>();
        try (Loop<Void> loop = Loop.create()) {
            SocketContext<String> lines = loop.createSocketContext(SocketContextOptions.plain());
            SocketContext<Integer> upgraded = loop.createSocketContext(SocketContextOptions.plain());
            SocketContext<Void> client = loop.createSocketContext(SocketContextOptions.plain());
            ListenSocket[] l = {null};
            Socket<?>[] first = {null};
            lines.onOpen((s, c, ip) -> {
                l[0].close();
                s.setExt("line session");
                first[0] = s;
            }).onData((s, data) -> {
                assertEquals("UPGRADE", Bytes.text(data));
                Socket<Integer> up = upgraded.adopt(s);
                assertSame(s, up);
                assertSame(upgraded, up.context());
                assertNull(up.ext());
                up.setExt(1);
                up.write(Bytes.heap("OK"));
                events.add("upgraded");
            }).onClose((s, code) -> events.add("lines close"));
            upgraded.onData((s, data) -> {
                s.setExt(s.ext() + 1);
                s.write(Bytes.heap("B:" + Bytes.text(data)));
            }).onClose((s, code) -> events.add("upgraded close ext=" + s.ext()));
            client.onOpen((s, c, ip) -> s.write(Bytes.heap("UPGRADE")))
                    .onData((s, data) -> {
                        String text = Bytes.text(data);
                        events.add("client got " + text);
                        if (text.equals("OK")) {
                            s.write(Bytes.heap("hello"));
                        } else {
                            s.close();
                        }
                    });
            l[0] = lines.listen("127.0.0.1", 0);
            client.connect("127.0.0.1", l[0].port());
            loop.run();
            assertSame(upgraded, first[0].context());
        }
        assertEquals(List.of("upgraded", "client got OK", "client got B:hello", "upgraded close ext=2"), events);
    }

    @Test
    void adoptRefusesSocketsOfAnotherLoopAndClosedOnes() {
        try (Loop<Void> loop = Loop.create(); Loop<Void> other = Loop.create()) {
            SocketContext<Void> ctx = loop.createSocketContext(SocketContextOptions.plain());
            SocketContext<Void> foreign = other.createSocketContext(SocketContextOptions.plain());
            Socket<Void> pending = foreign.connect("127.0.0.1", 9);
            assertEquals(UsException.Kind.INVALID_ARGUMENT,
                    assertThrows(UsException.class, () -> ctx.adopt(pending)).kind());
            // a connecting socket of the same loop cannot move either
            Socket<Void> mine = ctx.connect("127.0.0.1", 9);
            assertEquals(UsException.Kind.INVALID_ARGUMENT,
                    assertThrows(UsException.class, () -> ctx.adopt(mine)).kind());
            mine.close();
            assertEquals(UsException.Kind.CLOSED, assertThrows(UsException.class, () -> ctx.adopt(mine)).kind());
        }
    }
}
