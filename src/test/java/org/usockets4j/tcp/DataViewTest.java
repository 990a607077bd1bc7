package org.usockets4j.tcp;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.ByteBuffer;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.usockets4j.ListenSocket;
import org.usockets4j.Loop;
import org.usockets4j.SocketContext;
import org.usockets4j.SocketContextOptions;

/**
 * onData's ByteBuffer is a view of the loop's receive area, reused for every event and valid during the call only:
 * a reference kept from one call shows the next call's bytes; a copy taken during the call is how to keep data.
 */
@Timeout(value = 30, unit = TimeUnit.SECONDS, threadMode = Timeout.ThreadMode.SEPARATE_THREAD)
class DataViewTest {

    @Test
    void theViewIsReusedSoCopyingOutIsHowToKeepData() {
        List<ByteBuffer> kept = new ArrayList<>();
        List<byte[]> copies = new ArrayList<>();
        String[] secondSeenThroughFirst = {null};
        try (Loop<Void> loop = Loop.create()) {
            SocketContext<Void> server = loop.createSocketContext(SocketContextOptions.plain());
            SocketContext<Void> client = loop.createSocketContext(SocketContextOptions.plain());
            ListenSocket[] l = {null};
            server.onOpen((s, c, ip) -> l[0].close()).onData((s, data) -> {
                assertEquals(0, data.position());
                assertTrue(data.isDirect());
                kept.add(data); // wrong way to keep data: it is the loop's, not ours
                copies.add(Bytes.copy(data.duplicate())); // right way: copy the bytes out now
                if (kept.size() == 1) {
                    s.write(Bytes.heap("ack"));
                } else {
                    ByteBuffer first = kept.get(0);
                    // the first reference now shows the second message's bytes
                    secondSeenThroughFirst[0] = Bytes.text(first.duplicate().position(0).limit(data.limit()));
                    s.close();
                }
            });
            client.onOpen((s, c, ip) -> s.write(Bytes.heap("first message")))
                    .onData((s, data) -> s.write(Bytes.heap("SECOND MESSAGE")));
            l[0] = server.listen("127.0.0.1", 0);
            client.connect("127.0.0.1", l[0].port());
            loop.run();
        }
        assertEquals(2, kept.size());
        assertSame(kept.get(0), kept.get(1), "one view object, reused");
        assertEquals("first message", new String(copies.get(0)));
        assertEquals("SECOND MESSAGE", new String(copies.get(1)));
        assertEquals("SECOND MESSAGE", secondSeenThroughFirst[0]);
        assertNotEquals("first message", secondSeenThroughFirst[0]);
    }

    /**
     * Writing onData's view back (the echo case) takes a path without an address lookup in native code; it must send
     * exactly the bytes from the view's position on, and a slice of the view (the general path) the same bytes.
     */
    @Test
    void writingTheViewBackSendsTheBytesFromItsPosition() {
        StringBuilder received = new StringBuilder();
        int[] written = {-1, -1};
        int[] positionAfter = {-1};
        try (Loop<Void> loop = Loop.create()) {
            SocketContext<Void> server = loop.createSocketContext(SocketContextOptions.plain());
            SocketContext<Void> client = loop.createSocketContext(SocketContextOptions.plain());
            ListenSocket[] l = {null};
            server.onOpen((s, c, ip) -> l[0].close()).onData((s, data) -> {
                data.position(5); // skip "skip:"
                written[0] = s.write(data);
                positionAfter[0] = data.position();
                written[1] = s.write(Bytes.heap("|"));
                ByteBuffer slice = data.duplicate().position(5).slice(); // not the view itself: the general path
                s.write(slice);
                s.shutdown();
            });
            client.onOpen((s, c, ip) -> s.write(Bytes.heap("skip:payload")))
                    .onData((s, data) -> received.append(Bytes.text(data)))
                    .onEnd(s -> s.close());
            l[0] = server.listen("127.0.0.1", 0);
            client.connect("127.0.0.1", l[0].port());
            loop.run();
        }
        assertEquals(7, written[0]);
        assertEquals(12, positionAfter[0]);
        assertEquals("payload|payload", received.toString());
    }
}
