// A line-based chat server on usockets4j: every line a client sends goes to every other client, as
// "guest N: text". At most maxClients at a time; one more is told "server full" and closed once that
// message went out. Run it against the built jar:
//   java -cp target/usockets4j-0.1.0-SNAPSHOT.jar examples/ChatServer.java [port] [maxClients] [host]
// port defaults to 8080 (0: the kernel picks), maxClients to 100, host to 127.0.0.1 ('*': every interface).
// Try it from two terminals: nc 127.0.0.1 8080
import java.io.ByteArrayOutputStream;
import java.net.InetSocketAddress;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Set;

import org.usockets4j.ListenSocket;
import org.usockets4j.Loop;
import org.usockets4j.Socket;
import org.usockets4j.SocketContext;
import org.usockets4j.SocketContextOptions;

public class ChatServer {
    static final int MAX_LINE = 4096;          // a longer line ends the connection
    static final int REFUSED_GRACE_SECONDS = 8; // a refused client that never closes its side is closed then

    /** A client's ext: its name and the start of a line that has not ended yet. */
    static final class Client {
        final int number;
        final String name;
        final boolean refused;
        final ByteArrayOutputStream partial = new ByteArrayOutputStream();

        Client(int number, boolean refused) {
            this.number = number;
            this.name = "guest " + number;
            this.refused = refused;
        }
    }

    static final Set<Socket<Client>> members = new LinkedHashSet<>(); // in the order they joined
    static int joined;
    static int maxClients;

    public static void main(String[] args) {
        int port = args.length > 0 ? Integer.parseInt(args[0]) : 8080;
        maxClients = args.length > 1 ? Integer.parseInt(args[1]) : 100;
        String host = args.length > 2 ? args[2] : "127.0.0.1";

        try (Loop<Void> loop = Loop.create()) {
            SocketContext<Client> chat = loop.createSocketContext(
                    SocketContextOptions.plain().withHighWaterMark(256 * 1024));
            chat.onOpen((socket, isClient, remoteIp) -> {
                String peer = describe(socket.remoteAddress());
                if (members.size() >= maxClients) {
                    socket.setExt(new Client(0, true));
                    System.out.println("refused " + peer + ": server full (" + members.size() + " clients)");
                    // send() then shutdown(): the FIN follows the message, so the client reads the whole
                    // message and then end-of-stream. close() now could drop it. The connection closes once
                    // the client closes its side; the timeout covers a client that never does.
                    socket.send(text("server full (" + maxClients + " clients), try again later\n"));
                    socket.shutdown();
                    socket.timeout(REFUSED_GRACE_SECONDS);
                    return;
                }
                Client client = new Client(++joined, false);
                socket.setExt(client);
                broadcast(socket, text("* " + client.name + " joined\n"));
                members.add(socket);
                System.out.println("join " + client.name + " from " + peer + " (" + members.size() + " online)");
                socket.send(text("welcome, you are " + client.name + " (" + members.size() + " online)\n"));
            }).onData((socket, data) -> {
                Client client = socket.ext();
                if (client.refused) {
                    return; // whatever a refused client says is ignored
                }
                // One read may hold part of a line, one line, or several: collect bytes up to each '\n'.
                while (data.hasRemaining() && !socket.isClosed()) {
                    byte b = data.get();
                    if (b == '\n') {
                        lineFrom(socket, client);
                    } else if (client.partial.size() < MAX_LINE) {
                        client.partial.write(b);
                    } else {
                        System.out.println(client.name + " sent a line longer than " + MAX_LINE + " bytes: closing");
                        socket.close();
                    }
                }
            }).onEnd(socket -> {
                // The client half-closed: it has left. It gets no more messages (send() after shutdown()
                // would throw), and our FIN follows whatever it has not been sent yet.
                leave(socket);
                socket.shutdown();
            }).onTimeout(socket -> socket.close())
              .onClose((socket, code) -> leave(socket));

            ListenSocket listener = chat.listen("*".equals(host) ? null : host, port);
            System.out.println("ChatServer listening on port " + listener.port() + ", at most " + maxClients
                    + " clients");
            System.out.flush();
            loop.run();
        }
    }

    /** Takes socket out of the chat (once) and tells the others. */
    static void leave(Socket<Client> socket) {
        Client client = socket.ext();
        if (client == null || !members.remove(socket)) {
            return; // refused, or gone already
        }
        System.out.println("leave " + client.name + " (" + members.size() + " online)");
        broadcast(socket, text("* " + client.name + " left\n"));
    }

    /** A complete line from client: goes to everyone else as "name: line". */
    static void lineFrom(Socket<Client> socket, Client client) {
        String line = client.partial.toString(StandardCharsets.UTF_8);
        client.partial.reset();
        if (line.endsWith("\r")) {
            line = line.substring(0, line.length() - 1); // telnet and friends end lines with \r\n
        }
        if (line.isEmpty()) {
            return;
        }
        System.out.println("message from " + client.name + " (" + line.length() + " chars)");
        broadcast(socket, text(client.name + ": " + line + "\n"));
    }

    /** Sends message to every member but from; a member that cannot keep up is disconnected. */
    static void broadcast(Socket<Client> from, ByteBuffer message) {
        List<Socket<Client>> slow = null;
        for (Socket<Client> member : members) {
            if (member == from) {
                continue;
            }
            // send() never drops data; false means this member's backlog is above the high-water mark:
            // a reader that slow would make the server hold ever more memory for it.
            if (!member.send(message.duplicate())) {
                if (slow == null) {
                    slow = new ArrayList<>();
                }
                slow.add(member);
            }
        }
        if (slow != null) {
            for (Socket<Client> member : slow) { // closed after the loop: onClose changes members
                if (!member.isClosed()) { // send() also says false when its write closed the socket
                    System.out.println(member.ext().name + " reads too slowly: closing");
                    member.close();
                }
            }
        }
    }

    static ByteBuffer text(String s) {
        return ByteBuffer.wrap(s.getBytes(StandardCharsets.UTF_8));
    }

    static String describe(InetSocketAddress address) {
        return address == null ? "?" : address.getAddress().getHostAddress() + ":" + address.getPort();
    }
}
