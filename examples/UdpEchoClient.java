// A UDP echo client on usockets4j: sends count datagrams to host:port, keeping at most window of them in
// flight, checks that every echo comes back with the bytes it was sent with, and prints a summary.
//   java -cp target/usockets4j-0.1.0-SNAPSHOT.jar examples/UdpEchoClient.java host port [count] [window]
// Exits 0 when every datagram came back intact, 1 otherwise (lost ones are given up on after 2 s of silence).
import java.net.InetAddress;
import java.nio.ByteBuffer;
import java.util.BitSet;

import org.usockets4j.Loop;
import org.usockets4j.Timer;
import org.usockets4j.UdpPacketBuffer;
import org.usockets4j.UdpSocket;

public class UdpEchoClient {
    static int count;
    static int window;
    static byte[] serverAddress;
    static int serverPort;
    static final ByteBuffer scratch = ByteBuffer.allocate(256);
    static final BitSet echoed = new BitSet();
    static int next;      // the next sequence number to send
    static int received;  // distinct echoes that matched
    static int corrupt;   // echoes whose bytes did not match
    static long lastProgress;

    /** Datagram seq: its number, then (seq % 64) + 16 bytes derived from it. */
    static ByteBuffer datagram(int seq) {
        scratch.clear();
        scratch.putInt(seq);
        int extra = seq % 64 + 16;
        for (int k = 0; k < extra; k++) {
            scratch.put((byte) (seq * 31 + k));
        }
        return scratch.flip();
    }

    /** Fills the window: as many new datagrams as fit, in one batch. */
    static void sendMore(UdpSocket<Void> socket) {
        UdpPacketBuffer out = socket.sendBuffer();
        if (out.size() > 0) {
            return; // waiting for onDrain
        }
        int inFlight = next - received - corrupt;
        int n = 0;
        while (inFlight + n < window && next < count && n < UdpPacketBuffer.SLOTS) {
            out.set(n++, datagram(next++), serverAddress, serverPort);
        }
        out.removeFirst(socket.send(out, n));
    }

    public static void main(String[] args) throws Exception {
        serverAddress = InetAddress.getByName(args[0]).getAddress();
        serverPort = Integer.parseInt(args[1]);
        count = args.length > 2 ? Integer.parseInt(args[2]) : 10_000;
        window = args.length > 3 ? Integer.parseInt(args[3]) : 64;
        long start = System.nanoTime();
        lastProgress = start;

        try (Loop<Void> loop = Loop.create()) {
            UdpSocket<Void> client = loop.createUdpSocket(serverAddress.length == 4 ? "0.0.0.0" : "::", 0,
                    (socket, batch, n) -> {
                        for (int i = 0; i < n; i++) {
                            ByteBuffer payload = batch.payload(i);
                            int seq = payload.remaining() >= 4 ? payload.getInt(payload.position()) : -1;
                            if (seq < 0 || seq >= next || echoed.get(seq)) {
                                corrupt++;
                                continue;
                            }
                            if (payload.equals(datagram(seq))) {
                                echoed.set(seq);
                                received++;
                            } else {
                                corrupt++;
                            }
                        }
                        lastProgress = System.nanoTime();
                        if (received + corrupt >= count) {
                            socket.close();
                        } else {
                            sendMore(socket);
                        }
                    },
                    socket -> {
                        UdpPacketBuffer out = socket.sendBuffer();
                        out.removeFirst(socket.send(out, out.size()));
                        sendMore(socket);
                    });
            // Gives up once nothing came back for 2 s (datagrams can be lost).
            Timer<Void> watchdog = loop.createTimer(true);
            watchdog.set(250, 250, t -> {
                if (client.isClosed()) {
                    t.close();
                } else if (System.nanoTime() - lastProgress > 2_000_000_000L) {
                    client.close();
                    t.close();
                }
            });
            sendMore(client);
            loop.run();
        }
        double seconds = (System.nanoTime() - start) / 1e9;
        int lost = count - received - corrupt;
        System.out.printf("sent %d, echoed intact %d, corrupt %d, lost %d in %.2f s (%.0f round trips/s)%n",
                next, received, corrupt, lost, seconds, received / seconds);
        System.exit(received == count ? 0 : 1);
    }
}
