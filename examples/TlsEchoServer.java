// A TLS echo server on usockets4j: every byte a client sends comes back to it, encrypted by OpenSSL inside the
// event loop. Run it against the built jar (scripts/gen-demo-certs.sh makes the demo certificates):
//   java -cp target/usockets4j-0.1.0-SNAPSHOT.jar examples/TlsEchoServer.java [--stdin] [port] [cert.pem] [key.pem]
// port 0 (the default) lets the kernel pick; a line "TLS echo server listening on 127.0.0.1 port <n>" names it.
// The defaults are target/demo-certs/server.pem and server.key. Try it with:
//   openssl s_client -connect 127.0.0.1:<port> -CAfile target/demo-certs/ca.pem
// It stops gracefully on Ctrl-C or SIGTERM (the JVM then exits with 130 or 143), and with --stdin also when a line
// "stop" arrives on stdin or stdin closes (then it exits with 0): it stops listening, says close_notify to every
// client, and prints what it served.
import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;

import org.usockets4j.ListenSocket;
import org.usockets4j.Loop;
import org.usockets4j.LoopHandle;
import org.usockets4j.Socket;
import org.usockets4j.SocketContext;
import org.usockets4j.SocketContextOptions;
import org.usockets4j.UsException;

public class TlsEchoServer {
    /** What the server keeps per connection (the socket's ext). */
    static final class Session {
        final int id;
        final String peer;
        long bytes;
        String tls; // protocol and cipher, known from the first data on (the handshake is done by then)

        Session(int id, String peer) {
            this.id = id;
            this.peer = peer;
        }
    }

    /** What the server keeps overall (the loop's ext). */
    static final class Stats {
        int connections;
        int open;
        long bytes;
        ListenSocket listener;
        SocketContext<Session> context;
        boolean stopping;
    }

    public static void main(String[] args) throws Exception {
        boolean watchStdin = false;
        String[] positional = new String[3];
        int n = 0;
        for (String arg : args) {
            if (arg.equals("--stdin")) {
                watchStdin = true;
            } else if (n < positional.length) {
                positional[n++] = arg;
            } else {
                System.err.println("usage: TlsEchoServer [--stdin] [port] [cert.pem] [key.pem]");
                System.exit(2);
            }
        }
        int port = positional[0] != null ? Integer.parseInt(positional[0]) : 0;
        Path cert = Path.of(positional[1] != null ? positional[1] : "target/demo-certs/server.pem");
        Path key = Path.of(positional[2] != null ? positional[2] : "target/demo-certs/server.key");

        CountDownLatch stopped = new CountDownLatch(1);
        try (Loop<Stats> loop = Loop.create(new Stats())) {
            Stats stats = loop.ext();
            SocketContext<Session> tls;
            try {
                tls = loop.createSocketContext(SocketContextOptions.tls(cert, key));
            } catch (UsException e) {
                System.err.println("cannot start: " + e.getMessage());
                System.exit(1);
                return;
            }
            stats.context = tls;
            tls.onOpen((s, isClient, ip) -> {
                InetSocketAddress remote = s.remoteAddress();
                String peer = remote == null ? "?" : remote.getAddress().getHostAddress() + ":" + remote.getPort();
                s.setExt(new Session(++stats.connections, peer));
                stats.open++;
                s.timeout(60); // an idle client is dropped after about a minute
                log("connect #" + s.ext().id + " from " + peer);
            }).onData((s, data) -> {
                Session session = s.ext();
                if (session.tls == null) {
                    session.tls = s.tlsProtocol() + " " + s.tlsCipher();
                }
                session.bytes += data.remaining();
                stats.bytes += data.remaining();
                // send keeps what the kernel does not take now; above the high-water mark, stop reading this
                // client until onWritable finds the backlog gone.
                if (!s.send(data)) {
                    if (s.isClosed()) {
                        return; // the write found the connection broken: onClose already ran
                    }
                    s.pauseReads();
                }
                s.timeout(60);
            }).onWritable(s -> {
                if (s.isReadPaused() && s.bufferedAmount() <= s.highWaterMark() / 2) {
                    s.resumeReads();
                }
            }).onTimeout(Socket::close).onClose((s, code) -> {
                Session session = s.ext();
                if (session == null) {
                    return;
                }
                stats.open--;
                String how = code == 0 ? "" : code == Socket.CLOSE_CODE_TLS_ERROR
                        ? ", TLS error: " + s.closeReason() : ", code " + code;
                log("disconnect #" + session.id + " from " + session.peer + " (" + session.bytes + " bytes echoed"
                        + (session.tls != null ? ", " + session.tls : "") + how + ")");
            });

            try {
                stats.listener = tls.listen("127.0.0.1", port, port != 0);
            } catch (UsException e) {
                System.err.println("cannot start: " + e.getMessage());
                System.exit(1);
                return;
            }
            log("TLS echo server listening on 127.0.0.1 port " + stats.listener.port() + " (certificate " + cert
                    + "; stop with Ctrl-C" + (watchStdin ? ", a \"stop\" line or end of input" : "") + ")");

            LoopHandle<Stats> handle = loop.handle();
            if (watchStdin) {
                Thread stdin = new Thread(() -> {
                    try (BufferedReader in = new BufferedReader(new InputStreamReader(System.in, StandardCharsets.UTF_8))) {
                        for (String line; (line = in.readLine()) != null;) {
                            if (line.trim().equals("stop")) {
                                break;
                            }
                        }
                    } catch (IOException ignored) {
                        // stdin is gone: stop as on end of input
                    }
                    requestStop(handle, "stdin");
                }, "stdin-watch");
                stdin.setDaemon(true);
                stdin.start();
            }
            Thread hook = new Thread(() -> {
                requestStop(handle, "signal");
                try {
                    stopped.await(5, TimeUnit.SECONDS); // let main print its summary before the JVM halts
                } catch (InterruptedException ignored) {
                    Thread.currentThread().interrupt();
                }
            }, "stop-on-signal");
            Runtime.getRuntime().addShutdownHook(hook);

            loop.run(); // returns once the listener and every connection are closed

            log("stopped: " + stats.connections + " connections, " + stats.bytes + " bytes echoed");
            stopped.countDown();
            try {
                Runtime.getRuntime().removeShutdownHook(hook);
            } catch (IllegalStateException alreadyExiting) {
                // a signal is stopping the JVM: the hook is running and returns now
            }
        }
    }

    /** From any thread: asks the loop to stop (no-op when it already stopped). */
    static void requestStop(LoopHandle<Stats> handle, String why) {
        try {
            handle.defer(loop -> {
                Stats stats = loop.ext();
                if (stats.stopping) {
                    return;
                }
                stats.stopping = true;
                log("stopping (" + why + "): " + stats.open + " connection(s) open");
                stats.listener.close();
                stats.context.close(); // each connection closes cleanly: close_notify, then FIN
            });
        } catch (UsException loopGone) {
            // the loop already finished
        }
    }

    static void log(String line) {
        System.out.println(line);
        System.out.flush();
    }
}
