// A TLS echo client on usockets4j that verifies the server: worker threads produce lines and hand each one to
// the event loop with LoopHandle.defer; the loop sends it over its worker's TLS connection and checks that
// every line comes back, in order. Run it against examples/TlsEchoServer.java:
//   java -cp target/usockets4j-0.1.0-SNAPSHOT.jar examples/TlsEchoClient.java <port> [host] [ca.pem] [workers] [lines]
// host defaults to localhost, ca.pem to target/demo-certs/ca.pem (the server's certificate must chain to it and
// name the host), 4 workers of 1000 lines each. Exits 0 only when every echo matched.
import java.io.ByteArrayOutputStream;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.List;

import org.usockets4j.Loop;
import org.usockets4j.LoopHandle;
import org.usockets4j.Socket;
import org.usockets4j.SocketContext;
import org.usockets4j.SocketContextOptions;
import org.usockets4j.Timer;
import org.usockets4j.UsException;

public class TlsEchoClient {
    /** One worker's connection, touched only on the loop thread. */
    static final class Conn {
        final int worker;
        final int lines;
        final ArrayDeque<String> expected = new ArrayDeque<>(); // sent, not yet echoed, in order
        final ByteArrayOutputStream partial = new ByteArrayOutputStream(); // an echoed line not complete yet
        Socket<Conn> socket;
        int sent;
        int echoed;
        long bytes;
        int mismatches;
        String firstMismatch;
        String tls;
        String serverName;
        String peer;
        String failure;
        boolean closed;

        Conn(int worker, int lines) {
            this.worker = worker;
            this.lines = lines;
        }

        boolean done() {
            return echoed == lines && mismatches == 0 && failure == null;
        }
    }

    public static void main(String[] args) throws Exception {
        if (args.length < 1) {
            System.err.println("usage: TlsEchoClient <port> [host] [ca.pem] [workers] [lines]");
            System.exit(2);
        }
        int port = Integer.parseInt(args[0]);
        String host = args.length > 1 ? args[1] : "localhost";
        Path ca = Path.of(args.length > 2 ? args[2] : "target/demo-certs/ca.pem");
        int workers = args.length > 3 ? Integer.parseInt(args[3]) : 4;
        int lines = args.length > 4 ? Integer.parseInt(args[4]) : 1000;

        List<Conn> conns = new ArrayList<>();
        long start = System.nanoTime();
        try (Loop<Void> loop = Loop.create()) {
            // A TLS client context: the server's chain must lead to ca, and its certificate must name host.
            SocketContext<Conn> tls = loop.createSocketContext(SocketContextOptions.tls().caFile(ca));
            tls.onData((s, data) -> received(s.ext(), s, data))
               .onConnectError((s, code) -> {
                   s.ext().failure = "cannot connect to " + host + ":" + port + " (code " + code + ")";
                   s.ext().closed = true;
               })
               .onClose((s, code) -> {
                   Conn c = s.ext();
                   c.closed = true;
                   if (code != 0) {
                       c.failure = "closed with code " + code + (s.closeReason() != null ? ": " + s.closeReason() : "");
                   } else if (c.echoed < c.lines && c.failure == null) {
                       c.failure = "the server closed after " + c.echoed + " of " + c.lines + " echoes";
                   }
               });
            for (int w = 0; w < workers; w++) {
                Conn c = new Conn(w, lines);
                c.socket = tls.connect(host, port);
                c.socket.setExt(c);
                c.socket.timeout(30); // a stuck connection fails instead of hanging the client
                conns.add(c);
            }
            tls.onTimeout(s -> {
                s.ext().failure = "no progress for 30 s";
                s.close();
            });

            // A safety net: whatever happens, the client gives up after 60 s.
            Timer<Void> deadline = loop.createTimer(true);
            deadline.set(60_000, 0, t -> {
                for (Conn c : conns) {
                    if (c.failure == null && !c.done()) {
                        c.failure = "not finished after 60 s";
                    }
                }
                tls.close();
            });

            // The workers: each produces its lines and hands every one to the loop thread with defer.
            LoopHandle<Void> handle = loop.handle();
            List<Thread> threads = new ArrayList<>();
            for (Conn c : conns) {
                Thread worker = new Thread(() -> {
                    try {
                        for (int i = 0; i < c.lines; i++) {
                            String line = "worker " + c.worker + " line " + i + " " + Long.toHexString(mix(c.worker, i));
                            handle.defer(l -> send(c, line));
                        }
                    } catch (UsException loopGone) {
                        // every connection failed and the loop finished: nothing left to feed
                    }
                }, "worker-" + c.worker);
                threads.add(worker);
                worker.start();
            }

            loop.run(); // returns when every connection closed (each shuts down after its last echo)
            for (Thread worker : threads) {
                worker.join();
            }
            deadline.close();
        }
        double seconds = (System.nanoTime() - start) / 1e9;

        long totalLines = 0;
        long totalBytes = 0;
        boolean ok = true;
        for (Conn c : conns) {
            totalLines += c.echoed;
            totalBytes += c.bytes;
            if (!c.done()) {
                ok = false;
                System.out.println("worker " + c.worker + ": FAILED: " + (c.failure != null ? c.failure
                        : c.mismatches + " echo(es) differed, first: " + c.firstMismatch));
            }
        }
        Conn first = conns.isEmpty() ? null : conns.get(0);
        System.out.printf("%s: %d lines (%d bytes) echoed over %d TLS connection(s) in %.3f s%n",
                ok ? "OK" : "FAILED", totalLines, totalBytes, conns.size(), seconds);
        if (first != null && first.tls != null) {
            System.out.println("TLS: " + first.tls + ", server " + first.peer + " verified against " + ca
                    + (first.serverName != null ? " (SNI " + first.serverName + ")" : ""));
        }
        System.exit(ok ? 0 : 1);
    }

    /** Loop thread: sends one line a worker produced and remembers it for the echo check. */
    static void send(Conn c, String line) {
        if (c.closed) {
            if (c.failure == null) {
                c.failure = "connection closed before every line was sent";
            }
            return;
        }
        c.expected.addLast(line);
        c.sent++;
        c.socket.send((line + "\n").getBytes(StandardCharsets.UTF_8)); // buffered until the handshake is done
    }

    /** Loop thread: echoed bytes arrived; every complete line must be the oldest one sent and not echoed yet. */
    static void received(Conn c, Socket<Conn> s, ByteBuffer data) {
        if (c.tls == null) {
            c.tls = s.tlsProtocol() + " " + s.tlsCipher();
            c.serverName = s.tlsServerName();
            c.peer = s.peerSubject();
        }
        c.bytes += data.remaining();
        while (data.hasRemaining()) {
            byte b = data.get();
            if (b != '\n') {
                c.partial.write(b);
                continue;
            }
            String line = c.partial.toString(StandardCharsets.UTF_8);
            c.partial.reset();
            String want = c.expected.pollFirst();
            c.echoed++;
            if (!line.equals(want)) {
                if (c.mismatches++ == 0) {
                    c.firstMismatch = "got \"" + line + "\", expected \"" + want + "\"";
                }
            }
        }
        if (c.echoed >= c.lines) {
            s.shutdown(); // close_notify and FIN: the server closes in turn, and so does this socket
        } else {
            s.timeout(30);
        }
    }

    /** Some per-line noise so lines differ in more than their number. */
    static long mix(int worker, int i) {
        long x = (long) worker * 0x9E3779B97F4A7C15L + i;
        x ^= x >>> 33;
        x *= 0xFF51AFD7ED558CCDL;
        return x ^ (x >>> 29);
    }
}
