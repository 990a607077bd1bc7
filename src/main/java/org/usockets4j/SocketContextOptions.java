package org.usockets4j;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Objects;

/**
 * How a {@link SocketContext} is made: plain TCP ({@link #plain()}) or TLS (the TLS fields set). Immutable;
 * the {@code with*} methods return changed copies. The TLS fields mirror the C API's
 * {@code us_socket_context_options_t}: a context whose options are TLS is created with {@code ssl = 1}, and
 * every socket of it is a TLS socket. Also carries the Java-side defaults of the context's sockets
 * ({@link #highWaterMark()}).
 */
public final class SocketContextOptions {
    /** The default high-water mark of buffered {@link Socket#send} data: 1 MiB. */
    public static final int DEFAULT_HIGH_WATER_MARK = 1 << 20;

    private static final SocketContextOptions PLAIN =
            new SocketContextOptions(false, null, null, null, null, null, null, false, DEFAULT_HIGH_WATER_MARK);
    private static final SocketContextOptions TLS_CLIENT =
            new SocketContextOptions(true, null, null, null, null, null, null, false, DEFAULT_HIGH_WATER_MARK);

    // ---- TLS (the C options struct). tls false: plain TCP. Made by tls(cert, key) / tls() and the fluent
    // ---- passphrase, dhParams, caFile, ciphers, lowMemory copies; files checked by checkTlsFiles().
    private final boolean tls;
    private final Path keyFile;
    private final Path certFile;
    private final String passphrase;
    private final Path dhParamsFile;
    private final Path caFile;
    private final String ciphers;
    private final boolean lowMemory;

    // ---- Java-side socket defaults.
    private final int highWaterMark;

    SocketContextOptions(boolean tls, Path keyFile, Path certFile, String passphrase, Path dhParamsFile, Path caFile,
                         String ciphers, boolean lowMemory, int highWaterMark) {
        this.tls = tls;
        this.keyFile = keyFile;
        this.certFile = certFile;
        this.passphrase = passphrase;
        this.dhParamsFile = dhParamsFile;
        this.caFile = caFile;
        this.ciphers = ciphers;
        this.lowMemory = lowMemory;
        this.highWaterMark = highWaterMark;
    }

    /** Options of a plain TCP context with the default high-water mark. */
    public static SocketContextOptions plain() {
        return PLAIN;
    }

    /** A copy whose sockets start with this high-water mark for {@link Socket#send} (bytes, at least 1). */
    public SocketContextOptions withHighWaterMark(int bytes) {
        if (bytes < 1) {
            throw new UsException(UsException.Kind.INVALID_ARGUMENT, "highWaterMark must be >= 1, was " + bytes);
        }
        return new SocketContextOptions(tls, keyFile, certFile, passphrase, dhParamsFile, caFile, ciphers, lowMemory,
                bytes);
    }

    // ---------------------------------------------------------------- TLS

    /**
     * Options of a TLS context serving the PEM certificate chain {@code cert} (leaf first) with the PEM private
     * key {@code key}: what a TLS server needs (and a client presenting a certificate). TLS 1.2 at least, TLS 1.3
     * by default. The files are read when the context is created; a missing, unreadable or wrong file then makes
     * {@link Loop#createSocketContext} throw {@code UsException(SOCKET_CONTEXT_CREATION)} naming the file and
     * OpenSSL's reason.
     *
     * <p>The sockets of a TLS context use the same callbacks and writes as plain ones, in plaintext. Their
     * {@code onOpen} comes when the TCP connection opens, before the handshake: what is written until the
     * handshake finished waits ({@link Socket#send} keeps it; {@link Socket#write} returns 0 and
     * {@code onWritable} follows). A failed handshake closes the socket: {@code onClose} with
     * {@link Socket#CLOSE_CODE_TLS_ERROR}, and {@link Socket#closeReason()} holds OpenSSL's reason.
     */
    public static SocketContextOptions tls(Path cert, Path key) {
        Objects.requireNonNull(cert, "cert");
        Objects.requireNonNull(key, "key");
        return new SocketContextOptions(true, key, cert, null, null, null, null, false, DEFAULT_HIGH_WATER_MARK);
    }

    /**
     * Options of a TLS context without a certificate of its own: a TLS client. It verifies nothing until
     * {@link #caFile(Path)} names the CA certificates to trust; then the server's chain must lead to one of them
     * and its certificate must match the host given to {@link SocketContext#connect} (DNS name or IP address).
     */
    public static SocketContextOptions tls() {
        return TLS_CLIENT;
    }

    /** A copy whose private key is decrypted with passphrase (null: the key is not encrypted). */
    public SocketContextOptions passphrase(String passphrase) {
        if (passphrase != null && passphrase.indexOf('\0') >= 0) {
            throw new UsException(UsException.Kind.INVALID_ARGUMENT, "a passphrase cannot contain NUL characters");
        }
        requireTls("passphrase");
        return new SocketContextOptions(tls, keyFile, certFile, passphrase, dhParamsFile, caFile, ciphers, lowMemory,
                highWaterMark);
    }

    /** As {@link #passphrase(String)}; the array is copied (clear yours when done). */
    public SocketContextOptions passphrase(char[] passphrase) {
        return passphrase(passphrase == null ? null : new String(passphrase));
    }

