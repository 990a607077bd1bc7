package org.usockets4j.reliability;

import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.KeyStore;
import java.security.cert.CertificateFactory;
import java.security.cert.X509Certificate;
import java.util.Comparator;
import java.util.stream.Stream;

import javax.net.ssl.SSLContext;
import javax.net.ssl.TrustManagerFactory;

import org.usockets4j.OpenSslCommand;

/**
 * Certificates for the load and hostile-input tests, made with the openssl command into a temporary folder that
 * is removed at exit: a CA that signs the server certificate (localhost, 127.0.0.1, ::1) and an unrelated CA a
 * client can wrongly trust. EC P-256: quick to make and to handshake with.
 */
final class LoadCerts {
    final Path dir;

    private LoadCerts(Path dir) {
        this.dir = dir;
    }

    /** A fresh set in a new temporary folder. */
    static LoadCerts make() throws IOException, InterruptedException {
        Path dir = Files.createTempDirectory("usockets4j-load-pki");
        Runtime.getRuntime().addShutdownHook(new Thread(() -> deleteTree(dir)));
        LoadCerts c = new LoadCerts(dir);
        for (String ca : new String[] {"ca", "otherCa"}) {
            openssl("req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1", "-nodes",
                    "-keyout", c.key(ca).toString(), "-out", c.cert(ca).toString(), "-days", "30",
                    "-subj", "/O=usockets4j load test/CN=" + ca, "-addext", "basicConstraints=critical,CA:TRUE",
                    "-addext", "keyUsage=critical,keyCertSign,cRLSign");
        }
        openssl("req", "-new", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1", "-nodes",
                "-keyout", c.key("server").toString(), "-out", dir.resolve("server.csr").toString(),
                "-subj", "/O=usockets4j load test/CN=localhost");
        Files.writeString(dir.resolve("server.ext"), "basicConstraints=CA:FALSE\nkeyUsage=critical,digitalSignature\n"
                + "extendedKeyUsage=serverAuth\nsubjectAltName=DNS:localhost,IP:127.0.0.1,IP:::1\n");
        openssl("x509", "-req", "-in", dir.resolve("server.csr").toString(), "-CA", c.cert("ca").toString(),
                "-CAkey", c.key("ca").toString(), "-set_serial", "7", "-days", "30", "-sha256",
                "-extfile", dir.resolve("server.ext").toString(), "-out", c.cert("server").toString());
        return c;
    }

    Path cert(String name) {
        return dir.resolve(name + ".pem");
    }

    Path key(String name) {
        return dir.resolve(name + ".key");
    }

    /** A JDK client context that trusts the CA (or, wrongly, the other CA). */
    SSLContext jdkClient(boolean rightCa) throws Exception {
        KeyStore trust = KeyStore.getInstance("PKCS12");
        trust.load(null, null);
        try (InputStream in = Files.newInputStream(cert(rightCa ? "ca" : "otherCa"))) {
            trust.setCertificateEntry("ca", (X509Certificate) CertificateFactory.getInstance("X.509").generateCertificate(in));
        }
        TrustManagerFactory tmf = TrustManagerFactory.getInstance(TrustManagerFactory.getDefaultAlgorithm());
        tmf.init(trust);
        SSLContext context = SSLContext.getInstance("TLS");
        context.init(null, tmf.getTrustManagers(), null);
        return context;
    }

    private static void openssl(String... args) throws IOException, InterruptedException {
        OpenSslCommand.run(60, args);
    }

    private static void deleteTree(Path dir) {
        try (Stream<Path> all = Files.walk(dir)) {
            all.sorted(Comparator.reverseOrder()).forEach(p -> p.toFile().delete());
        } catch (IOException ignored) {
            // best effort at exit
        }
    }
}
