package org.usockets4j.tcp;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStream;
import java.io.InputStreamReader;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.net.SocketTimeoutException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * Out of descriptors (EMFILE) the server keeps running: a child JVM runs {@link EmfileServer} under
 * {@code ulimit -n 128}; 300 connections exhaust its descriptors (the rest wait in the kernel's backlog); once
 * they are closed it accepts again, and a fresh client gets its echo.
 */
@Timeout(value = 60, unit = TimeUnit.SECONDS, threadMode = Timeout.ThreadMode.SEPARATE_THREAD)
class EmfileTest {
    private static final int CONNECTIONS = 300;

    @Test
    void serverSurvivesDescriptorExhaustion() throws Exception {
        String java = Path.of(System.getProperty("java.home"), "bin", "java").toString();
        String command = "ulimit -n 128 && exec '" + java + "' -Xshare:off -cp '" + System.getProperty("java.class.path")
                + "' " + EmfileServer.class.getName();
        Process child = new ProcessBuilder("sh", "-c", command).redirectErrorStream(true).start();
        try {
            BufferedReader out = new BufferedReader(new InputStreamReader(child.getInputStream(), StandardCharsets.UTF_8));
            String first = out.readLine();
            assertNotNull(first, "the child printed nothing");
            assertTrue(first.startsWith("port "), first);
            int port = Integer.parseInt(first.substring(5).trim());

            assertEquals("warm", echo(port, "warm")); // every path of the server ran once before the squeeze
            List<Socket> held = new ArrayList<>();
            for (int i = 0; i < CONNECTIONS; i++) {
                Socket s = new Socket();
                s.connect(new InetSocketAddress("127.0.0.1", port), 10_000);
                held.add(s);
            }
            // the first ones were accepted (they echo); the descriptor limit stops the rest in the backlog
            assertEquals("held", echo(held.get(0), "held"));
            Socket last = held.remove(held.size() - 1);
            last.getOutputStream().write("late".getBytes(StandardCharsets.US_ASCII));
            last.setSoTimeout(500);
            assertThrows(SocketTimeoutException.class, () -> last.getInputStream().read(),
                    "the last connection should wait in the backlog, not be served");
            for (Socket s : held) {
                s.close();
            }
            // descriptors are free again: the waiting connection is accepted and served, and a new one too
            last.setSoTimeout(20_000);
            assertEquals("late", new String(last.getInputStream().readNBytes(4), StandardCharsets.US_ASCII));
            last.close();
            assertEquals("after", echo(port, "after"));
            try (Socket quit = connect(port)) {
                quit.getOutputStream().write("QUIT".getBytes(StandardCharsets.US_ASCII));
                quit.getOutputStream().flush();
                assertTrue(child.waitFor(20, TimeUnit.SECONDS), "the child did not exit");
            }
            assertEquals(0, child.exitValue());
        } finally {
            child.destroyForcibly();
        }
    }

    private static Socket connect(int port) throws IOException {
        Socket s = new Socket();
        s.connect(new InetSocketAddress("127.0.0.1", port), 10_000);
        s.setSoTimeout(20_000);
        return s;
    }

    private static String echo(int port, String text) throws IOException {
        try (Socket s = connect(port)) {
            return echo(s, text);
        }
    }

    private static String echo(Socket s, String text) throws IOException {
        s.setSoTimeout(20_000);
        byte[] b = text.getBytes(StandardCharsets.UTF_8);
        s.getOutputStream().write(b);
        s.getOutputStream().flush();
        InputStream in = s.getInputStream();
        byte[] got = in.readNBytes(b.length);
        return new String(got, StandardCharsets.UTF_8);
    }
}
