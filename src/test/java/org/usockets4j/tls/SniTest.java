package org.usockets4j.tls;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;

import javax.net.ssl.SNIHostName;
import javax.net.ssl.SSLContext;
import javax.net.ssl.SSLParameters;
import javax.net.ssl.SSLSocket;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;
import org.usockets4j.SocketContextOptions;
import org.usockets4j.UsException;

/**
 * SNI: one server, several names, each with its own certificate. JDK clients ask for a name (the SNI extension)
 * while connecting to 127.0.0.1, and report the certificate they were shown; the server reports the name it got.
 */
@Timeout(value = 60, unit = TimeUnit.SECONDS, threadMode = Timeout.ThreadMode.SEPARATE_THREAD)
class SniTest {
    private static final String DEFAULT = Pki.SERVER_SUBJECT;

    @Test
    void eachNameGetsItsOwnCertificate() throws Exception {
        Pki pki = Pki.get();
        List<String> asked = new CopyOnWriteArrayList<>();
        try (EchoServer server = EchoServer.start(SocketContextOptions.tls(pki.cert("server"), pki.key("server")), c -> {
            c.addServerName("alpha.test", SocketContextOptions.tls(pki.cert("alpha"), pki.key("alpha")));
            c.addServerName("beta.test", SocketContextOptions.tls(pki.cert("beta"), pki.key("beta")));
            c.addServerName("*.example.test", SocketContextOptions.tls(pki.cert("wildcard"), pki.key("wildcard")));
            c.onServerName((context, hostname) -> {
                asked.add(hostname);
                if (hostname.equals("late.test")) { // an unknown name added just in time
                    context.addServerName(hostname, SocketContextOptions.tls(pki.cert("late"), pki.key("late")));
                }
            });
        })) {
            SSLContext jdk = pki.jdkContext(false);
            assertEquals("CN=alpha.test,O=usockets4j test", subjectFor(jdk, server.port, "alpha.test"));
            assertEquals("alpha.test", server.nextClosed().serverName);
            assertEquals("CN=beta.test,O=usockets4j test", subjectFor(jdk, server.port, "beta.test"));
            assertEquals("beta.test", server.nextClosed().serverName);
            assertEquals("CN=*.example.test,O=usockets4j test", subjectFor(jdk, server.port, "www.example.test"));
            assertEquals("www.example.test", server.nextClosed().serverName);
            assertEquals("CN=*.example.test,O=usockets4j test", subjectFor(jdk, server.port, "API.Example.Test"));
            server.nextClosed();
            // a wildcard stands for one label exactly
            assertEquals(DEFAULT, subjectFor(jdk, server.port, "a.b.example.test"));
            server.nextClosed();
            assertEquals(DEFAULT, subjectFor(jdk, server.port, "example.test"));
            server.nextClosed();
            // no SNI at all: the context's own certificate
            assertEquals(DEFAULT, subjectFor(jdk, server.port, null));
            assertEquals(null, server.nextClosed().serverName);
            assertEquals(List.of("a.b.example.test", "example.test"), asked, "onServerName sees only unknown names");

            // an unknown name that onServerName adds before the handshake goes on; the second time it is known
            asked.clear();
            assertEquals("CN=late.test,O=usockets4j test", subjectFor(jdk, server.port, "late.test"));
            server.nextClosed();
            assertEquals("CN=late.test,O=usockets4j test", subjectFor(jdk, server.port, "late.test"));
            server.nextClosed();
            assertEquals(List.of("late.test"), asked);
            // an unknown name the handler leaves alone: the default certificate
            assertEquals(DEFAULT, subjectFor(jdk, server.port, "nobody.test"));
            server.nextClosed();

            // removing a name: back to the default certificate
            assertTrue(has(server, "beta.test"));
            server.loop.call(l -> server.context.removeServerName("beta.test"));
            assertFalse(has(server, "beta.test"));
            assertTrue(has(server, "*.example.test"));
            assertEquals(DEFAULT, subjectFor(jdk, server.port, "beta.test"));
            server.nextClosed();
            assertEquals("CN=alpha.test,O=usockets4j test", subjectFor(jdk, server.port, "alpha.test"));
            server.nextClosed();
        }
    }

