package org.usockets4j.tls;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;

import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;

import javax.net.ssl.SNIHostName;
import javax.net.ssl.SSLParameters;
import javax.net.ssl.SSLServerSocket;
import javax.net.ssl.SSLSocket;

import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;
import org.usockets4j.Loop;
import org.usockets4j.Socket;
import org.usockets4j.SocketContext;
import org.usockets4j.SocketContextOptions;
import org.usockets4j.Timer;

/** The JDK's TLS on the other side: SSLSocket as a client of the usockets4j server, SSLServerSocket as its server. */
@Timeout(value = 60, unit = TimeUnit.SECONDS, threadMode = Timeout.ThreadMode.SEPARATE_THREAD)
class JdkInteropTest {

    @ParameterizedTest
    @ValueSource(strings = {"TLSv1.3", "TLSv1.2"})
    void jdkSslSocketIsServedByTheUsockets4jServer(String protocol) throws Exception {
        Pki pki = Pki.get();
        try (EchoServer server = EchoServer.start(SocketContextOptions.tls(pki.cert("server"), pki.key("server")))) {
            try (SSLSocket client = (SSLSocket) pki.jdkContext(false).getSocketFactory().createSocket()) {
                client.setEnabledProtocols(new String[] {protocol});
                SSLParameters params = client.getSSLParameters();
                params.setEndpointIdentificationAlgorithm("HTTPS"); // the JDK checks the name too
                params.setServerNames(List.of(new SNIHostName("localhost")));
                client.setSSLParameters(params);
                client.setSoTimeout(10_000);
                client.connect(new InetSocketAddress("127.0.0.1", server.port), 10_000);
                byte[] message = ("hello over " + protocol).getBytes(StandardCharsets.UTF_8);
                client.getOutputStream().write(message);
                client.getOutputStream().flush();
                assertArrayEquals(message, client.getInputStream().readNBytes(message.length));
                assertEquals(protocol, client.getSession().getProtocol());
                assertEquals(Pki.SERVER_SUBJECT, client.getSession().getPeerPrincipal().getName());
            }
            EchoServer.Conn c = server.nextClosed();
            assertEquals(protocol, c.protocol);
            assertNotNull(c.cipher);
            assertEquals("localhost", c.serverName);
            assertEquals(null, c.peerSubject, "no client certificate was asked for");
            assertEquals(0, c.closeCode, c.toString());
        }
    }

    @ParameterizedTest
    @ValueSource(strings = {"TLSv1.3", "TLSv1.2"})
    void usockets4jClientVerifiesAndTalksToAJdkSslServerSocket(String protocol) throws Exception {
        Pki pki = Pki.get();
        try (SSLServerSocket listener = (SSLServerSocket) pki.jdkContext(true).getServerSocketFactory()
                .createServerSocket(0, 50, java.net.InetAddress.getByName("127.0.0.1"))) {
            listener.setEnabledProtocols(new String[] {protocol});
            int port = listener.getLocalPort();
            CompletableFuture<String> serverSide = CompletableFuture.supplyAsync(() -> {
                try (SSLSocket s = (SSLSocket) listener.accept()) {
                    s.setSoTimeout(10_000);
                    InputStream in = s.getInputStream();
                    OutputStream out = s.getOutputStream();
                    byte[] buf = new byte[4096];
                    long total = 0;
                    for (int n; (n = in.read(buf)) > 0;) { // echo until the client's close_notify
                        out.write(buf, 0, n);
                        out.flush();
                        total += n;
                    }
                    return s.getSession().getProtocol() + " " + total;
                } catch (Exception e) {
                    return "failed: " + e;
                }
            });

            byte[] message = new byte[100_000];
            for (int i = 0; i < message.length; i++) {
                message[i] = (byte) (i * 31 + 7);
            }
            ByteBuffer echoed = ByteBuffer.allocate(message.length);
            String[] seen = new String[4];
            int[] closeCode = {Integer.MIN_VALUE};
            String[] closeReason = new String[1];
            try (Loop<Void> loop = Loop.create()) {
                SocketContext<Void> client = loop.createSocketContext(SocketContextOptions.tls().caFile(pki.ca()));
                Timer<Void> deadline = loop.createTimer(true);
                client.onOpen((s, isClient, ip) -> s.send(message))
                      .onData((s, data) -> {
                          if (seen[0] == null) {
                              seen[0] = s.tlsProtocol();
                              seen[1] = s.tlsCipher();
                              seen[2] = s.tlsServerName();
                              seen[3] = s.peerSubject();
                          }
                          echoed.put(data);
                          if (!echoed.hasRemaining()) {
                              s.shutdown();
                          }
                      })
                      .onClose((s, code) -> {
                          closeCode[0] = code;
                          closeReason[0] = s.closeReason();
                          deadline.close();
                      });
                Socket<Void> s = client.connect("localhost", port);
                assertNotNull(s);
                deadline.set(20_000, 0, t -> client.close());
                loop.run();
            }
            assertEquals(0, closeCode[0], "close reason: " + closeReason[0]);
            assertArrayEquals(message, echoed.array());
            assertEquals(protocol, seen[0]);
            assertNotNull(seen[1]);
            assertEquals("localhost", seen[2]);
            assertEquals(Pki.SERVER_SUBJECT, seen[3]);
            assertEquals(protocol + " " + message.length, serverSide.get(10, TimeUnit.SECONDS));
        }
    }
}
