package org.usockets4j.reliability;

import java.nio.ByteBuffer;
import java.util.zip.CRC32;

import org.usockets4j.ListenSocket;
import org.usockets4j.Loop;
import org.usockets4j.Socket;
import org.usockets4j.SocketContext;
import org.usockets4j.SocketContextOptions;

/**
 * Loaded once per class loader by {@link TwoLoadersMain}: runs one loop with a repeating timer and a TCP echo of
 * rounds messages, and returns a summary whose numbers the caller checks. Everything it touches is
 * org.usockets4j as its own class loader loaded it.
 */
public final class LoaderEcho {
    private LoaderEcho() {
    }

    public static String run(int rounds) {
        try (Loop<Void> loop = Loop.create()) {
            int[] ticks = {0};
            int[] echoed = {0};
            CRC32 sent = new CRC32();
            CRC32 received = new CRC32();
            SocketContext<String> ctx = loop.createSocketContext(SocketContextOptions.plain());
            ListenSocket listener = ctx.listen("127.0.0.1", 0);
            byte[] message = new byte[100];
            ctx.onData((s, data) -> {
                if (!"client".equals(s.ext())) {
                    s.send(data); // server: echo
                    return;
                }
                while (data.hasRemaining()) {
                    received.update(data.get());
                    if (++echoed[0] % message.length == 0) {
                        int n = echoed[0] / message.length;
                        if (n == rounds) {
                            s.close();
                            listener.close();
                        } else {
                            sendNext(s, message, n, sent);
                        }
                    }
                }
            });
            Socket<String> client = ctx.connect("127.0.0.1", listener.port());
            client.setExt("client");
            sendNext(client, message, 0, sent);
            loop.createTimer(true).set(1, 1, t -> ticks[0]++);
            loop.run();
            return "loader " + System.identityHashCode(Loop.class.getClassLoader()) + " echoed " + echoed[0]
                    + " bytes, crc " + (sent.getValue() == received.getValue() ? "ok" : "MISMATCH") + ", ticks "
                    + (ticks[0] > 0 ? "ok" : "none");
        }
    }

    private static void sendNext(Socket<String> s, byte[] message, int n, CRC32 sent) {
        for (int i = 0; i < message.length; i++) {
            message[i] = (byte) (n * 31 + i);
        }
        sent.update(message);
        s.send(ByteBuffer.wrap(message));
    }
}