    @Test
    void serverNamesCheckTheirArgumentsAndMaterial() throws Exception {
        Pki pki = Pki.get();
        try (EchoServer server = EchoServer.start(SocketContextOptions.tls(pki.cert("server"), pki.key("server")))) {
            UsException missing = server.loop.call(l -> assertThrows(UsException.class, () -> server.context
                    .addServerName("x.test", SocketContextOptions.tls(pki.file("nope.pem"), pki.key("alpha")))));
            assertEquals(UsException.Kind.SOCKET_CONTEXT_CREATION, missing.kind());
            assertTrue(missing.getMessage().contains("nope.pem") && missing.getMessage().contains("no such file"),
                    missing.getMessage());
            UsException mismatch = server.loop.call(l -> assertThrows(UsException.class, () -> server.context
                    .addServerName("x.test", SocketContextOptions.tls(pki.cert("alpha"), pki.key("beta")))));
            assertEquals(UsException.Kind.SOCKET_CONTEXT_CREATION, mismatch.kind());
            assertTrue(mismatch.getMessage().contains("beta.key") && mismatch.getMessage().contains("key values mismatch"),
                    mismatch.getMessage());
            assertFalse(has(server, "x.test"), "nothing was added");
            UsException noCert = server.loop.call(l -> assertThrows(UsException.class,
                    () -> server.context.addServerName("x.test", SocketContextOptions.tls())));
            assertEquals(UsException.Kind.INVALID_ARGUMENT, noCert.kind());
            UsException empty = server.loop.call(l -> assertThrows(UsException.class, () -> server.context
                    .addServerName("", SocketContextOptions.tls(pki.cert("alpha"), pki.key("alpha")))));
            assertEquals(UsException.Kind.INVALID_ARGUMENT, empty.kind());
        }
        // closing the context from inside onServerName is refused (OpenSSL is mid-handshake); the client is served
        List<UsException> refused = new CopyOnWriteArrayList<>();
        try (EchoServer server = EchoServer.start(SocketContextOptions.tls(pki.cert("server"), pki.key("server")),
                c -> c.onServerName((context, hostname) -> {
                    try {
                        context.close();
                    } catch (UsException e) {
                        refused.add(e);
                    }
                }))) {
            assertEquals(DEFAULT, subjectFor(null, server.port, "closing.test"));
            assertEquals(1, refused.size());
            assertEquals(UsException.Kind.INVALID_ARGUMENT, refused.get(0).kind());
            Boolean closed = server.loop.call(l -> server.context.isClosed());
            assertFalse(closed);
        }
        // plain contexts have no server names
        try (org.usockets4j.Loop<Void> loop = org.usockets4j.Loop.create()) {
            org.usockets4j.SocketContext<Void> plain = loop.createSocketContext(SocketContextOptions.plain());
            assertEquals(UsException.Kind.INVALID_ARGUMENT, assertThrows(UsException.class,
                    () -> plain.onServerName((c, h) -> { })).kind());
            assertEquals(UsException.Kind.INVALID_ARGUMENT, assertThrows(UsException.class, () -> plain
                    .addServerName("a.test", SocketContextOptions.tls(pki.cert("alpha"), pki.key("alpha")))).kind());
        }
    }

    /**
     * Each name verifies clients against its own CA (alpha.test: CA A, beta.test: CA B). A client holding a CA A
     * certificate is served under alpha.test and may resume that session under alpha.test; offering the same
     * session while asking for beta.test must get a full handshake, which beta.test's client check refuses.
     * Resuming there would skip that check. {@code openssl s_client -sess_in} is the client: unlike the JDK, which
     * sends the resumed session's own server name, it asks for the name it is given.
     */
    @ParameterizedTest
    @ValueSource(strings = {"-tls1_2", "-tls1_3"})
    void aSessionOfOneNameIsNotResumedUnderAnother(String protocol) throws Exception {
        Pki pki = Pki.get();
        try (EchoServer server = EchoServer.start(SocketContextOptions.tls(pki.cert("server"), pki.key("server")), c -> {
            c.addServerName("alpha.test", SocketContextOptions.tls(pki.cert("alpha"), pki.key("alpha")).caFile(pki.ca()));
            c.addServerName("beta.test", SocketContextOptions.tls(pki.cert("beta"), pki.key("beta")).caFile(pki.otherCa()));
        })) {
            Path session = pki.file("alpha-session" + protocol + ".pem");
            String first = sClient(server.port, protocol, "alpha.test", pki, "-sess_out", session.toString());
            assertTrue(first.contains("ECHO-OK") && first.contains("New,"), first);
            assertEquals(Pki.CLIENT_A_SUBJECT, server.nextClosed().peerSubject);

            // the control: the session does resume under its own name, so "Reused" is what resumption looks like
            String again = sClient(server.port, protocol, "alpha.test", pki, "-sess_in", session.toString());
            assertTrue(again.contains("ECHO-OK") && again.contains("Reused,"), again);
            server.nextClosed();

            String other = sClient(server.port, protocol, "beta.test", pki, "-sess_in", session.toString());
            assertFalse(other.contains("Reused,"), "alpha.test's session resumed under beta.test:\n" + other);
            assertFalse(other.contains("ECHO-OK"), "a CA A client was served under beta.test:\n" + other);
            EchoServer.Conn c = server.nextClosed();
            assertEquals(0, c.bytes, c.toString());
            assertEquals(EchoServer.TLS_ERROR, c.closeCode, c.toString());
        }
    }