    /** A copy using the PEM DH parameters of file for DHE cipher suites (null: OpenSSL's built-in groups). */
    public SocketContextOptions dhParams(Path file) {
        requireTls("dhParams");
        return new SocketContextOptions(tls, keyFile, certFile, passphrase, file, caFile, ciphers, lowMemory,
                highWaterMark);
    }

    /**
     * A copy that verifies peers against the PEM CA certificates of file (null: no verification). A server then
     * asks every client for a certificate and refuses the handshake without one that this CA issued (mutual
     * TLS); a client checks the server's chain and that its certificate names the host it connected to.
     * A peer that fails verification is refused during the handshake: the socket, already open, gets
     * {@code onClose} with {@link Socket#CLOSE_CODE_TLS_ERROR} and a {@link Socket#closeReason()} such as
     * "certificate verify failed: unable to get local issuer certificate" or "...: hostname mismatch" (never
     * {@code onConnectError}, which is for connections that did not open).
     */
    public SocketContextOptions caFile(Path file) {
        requireTls("caFile");
        return new SocketContextOptions(tls, keyFile, certFile, passphrase, dhParamsFile, file, ciphers, lowMemory,
                highWaterMark);
    }

    /**
     * A copy with an OpenSSL cipher list ("ECDHE-RSA-AES128-GCM-SHA256:TLS_AES_128_GCM_SHA256"; null: OpenSSL's
     * defaults). Names starting with {@code TLS_} choose the TLS 1.3 suites, the others the TLS 1.2 ciphers.
     */
    public SocketContextOptions ciphers(String ciphers) {
        if (ciphers != null && (ciphers.isBlank() || ciphers.indexOf('\0') >= 0)) {
            throw new UsException(UsException.Kind.INVALID_ARGUMENT, "invalid cipher list \"" + ciphers + "\"");
        }
        requireTls("ciphers");
        return new SocketContextOptions(tls, keyFile, certFile, passphrase, dhParamsFile, caFile, ciphers, lowMemory,
                highWaterMark);
    }

    /** A copy in which idle TLS sockets give their OpenSSL buffers back (less memory per idle connection). */
    public SocketContextOptions lowMemory(boolean lowMemory) {
        requireTls("lowMemory");
        return new SocketContextOptions(tls, keyFile, certFile, passphrase, dhParamsFile, caFile, ciphers, lowMemory,
                highWaterMark);
    }

    /** True when these options make a TLS context ({@link #tls(Path, Path)} or {@link #tls()}). */
    public boolean isTls() {
        return tls;
    }

    /** The PEM private key file, or null. */
    public Path keyFile() {
        return keyFile;
    }

    /** The PEM certificate chain file, or null. */
    public Path certFile() {
        return certFile;
    }

    /** The private key's passphrase, or null. */
    public String passphrase() {
        return passphrase;
    }

    /** The DH parameters file, or null. */
    public Path dhParamsFile() {
        return dhParamsFile;
    }

    /** The CA file peers must verify against, or null (no peer verification). */
    public Path caFile() {
        return caFile;
    }

    /** The OpenSSL cipher list, or null for OpenSSL's default. */
    public String ciphers() {
        return ciphers;
    }

    /** Whether idle TLS sockets release their buffers. */
    public boolean lowMemory() {
        return lowMemory;
    }

    /** The high-water mark the context's sockets start with. */
    public int highWaterMark() {
        return highWaterMark;
    }

    /** The ssl flag of the C API for these options: 1 for TLS, 0 for plain. */
    int ssl() {
        return isTls() ? 1 : 0;
    }

    static String pathString(Path p) {
        return p == null ? null : p.toString();
    }

    private void requireTls(String what) {
        if (!tls) {
            throw new UsException(UsException.Kind.INVALID_ARGUMENT,
                    what + " applies to TLS options only: start from SocketContextOptions.tls(cert, key) or tls()");
        }
    }

    /**
     * Before the native call: each named file must exist, be a regular file and be readable, so that the common
     * mistakes get a crisp message; what only OpenSSL can tell (wrong passphrase, key not matching) comes after.
     */
    void checkTlsFiles() {
        checkFile("certificate", certFile);
        checkFile("private key", keyFile);
        checkFile("CA", caFile);
        checkFile("DH parameters", dhParamsFile);
    }

    /** OpenSSL's reason for a failed TLS setup ("key.pem: key values mismatch") with a hint where it helps. */
    static String explainTlsError(String why) {
        if (why == null) {
            return "out of memory?";
        }
        if (why.endsWith("key values mismatch")) {
            return why + " (the private key does not belong to the certificate)";
        }
        if (why.endsWith("no start line")) {
            return why + " (not a PEM file of the expected kind)";
        }
        return why;
    }

    private static void checkFile(String what, Path file) {
        if (file == null) {
            return;
        }
        String problem = null;
        if (file.toString().indexOf('\0') >= 0) {
            problem = "the path contains a NUL character";
        } else if (!Files.exists(file)) {
            problem = "no such file";
        } else if (!Files.isRegularFile(file)) {
            problem = "not a regular file";
        } else if (!Files.isReadable(file)) {
            problem = "permission denied";
        }
        if (problem != null) {
            throw new UsException(UsException.Kind.SOCKET_CONTEXT_CREATION,
                    "cannot read the " + what + " file " + file + ": " + problem);
        }
    }

    @Override
    public String toString() {
        return isTls() ? "SocketContextOptions[tls cert=" + certFile + " key=" + keyFile
                + (caFile != null ? " ca=" + caFile : "") + "]"
                : "SocketContextOptions[plain]";
    }
}
