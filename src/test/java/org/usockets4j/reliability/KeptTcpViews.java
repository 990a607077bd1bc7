package org.usockets4j.reliability;

import java.nio.ByteBuffer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

import org.usockets4j.ListenSocket;
import org.usockets4j.Loop;
import org.usockets4j.SocketContext;
import org.usockets4j.SocketContextOptions;
import org.usockets4j.Timer;

/**
 * onData views (plain TCP and TLS) kept past Loop.close(), against the rules (valid during the call only): after the
 * loop is freed and the GC ran, reading and writing every byte of them must not crash the JVM (their contents are
 * unspecified). Also a main for a child JVM under -Xcheck:jni: prints KEPT-TCP-VIEWS-DONE after a clean run.
 */
public final class KeptTcpViews {
    private KeptTcpViews() {
    }

    /** Keeps views of three loops' receive areas, closes the loops, collects garbage, then reads every byte. */
    static int keepCloseAndRead(boolean tls, Path cert, Path key) {
        List<ByteBuffer> kept = new ArrayList<>();
        for (int round = 0; round < 3; round++) {
            Loop<Void> loop = Loop.create();
            SocketContext<Void> server = loop.createSocketContext(
                    tls ? SocketContextOptions.tls(cert, key) : SocketContextOptions.plain());
            SocketContext<Void> client = loop.createSocketContext(
                    tls ? SocketContextOptions.tls() : SocketContextOptions.plain());
            server.onData((s, data) -> {
                kept.add(data);
                kept.add(data.duplicate());
                kept.add(data.slice());
                kept.add(data.asReadOnlyBuffer());
                s.loop().close(); // frees the native loop under the views
            });
            ListenSocket listener = server.listen("127.0.0.1", 0);
            client.connect("127.0.0.1", listener.port()).send(ByteBuffer.wrap(new byte[] {1, 2, 3, 4, 5}));
            Timer<Void> watchdog = loop.createTimer(true);
            watchdog.set(20_000, 0, t -> t.loop().close());
            loop.run();
            if (!loop.isClosed()) {
                throw new AssertionError("the loop did not close");
            }
        }
        for (int i = 0; i < 3; i++) {
            System.gc(); // the loops and their wrappers go; only the views hold the receive areas
        }
        long sum = 0;
        for (ByteBuffer b : kept) {
            b.clear(); // the reused view's limit is the last count; read its whole capacity
            for (int i = 0; i < b.capacity(); i++) {
                sum += b.get(i);
                if (!b.isReadOnly()) {
                    b.put(i, (byte) 1);
                }
            }
        }
        System.out.println("kept " + kept.size() + " views, byte sum " + sum);
        return kept.size();
    }

    public static void main(String[] args) throws Exception {
        int plain = keepCloseAndRead(false, null, null);
        Path dir = Files.createTempDirectory("usockets4j-kept");
        try {
            Path cert = dir.resolve("cert.pem");
            Path key = dir.resolve("key.pem");
            Certificates.selfSigned(cert, key);
            int tls = keepCloseAndRead(true, cert, key);
            if (plain != 12 || tls != 12) {
                System.out.println("FAILURE: kept " + plain + " plain and " + tls + " TLS views, not 12 each");
                System.exit(1);
            }
        } finally {
            try (var files = Files.walk(dir)) {
                files.sorted(java.util.Comparator.reverseOrder()).forEach(p -> p.toFile().delete());
            }
        }
        System.out.println("KEPT-TCP-VIEWS-DONE");
    }
}
