package org.usockets4j.tls;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;

import javax.net.ssl.SNIHostName;
import javax.net.ssl.SSLContext;
import javax.net.ssl.SSLParameters;
import javax.net.ssl.SSLSocket;

import org.junit.jupiter.api.Disabled;
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
     * certificate is served under alpha.test; asking for beta.test on a new connection it must be refused, also
     * when it offers the session of its alpha.test connection for resumption (the JDK does: its session cache is
     * keyed by address and port). Resuming would skip beta.test's client verification.
     */
    @Disabled("known C-layer bug (usockets/src/crypto/openssl.c): every SSL_CTX shares one session id context and"
            + " the SNI switch happens after session lookup, so a session of alpha.test resumes under beta.test"
            + " (TLS 1.2 and 1.3), skipping beta.test's client verification; enable once fixed")
    @ParameterizedTest
    @ValueSource(strings = {"TLSv1.2", "TLSv1.3"})
    void aSessionOfOneNameIsNotResumedUnderAnother(String protocol) throws Exception {
        Pki pki = Pki.get();
        try (EchoServer server = EchoServer.start(SocketContextOptions.tls(pki.cert("server"), pki.key("server")), c -> {
            c.addServerName("alpha.test", SocketContextOptions.tls(pki.cert("alpha"), pki.key("alpha")).caFile(pki.ca()));
            c.addServerName("beta.test", SocketContextOptions.tls(pki.cert("beta"), pki.key("beta")).caFile(pki.otherCa()));
        })) {
            SSLContext jdk = pki.jdkContext("clientA");
            assertEquals("CN=alpha.test,O=usockets4j test", handshake(jdk, server.port, "alpha.test", protocol));
            assertEquals(Pki.CLIENT_A_SUBJECT, server.nextClosed().peerSubject);
            String second;
            try {
                second = handshake(jdk, server.port, "beta.test", protocol);
            } catch (java.io.IOException refused) {
                second = "refused";
            }
            EchoServer.Conn c = server.nextClosed();
            assertEquals("refused", second, "served under beta.test by resuming alpha.test's session: " + c);
            assertEquals(0, c.bytes, c.toString());
        }
    }

    /** A JDK handshake (session kept in jdk's cache) asking for sni with one protocol; the server's subject. */
    private static String handshake(SSLContext jdk, int port, String sni, String protocol) throws Exception {
        try (SSLSocket client = (SSLSocket) jdk.getSocketFactory().createSocket()) {
            client.setEnabledProtocols(new String[] {protocol});
            SSLParameters params = client.getSSLParameters();
            params.setServerNames(List.of(new SNIHostName(sni)));
            client.setSSLParameters(params);
            client.setSoTimeout(10_000);
            client.connect(new InetSocketAddress("127.0.0.1", port), 10_000);
            byte[] message = "resume?".getBytes(StandardCharsets.UTF_8);
            client.getOutputStream().write(message);
            client.getOutputStream().flush();
            byte[] back = client.getInputStream().readNBytes(message.length);
            if (back.length < message.length) {
                throw new java.io.EOFException("closed before the echo");
            }
            return client.getSession().getPeerPrincipal().getName();
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
