package org.usockets4j.tcp;

import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;

/** Test helpers: copying onData's view out (the only way to keep its bytes) and building messages. */
final class Bytes {
    private Bytes() {
    }

    /** A copy of data's remaining bytes (position moves to limit). */
    static byte[] copy(ByteBuffer data) {
        byte[] b = new byte[data.remaining()];
        data.get(b);
        return b;
    }

    /** data's remaining bytes as UTF-8 (position moves to limit). */
    static String text(ByteBuffer data) {
        return new String(copy(data), StandardCharsets.UTF_8);
    }

    /** text as UTF-8 bytes in a heap buffer. */
    static ByteBuffer heap(String text) {
        return ByteBuffer.wrap(text.getBytes(StandardCharsets.UTF_8));
    }

    /** text as UTF-8 bytes in a direct buffer. */
    static ByteBuffer direct(String text) {
        byte[] b = text.getBytes(StandardCharsets.UTF_8);
        return ByteBuffer.allocateDirect(b.length).put(b).flip();
    }
}
