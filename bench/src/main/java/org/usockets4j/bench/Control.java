package org.usockets4j.bench;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.lang.management.ManagementFactory;
import java.nio.charset.StandardCharsets;
import java.util.function.LongSupplier;

/**
 * How the harness talks to a running server: one command per line on the server's stdin, one reply
 * line on its stdout. The harness keeps its own time; the server only answers.
 * <ul>
 *   <li>{@code ALLOC} -> {@code ALLOC <bytes>}: Java heap allocated so far by the loop thread
 *       (com.sun.management.ThreadMXBean#getThreadAllocatedBytes).</li>
 *   <li>{@code CONNS} -> {@code CONNS <n>}: connections open now.</li>
 *   <li>{@code GC} -> {@code HEAP <bytes>}: heap in use after a full collection.</li>
 * </ul>
 * End of input (stdin from /dev/null) just ends the control thread; the server runs until killed.
 */
final class Control {
    private Control() {
    }

    /** Tells the harness the server listens; call once, after listen succeeded. */
    static void announcePort(int port) {
        reply("PORT " + port);
    }

    /** Starts the daemon thread that answers commands about loopThread and the connection count. */
    static void start(Thread loopThread, LongSupplier openConnections) {
        Thread t = new Thread(() -> serve(loopThread.getId(), openConnections), "bench-control");
        t.setDaemon(true);
        t.start();
    }

    private static void serve(long loopThreadId, LongSupplier openConnections) {
        com.sun.management.ThreadMXBean threads = (com.sun.management.ThreadMXBean) ManagementFactory.getThreadMXBean();
        try (BufferedReader in = new BufferedReader(new InputStreamReader(System.in, StandardCharsets.US_ASCII))) {
            for (String line; (line = in.readLine()) != null; ) {
                switch (line.trim()) {
                    case "ALLOC" -> reply("ALLOC " + threads.getThreadAllocatedBytes(loopThreadId));
                    case "CONNS" -> reply("CONNS " + openConnections.getAsLong());
                    case "GC" -> {
                        System.gc();
                        System.gc();
                        reply("HEAP " + ManagementFactory.getMemoryMXBean().getHeapMemoryUsage().getUsed());
                    }
                    case "" -> { }
                    default -> reply("ERROR unknown command " + line);
                }
            }
        } catch (IOException e) {
            reply("ERROR control input: " + e);
        }
    }

    private static synchronized void reply(String line) {
        System.out.println(line);
        System.out.flush();
    }
}
