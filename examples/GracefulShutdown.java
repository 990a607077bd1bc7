// An echo server that shuts down gracefully on SIGINT (Ctrl-C) or SIGTERM: it stops accepting, lets the
// open connections go on until they end or a deadline passes, closes what is left, and exits with status 0.
// Run it against the built jar:
//   java -cp target/usockets4j-0.1.0-SNAPSHOT.jar examples/GracefulShutdown.java [port] [deadlineSeconds] [host]
// port defaults to 8080 (0: the kernel picks), deadlineSeconds to 5, host to 127.0.0.1 ('*': every
// interface). A second signal while draining closes everything at once.
//
// The signal arrives on a JVM thread, not the loop's: the handler only defers the work to the loop thread
// with LoopHandle.defer, the one thread-safe door into a loop. sun.misc.Signal (module jdk.unsupported)
// replaces the JVM's own handler, so the JVM does not start exiting: main() goes on after run() returns and
// the process ends with status 0. (A shutdown hook would run while the JVM is already exiting with 143.)
import java.net.InetSocketAddress;
import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.Set;

import org.usockets4j.ListenSocket;
import org.usockets4j.Loop;
import org.usockets4j.LoopHandle;
import org.usockets4j.Socket;
import org.usockets4j.SocketContext;
import org.usockets4j.SocketContextOptions;
import org.usockets4j.Timer;
import org.usockets4j.UsException;

import sun.misc.Signal;
import sun.misc.SignalHandler;

public class GracefulShutdown {
    // Loop-thread state: touched only by callbacks and deferred work, so no locks.
    static final Set<Socket<String>> connections = new LinkedHashSet<>();
    static ListenSocket listener;
    static Timer<Void> deadline;
    static boolean draining;
    static int finishedWhileDraining;
    static int closedByServer;

    public static void main(String[] args) {
        int port = args.length > 0 ? Integer.parseInt(args[0]) : 8080;
        int deadlineSeconds = args.length > 1 ? Integer.parseInt(args[1]) : 5;
        String host = args.length > 2 ? args[2] : "127.0.0.1";

        try (Loop<Void> loop = Loop.create()) {
            SocketContext<String> server = loop.createSocketContext(SocketContextOptions.plain());
            server.onOpen((socket, isClient, remoteIp) -> {
                socket.setExt(describe(socket.remoteAddress()));
                connections.add(socket);
                System.out.println("connect " + socket.ext() + " (" + connections.size() + " open)");
            }).onData((socket, data) -> {
                socket.send(data); // echo
            }).onClose((socket, code) -> {
                connections.remove(socket);
                System.out.println("disconnect " + socket.ext() + " (" + connections.size() + " open)");
                if (draining) {
                    if (deadline != null && !deadline.isClosed()) {
                        finishedWhileDraining++;
                    }
                    if (connections.isEmpty() && deadline != null) {
                        deadline.close(); // the last one ended in time: nothing keeps the loop alive now
                    }
                }
            });
            listener = server.listen("*".equals(host) ? null : host, port);

            LoopHandle<Void> handle = loop.handle();
            SignalHandler onSignal = signal -> {
                // The signal thread: never touch the loop's objects here, hand the work to the loop thread.
                try {
                    handle.defer(l -> shutdown(l, "SIG" + signal.getName(), deadlineSeconds));
                } catch (UsException e) {
                    // LOOP_NOT_RUNNING: the loop is already closed, so there is nothing left to stop
                }
            };
            Signal.handle(new Signal("INT"), onSignal);
            Signal.handle(new Signal("TERM"), onSignal);

            System.out.println("GracefulShutdown listening on port " + listener.port()
                    + " (pid " + ProcessHandle.current().pid() + "); stop it with Ctrl-C or kill");
            System.out.flush();
            loop.run(); // returns once the listener, every connection and the deadline timer are closed
        }
        System.out.println("shutdown complete: " + finishedWhileDraining + " connection(s) finished in time, "
                + closedByServer + " closed by the server");
    }

    /** On the loop thread: the first signal starts draining, a second one ends it now. */
    static void shutdown(Loop<Void> loop, String signal, int deadlineSeconds) {
        if (draining) {
            System.out.println(signal + " again: closing " + connections.size() + " connection(s) now");
            closeAll();
            return;
        }
        draining = true;
        listener.close(); // new connects are refused from now on; open connections go on
        System.out.println(signal + ": no longer accepting; waiting up to " + deadlineSeconds + " s for "
                + connections.size() + " open connection(s)");
        if (connections.isEmpty()) {
            return; // nothing open: run() returns now
        }
        deadline = loop.createTimer();
        deadline.set(deadlineSeconds * 1000, 0, t -> {
            System.out.println("deadline passed: closing " + connections.size() + " connection(s)");
            closeAll();
        });
    }

    /** Closes the deadline timer (so onClose no longer counts endings as in time), then every connection. */
    static void closeAll() {
        if (deadline != null) {
            deadline.close();
        }
        for (Socket<String> socket : new ArrayList<>(connections)) { // a copy: onClose changes the set
            closedByServer++;
            socket.close();
        }
    }

    static String describe(InetSocketAddress address) {
        return address == null ? "?" : address.getAddress().getHostAddress() + ":" + address.getPort();
    }
}
