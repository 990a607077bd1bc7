// A TCP client on usockets4j: connects with a connect timeout, sends a line on open, prints each reply line
// and exits once it got the replies it waited for. Run it against an echo server (examples/EchoServer.java):
//   java -cp target/usockets4j-0.1.0-SNAPSHOT.jar examples/EchoClient.java host port message [count] [timeoutSeconds]
// It sends "message\n" count times (default 1), the next one after the reply to the one before; a reply is
// a line that ends with the message (an EchoServer reply is "[Conn N] message"). timeoutSeconds (default 30)
// bounds the connect and then the wait for each reply. Exit code 0: every reply arrived; 1: the connect
// failed or timed out; 2: the server went away or went silent before the last reply.
import java.io.ByteArrayOutputStream;
import java.nio.charset.StandardCharsets;

import org.usockets4j.Loop;
import org.usockets4j.Socket;
import org.usockets4j.SocketContext;
import org.usockets4j.SocketContextOptions;
import org.usockets4j.Timer;
import org.usockets4j.UsException;

public class EchoClient {
    static String message;
    static byte[] request;
    static int count;
    static int timeoutSeconds;
    static String target;

    static final ByteArrayOutputStream line = new ByteArrayOutputStream(); // a reply line being assembled
    static int replies;
    static int exitCode = 2;
    static Timer<Void> timer; // the connect timeout first, then the reply timeout

    public static void main(String[] args) {
        if (args.length < 3) {
            System.err.println("usage: EchoClient host port message [count] [timeoutSeconds]");
            System.exit(64);
        }
        String host = args[0];
        int port = Integer.parseInt(args[1]);
        message = args[2];
        request = (message + "\n").getBytes(StandardCharsets.UTF_8);
        count = args.length > 3 ? Integer.parseInt(args[3]) : 1;
        timeoutSeconds = args.length > 4 ? Integer.parseInt(args[4]) : 30;
        target = host + ":" + port;

        try (Loop<Void> loop = Loop.create()) {
            SocketContext<Void> client = loop.createSocketContext(SocketContextOptions.plain());
            client.onOpen((socket, isClient, remoteIp) -> {
                System.out.println("connected to " + target + " from local port " + socket.localPort());
                socket.send(request);
                armTimer(socket, "no reply"); // from now on the timer bounds the wait for each reply
            }).onData((socket, data) -> {
                while (data.hasRemaining()) {
                    byte b = data.get();
                    if (b != '\n') {
                        line.write(b);
                        continue;
                    }
                    String reply = line.toString(StandardCharsets.UTF_8);
                    line.reset();
                    if (!reply.endsWith(message)) {
                        System.out.println("other: " + reply); // not the echo of our message: keep waiting
                        continue;
                    }
                    replies++;
                    System.out.println("reply " + replies + ": " + reply);
                    if (replies == count) {
                        exitCode = 0;
                        timer.close();
                        socket.close(); // nothing keeps the loop alive any more: run() returns
                        return;
                    }
                    socket.send(request);
                    armTimer(socket, "no reply");
                }
            }).onConnectError((socket, code) -> {
                // The socket is already closed; no onClose follows.
                System.out.println("connect to " + target + " failed: " + connectError(code));
                exitCode = 1;
                timer.close();
            }).onClose((socket, code) -> {
                if (exitCode != 0 && !timer.isClosed()) {
                    System.out.println("the server closed the connection after " + replies + " of " + count
                            + " replies");
                    timer.close();
                }
            });

            // The C API has no connect timeout: a timer closes the socket if onOpen has not come in time.
            Socket<Void> socket;
            try {
                socket = client.connect(host, port);
            } catch (UsException e) { // refused at once: a bad host string, no descriptors left, ...
                System.out.println("connect to " + target + " failed: " + e.getMessage());
                System.exit(1);
                return;
            }
            timer = loop.createTimer();
            armTimer(socket, "connect timed out");
            loop.run();
        }
        System.out.println(exitCode == 0 ? "done: " + replies + " replies" : "failed (exit " + exitCode + ")");
        System.exit(exitCode);
    }

    /** (Re)starts the timer: after timeoutSeconds it reports what and closes the socket. */
    static void armTimer(Socket<Void> socket, String what) {
        timer.set(timeoutSeconds * 1000, 0, t -> {
            boolean connecting = !socket.isEstablished();
            System.out.println(what + " after " + timeoutSeconds + " s (" + target + ")");
            exitCode = connecting ? 1 : 2;
            t.close();      // first, so onClose knows this close was ours
            socket.close(); // a connecting socket is abandoned; an open one is closed
        });
    }

    /** A connect error code in words: a positive errno, or a negative code when the name did not resolve. */
    static String connectError(int code) {
        switch (code) {
            case 111: return "connection refused";
            case 110: return "timed out";
            case 113: return "no route to host";
            case 101: return "network unreachable";
            default: return code < 0 ? "host name not resolved (" + code + ")" : "errno " + code;
        }
    }
}
