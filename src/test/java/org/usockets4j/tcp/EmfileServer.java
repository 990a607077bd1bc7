package org.usockets4j.tcp;

import org.usockets4j.ListenSocket;
import org.usockets4j.Loop;
import org.usockets4j.SocketContext;
import org.usockets4j.SocketContextOptions;

/**
 * The child JVM of {@link EmfileTest}: an echo server run under a low descriptor limit. Prints its port, echoes
 * every connection, and exits 0 (closing its loop) when a client sends "QUIT".
 */
public final class EmfileServer {
    private EmfileServer() {
    }

    /** Runs the server until a client sends QUIT. */
    public static void main(String[] args) {
        try (Loop<Void> loop = Loop.create()) {
            SocketContext<Void> ctx = loop.createSocketContext(SocketContextOptions.plain());
            ctx.onData((s, data) -> {
                if (data.remaining() == 4 && data.get(0) == 'Q' && data.get(1) == 'U') {
                    loop.close();
                    return;
                }
                s.write(data);
            });
            ListenSocket l = ctx.listen("127.0.0.1", 0);
            System.out.println("port " + l.port());
            System.out.flush();
            loop.run();
        }
        System.out.println("bye");
    }
}
