// A UDP echo server on usockets4j: every datagram goes back to its sender, a whole received batch at a
// time (recvmmsg in, sendmmsg out, no copy). Run it against the built jar:
//   java -cp target/usockets4j-0.1.0-SNAPSHOT.jar examples/UdpEchoServer.java [port] [host] [maxDatagrams]
// port 0 (the default) lets the kernel pick; the first line printed names the port. With maxDatagrams > 0
// the server stops after echoing that many.
import org.usockets4j.Loop;
import org.usockets4j.UdpPacketBuffer;
import org.usockets4j.UdpSocket;

public class UdpEchoServer {
    /** What the server keeps between callbacks: datagrams waiting for the socket to drain, and a count. */
    static final class State {
        long echoed;
        long max;
    }

    public static void main(String[] args) {
        int port = args.length > 0 ? Integer.parseInt(args[0]) : 0;
        String host = args.length > 1 ? args[1] : "127.0.0.1";
        long max = args.length > 2 ? Long.parseLong(args[2]) : 0;

        try (Loop<Void> loop = Loop.create()) {
            UdpSocket<State> server = loop.createUdpSocket(host, port,
                    (socket, batch, count) -> {
                        State state = socket.ext();
                        UdpPacketBuffer pending = socket.sendBuffer();
                        if (pending.size() > 0) {
                            // Still draining an earlier batch: queue behind it (dropping what does not fit).
                            for (int i = 0; i < count && pending.size() < UdpPacketBuffer.SLOTS; i++) {
                                pending.set(pending.size(), batch, i);
                            }
                        } else {
                            // The received batch is ready to go back as it is: each slot holds its sender.
                            int sent = socket.send(batch, count);
                            for (int i = sent; i < count; i++) {
                                pending.set(i - sent, batch, i); // keep the rest until onDrain
                            }
                        }
                        state.echoed += count;
                        if (state.max > 0 && state.echoed >= state.max && pending.size() == 0) {
                            socket.close(); // nothing else keeps the loop alive: run() returns
                        }
                    },
                    socket -> {
                        UdpPacketBuffer pending = socket.sendBuffer();
                        pending.removeFirst(socket.send(pending, pending.size()));
                        State state = socket.ext();
                        if (state.max > 0 && state.echoed >= state.max && pending.size() == 0) {
                            socket.close();
                        }
                    });
            State state = new State();
            state.max = max;
            server.setExt(state);
            System.out.println("UDP echo server on " + host + " port " + server.port());
            System.out.flush();
            loop.run();
            System.out.println("echoed " + state.echoed + " datagrams");
        }
    }
}
