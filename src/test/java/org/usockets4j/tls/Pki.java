package org.usockets4j.tls;

import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.KeyStore;
import java.security.cert.CertificateFactory;
import java.security.cert.X509Certificate;
import java.util.Comparator;
import java.util.stream.Stream;

import javax.net.ssl.KeyManagerFactory;
import javax.net.ssl.SSLContext;
import javax.net.ssl.TrustManagerFactory;

import org.usockets4j.OpenSslCommand;

/**
 * The tests' certificates, made once per JVM with the openssl command in a temporary folder (removed at exit):
 * two CAs (A and B), a server certificate for localhost/127.0.0.1/::1, client certificates from each CA, SNI
 * certificates (alpha.test, beta.test, *.example.test, late.test), an encrypted copy of the server key and a key
 * that matches nothing. EC P-256 keys: quick to make and to handshake with.
 */
final class Pki {
    static final String PASSPHRASE = "s3cret pass";
    static final String SERVER_SUBJECT = "CN=localhost,O=usockets4j test";
    static final String CLIENT_A_SUBJECT = "CN=client A,O=usockets4j test";

    final Path dir;

    private static Pki instance;

    private Pki(Path dir) {
        this.dir = dir;
    }

    /** The certificates, made at the first call. */
    static synchronized Pki get() throws IOException, InterruptedException {
        if (instance == null) {
            Path dir = Files.createTempDirectory("usockets4j-pki");
            Runtime.getRuntime().addShutdownHook(new Thread(() -> deleteTree(dir)));
            Pki pki = new Pki(dir);
            pki.make();
            instance = pki;
        }
        return instance;
    }

    Path file(String name) {
        return dir.resolve(name);
    }

    Path ca() {
        return file("caA.pem");
    }

    Path otherCa() {
        return file("caB.pem");
    }

    Path cert(String name) {
        return file(name + ".pem");
    }

    Path key(String name) {
        return file(name + ".key");
    }

    private void make() throws IOException, InterruptedException {
        for (String ca : new String[] {"caA", "caB"}) {
            openssl("req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1", "-nodes",
                    "-keyout", key(ca).toString(), "-out", cert(ca).toString(), "-days", "30",
                    "-subj", "/O=usockets4j test/CN=test " + ca, "-addext", "basicConstraints=critical,CA:TRUE",
                    "-addext", "keyUsage=critical,keyCertSign,cRLSign");
        }
        issue("server", "caA", "/O=usockets4j test/CN=localhost", "serverAuth",
                "DNS:localhost,IP:127.0.0.1,IP:::1");
        issue("clientA", "caA", "/O=usockets4j test/CN=client A", "clientAuth", null);
        issue("clientB", "caB", "/O=usockets4j test/CN=client B", "clientAuth", null);
        issue("alpha", "caA", "/O=usockets4j test/CN=alpha.test", "serverAuth", "DNS:alpha.test");
        issue("beta", "caA", "/O=usockets4j test/CN=beta.test", "serverAuth", "DNS:beta.test");
        issue("wildcard", "caA", "/O=usockets4j test/CN=*.example.test", "serverAuth", "DNS:*.example.test");
        issue("late", "caA", "/O=usockets4j test/CN=late.test", "serverAuth", "DNS:late.test");
        openssl("pkey", "-in", key("server").toString(), "-aes-256-cbc", "-passout", "pass:" + PASSPHRASE,
                "-out", key("serverEncrypted").toString());
        openssl("genpkey", "-algorithm", "EC", "-pkeyopt", "ec_paramgen_curve:P-256", "-out", key("stray").toString());
        openssl("pkcs12", "-export", "-in", cert("server").toString(), "-inkey", key("server").toString(),
                "-name", "server", "-passout", "pass:changeit", "-out", file("server.p12").toString());
        openssl("pkcs12", "-export", "-in", cert("clientA").toString(), "-inkey", key("clientA").toString(),
                "-name", "clientA", "-passout", "pass:changeit", "-out", file("clientA.p12").toString());
        Files.writeString(file("garbage.pem"), "this is not PEM\n");
    }

    private void issue(String name, String ca, String subject, String usage, String san)
            throws IOException, InterruptedException {
        openssl("req", "-new", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1", "-nodes",
                "-keyout", key(name).toString(), "-out", file(name + ".csr").toString(), "-subj", subject);
        StringBuilder ext = new StringBuilder("basicConstraints=CA:FALSE\nkeyUsage=critical,digitalSignature\n"
                + "extendedKeyUsage=" + usage + "\n");
        if (san != null) {
            ext.append("subjectAltName=").append(san).append('\n');
        }
        Files.writeString(file(name + ".ext"), ext);
        openssl("x509", "-req", "-in", file(name + ".csr").toString(), "-CA", cert(ca).toString(),
                "-CAkey", key(ca).toString(), "-set_serial", String.valueOf(System.nanoTime() & Long.MAX_VALUE),
                "-days", "30", "-sha256", "-extfile", file(name + ".ext").toString(), "-out", cert(name).toString());
    }

    /** Runs openssl with args (bounded: 30 s); throws with its output when it fails. */
    static String openssl(String... args) throws IOException, InterruptedException {
        return OpenSslCommand.run(30, args);
    }

    // ---------------------------------------------------------------- the JDK's side

    /** A JDK SSLContext trusting CA A (and, with withKey, presenting the server certificate). */
    SSLContext jdkContext(boolean withKey) throws Exception {
        return jdkContext(withKey ? "server" : null);
    }

    /** A JDK SSLContext trusting CA A and presenting the certificate of name.p12 ("server", "clientA"; null: none). */
    SSLContext jdkContext(String keyName) throws Exception {
        boolean withKey = keyName != null;
        KeyStore trust = KeyStore.getInstance("PKCS12");
        trust.load(null, null);
        CertificateFactory cf = CertificateFactory.getInstance("X.509");
        try (InputStream in = Files.newInputStream(ca())) {
            trust.setCertificateEntry("caA", (X509Certificate) cf.generateCertificate(in));
        }
        TrustManagerFactory tmf = TrustManagerFactory.getInstance(TrustManagerFactory.getDefaultAlgorithm());
        tmf.init(trust);
        KeyManagerFactory kmf = null;
        if (withKey) {
            KeyStore keys = KeyStore.getInstance("PKCS12");
            try (InputStream in = Files.newInputStream(file(keyName + ".p12"))) {
                keys.load(in, "changeit".toCharArray());
            }
            kmf = KeyManagerFactory.getInstance(KeyManagerFactory.getDefaultAlgorithm());
            kmf.init(keys, "changeit".toCharArray());
        }
        SSLContext context = SSLContext.getInstance("TLS");
        context.init(kmf == null ? null : kmf.getKeyManagers(), tmf.getTrustManagers(), null);
        return context;
    }

    private static void deleteTree(Path dir) {
        try (Stream<Path> all = Files.walk(dir)) {
            all.sorted(Comparator.reverseOrder()).forEach(p -> p.toFile().delete());
        } catch (IOException ignored) {
            // best effort at exit
        }
    }
}