    /**
     * Runs {@code openssl s_client} as client A asking for sni, sends one line and waits (bounded) for its echo,
     * which also makes sure a TLS 1.3 session ticket has arrived before the session is written out. Returns
     * everything s_client printed, plus "ECHO-OK" when the echo came back.
     */
    private static String sClient(int port, String protocol, String sni, Pki pki, String... extra) throws Exception {
        List<String> command = new ArrayList<>(List.of("openssl", "s_client", "-connect", "127.0.0.1:" + port,
                protocol, "-servername", sni, "-cert", pki.cert("clientA").toString(), "-key",
                pki.key("clientA").toString(), "-CAfile", pki.ca().toString()));
        command.addAll(List.of(extra));
        Process p = new ProcessBuilder(command).redirectErrorStream(true).start();
        StringBuilder out = new StringBuilder();
        CountDownLatch echoed = new CountDownLatch(1);
        Thread reader = new Thread(() -> {
            try (BufferedReader in = new BufferedReader(new InputStreamReader(p.getInputStream(), StandardCharsets.UTF_8))) {
                for (String line; (line = in.readLine()) != null;) {
                    synchronized (out) {
                        out.append(line).append('\n');
                    }
                    if (line.contains("resume-probe")) { // s_client may interleave it with its own output
                        echoed.countDown();
                    }
                }
            } catch (IOException ignored) {
                // the process is gone
            }
        });
        reader.setDaemon(true);
        reader.start();
        try {
            p.getOutputStream().write("resume-probe\n".getBytes(StandardCharsets.UTF_8));
            p.getOutputStream().flush();
            boolean ok = echoed.await(10, TimeUnit.SECONDS);
            p.getOutputStream().close();
            assertTrue(p.waitFor(10, TimeUnit.SECONDS), "s_client did not end within 10 s");
            reader.join(5_000);
            synchronized (out) {
                return out + (ok ? "ECHO-OK\n" : "");
            }
        } catch (IOException refusedEarly) { // s_client exited (refused) before reading its input
            assertTrue(p.waitFor(10, TimeUnit.SECONDS), "s_client did not end within 10 s");
            reader.join(5_000);
            synchronized (out) {
                return out.toString();
            }
        } finally {
            p.destroyForcibly();
        }
    }

    static boolean has(EchoServer server, String pattern) throws Exception {
        Boolean b = server.loop.call(l -> server.context.hasServerName(pattern));
        return b;
    }

    /**
     * Connects a JDK client asking for sni (null: none), checks an echo, and returns the server's subject. The
     * session is invalidated afterwards: the JDK would otherwise resume it on the next connection (its cache is
     * keyed by address and port, not by name) and report the certificate of that earlier handshake.
     */
    static String subjectFor(SSLContext jdk, int port, String sni) throws Exception {
        if (jdk == null) {
            jdk = Pki.get().jdkContext(false);
        }
        try (SSLSocket client = (SSLSocket) jdk.getSocketFactory().createSocket()) {
            SSLParameters params = client.getSSLParameters();
            params.setServerNames(sni == null ? List.of() : List.of(new SNIHostName(sni)));
            client.setSSLParameters(params);
            client.setSoTimeout(10_000);
            client.connect(new InetSocketAddress("127.0.0.1", port), 10_000);
            byte[] message = ("sni " + sni).getBytes(StandardCharsets.UTF_8);
            client.getOutputStream().write(message);
            client.getOutputStream().flush();
            assertArrayEquals(message, client.getInputStream().readNBytes(message.length));
            String subject = client.getSession().getPeerPrincipal().getName();
            client.getSession().invalidate();
            return subject;
        }
    }
}
