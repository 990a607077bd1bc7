package org.usockets4j.tls;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.charset.StandardCharsets;
import java.util.concurrent.TimeUnit;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.usockets4j.Socket;
import org.usockets4j.SocketContextOptions;

/**
 * Peer verification, both ways. A client with a caFile refuses a server it cannot verify (wrong CA, wrong host
 * name): the TCP connection opened, so this arrives as onClose with {@link Socket#CLOSE_CODE_TLS_ERROR} and
 * OpenSSL's reason in closeReason(), never as onConnectError (kept for connections that never opened). A server
 * with a caFile requires a client certificate from that CA (mutual TLS).
 */
@Timeout(value = 60, unit = TimeUnit.SECONDS, threadMode = Timeout.ThreadMode.SEPARATE_THREAD)
class VerificationTest {
    private static final byte[] HELLO = "hello\n".getBytes(StandardCharsets.UTF_8);

    @Test
    void aClientVerifiesTheServersChainAndHostName() throws Exception {
        Pki pki = Pki.get();
        try (EchoServer server = EchoServer.start(SocketContextOptions.tls(pki.cert("server"), pki.key("server")))) {
            // the right CA, by name and by address: served
            for (String host : new String[] {"localhost", "127.0.0.1"}) {
                TlsClient.Outcome ok = TlsClient.run(SocketContextOptions.tls().caFile(pki.ca()), host, server.port, HELLO);
                assertEquals(0, ok.closeCode, ok.toString());
                assertEquals("hello\n", ok.echoedText(), ok.toString());
                assertEquals(Pki.SERVER_SUBJECT, ok.peerSubject);
                assertEquals(host.equals("localhost") ? "localhost" : null, ok.serverName, "no SNI for an IP address");
            }

            // another CA: refused during the handshake
            TlsClient.Outcome wrongCa = TlsClient.run(SocketContextOptions.tls().caFile(pki.otherCa()), "localhost",
                    server.port, HELLO);
            assertRefused(wrongCa, "certificate verify failed");
            assertTrue(wrongCa.closeReason.contains("unable to get local issuer certificate"), wrongCa.toString());

            // no CA at all: no verification (documented), served
            TlsClient.Outcome unverified = TlsClient.run(SocketContextOptions.tls(), "localhost", server.port, HELLO);
            assertEquals("hello\n", unverified.echoedText(), unverified.toString());
        }
        // a certificate for alpha.test only: connecting to localhost or 127.0.0.1 must fail the host name check
        try (EchoServer server = EchoServer.start(SocketContextOptions.tls(pki.cert("alpha"), pki.key("alpha")))) {
            TlsClient.Outcome byName = TlsClient.run(SocketContextOptions.tls().caFile(pki.ca()), "localhost",
                    server.port, HELLO);
            assertRefused(byName, "certificate verify failed");
            assertTrue(byName.closeReason.contains("hostname mismatch"), byName.toString());
            TlsClient.Outcome byAddress = TlsClient.run(SocketContextOptions.tls().caFile(pki.ca()), "127.0.0.1",
                    server.port, HELLO);
            assertRefused(byAddress, "certificate verify failed");
            assertTrue(byAddress.closeReason.contains("IP address mismatch"), byAddress.toString());
            for (int i = 0; i < 2; i++) {
                EchoServer.Conn c = server.nextClosed();
                assertEquals(0, c.bytes, "the server echoed nothing to a client that refused it: " + c);
                assertEquals(EchoServer.TLS_ERROR, c.closeCode, c.toString());
                assertTrue(c.closeReason.contains("bad certificate"), "the client's alert reached the server: " + c);
            }
        }
    }

    @Test
    void aServerWithACaFileRequiresAClientCertificateFromThatCa() throws Exception {
        Pki pki = Pki.get();
        SocketContextOptions serverOptions = SocketContextOptions.tls(pki.cert("server"), pki.key("server"))
                .caFile(pki.ca());
        try (EchoServer server = EchoServer.start(serverOptions)) {
            // no client certificate: refused
            TlsClient.Outcome none = TlsClient.run(SocketContextOptions.tls().caFile(pki.ca()), "localhost",
                    server.port, HELLO);
            assertRefused(none, null);
            EchoServer.Conn noneOnServer = server.nextClosed();
            assertEquals(EchoServer.TLS_ERROR, noneOnServer.closeCode, noneOnServer.toString());
            assertTrue(noneOnServer.closeReason.contains("peer did not return a certificate"), noneOnServer.toString());
            assertEquals(0, noneOnServer.bytes);

            // a certificate from another CA: refused
            TlsClient.Outcome other = TlsClient.run(SocketContextOptions.tls(pki.cert("clientB"), pki.key("clientB"))
                    .caFile(pki.ca()), "localhost", server.port, HELLO);
            assertRefused(other, null);
            EchoServer.Conn otherOnServer = server.nextClosed();
            assertEquals(EchoServer.TLS_ERROR, otherOnServer.closeCode, otherOnServer.toString());
            assertTrue(otherOnServer.closeReason.contains("certificate verify failed"), otherOnServer.toString());
            assertEquals(0, otherOnServer.bytes);

            // the right one: served, and the server sees who it is
            TlsClient.Outcome right = TlsClient.run(SocketContextOptions.tls(pki.cert("clientA"), pki.key("clientA"))
                    .caFile(pki.ca()), "localhost", server.port, HELLO);
            assertEquals(0, right.closeCode, right.toString());
            assertEquals("hello\n", right.echoedText());
            assertEquals(Pki.SERVER_SUBJECT, right.peerSubject);
            EchoServer.Conn rightOnServer = server.nextClosed();
            assertEquals(Pki.CLIENT_A_SUBJECT, rightOnServer.peerSubject, rightOnServer.toString());
            assertEquals(HELLO.length, rightOnServer.bytes);
            assertEquals(0, rightOnServer.closeCode, rightOnServer.toString());
        }
    }

    /** The connection opened, nothing was echoed, and it closed with the TLS error code (reason containing why). */
    private static void assertRefused(TlsClient.Outcome o, String why) {
        assertFalse(o.timedOut, o.toString());
        assertNull(o.connectError, "a TLS refusal is not a connect error: " + o);
        assertTrue(o.opened, o.toString());
        assertEquals(0, o.echoed.size(), o.toString());
        assertEquals(Socket.CLOSE_CODE_TLS_ERROR, o.closeCode, o.toString());
        if (why != null) {
            assertTrue(o.closeReason != null && o.closeReason.contains(why), o.toString());
        }
    }
}
