// An in-memory key-value server on usockets4j with a line protocol, one command per line:
//   SET key value   ->  OK                  (value: the rest of the line, spaces included)
//   GET key         ->  VALUE value | NOT_FOUND
//   DEL key         ->  DELETED | NOT_FOUND
//   QUIT            ->  BYE, then the server closes the connection
// Anything else is answered "ERR ..." and the connection stays open. Commands are case-insensitive, keys are
// not. Several commands may arrive in one read (pipelining) and one may arrive over several reads.
// Run it against the built jar:
//   java -cp target/usockets4j-0.1.0-SNAPSHOT.jar examples/KvServer.java [port] [host]
// port defaults to 6380 (0: the kernel picks), host to 127.0.0.1 ('*': every interface).
import java.io.ByteArrayOutputStream;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.util.HashMap;
import java.util.Locale;
import java.util.Map;

import org.usockets4j.ListenSocket;
import org.usockets4j.Loop;
import org.usockets4j.Socket;
import org.usockets4j.SocketContext;
import org.usockets4j.SocketContextOptions;

public class KvServer {
    static final int MAX_LINE = 64 * 1024;

    /** A connection's ext: the line being read, and whether an overlong line is being skipped. */
    static final class Session {
        final String peer;
        final ByteArrayOutputStream line = new ByteArrayOutputStream();
        boolean skipping;
        boolean quit;

        Session(String peer) {
            this.peer = peer;
        }
    }

    // The loop thread is the only one touching the map: no locks.
    static final Map<String, String> store = new HashMap<>();

    public static void main(String[] args) {
        int port = args.length > 0 ? Integer.parseInt(args[0]) : 6380;
        String host = args.length > 1 ? args[1] : "127.0.0.1";

        try (Loop<Void> loop = Loop.create()) {
            SocketContext<Session> kv = loop.createSocketContext(SocketContextOptions.plain());
            kv.onOpen((socket, isClient, remoteIp) -> {
                Session session = new Session(describe(socket.remoteAddress()));
                socket.setExt(session);
                System.out.println("connect " + session.peer);
            }).onData((socket, data) -> {
                Session session = socket.ext();
                if (session.quit) {
                    return; // said QUIT: what it sends after that is ignored
                }
                StringBuilder replies = new StringBuilder(); // every reply to this read, sent at once
                boolean quit = false;
                while (data.hasRemaining() && !quit) {
                    byte b = data.get();
                    if (b != '\n') {
                        if (session.skipping) {
                            continue;
                        }
                        if (session.line.size() == MAX_LINE) {
                            session.skipping = true; // drop the rest of this line, answer at its end
                            session.line.reset();
                            continue;
                        }
                        session.line.write(b);
                        continue;
                    }
                    if (session.skipping) {
                        session.skipping = false;
                        replies.append("ERR line longer than ").append(MAX_LINE).append(" bytes\n");
                        continue;
                    }
                    String line = session.line.toString(StandardCharsets.UTF_8);
                    session.line.reset();
                    quit = execute(line, replies);
                }
                if (replies.length() > 0) {
                    socket.send(replies.toString().getBytes(StandardCharsets.UTF_8));
                }
                if (socket.isClosed()) {
                    return; // the write failed and closed it
                }
                if (quit) {
                    session.quit = true;
                    socket.shutdown(); // after the replies went out; the client's FIN then closes it
                } else if (socket.bufferedAmount() > socket.highWaterMark()) {
                    socket.pauseReads(); // a client that pipelines faster than it reads waits for its replies
                }
            }).onWritable(socket -> {
                if (socket.isReadPaused() && socket.bufferedAmount() <= socket.highWaterMark() / 2) {
                    socket.resumeReads();
                }
            }).onClose((socket, code) -> {
                Session session = socket.ext();
                System.out.println("disconnect " + (session == null ? "?" : session.peer) + " (" + store.size()
                        + " keys stored)");
            });

            ListenSocket listener = kv.listen("*".equals(host) ? null : host, port);
            System.out.println("KvServer listening on port " + listener.port());
            System.out.flush();
            loop.run();
        }
    }

    /** Runs one command line, appending its reply; true for QUIT. */
    static boolean execute(String line, StringBuilder reply) {
        if (line.endsWith("\r")) {
            line = line.substring(0, line.length() - 1);
        }
        String rest = line.strip();
        if (rest.isEmpty()) {
            reply.append("ERR empty command\n");
            return false;
        }
        int space = indexOfSpace(rest);
        String command = (space < 0 ? rest : rest.substring(0, space)).toUpperCase(Locale.ROOT);
        rest = space < 0 ? "" : rest.substring(space + 1).stripLeading();
        space = indexOfSpace(rest);
        String key = space < 0 ? rest : rest.substring(0, space);
        String value = space < 0 ? "" : rest.substring(space + 1).stripLeading();
        switch (command) {
            case "GET":
            case "DEL":
                if (key.isEmpty() || !value.isEmpty()) {
                    reply.append("ERR usage: ").append(command).append(" key\n");
                } else if (command.equals("GET")) {
                    String v = store.get(key);
                    reply.append(v == null ? "NOT_FOUND" : "VALUE " + v).append('\n');
                } else {
                    reply.append(store.remove(key) == null ? "NOT_FOUND" : "DELETED").append('\n');
                }
                return false;
            case "SET":
                if (key.isEmpty() || value.isEmpty()) {
                    reply.append("ERR usage: SET key value\n");
                } else {
                    store.put(key, value);
                    reply.append("OK\n");
                }
                return false;
            case "QUIT":
                reply.append("BYE\n");
                return true;
            default:
                reply.append("ERR unknown command '").append(command).append("' (GET, SET, DEL, QUIT)\n");
                return false;
        }
    }

    static int indexOfSpace(String s) {
        for (int i = 0; i < s.length(); i++) {
            if (Character.isWhitespace(s.charAt(i))) {
                return i;
            }
        }
        return -1;
    }

    static String describe(InetSocketAddress address) {
        return address == null ? "?" : address.getAddress().getHostAddress() + ":" + address.getPort();
    }
}
