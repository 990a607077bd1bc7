package org.usockets4j.tls;

import java.io.ByteArrayOutputStream;

import org.usockets4j.Loop;
import org.usockets4j.SocketContext;
import org.usockets4j.SocketContextOptions;
import org.usockets4j.Timer;

/** A one-shot usockets4j TLS client on the test thread: connects, sends a message, reads its echo, shuts down. */
final class TlsClient {
    /** What happened to the connection. */
    static final class Outcome {
        boolean opened;
        String protocol;
        String cipher;
        String serverName;
        String peerSubject;
        final ByteArrayOutputStream echoed = new ByteArrayOutputStream();
        int closeCode = Integer.MIN_VALUE; // onClose's code; MIN_VALUE when onClose did not run
        String closeReason;
        Integer connectError; // onConnectError's code, or null
        boolean timedOut;

        String echoedText() {
            return echoed.toString(java.nio.charset.StandardCharsets.UTF_8);
        }

        @Override
        public String toString() {
            return "Outcome[opened=" + opened + " " + protocol + " " + cipher + " sni=" + serverName + " peer="
                    + peerSubject + " echoed=" + echoed.size() + " close=" + closeCode + " (" + closeReason
                    + ") connectError=" + connectError + (timedOut ? " TIMED OUT" : "") + "]";
        }
    }

    private TlsClient() {
    }

    /** Runs one connection to host:port with options (10 s at most) and tells what happened. */
    static Outcome run(SocketContextOptions options, String host, int port, byte[] message) {
        Outcome o = new Outcome();
        try (Loop<Void> loop = Loop.create()) {
            SocketContext<Void> ctx = loop.createSocketContext(options);
            Timer<Void> deadline = loop.createTimer(true);
            ctx.onOpen((s, isClient, ip) -> {
                o.opened = true;
                s.send(message);
            }).onData((s, data) -> {
                if (o.protocol == null) {
                    o.protocol = s.tlsProtocol();
                    o.cipher = s.tlsCipher();
                    o.serverName = s.tlsServerName();
                    o.peerSubject = s.peerSubject();
                }
                while (data.hasRemaining()) {
                    o.echoed.write(data.get());
                }
                if (o.echoed.size() >= message.length) {
                    s.shutdown();
                }
            }).onClose((s, code) -> {
                o.closeCode = code;
                o.closeReason = s.closeReason();
                deadline.close();
            }).onConnectError((s, code) -> {
                o.connectError = code;
                deadline.close();
            });
            ctx.connect(host, port);
            deadline.set(10_000, 0, t -> {
                o.timedOut = true;
                ctx.close();
            });
            loop.run();
        }
        return o;
    }
}
