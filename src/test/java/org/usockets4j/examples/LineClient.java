package org.usockets4j.examples;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.net.SocketTimeoutException;
import java.nio.charset.StandardCharsets;

/** A plain blocking java.net.Socket client that speaks lines, every read bounded (10 s). */
final class LineClient implements AutoCloseable {
    static final int READ_TIMEOUT_MS = 10_000;

    final Socket socket;
    private final BufferedReader in;
    private final OutputStream out;

    LineClient(int port) throws IOException {
        socket = new Socket();
        socket.setTcpNoDelay(true); // each write goes out as written: the server sees the pieces we send
        socket.connect(new InetSocketAddress("127.0.0.1", port), READ_TIMEOUT_MS);
        socket.setSoTimeout(READ_TIMEOUT_MS);
        in = new BufferedReader(new InputStreamReader(socket.getInputStream(), StandardCharsets.UTF_8));
        out = socket.getOutputStream();
    }

    /** Writes text as it is (add the '\n' yourself). */
    LineClient send(String text) throws IOException {
        out.write(text.getBytes(StandardCharsets.UTF_8));
        out.flush();
        return this;
    }

    /** The next line; AssertionError on end-of-stream or after 10 s without one. */
    String readLine() throws IOException {
        String line;
        try {
            line = in.readLine();
        } catch (SocketTimeoutException e) {
            throw new AssertionError("no line within " + READ_TIMEOUT_MS + " ms", e);
        }
        if (line == null) {
            throw new AssertionError("end of stream where a line was expected");
        }
        return line;
    }

    /** The next line, or null at end-of-stream (bounded as readLine). */
    String readLineOrEnd() throws IOException {
        try {
            return in.readLine();
        } catch (SocketTimeoutException e) {
            throw new AssertionError("neither a line nor end of stream within " + READ_TIMEOUT_MS + " ms", e);
        }
    }

    int localPort() {
        return socket.getLocalPort();
    }

    @Override
    public void close() throws IOException {
        socket.close();
    }
}
