package org.usockets4j.tls;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.concurrent.TimeUnit;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;
import org.usockets4j.Loop;
import org.usockets4j.Socket;
import org.usockets4j.SocketContext;
import org.usockets4j.SocketContextOptions;
import org.usockets4j.Timer;
import org.usockets4j.UsException;

/**
 * Bad TLS material fails at once, with UsException(SOCKET_CONTEXT_CREATION) whose message names the file and the
 * reason; good material with every option is accepted; and the TLS accessors of a plain socket answer null.
 */
@Timeout(value = 60, unit = TimeUnit.SECONDS, threadMode = Timeout.ThreadMode.SEPARATE_THREAD)
class BadInputTest {

    /** Creating a context from options fails with SOCKET_CONTEXT_CREATION; returns the message. */
    private static String creationFails(SocketContextOptions options) {
        try (Loop<Void> loop = Loop.create()) {
            UsException e = assertThrows(UsException.class, () -> loop.createSocketContext(options));
            assertEquals(UsException.Kind.SOCKET_CONTEXT_CREATION, e.kind(), e.toString());
            return e.getMessage();
        }
    }

    private static void assertMentions(String message, String... parts) {
        for (String part : parts) {
            assertTrue(message.contains(part), "\"" + part + "\" missing from: " + message);
        }
    }

    @Test
    void missingAndUnusableFilesAreNamed(@TempDir Path tmp) throws Exception {
        Pki pki = Pki.get();
        Path cert = pki.cert("server");
        Path key = pki.key("server");
        Path nope = tmp.resolve("nope.pem");
        assertMentions(creationFails(SocketContextOptions.tls(nope, key)), "certificate file", nope.toString(), "no such file");
        assertMentions(creationFails(SocketContextOptions.tls(cert, nope)), "private key file", nope.toString(), "no such file");
        assertMentions(creationFails(SocketContextOptions.tls(cert, key).caFile(nope)), "CA file", nope.toString(),
                "no such file");
        assertMentions(creationFails(SocketContextOptions.tls().caFile(nope)), "CA file", nope.toString());
        assertMentions(creationFails(SocketContextOptions.tls(cert, key).dhParams(nope)), "DH parameters file",
                nope.toString());
        assertMentions(creationFails(SocketContextOptions.tls(tmp, key)), tmp.toString(), "not a regular file");

        Path locked = Files.copy(key, tmp.resolve("locked.key"));
        Files.setPosixFilePermissions(locked, PosixFilePermissions.fromString("---------"));
        if (!Files.isReadable(locked)) { // root reads everything: then there is nothing to check
            assertMentions(creationFails(SocketContextOptions.tls(cert, locked)), locked.toString(), "permission denied");
        }

        // files that exist but hold the wrong thing: OpenSSL's reason, with the file's name
        Path garbage = pki.file("garbage.pem");
        assertMentions(creationFails(SocketContextOptions.tls(garbage, key)), garbage.toString(), "no start line");
        assertMentions(creationFails(SocketContextOptions.tls(cert, garbage)), garbage.toString());
        assertMentions(creationFails(SocketContextOptions.tls().caFile(garbage)), garbage.toString());
        assertMentions(creationFails(SocketContextOptions.tls(cert, key).dhParams(garbage)), garbage.toString());
        assertMentions(creationFails(SocketContextOptions.tls(cert, key).ciphers("NO-SUCH-CIPHER")), "NO-SUCH-CIPHER",
                "no cipher match");
    }

    @Test
    void passphrasesAndKeysThatDoNotMatch() throws Exception {
        Pki pki = Pki.get();
        Path cert = pki.cert("server");
        Path encrypted = pki.key("serverEncrypted");
        assertMentions(creationFails(SocketContextOptions.tls(cert, encrypted).passphrase("wrong")),
                encrypted.toString(), "wrong or missing passphrase");
        assertMentions(creationFails(SocketContextOptions.tls(cert, encrypted)), encrypted.toString(),
                "wrong or missing passphrase");
        Path stray = pki.key("stray");
        assertMentions(creationFails(SocketContextOptions.tls(cert, stray)), stray.toString(), "key values mismatch",
                "does not belong to the certificate");
        assertMentions(creationFails(SocketContextOptions.tls(pki.cert("alpha"), pki.key("beta"))), "beta.key",
                "key values mismatch");

        // the right passphrase, as a String and as a char[]
        try (Loop<Void> loop = Loop.create()) {
            SocketContext<Void> a = loop.createSocketContext(SocketContextOptions.tls(cert, encrypted).passphrase(Pki.PASSPHRASE));
            SocketContext<Void> b = loop.createSocketContext(
                    SocketContextOptions.tls(cert, encrypted).passphrase(Pki.PASSPHRASE.toCharArray()));
            assertTrue(a.isTls() && b.isTls());
        }
    }

