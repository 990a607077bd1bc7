// A TCP echo server on usockets4j: any number of connections on one loop thread, each closed after 60 s
// without data, every reply prefixed with the connection's number. Run it against the built jar:
//   java -cp target/usockets4j-0.1.0-SNAPSHOT.jar examples/EchoServer.java [port] [host] [stopAfter] [idleSeconds]
// port defaults to 8080 (0: the kernel picks), host to 127.0.0.1 ('*': every interface). With stopAfter > 0
// the server stops listening once that many connections were accepted and exits when they have all closed.
// idleSeconds (default 60) is how long a connection may stay silent (checked every 4 s) before it is closed.
// Try it: nc 127.0.0.1 8080, type a line, get it back as "[Conn 1] ...".
import java.net.InetSocketAddress;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;

import org.usockets4j.ListenSocket;
import org.usockets4j.Loop;
import org.usockets4j.Socket;
import org.usockets4j.SocketContext;
import org.usockets4j.SocketContextOptions;

public class EchoServer {
    static int idleSeconds;

    /** What each connection carries (its ext): its number and the bytes of its reply prefix. */
    static final class Conn {
        final int number;
        final byte[] prefix;
        final String peer;

        Conn(int number, String peer) {
            this.number = number;
            this.prefix = ("[Conn " + number + "] ").getBytes(StandardCharsets.UTF_8);
            this.peer = peer;
        }
    }

    static int accepted;   // connections accepted so far: the next one gets number accepted + 1
    static int open;       // connections open now
    static ListenSocket listener;

    public static void main(String[] args) {
        int port = args.length > 0 ? Integer.parseInt(args[0]) : 8080;
        String host = args.length > 1 ? args[1] : "127.0.0.1";
        int stopAfter = args.length > 2 ? Integer.parseInt(args[2]) : 0;
        idleSeconds = args.length > 3 ? Integer.parseInt(args[3]) : 60;

        try (Loop<Void> loop = Loop.create()) {
            SocketContext<Conn> server = loop.createSocketContext(SocketContextOptions.plain());
            server.onOpen((socket, isClient, remoteIp) -> {
                accepted++;
                open++;
                Conn conn = new Conn(accepted, describe(socket.remoteAddress()));
                socket.setExt(conn);
                socket.timeout(idleSeconds); // onTimeout fires after this long without data
                System.out.println("connect #" + conn.number + " from " + conn.peer + " (" + open + " open)");
                if (stopAfter > 0 && accepted == stopAfter) {
                    System.out.println("accepted " + accepted + " connections: no longer listening");
                    listener.close(); // open connections go on; run() returns once they have closed
                }
            }).onData((socket, data) -> {
                socket.timeout(idleSeconds); // data arrived: the idle clock starts again
                // send() keeps what the kernel does not take now and writes it when the socket is writable.
                // data is valid during this call only; send copies what it cannot write at once.
                socket.send(socket.ext().prefix);
                if (!socket.send(data) && !socket.isClosed()) { // (a failed write may have closed it)
                    // Above the high-water mark: the peer reads slower than it writes. Stop reading from it
                    // until onWritable finds the backlog drained (the kernel holds the unread bytes meanwhile).
                    socket.pauseReads();
                    System.out.println("conn #" + socket.ext().number + ": reading paused, "
                            + socket.bufferedAmount() + " bytes wait for the peer");
                }
            }).onWritable(socket -> {
                if (socket.isReadPaused() && socket.bufferedAmount() <= socket.highWaterMark() / 2) {
                    socket.resumeReads();
                    System.out.println("conn #" + socket.ext().number + ": reading resumed");
                }
            }).onTimeout(socket -> {
                System.out.println("conn #" + socket.ext().number + " idle for " + idleSeconds + " s: closing");
                socket.close();
            }).onClose((socket, code) -> {
                open--;
                Conn conn = socket.ext();
                System.out.println("disconnect #" + conn.number + " from " + conn.peer
                        + (code == 0 ? "" : " (code " + code + ")") + " (" + open + " open)");
            });
            // Without an onEnd callback a peer's FIN is answered with ours (after any buffered replies),
            // which closes the connection: the usual end of an echo session.

            listener = server.listen("*".equals(host) ? null : host, port);
            System.out.println("EchoServer listening on port " + listener.port());
            System.out.flush();
            loop.run(); // returns when nothing keeps the loop alive: no listener, no connection
            System.out.println("served " + accepted + " connections");
        }
    }

    static String describe(InetSocketAddress address) {
        return address == null ? "?" : address.getAddress().getHostAddress() + ":" + address.getPort();
    }
}
