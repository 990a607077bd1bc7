package org.usockets4j.tls;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.InputStream;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.net.SocketTimeoutException;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import java.util.Random;
import java.util.concurrent.TimeUnit;

import javax.net.ssl.SSLEngine;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.usockets4j.SocketContextOptions;

/**
 * What is not TLS at the TLS port: garbage and handshakes cut short close that connection (onClose with the TLS
 * error code and OpenSSL's reason), and the server goes on serving the next client.
 */
@Timeout(value = 60, unit = TimeUnit.SECONDS, threadMode = Timeout.ThreadMode.SEPARATE_THREAD)
class RobustnessTest {

    @Test
    void garbageClosesThatConnectionAndTheNextClientIsServed() throws Exception {
        Pki pki = Pki.get();
        try (EchoServer server = EchoServer.start(SocketContextOptions.tls(pki.cert("server"), pki.key("server")))) {
            byte[] http = "GET / HTTP/1.1\r\nHost: localhost\r\n\r\n".getBytes(StandardCharsets.US_ASCII);
            byte[] random = new byte[16 * 1024];
            new Random(42).nextBytes(random);
            byte[] hugeRecord = {0x16, 0x03, 0x01, (byte) 0xff, (byte) 0xff, 1, 2, 3}; // a handshake record of 64 KiB - 1
            for (byte[] garbage : new byte[][] {http, random, hugeRecord}) {
                assertServerHangsUp(server.port, garbage, false);
                EchoServer.Conn c = server.nextClosed();
                assertEquals(EchoServer.TLS_ERROR, c.closeCode, c.toString());
                assertTrue(c.closeReason != null && !c.closeReason.isEmpty(), c.toString());
                assertEquals(0, c.bytes);
                assertServes(pki, server.port);
                assertEquals(0, server.nextClosed().closeCode);
            }
        }
    }

    @Test
    void aTruncatedHandshakeClosesThatConnectionAndTheNextClientIsServed() throws Exception {
        Pki pki = Pki.get();
        try (EchoServer server = EchoServer.start(SocketContextOptions.tls(pki.cert("server"), pki.key("server")))) {
            byte[] hello = clientHello(pki, server.port);
            // half a ClientHello, then FIN
            assertServerHangsUp(server.port, Arrays.copyOf(hello, hello.length / 2), true);
            EchoServer.Conn c = server.nextClosed();
            assertEquals(EchoServer.TLS_ERROR, c.closeCode, c.toString());
            assertTrue(c.closeReason.contains("closed during the TLS handshake"), c.toString());
            assertServes(pki, server.port);
            server.nextClosed();

            // half a ClientHello from a client that then stays silent: it does not hold anybody up
            try (Socket stuck = new Socket()) {
                stuck.connect(new InetSocketAddress("127.0.0.1", server.port), 10_000);
                stuck.getOutputStream().write(hello, 0, 10);
                stuck.getOutputStream().flush();
                assertServes(pki, server.port);
                assertEquals(0, server.nextClosed().closeCode);
                assertEquals(0, server.closed.size(), "the silent client's connection is still open");
            }
            EchoServer.Conn gone = server.nextClosed(); // it went away mid-handshake
            assertEquals(EchoServer.TLS_ERROR, gone.closeCode, gone.toString());

            // a whole ClientHello, then FIN before the handshake could finish
            assertServerHangsUp(server.port, hello, true);
            assertEquals(EchoServer.TLS_ERROR, server.nextClosed().closeCode);
            assertServes(pki, server.port);
        }
    }

    /** A real TLS 1.3 ClientHello record as the JDK would send it. */
    private static byte[] clientHello(Pki pki, int port) throws Exception {
        SSLEngine engine = pki.jdkContext(false).createSSLEngine("localhost", port);
        engine.setUseClientMode(true);
        engine.beginHandshake();
        ByteBuffer out = ByteBuffer.allocate(engine.getSession().getPacketBufferSize());
        engine.wrap(ByteBuffer.allocate(0), out);
        out.flip();
        byte[] hello = new byte[out.remaining()];
        out.get(hello);
        assertEquals(0x16, hello[0], "a handshake record");
        return hello;
    }

    /** Sends bytes (then FIN when finish) and expects the server to close the connection within 10 s. */
    private static void assertServerHangsUp(int port, byte[] bytes, boolean finish) throws Exception {
        try (Socket s = new Socket()) {
            s.connect(new InetSocketAddress("127.0.0.1", port), 10_000);
            s.setSoTimeout(10_000);
            s.getOutputStream().write(bytes);
            s.getOutputStream().flush();
            if (finish) {
                s.shutdownOutput();
            }
            InputStream in = s.getInputStream();
            byte[] sink = new byte[4096];
            try {
                while (in.read(sink) >= 0) {
                    // an alert may come first; then the end
                }
            } catch (SocketTimeoutException e) {
                throw new AssertionError("the server kept the connection open for 10 s after garbage", e);
            } catch (java.net.SocketException reset) {
                // a reset is a hang-up too
            }
        }
    }

    /** A JDK client gets an echo from the server. */
    private static void assertServes(Pki pki, int port) throws Exception {
        assertEquals("CN=localhost,O=usockets4j test", SniTest.subjectFor(null, port, "localhost"));
    }
}
