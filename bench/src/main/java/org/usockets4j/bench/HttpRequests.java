package org.usockets4j.bench;

import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;

/**
 * The HTTP side of the "hello" servers: counts request terminators ("\r\n\r\n") across reads, so
 * pipelined requests each get one reply, and holds the fixed reply. No parsing beyond that: the
 * load (wrk) sends only GET requests without bodies.
 */
final class HttpRequests {
    static final byte[] RESPONSE = "HTTP/1.1 200 OK\r\nContent-Length: 5\r\n\r\nhello".getBytes(StandardCharsets.US_ASCII);
    /** Replies in one prepared block; a read with more requests than this is answered in several writes. */
    static final int BLOCK = 64;

    private HttpRequests() {
    }

    /**
     * One byte through the terminator matcher. state = how many bytes of "\r\n\r\n" matched so far
     * (0..3); returns the next state, or 4 when b completed a terminator.
     */
    static int step(int state, byte b) {
        if (b == '\r') {
            return state == 2 ? 3 : 1;
        }
        if (b == '\n') {
            return state == 1 ? 2 : state == 3 ? 4 : 0;
        }
        return 0;
    }

    /** A direct buffer holding BLOCK copies of RESPONSE back to back. */
    static ByteBuffer responseBlock() {
        ByteBuffer b = ByteBuffer.allocateDirect(RESPONSE.length * BLOCK);
        for (int i = 0; i < BLOCK; i++) {
            b.put(RESPONSE);
        }
        return b.flip();
    }

    /** Per-connection parser state; counts complete requests in buffers handed to it. */
    static final class Parser {
        private int state;

        /** Requests completed by bytes [position, limit) of data; the buffer is not modified. */
        int feed(ByteBuffer data) {
            int s = state;
            int n = 0;
            for (int i = data.position(), end = data.limit(); i < end; i++) {
                s = step(s, data.get(i));
                if (s == 4) {
                    n++;
                    s = 0;
                }
            }
            state = s;
            return n;
        }
    }
}