    @Test
    void everyOptionTogetherServesAClient(@TempDir Path tmp) throws Exception {
        Pki pki = Pki.get();
        Path dh = tmp.resolve("dh.pem");
        Pki.openssl("genpkey", "-genparam", "-algorithm", "DH", "-pkeyopt", "group:ffdhe2048", "-out", dh.toString());
        SocketContextOptions options = SocketContextOptions.tls(pki.cert("server"), pki.key("serverEncrypted"))
                .passphrase(Pki.PASSPHRASE).dhParams(dh).lowMemory(true)
                .ciphers("ECDHE-ECDSA-AES128-GCM-SHA256:TLS_CHACHA20_POLY1305_SHA256");
        try (EchoServer server = EchoServer.start(options)) {
            TlsClient.Outcome o = TlsClient.run(SocketContextOptions.tls().caFile(pki.ca()).lowMemory(true), "localhost",
                    server.port, "all options\n".getBytes(StandardCharsets.UTF_8));
            assertEquals("all options\n", o.echoedText(), o.toString());
            assertEquals("TLSv1.3", o.protocol);
            assertEquals("TLS_CHACHA20_POLY1305_SHA256", o.cipher, "the server's TLS 1.3 suite list was applied");
            // TLS 1.2 only on the client: the server's TLS 1.2 cipher list applies
            TlsClient.Outcome o12 = TlsClient.run(SocketContextOptions.tls().caFile(pki.ca())
                    .ciphers("ECDHE-ECDSA-AES128-GCM-SHA256:ECDHE-ECDSA-AES256-GCM-SHA384"), "localhost", server.port,
                    "tls 1.2\n".getBytes(StandardCharsets.UTF_8));
            assertEquals("tls 1.2\n", o12.echoedText(), o12.toString());
        }
    }

    @Test
    void optionMisuseIsRefusedBeforeAnythingNative() {
        assertEquals(UsException.Kind.INVALID_ARGUMENT,
                assertThrows(UsException.class, () -> SocketContextOptions.plain().passphrase("x")).kind());
        assertEquals(UsException.Kind.INVALID_ARGUMENT,
                assertThrows(UsException.class, () -> SocketContextOptions.plain().caFile(Path.of("ca.pem"))).kind());
        assertEquals(UsException.Kind.INVALID_ARGUMENT,
                assertThrows(UsException.class, () -> SocketContextOptions.tls().ciphers(" ")).kind());
        assertEquals(UsException.Kind.INVALID_ARGUMENT,
                assertThrows(UsException.class, () -> SocketContextOptions.tls().passphrase("a\0b")).kind());
        assertThrows(NullPointerException.class, () -> SocketContextOptions.tls(null, Path.of("k")));
        assertTrue(SocketContextOptions.tls().isTls());
        assertTrue(!SocketContextOptions.plain().isTls());
    }

    @Test
    void aPlainSocketHasNoTlsDetails() {
        String[] seen = new String[5];
        try (Loop<Void> loop = Loop.create()) {
            SocketContext<Void> ctx = loop.createSocketContext(SocketContextOptions.plain());
            Timer<Void> deadline = loop.createTimer(true);
            ctx.onOpen((s, isClient, ip) -> {
                if (isClient) {
                    s.send("x".getBytes(StandardCharsets.UTF_8));
                }
            }).onData((s, data) -> {
                seen[0] = "data";
                seen[1] = s.tlsProtocol();
                seen[2] = s.tlsCipher();
                seen[3] = s.tlsServerName();
                seen[4] = s.peerSubject();
                ctx.close();
                deadline.close();
            });
            int port = ctx.listen("127.0.0.1", 0).port();
            Socket<Void> client = ctx.connect("127.0.0.1", port);
            assertNull(client.tlsProtocol(), "connecting, plain");
            deadline.set(10_000, 0, t -> ctx.close());
            loop.run();
        }
        assertEquals("data", seen[0]);
        for (int i = 1; i < seen.length; i++) {
            assertNull(seen[i]);
        }
    }
}
