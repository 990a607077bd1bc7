package com.example.consumer;

import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;

import org.usockets4j.ListenSocket;
import org.usockets4j.Loop;
import org.usockets4j.LoopMetrics;
import org.usockets4j.Native;
import org.usockets4j.SocketContext;
import org.usockets4j.SocketContextOptions;
import org.usockets4j.Timer;

/**
 * A user's program: an echo server and a client on one loop over loopback; the client checks the reply. Prints
 * "consumer: echo ok" and exits 0 when it came back intact, exits 1 otherwise (no native library, a wrong reply,
 * or nothing within 10 seconds). Runs the same on the class path and on the module path.
 */
public final class EchoCheck {
    private EchoCheck() {
    }

    private static final String MESSAGE = "hello from a consumer of usockets4j";

    public static void main(String[] args) {
        System.out.println("consumer: usockets4j is in " + describe(Loop.class.getModule())
                + ", this program in " + describe(EchoCheck.class.getModule()) + ", platform " + Native.platform());
        if (!Native.isAvailable()) {
            System.out.println("consumer: FAILED, no native library: " + Native.unavailabilityCause().getMessage());
            System.exit(1);
        }
        StringBuilder reply = new StringBuilder();
        boolean[] timedOut = {false};
        LoopMetrics metrics;
        try (Loop<Void> loop = Loop.create()) {
            SocketContext<Void> server = loop.createSocketContext(SocketContextOptions.plain());
            server.onData((s, data) -> s.send(data));
            ListenSocket listener = server.listen("127.0.0.1", 0);

            Timer<Void> deadline = loop.createTimer();
            SocketContext<Void> client = loop.createSocketContext(SocketContextOptions.plain());
            client.onOpen((s, isClient, ip) -> s.send(ByteBuffer.wrap(MESSAGE.getBytes(StandardCharsets.UTF_8))))
                    .onData((s, data) -> {
                        reply.append(StandardCharsets.UTF_8.decode(data));
                        if (reply.length() >= MESSAGE.length()) {
                            s.close();
                        }
                    })
                    .onConnectError((s, code) -> System.out.println("consumer: connect failed: " + code))
                    .onClose((s, code) -> {
                        deadline.close();
                        listener.close();                      // nothing keeps the loop alive now
                    });
            client.connect("127.0.0.1", listener.port());
            deadline.set(10_000, 0, t -> {
                timedOut[0] = true;
                t.close();
                client.close();                            // closes its sockets; with the listener gone,
                server.close();                            // run() returns
            });
            loop.run();
            metrics = loop.metrics();
        }
        if (timedOut[0] || !MESSAGE.equals(reply.toString())) {
            System.out.println("consumer: FAILED, reply \"" + reply + "\"" + (timedOut[0] ? " (timed out)" : ""));
            System.exit(1);
        }
        System.out.println("consumer: echo ok (" + metrics.bytesIn() + " bytes in, " + metrics.bytesOut()
                + " bytes out, " + metrics.acceptedTotal() + " accepted)");
    }

    private static String describe(Module module) {
        return module.isNamed() ? "module " + module.getName() : "the class path";
    }
}
