// An echo server with one event loop per core, all listening on one port: each loop runs on its own thread
// with its own listener, and the kernel spreads new connections over the listeners (SO_REUSEPORT, which
// listen() sets unless asked for an exclusive port). Each reply is prefixed with the index of the loop that
// served it. Run it against the built jar:
//   java -cp target/usockets4j-0.1.0-SNAPSHOT.jar examples/MultiCoreEchoServer.java [port] [loops] [host]
// port defaults to 8080 (0: the kernel picks one for the first loop, the others listen on the same one),
// loops to the number of processors, host to 127.0.0.1 ('*': every interface). SIGINT (Ctrl-C), SIGTERM or
// the end of standard input (Ctrl-D; a parent closing the pipe) stops every loop; the process then prints
// what each loop served and exits with status 0.
//
// Nothing is shared between the loops but the port: each loop's state is touched by its own thread only.
// Other threads reach a loop only through its LoopHandle.defer.
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;

import org.usockets4j.ListenSocket;
import org.usockets4j.Loop;
import org.usockets4j.LoopHandle;
import org.usockets4j.SocketContext;
import org.usockets4j.SocketContextOptions;
import org.usockets4j.UsException;

import sun.misc.Signal;
import sun.misc.SignalHandler;

public class MultiCoreEchoServer {
    /** One loop's thread and what it reports back; the counters are written by that loop's thread only. */
    static final class Worker extends Thread {
        final int index;
        final String host;
        final CompletableFuture<Integer> bound;   // the port this loop listens on (loop 0 decides it)
        final CompletableFuture<Integer> portToUse;
        volatile LoopHandle<Void> handle;
        volatile long served;
        volatile Throwable failure;
        SocketContext<Void> context;

        Worker(int index, String host, CompletableFuture<Integer> portToUse) {
            super("loop-" + index);
            this.index = index;
            this.host = host;
            this.portToUse = portToUse;
            this.bound = new CompletableFuture<>();
        }

        @Override
        public void run() {
            try (Loop<Void> loop = Loop.create()) { // created on this thread: it is the loop's thread
                handle = loop.handle();
                byte[] prefix = ("[loop " + index + "] ").getBytes();
                context = loop.createSocketContext(SocketContextOptions.plain());
                context.onOpen((socket, isClient, remoteIp) -> {
                    served++;
                    System.out.println("loop " + index + ": connect from port " + socket.remotePort());
                }).onData((socket, data) -> {
                    socket.send(prefix);
                    socket.send(data);
                }).onClose((socket, code) -> System.out.println("loop " + index + ": disconnect"));
                int port = portToUse.get(30, TimeUnit.SECONDS);
                ListenSocket listener = context.listen("*".equals(host) ? null : host, port);
                bound.complete(listener.port());
                loop.run(); // until requestStop() closes the context: listener and connections
            } catch (Throwable t) {
                failure = t;
                bound.completeExceptionally(t);
            }
        }

        /** Any thread: asks the loop to close its listener and connections, which ends its run(). */
        void requestStop() {
            try {
                handle.defer(l -> context.close());
            } catch (UsException e) {
                // LOOP_NOT_RUNNING: this loop has already ended
            }
        }
    }

    public static void main(String[] args) throws Exception {
        int port = args.length > 0 ? Integer.parseInt(args[0]) : 8080;
        int loops = args.length > 1 ? Integer.parseInt(args[1]) : Runtime.getRuntime().availableProcessors();
        String host = args.length > 2 ? args[2] : "127.0.0.1";

        // Loop 0 binds the port asked for (0: any); the others bind the port it got, once it has one.
        List<Worker> workers = new ArrayList<>();
        CompletableFuture<Integer> first = CompletableFuture.completedFuture(port);
        Worker zero = new Worker(0, host, first);
        workers.add(zero);
        for (int i = 1; i < loops; i++) {
            workers.add(new Worker(i, host, zero.bound));
        }
        workers.forEach(Thread::start);
        int shared;
        try {
            for (Worker w : workers) {
                w.bound.get(30, TimeUnit.SECONDS); // every loop listens before we say so
            }
            shared = zero.bound.get();
        } catch (Exception e) {
            System.out.println("could not start every loop: " + e.getCause());
            workers.forEach(w -> {
                if (w.handle != null) {
                    w.requestStop();
                }
            });
            System.exit(1);
            return;
        }

        SignalHandler onSignal = signal -> {
            System.out.println("SIG" + signal.getName() + ": stopping " + workers.size() + " loops");
            workers.forEach(Worker::requestStop);
        };
        Signal.handle(new Signal("INT"), onSignal);
        Signal.handle(new Signal("TERM"), onSignal);
        watchStdin(workers);
        System.out.println("MultiCoreEchoServer listening on port " + shared + " with " + loops + " loops");
        System.out.flush();

        for (Worker w : workers) {
            w.join();
        }
        for (Worker w : workers) {
            System.out.println("loop " + w.index + " served " + w.served + " connections"
                    + (w.failure != null ? ", failed: " + w.failure : ""));
        }
    }

    /**
     * Stops the loops when standard input ends. Not when it is /dev/null (started in the background by a
     * script, or as a service): that ends at once, and only signals stop the server then.
     */
    static void watchStdin(List<Worker> workers) {
        try {
            if (Path.of("/dev/null").equals(Files.readSymbolicLink(Path.of("/proc/self/fd/0")))) {
                return;
            }
        } catch (IOException | UnsupportedOperationException e) {
            // no /proc (not Linux): watch stdin anyway
        }
        Thread watcher = new Thread(() -> {
            try {
                while (System.in.read() >= 0) {
                    // what is typed is ignored; only the end counts
                }
            } catch (IOException e) {
                // a broken stdin ends it as well
            }
            System.out.println("end of standard input: stopping " + workers.size() + " loops");
            workers.forEach(Worker::requestStop);
        }, "stdin watcher");
        watcher.setDaemon(true); // never keeps the JVM alive on its own
        watcher.start();
    }
}
