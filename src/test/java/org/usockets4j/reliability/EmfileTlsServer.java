package org.usockets4j.reliability;

import java.nio.file.Path;

import org.usockets4j.ListenSocket;
import org.usockets4j.Loop;
import org.usockets4j.SocketContext;
import org.usockets4j.SocketContextOptions;

/**
 * The child JVM of {@link EmfileTlsTest}: a TLS echo server under a low descriptor limit. Arguments: the
 * certificate and key. Prints its port, echoes every connection, and exits 0 (closing its loop) when a client
 * sends "QUIT"; prints "callback threw" lines for anything its callbacks threw.
 */
public final class EmfileTlsServer {
    private EmfileTlsServer() {
    }

    /** Runs the server until a client sends QUIT. */
    public static void main(String[] args) {
        try (Loop<Void> loop = Loop.create()) {
            loop.exceptionHandler(t -> System.out.println("callback threw " + t));
            SocketContext<Void> ctx = loop.createSocketContext(SocketContextOptions.tls(Path.of(args[0]), Path.of(args[1])));
            ctx.onData((s, data) -> {
                if (data.remaining() == 4 && data.get(0) == 'Q' && data.get(1) == 'U') {
                    loop.close();
                    return;
                }
                s.send(data);
            });
            ctx.onEnd(s -> s.close());
            ListenSocket l = ctx.listen("127.0.0.1", 0);
            System.out.println("port " + l.port());
            System.out.flush();
            loop.run();
        }
        System.out.println("bye");
    }
}
